"""The client side of one short TCP conversation: validate, open a channel, one RPC, close.

Sans-I/O, in the manner of h11: feed what the socket received to
:meth:`RPCConversation.receive_data`, send what :meth:`RPCConversation.data_to_send`
returns, and look at :attr:`RPCConversation.state`. Nothing here touches a socket,
a thread or a clock; the caller bounds each step with its own timeout.

The conversation, as :data:`TRANSITIONS` has it::

    AWAIT_VALIDATION  --ConnectionValidationRequest-->  AWAIT_VALIDATED
        (we send ConnectionValidationResponse)
    AWAIT_VALIDATED   --ConnectionValidated-->          AWAIT_CHANNEL
        (we send CreateChannelRequest)
    AWAIT_CHANNEL     --CreateChannelResponse-->        AWAIT_INIT
        (we send RPCRequest INIT)
    AWAIT_INIT        --RPCResponse (INIT)-->           AWAIT_RESULT
        (we send RPCRequest with the argument, as the last request)
    AWAIT_RESULT      --RPCResponse-->                  AWAIT_DESTROY
        (we send DestroyChannelRequest; the result is known from here on)
    AWAIT_DESTROY     --DestroyChannelResponse-->       DONE

An error status in a reply, or any message out of place, ends it in FAILED. At
any point the server may send a byte-order control message (we follow it), a
``ServerMessage`` (kept in :attr:`notes`), an echo, or a message we do not
decode: none of these changes the state.
"""

from __future__ import annotations

import enum
from typing import Any

from .decoder import StreamDecoder, UnknownMessage
from .errors import PVALocalProtocolError, PVARemoteError, PVARemoteProtocolError
from .header import ControlCommand
from .messages import (
    ConnectionValidated,
    ConnectionValidationRequest,
    ConnectionValidationResponse,
    ControlMessage,
    CreateChannelRequest,
    CreateChannelResponse,
    DestroyChannelRequest,
    DestroyChannelResponse,
    EchoResponse,
    PVAMessage,
    RPCRequest,
    RPCResponse,
    ServerMessage,
    ca_credentials,
)
from .types import FieldDesc

__all__ = [
    "TRANSITIONS",
    "ConversationState",
    "RPCConversation",
    "choose_auth",
]


class ConversationState(enum.Enum):
    """Where an :class:`RPCConversation` stands."""

    AWAIT_VALIDATION = "awaiting the server's CONNECTION_VALIDATION"
    AWAIT_VALIDATED = "awaiting CONNECTION_VALIDATED"
    AWAIT_CHANNEL = "awaiting the CREATE_CHANNEL reply"
    AWAIT_INIT = "awaiting the reply to RPC INIT"
    AWAIT_RESULT = "awaiting the RPC result"
    AWAIT_DESTROY = "awaiting the DESTROY_CHANNEL reply"
    DONE = "done"
    FAILED = "failed"


S = ConversationState

#: (state, message class received) -> next state. Everything else the server may
#: send at any time is in :data:`_ANYTIME`; anything not in either is a fault.
TRANSITIONS: dict[tuple[ConversationState, type[PVAMessage]], ConversationState] = {
    (S.AWAIT_VALIDATION, ConnectionValidationRequest): S.AWAIT_VALIDATED,
    (S.AWAIT_VALIDATED, ConnectionValidated): S.AWAIT_CHANNEL,
    (S.AWAIT_CHANNEL, CreateChannelResponse): S.AWAIT_INIT,
    (S.AWAIT_INIT, RPCResponse): S.AWAIT_RESULT,
    (S.AWAIT_RESULT, RPCResponse): S.AWAIT_DESTROY,
    (S.AWAIT_DESTROY, DestroyChannelResponse): S.DONE,
}
_ANYTIME: tuple[type[Any], ...] = (ServerMessage, EchoResponse, UnknownMessage)
_FINISHED = frozenset((S.DONE, S.FAILED))


def choose_auth(offered: tuple[str, ...]) -> str:
    """The method we answer with: "anonymous" if offered, else "ca", else "anonymous".

    A listing needs no rights, so the user name is sent only to a server that
    takes nothing else. (pvxs's own client prefers "ca".)
    """
    if "anonymous" in offered:
        return "anonymous"
    if "ca" in offered:
        return "ca"
    return "anonymous"


class RPCConversation:
    """One RPC to one channel of one server, over a fresh connection.

    Parameters
    ----------
    channel : str
        The channel's name (``"server"`` for a pvxs server's own PV).
    argument : (FieldDesc or None, value)
        What the RPC sends, e.g. :func:`protocol.pva.values.nturi`.
    cid, ioid : int
        Our ids for the channel and the operation.
    user, host : str
        Sent only if the server offers nothing but "ca" authentication.

    Attributes
    ----------
    state : ConversationState
    result : (FieldDesc or None, value) or None
        The RPC's result, once the state is ``AWAIT_DESTROY`` or ``DONE``.
    notes : list of ServerMessage
        What the server said along the way.
    auth_method : str or None
        The method we chose.
    """

    def __init__(
        self,
        channel: str,
        argument: tuple[FieldDesc | None, Any],
        *,
        cid: int = 1,
        ioid: int = 1,
        user: str = "",
        host: str = "",
    ) -> None:
        # Validate at once: the messages are built later, when the server answers.
        CreateChannelRequest([(cid, channel)])
        RPCRequest.execute(0, ioid, argument)
        self.channel = channel
        self.argument = argument
        self.cid = cid
        self.ioid = ioid
        self.user = user
        self.host = host
        self.state = S.AWAIT_VALIDATION
        self.result: tuple[FieldDesc | None, Any] | None = None
        self.notes: list[ServerMessage] = []
        self.auth_method: str | None = None
        self.sid: int | None = None
        self.big_endian = False
        self._decoder = StreamDecoder(from_server=True)
        self._outgoing = bytearray()

    # -- the I/O layer's side ----------------------------------------------------------

    @property
    def finished(self) -> bool:
        """DONE or FAILED: nothing more to send or to wait for."""
        return self.state in _FINISHED

    @property
    def has_result(self) -> bool:
        return self.result is not None

    def data_to_send(self) -> bytes:
        """Bytes to write to the socket now (and forget)."""
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    def receive_data(self, data: bytes) -> list[PVAMessage | ControlMessage]:
        """Take bytes from the socket; returns the messages they completed.

        Raises
        ------
        PVARemoteProtocolError
            Malformed bytes, or a message out of place (the state becomes FAILED).
        PVARemoteError
            The server refused the channel or the RPC (FAILED too).
        PVALocalProtocolError
            Data after the conversation finished, or the connection closing early
            (``data == b""``).
        """
        if self.finished:
            raise PVALocalProtocolError(f"data received after the conversation was {self.state}")
        if not data:
            closed = PVARemoteProtocolError(f"the server closed the connection while {self.doing}")
            self.state = S.FAILED
            raise closed
        try:
            messages = self._decoder.feed(data)
            for message in messages:
                self._handle(message)
                if self.finished:
                    break
        except BaseException:
            self.state = S.FAILED
            raise
        return messages

    @property
    def doing(self) -> str:
        """What the conversation waits for, for error messages."""
        return str(self.state.value)

    # -- the protocol ------------------------------------------------------------------

    def _send(self, message: PVAMessage) -> None:
        self._outgoing += bytes(message)

    def _handle(self, message: PVAMessage | ControlMessage) -> None:
        if isinstance(message, ControlMessage):
            if message.command == ControlCommand.SET_BYTE_ORDER:
                self.big_endian = message.big_endian
            return
        if isinstance(message, ServerMessage):
            self.notes.append(message)
            return
        if isinstance(message, _ANYTIME):
            return
        target = TRANSITIONS.get((self.state, type(message)))
        if target is None:
            raise PVARemoteProtocolError(f"unexpected {type(message).__name__} while {self.doing}")
        getattr(self, "_on_" + self.state.name.lower())(message)
        self.state = target

    def _on_await_validation(self, message: ConnectionValidationRequest) -> None:
        method = choose_auth(message.auth_methods)
        credentials = ca_credentials(self.user, self.host) if method == "ca" else (None, None)
        self.auth_method = method
        self._send(
            ConnectionValidationResponse(
                method,
                credentials,
                big_endian=self.big_endian,
            )
        )

    def _on_await_validated(self, message: ConnectionValidated) -> None:
        if not message.status.ok:
            # pvxs goes on without credentials; the channel request will tell.
            self.notes.append(ServerMessage(0, 1, f"authentication refused: {message.status}"))
        self._send(CreateChannelRequest([(self.cid, self.channel)], big_endian=self.big_endian))

    def _on_await_channel(self, message: CreateChannelResponse) -> None:
        if message.cid != self.cid:
            raise PVARemoteProtocolError(
                f"CREATE_CHANNEL reply for cid {message.cid}, we asked for {self.cid}"
            )
        if not message.status.ok:
            raise PVARemoteError(
                f"refused channel {self.channel!r}: {message.status}", message.status
            )
        self.sid = message.sid
        self._send(RPCRequest.init(message.sid, self.ioid, big_endian=self.big_endian))

    def _check_reply(self, message: RPCResponse, init: bool) -> None:
        if message.ioid != self.ioid:
            raise PVARemoteProtocolError(f"RPC reply for ioid {message.ioid}, ours is {self.ioid}")
        if message.is_init != init:
            raise PVARemoteProtocolError(
                f"RPC reply with subcommand 0x{message.subcommand:02x} while {self.doing}"
            )
        if not message.status.ok:
            step = "RPC INIT" if init else "RPC"
            raise PVARemoteError(
                f"{step} on {self.channel!r} failed: {message.status}", message.status
            )

    def _on_await_init(self, message: RPCResponse) -> None:
        self._check_reply(message, init=True)
        assert self.sid is not None
        self._send(
            RPCRequest.execute(
                self.sid, self.ioid, self.argument, last=True, big_endian=self.big_endian
            )
        )

    def _on_await_result(self, message: RPCResponse) -> None:
        self._check_reply(message, init=False)
        self.result = message.result
        assert self.sid is not None
        self._send(DestroyChannelRequest(self.sid, self.cid, big_endian=self.big_endian))

    def _on_await_destroy(self, message: DestroyChannelResponse) -> None:
        if message.sid != self.sid:
            raise PVARemoteProtocolError(
                f"DESTROY_CHANNEL reply for sid {message.sid}, ours is {self.sid}"
            )
