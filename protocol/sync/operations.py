"""The synchronous client's toolkit: open a channel, read, write, and the checks on the way.

Used by :mod:`.client` (one connection per call), :mod:`.channels` (channels kept
open) and :mod:`.blocker` (requests on a ``Blocker``'s own channels).  A read or a
write is written once, as a generator of the messages to send (:func:`read_steps`,
:func:`write_steps`): :func:`drive` runs one blocking on a connection; the Blocker
runs the same generators from its loop, one reply at a time.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Generator, Sequence
from typing import Any

from ..channel_types import ChannelType, DataTypeSpec, resolve_data_type
from ..circuit import ClientChannel
from ..commands import (
    AccessRights,
    ClearChannelRequest,
    CreateChanResponse,
    CreateChFailResponse,
    EchoRequest,
    EchoResponse,
    ErrorResponse,
    Message,
    ReadNotifyRequest,
    ReadNotifyResponse,
    ReadRequest,
    ReadResponse,
    ServerDisconnResponse,
    WriteNotifyRequest,
    WriteNotifyResponse,
    WriteRequest,
    check_pv_name,
)
from ..commands.base import check_priority
from ..errors import (
    CAError,
    CATimeoutError,
    CAValueError,
    ChannelAccessDenied,
    ConnectTimeoutError,
    DisconnectedError,
    ErrorResponseReceived,
)
from ..values import STRING_ENCODING
from .cancel import CACancelledError, Cancellation, not_sent
from .config import CAConfig, load_config, search_destinations
from .connection import Connection
from .search import Searcher
from .write_request import write_request

__all__ = [
    "Steps",
    "await_created",
    "await_reply",
    "before_sending",
    "check_timeout",
    "close_channel",
    "connect_channel",
    "create",
    "drive",
    "enum_choices",
    "naming",
    "need",
    "new_searcher",
    "not_found",
    "prepare",
    "read_channel",
    "read_steps",
    "read_type",
    "read_write_read_steps",
    "search",
    "server_error",
    "subscription_type",
    "write_channel",
    "write_request",
    "write_steps",
]

#: A read or write as a generator: it yields each request to send and is sent the
#: reply (None for a plain WRITE once the server has handled it); it returns the
#: result, and raises what the operation raises.
Steps = Generator[Message, Any, Any]


def check_timeout(timeout: float) -> None:
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not timeout > 0:
        raise CAValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if timeout == float("inf"):  # a socket timeout cannot be infinite (OverflowError)
        raise CAValueError("timeout must be finite, not inf")


def new_searcher(
    config: CAConfig, deadline: float, what: str, cancel: Cancellation | None = None
) -> Searcher:
    destinations = search_destinations(config)
    if not destinations and not config.name_servers:
        raise CAError(
            f"cannot search for {what}: no search addresses "
            "(EPICS_CA_AUTO_ADDR_LIST=NO and EPICS_CA_ADDR_LIST is empty)"
        )
    return Searcher(destinations, config.name_servers, deadline - time.monotonic(), cancel=cancel)


def not_found(name: str, searcher: Searcher, timeout: float) -> CATimeoutError:
    return ConnectTimeoutError(
        f"PV {name!r} not found: searched {searcher.describe()} for {timeout:g} s"
    )


def search(
    name: str,
    config: CAConfig,
    deadline: float,
    timeout: float,
    cancel: Cancellation | None = None,
) -> tuple[str, int]:
    searcher = new_searcher(config, deadline, repr(name), cancel)
    try:
        found = searcher.resolve([name], deadline)
        if name not in found:
            raise not_found(name, searcher, timeout)
        return found[name]
    finally:
        searcher.close()


def create(
    conn: Connection, channels: Sequence[ClientChannel], deadline: float
) -> dict[int, CAError]:
    """Create ``channels`` on a new circuit: handshake and every CREATE_CHAN in one write.

    Returns the failures by cid (the others are connected).
    """
    conn.send(*conn.handshake(), *(channel.create() for channel in channels))
    return await_created(conn, channels, deadline)


def await_created(
    conn: Connection, channels: Sequence[ClientChannel], deadline: float
) -> dict[int, CAError]:
    """Wait for the server's answer to each channel's CREATE_CHAN; failures by cid."""
    pending = {channel.cid: channel for channel in channels}
    failures: dict[int, CAError] = {}
    host, port = conn.circuit.address

    def answers(msg: Message) -> bool:
        if isinstance(msg, (CreateChanResponse, CreateChFailResponse)):
            return msg.cid in pending
        return isinstance(msg, ErrorResponse)

    def names() -> str:
        return ", ".join(repr(channel.name) for channel in pending.values())

    while pending:
        try:
            reply = conn.recv_until(answers, deadline, lambda: f"creating channel {names()}")
        except CATimeoutError as exc:
            failures.update((cid, before_sending(exc)) for cid in pending)
            break
        assert isinstance(reply, (ErrorResponse, CreateChanResponse, CreateChFailResponse))
        if isinstance(reply, ErrorResponse):
            if reply.cid not in pending:
                raise ErrorResponseReceived(
                    f"creating {names()}: {reply.status.name}: {reply.error_message}", reply
                )
            name = pending[reply.cid].name
            failures[reply.cid] = ErrorResponseReceived(
                f"creating PV {name!r}: {reply.status.name}: {reply.error_message}", reply
            )
        elif isinstance(reply, CreateChFailResponse):
            name = pending[reply.cid].name
            failures[reply.cid] = ErrorResponseReceived(
                f"the server at {host}:{port} refused to create PV {name!r}", reply
            )
        pending.pop(reply.cid, None)
    return failures


def prepare(timeout: float, priority: int, repeater: bool) -> tuple[CAConfig, float]:
    check_priority(priority)
    check_timeout(timeout)
    deadline = time.monotonic() + timeout
    config = load_config()
    if repeater:
        from .repeater import ensure_repeater

        ensure_repeater(config.repeater_port)
    return config, deadline


def connect_channel(
    pv_name: str,
    timeout: float,
    priority: int,
    repeater: bool,
    cancel: Cancellation | None = None,
) -> tuple[Connection, ClientChannel, float]:
    """Search, connect and create the channel within ``timeout`` seconds.

    With ``cancel``, cancelling it ends the call at once with
    :class:`~protocol.sync.cancel.CancelledBeforeSendingError` (no request sent yet).
    """
    check_pv_name(pv_name)
    config, deadline = prepare(timeout, priority, repeater)
    try:
        server = search(pv_name, config, deadline, timeout, cancel)  # ConnectTimeoutError
    except CACancelledError as exc:
        raise naming(not_sent(exc), pv_name) from None
    try:
        conn = Connection(
            server, priority, config.max_array_bytes, deadline - time.monotonic(), cancel=cancel
        )
    except CAError as exc:  # ConnectTimeoutError or DisconnectedError: name the PV
        raise naming(exc, pv_name) from None
    try:
        channel = conn.circuit.new_channel(pv_name)
        failure = create(conn, [channel], deadline).get(channel.cid)
        if failure is not None:
            raise failure  # a timeout is already a ConnectTimeoutError (await_created)
    except CACancelledError as exc:
        conn.close()
        raise naming(not_sent(exc), pv_name) from None
    except BaseException:
        conn.close()
        raise
    return conn, channel, deadline


def before_sending(exc: CATimeoutError) -> ConnectTimeoutError:
    """``exc`` as what it is: a timeout before any request went out."""
    return exc if isinstance(exc, ConnectTimeoutError) else ConnectTimeoutError(str(exc))


def naming(exc: CAError, pv_name: str) -> CAError:
    """``exc`` with its message prefixed by the PV name (a connect failure names a server)."""
    exc.args = (f"PV {pv_name!r}: {exc}", *exc.args[1:])
    return exc


def close_channel(conn: Connection, channel: ClientChannel) -> None:
    # A cancelled connection sends nothing more: closing it resets it.
    if not conn.closed and channel.sid is not None and not conn.cancelled:
        with contextlib.suppress(OSError):
            conn.sock.sendall(bytes(ClearChannelRequest(channel.sid, channel.cid)))
    conn.close()


def server_error(what: str, reply: ErrorResponse) -> ErrorResponseReceived:
    """The error to raise for the server's ERROR answer to a request."""
    return ErrorResponseReceived(
        f"{what}: the server answered {reply.status.name} "
        f"({reply.status.description}): {reply.error_message}",
        reply,
    )


def await_reply(
    conn: Connection, channel: ClientChannel, ioid: int, deadline: float, what: str
) -> Any:
    """The reply to request ``ioid``; server errors raise."""

    def answers(msg: Message) -> bool:
        if isinstance(msg, (ReadNotifyResponse, WriteNotifyResponse, ReadResponse)):
            return msg.ioid == ioid
        if isinstance(msg, ServerDisconnResponse):
            return msg.cid == channel.cid
        return isinstance(msg, ErrorResponse)

    try:
        reply = conn.recv_until(answers, deadline, what)
    except CATimeoutError as exc:
        raise CATimeoutError(f"{exc} (timeout)") from None
    if isinstance(reply, ErrorResponse):
        raise server_error(what, reply)
    if isinstance(reply, ServerDisconnResponse):
        raise DisconnectedError(f"{what}: the server dropped the channel")
    return reply


def _await_handled(conn: Connection, channel: ClientChannel, deadline: float, what: str) -> None:
    """Wait for the ECHO sent behind a plain WRITE: the server has handled the write."""

    def handled(msg: Message) -> bool:
        if isinstance(msg, ServerDisconnResponse):
            return msg.cid == channel.cid
        return isinstance(msg, (EchoResponse, ErrorResponse))

    reply = conn.recv_until(handled, deadline, what)
    if isinstance(reply, ServerDisconnResponse):
        raise DisconnectedError(f"{what}: the server dropped the channel")
    if isinstance(reply, ErrorResponse):
        raise server_error(what, reply)


def drive(conn: Connection, channel: ClientChannel, steps: Steps, deadline: float) -> Any:
    """Run ``steps`` on ``conn``, blocking until done or ``deadline``; return the result.

    A cancellation (:mod:`protocol.sync.cancel`) before any write went out (while
    reading an enum's choices, say) raises
    :class:`~protocol.sync.cancel.CancelledBeforeSendingError`: nothing was written.
    """
    reply: Any = None
    wrote = False
    try:
        while True:
            try:
                request = steps.send(reply)
            except StopIteration as stop:
                return stop.value
            if isinstance(request, WriteRequest):
                # A plain WRITE is answered only when it fails; the ECHO behind it
                # tells us the server has handled it, so a refusal is reported, not lost.
                conn.send(request, EchoRequest())
                wrote = True
                _await_handled(conn, channel, deadline, f"writing {channel.name!r}")
                reply = None
            else:
                assert isinstance(request, (ReadNotifyRequest, ReadRequest, WriteNotifyRequest))
                verb = "writing" if isinstance(request, WriteNotifyRequest) else "reading"
                conn.send(request)
                wrote = wrote or isinstance(request, WriteNotifyRequest)
                what = f"{verb} {channel.name!r}"
                reply = await_reply(conn, channel, request.ioid, deadline, what)
    except CACancelledError as exc:
        if wrote:
            raise
        raise not_sent(exc) from None


def need(channel: ClientChannel, right: AccessRights, verb: str) -> None:
    if not channel.access_rights & right:
        address = "{}:{}".format(*channel.circuit.address)
        raise ChannelAccessDenied(
            f"no {verb} access to {channel.name!r} on {address} "
            f"(the server grants {channel.access_rights.name})"
        )


def read_type(
    channel: ClientChannel, data_type: DataTypeSpec, force_int_enums: bool
) -> DataTypeSpec:
    """What ``read()`` asks for: an ENUM as its strings unless ``force_int_enums``."""
    if data_type is None and channel.native_data_type == ChannelType.ENUM and not force_int_enums:
        return ChannelType.STRING
    return data_type


def subscription_type(
    channel: ClientChannel, data_type: DataTypeSpec, force_int_enums: bool
) -> ChannelType:
    """What a subscription asks for: the TIME type by default, an ENUM as TIME_STRING."""
    native = channel.native_data_type
    assert native is not None
    if data_type is not None:
        return resolve_data_type(data_type, native)
    if native == ChannelType.ENUM and not force_int_enums:
        return ChannelType.TIME_STRING
    return resolve_data_type("time", native)


def read_steps(
    channel: ClientChannel, data_type: DataTypeSpec, data_count: int | None, notify: bool = True
) -> Steps:
    """Read ``channel`` as ``data_type`` (resolved against its native type)."""
    need(channel, AccessRights.READ, "read")
    request = channel.read(data_type, data_count, notify)
    reply = yield request
    if isinstance(reply, ReadNotifyResponse) and not reply.status.success:
        raise ErrorResponseReceived(
            f"reading {channel.name!r} as {request.data_type.name} failed: "
            f"{reply.status.name} ({reply.status.description})",
            reply,
        )
    return reply


def read_channel(
    conn: Connection,
    channel: ClientChannel,
    deadline: float,
    data_type: DataTypeSpec,
    data_count: int | None,
    notify: bool,
    force_int_enums: bool,
) -> Any:
    steps = read_steps(channel, read_type(channel, data_type, force_int_enums), data_count, notify)
    return drive(conn, channel, steps, deadline)


def enum_choices(reply: Any) -> list[str]:
    """The choices in a CTRL_ENUM reply."""
    return [raw.decode(STRING_ENCODING) for raw in reply.metadata.enum_strings]


class _ChoicesNeeded(Exception):
    """:func:`write_request` asked for the ENUM's choices, which are read first."""


def write_steps(
    channel: ClientChannel, data: Any, notify: bool, data_type: DataTypeSpec, metadata: Any
) -> Steps:
    """Write ``data`` as :func:`protocol.sync.client.write` does: checks, then the request.

    Text to an ENUM reads the choices first (CTRL_ENUM), so that an unknown choice
    raises before the write is sent.  Returns the WRITE_NOTIFY reply, or None.
    """
    need(channel, AccessRights.WRITE, "write")
    choices: list[str] | None = None

    def known() -> list[str]:
        if choices is None:
            raise _ChoicesNeeded
        return choices

    try:
        request = write_request(channel, data, data_type, metadata, notify, known)
    except _ChoicesNeeded:  # read them on the channel, then build it again
        reply = yield from read_steps(channel, ChannelType.CTRL_ENUM, 1)
        choices = enum_choices(reply)
        request = write_request(channel, data, data_type, metadata, notify, known)
    reply = yield request
    return reply if notify else None


def write_channel(
    conn: Connection,
    channel: ClientChannel,
    data: Any,
    notify: bool,
    data_type: DataTypeSpec,
    metadata: Any,
    deadline: float,
) -> Any:
    steps = write_steps(channel, data, notify, data_type, metadata)
    return drive(conn, channel, steps, deadline)


def read_write_read_steps(
    channel: ClientChannel,
    data: Any,
    notify: bool,
    read_data_type: DataTypeSpec,
    write_data_type: DataTypeSpec,
    metadata: Any,
) -> Steps:
    """A write between two reads on one channel: returns (initial, write reply, final).

    The final read goes out once the write is answered (with ``notify``: completed).
    """
    initial = yield from read_steps(channel, read_data_type, None)
    response = yield from write_steps(channel, data, notify, write_data_type, metadata)
    final = yield from read_steps(channel, read_data_type, None)
    return initial, response, final
