"""Sans-I/O bookkeeping of a client's virtual circuit and its channels.

A :class:`VirtualCircuit` allocates ids, turns outgoing commands into bytes,
decodes incoming bytes, and matches every response to its request and channel.
It never touches a socket: the I/O layer moves the bytes.
"""

from __future__ import annotations

from typing import Any

from .alarms import SubscriptionType
from .channel_types import ChannelType, DataTypeSpec, resolve_data_type
from .commands import (
    AccessRights,
    AccessRightsResponse,
    ClearChannelRequest,
    ClearChannelResponse,
    CreateChanRequest,
    CreateChanResponse,
    CreateChFailResponse,
    ErrorResponse,
    EventAddRequest,
    EventAddResponse,
    EventCancelRequest,
    EventCancelResponse,
    Message,
    ReadNotifyRequest,
    ReadNotifyResponse,
    ReadRequest,
    ReadResponse,
    ServerDisconnResponse,
    WriteNotifyRequest,
    WriteNotifyResponse,
    WriteRequest,
)
from .commands.base import check_priority
from .commands.circuit import DEFAULT_PROTOCOL_VERSION
from .decoder import DEFAULT_MAX_ARRAY_BYTES, StreamDecoder
from .errors import LocalProtocolError, RemoteProtocolError
from .states import ALLOWED_REQUESTS, ChannelState, next_state
from .values import value_count

__all__ = ["ChannelState", "ClientChannel", "VirtualCircuit"]

_ID_SPACE = 1 << 32


class _Ids:
    """A counter of 32-bit ids that skips ids still in use."""

    def __init__(self) -> None:
        self._next = 0

    def take(self, in_use: Any) -> int:
        for _ in range(len(in_use) + 1):
            value = self._next
            self._next = (self._next + 1) % _ID_SPACE
            if value not in in_use:
                return value
        raise LocalProtocolError("no free id")  # unreachable: the loop always finds one


class ClientChannel:
    """One channel of a circuit, from the client's side.

    Parameters
    ----------
    name : str
        The PV name.
    circuit : VirtualCircuit
    cid : int
        The client's id for the channel (allocated by the circuit).
    """

    def __init__(self, name: str, circuit: VirtualCircuit, cid: int) -> None:
        self.name = name
        self.circuit = circuit
        self.cid = cid
        self.sid: int | None = None
        self.state = ChannelState.SEND_CREATE_CHAN_REQUEST
        self.native_data_type: ChannelType | None = None
        self.native_data_count: int | None = None
        self.access_rights = AccessRights.NO_ACCESS

    def __repr__(self) -> str:
        return f"<ClientChannel {self.name!r} cid={self.cid} {self.state.value}>"

    def _require(self, request: str) -> int:
        needed = ALLOWED_REQUESTS[request]
        if self.state is not needed:
            raise LocalProtocolError(
                f"cannot send {request} on channel {self.name!r}: it is {self.state.value}, "
                f"not {needed.value}"
            )
        assert self.sid is not None or needed is ChannelState.SEND_CREATE_CHAN_REQUEST
        return self.sid or 0

    def resolve(self, data_type: DataTypeSpec) -> ChannelType:
        """The DBR type a request class or type means for this channel."""
        if self.native_data_type is None:
            raise LocalProtocolError(f"channel {self.name!r} is not connected yet")
        return resolve_data_type(data_type, self.native_data_type)

    def create(self) -> CreateChanRequest:
        """The CREATE_CHAN request for this channel."""
        self._require("CreateChanRequest")
        return CreateChanRequest(self.name, self.cid, self.circuit.protocol_version)

    def read(
        self, data_type: DataTypeSpec = None, data_count: int | None = None, notify: bool = True
    ) -> ReadNotifyRequest | ReadRequest:
        """A read request (READ_NOTIFY unless ``notify=False``) with a fresh ioid."""
        sid = self._require("ReadNotifyRequest")
        cls = ReadNotifyRequest if notify else ReadRequest
        ioid = self.circuit.new_ioid()
        if data_count is None:
            # READ_NOTIFY's 0 means "as many as there are"; RSRV answers a plain
            # READ of 0 with no elements at all, so ask that one for the native count.
            data_count = 0 if notify else (self.native_data_count or 0)
        count = data_count
        return cls(self.resolve(data_type), count, sid, ioid)

    def write(
        self,
        data: Any,
        data_type: DataTypeSpec = None,
        data_count: int | None = None,
        notify: bool = False,
        metadata: Any = None,
    ) -> WriteNotifyRequest | WriteRequest:
        """A write request (WRITE_NOTIFY when ``notify``) with a fresh ioid."""
        sid = self._require("WriteNotifyRequest")
        dtype = self.resolve(data_type)
        cls = WriteNotifyRequest if notify else WriteRequest
        if data_count is None:
            data_count = value_count(data, dtype)
        return cls(data, dtype, data_count, sid, self.circuit.new_ioid(), metadata=metadata)

    def subscribe(
        self,
        data_type: DataTypeSpec = None,
        data_count: int | None = None,
        low: float = 0.0,
        high: float = 0.0,
        to: float = 0.0,
        mask: int | None = None,
    ) -> EventAddRequest:
        """An EVENT_ADD request with a fresh subscription id."""
        sid = self._require("EventAddRequest")
        if mask is None:
            mask = SubscriptionType.DBE_VALUE | SubscriptionType.DBE_ALARM
        if not int(mask) & 0xF:
            # The IOC answers a mask of 0 by closing the circuit.
            raise LocalProtocolError(f"subscription mask {mask!r} selects no events")
        dtype = self.resolve(data_type)
        count = 0 if data_count is None else data_count
        return EventAddRequest(
            dtype, count, sid, self.circuit.new_subscriptionid(), low, high, to, mask
        )

    def unsubscribe(self, subscriptionid: int) -> EventCancelRequest:
        """An EVENT_CANCEL for one of this channel's subscriptions."""
        sid = self._require("EventCancelRequest")
        request = self.circuit.event_add_requests.get(subscriptionid)
        if request is None:
            raise LocalProtocolError(f"no subscription {subscriptionid} on {self.name!r}")
        return EventCancelRequest(request.data_type, sid, subscriptionid, request.data_count)

    def clear(self) -> ClearChannelRequest:
        """The CLEAR_CHANNEL request for this channel."""
        sid = self._require("ClearChannelRequest")
        return ClearChannelRequest(sid, self.cid)


class VirtualCircuit:
    """A client's view of one circuit: (server address, priority) and its channels.

    Parameters
    ----------
    address : (host, port)
    priority : int
        0 (lowest) .. 99.
    protocol_version : int, optional
    max_array_bytes : int, optional
        Larger payloads are rejected by the decoder.
    """

    def __init__(
        self,
        address: tuple[str, int],
        priority: int = 0,
        protocol_version: int = DEFAULT_PROTOCOL_VERSION,
        max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES,
    ) -> None:
        check_priority(priority)
        self.address = address
        self.priority = priority
        self.protocol_version = protocol_version
        self.server_version: int | None = None
        self.channels: dict[int, ClientChannel] = {}
        self.channels_by_sid: dict[int, ClientChannel] = {}
        #: ioid -> (channel, request) for reads and notify writes awaiting replies.
        self.pending_ioids: dict[int, tuple[ClientChannel, Message]] = {}
        #: subscriptionid -> the EVENT_ADD that started it.
        self.event_add_requests: dict[int, EventAddRequest] = {}
        self.subscription_channels: dict[int, ClientChannel] = {}
        self._cancelling: set[int] = set()
        self._cid_ids, self._io_ids, self._sub_ids = _Ids(), _Ids(), _Ids()
        self._decoder = StreamDecoder(max_array_bytes=max_array_bytes)
        self.lost = False

    def __repr__(self) -> str:
        host, port = self.address
        return f"<VirtualCircuit {host}:{port} priority={self.priority} {len(self.channels)} ch>"

    # -- ids ----------------------------------------------------------------
    def new_channel(self, name: str) -> ClientChannel:
        """Register a channel for ``name`` with a fresh cid."""
        cid = self._cid_ids.take(self.channels)
        channel = self.channels[cid] = ClientChannel(name, self, cid)
        return channel

    def new_ioid(self) -> int:
        return self._io_ids.take(self.pending_ioids)

    def new_subscriptionid(self) -> int:
        return self._sub_ids.take(self.event_add_requests)

    # -- outgoing -----------------------------------------------------------
    def send(self, *commands: Message) -> bytes:
        """Record ``commands`` as sent and return the bytes to write, in order."""
        for command in commands:
            self._sent(command)
        return b"".join(bytes(command) for command in commands)

    def _channel_for_sid(self, sid: int, what: str) -> ClientChannel:
        channel = self.channels_by_sid.get(sid)
        if channel is None:
            raise LocalProtocolError(f"{what} for sid {sid}, which is no channel of this circuit")
        return channel

    def _sent(self, command: Message) -> None:
        name = type(command).__name__
        if isinstance(command, CreateChanRequest):
            channel = self.channels.get(command.cid)
            if channel is None:
                raise LocalProtocolError(f"CREATE_CHAN for unknown cid {command.cid}")
            self._move(channel, name)
        elif isinstance(command, (ReadNotifyRequest, ReadRequest, WriteNotifyRequest)):
            channel = self._channel_for_sid(command.sid, name)
            channel._require(name)
            self.pending_ioids[command.ioid] = (channel, command)
        elif isinstance(command, WriteRequest):
            self._channel_for_sid(command.sid, name)._require(name)
        elif isinstance(command, EventAddRequest):
            channel = self._channel_for_sid(command.sid, name)
            channel._require(name)
            self.event_add_requests[command.subscriptionid] = command
            self.subscription_channels[command.subscriptionid] = channel
        elif isinstance(command, EventCancelRequest):
            self._cancelling.add(command.subscriptionid)
        elif isinstance(command, ClearChannelRequest):
            channel = self._channel_for_sid(command.sid, name)
            self._move(channel, name)

    def _move(self, channel: ClientChannel, event: str) -> None:
        new = next_state(channel.state, event)
        if new is None:
            if event.endswith("Request"):
                raise LocalProtocolError(
                    f"cannot send {event} on channel {channel.name!r} while it is "
                    f"{channel.state.value}"
                )
            raise RemoteProtocolError(
                f"{event} for channel {channel.name!r} while it is {channel.state.value}"
            )
        channel.state = new

    # -- incoming -----------------------------------------------------------
    def recv_buffer(self) -> memoryview:
        """A view to receive bytes into (see :meth:`StreamDecoder.recv_buffer`)."""
        return self._decoder.recv_buffer()

    def received(self, nbytes: int) -> list[Message]:
        """Decode and process ``nbytes`` written into :meth:`recv_buffer`."""
        return self.process(self._decoder.received(nbytes))

    def feed(self, data: Any) -> list[Message]:
        """Decode and process bytes received from the server."""
        return self.process(self._decoder.feed(data))

    def process(self, messages: list[Message]) -> list[Message]:
        """Update state from decoded messages; return them (cancel acks retyped)."""
        out = messages
        for index, message in enumerate(messages):
            if isinstance(message, EventAddResponse):
                subid = message._h[5]
                if subid in self.event_add_requests:
                    if subid in self._cancelling and not message._h[1]:
                        out[index] = self._cancelled(message)
                    continue
                if subid in self._cancelling:
                    continue  # an update that crossed our cancel on the wire
                raise RemoteProtocolError(
                    f"EventAddResponse for subscription id {subid}, which this circuit never "
                    f"requested"
                )
            self._received(message)
        return out

    def _cancelled(self, message: EventAddResponse) -> EventCancelResponse:
        subid = message._h[5]
        del self.event_add_requests[subid]
        self.subscription_channels.pop(subid, None)
        # Nothing follows the acknowledgement: forget the id, or an empty update
        # of a later subscription given the same id would pass for an ack.
        self._cancelling.discard(subid)
        return EventCancelResponse.from_update(message)

    def _channel_for_cid(self, cid: int, what: str) -> ClientChannel:
        channel = self.channels.get(cid)
        if channel is None:
            raise RemoteProtocolError(f"{what} for cid {cid}, which this circuit never created")
        return channel

    def _received(self, message: Message) -> None:
        name = type(message).__name__
        if isinstance(message, (ReadNotifyResponse, WriteNotifyResponse, ReadResponse)):
            if message.ioid not in self.pending_ioids:
                raise RemoteProtocolError(
                    f"{name} for ioid {message.ioid}, which matches no request in flight"
                )
            channel, request = self.pending_ioids.pop(message.ioid)
            expected = ReadRequest if isinstance(message, ReadResponse) else None
            if expected is not None and not isinstance(request, expected):
                raise RemoteProtocolError(f"{name} answers a {type(request).__name__}")
        elif isinstance(message, AccessRightsResponse):
            channel = self._channel_for_cid(message.cid, name)
            self._move(channel, name)
            channel.access_rights = message.access_rights
        elif isinstance(message, CreateChanResponse):
            channel = self._channel_for_cid(message.cid, name)
            # A compound type (DBR_TIME_DOUBLE, ...) as the native type leaves no
            # type to request: every later read or subscription would fail.
            if message.data_type > ChannelType.DOUBLE:
                raise RemoteProtocolError(
                    f"{name} for channel {channel.name!r} announces native type "
                    f"{message.data_type}, which is not a native type (0..6)"
                )
            self._move(channel, name)
            channel.sid = message.sid
            channel.native_data_type = message.data_type
            channel.native_data_count = message.data_count
            self.channels_by_sid[message.sid] = channel
        elif isinstance(message, (CreateChFailResponse, ServerDisconnResponse)):
            channel = self._channel_for_cid(message.cid, name)
            self._move(channel, name)
            self._forget(channel)
        elif isinstance(message, ClearChannelResponse):
            channel = self._channel_for_cid(message.cid, name)
            self._move(channel, name)
            self._forget(channel)
            del self.channels[channel.cid]
        elif isinstance(message, ErrorResponse):
            original = message.original_request
            if original.command in (ReadNotifyRequest.ID, WriteNotifyRequest.ID, ReadRequest.ID):
                self.pending_ioids.pop(original.parameter2, None)
        # VERSION, ECHO and the rest carry no channel state.

    def _forget(self, channel: ClientChannel) -> None:
        if channel.sid is not None:
            self.channels_by_sid.pop(channel.sid, None)
        for ioid, (owner, _) in list(self.pending_ioids.items()):
            if owner is channel:
                del self.pending_ioids[ioid]
        for subid, owner in list(self.subscription_channels.items()):
            if owner is channel:
                del self.subscription_channels[subid]
                self.event_add_requests.pop(subid, None)

    def disconnected(self) -> None:
        """The transport closed: every channel is disconnected, nothing is pending."""
        self.lost = True
        for channel in self.channels.values():
            new = next_state(channel.state, "circuit lost")
            if new is not None:
                channel.state = new
        self.pending_ioids.clear()
        self.event_add_requests.clear()
        self.subscription_channels.clear()
        self.channels_by_sid.clear()
