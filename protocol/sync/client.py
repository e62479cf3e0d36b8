"""The synchronous client: ``read``, ``write``, ``subscribe``, ``block`` and friends.

Same names, arguments, defaults and return objects as caproto's synchronous
client. Each call makes a fresh connection and closes it (stateless); nothing
about connections is kept at module level, so calls from several threads never
share or close each other's sockets.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..channel_types import ChannelType, DataTypeSpec
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
    ReadNotifyResponse,
    ReadResponse,
    ServerDisconnResponse,
    WriteNotifyResponse,
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

if TYPE_CHECKING:
    from .blocker import Blocker
    from .channels import Channel, ChannelSet, open_channel, open_channels
    from .subscription import ConnectionState, Subscription

__all__ = [
    "Blocker",
    "Channel",
    "ChannelSet",
    "ConnectionState",
    "Subscription",
    "block",
    "interrupt",
    "open_channel",
    "open_channels",
    "read",
    "read_write_read",
    "subscribe",
    "write",
]


# Monitoring (Blocker, Subscription) loads on first use: read and write, and so
# ``catui get`` and ``catui put``, never need it.
_LAZY = {
    "Blocker": "blocker",
    "ConnectionState": "subscription",
    "Subscription": "subscription",
    "Channel": "channels",
    "ChannelSet": "channels",
    "open_channel": "channels",
    "open_channels": "channels",
}


def __getattr__(name: str) -> Any:
    """``Blocker``, ``ConnectionState``, ``Subscription``: imported on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = __import__(f"protocol.sync.{_LAZY[name]}", fromlist=[name])
    value = getattr(module, name)
    globals()[name] = value
    return value


def _check_priority(priority: int) -> None:
    check_priority(priority)


def _check_timeout(timeout: float) -> None:
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not timeout > 0:
        raise CAValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if timeout == float("inf"):  # a socket timeout cannot be infinite (OverflowError)
        raise CAValueError("timeout must be finite, not inf")


def _searcher(
    config: CAConfig, deadline: float, what: str, cancel: Cancellation | None = None
) -> Searcher:
    destinations = search_destinations(config)
    if not destinations and not config.name_servers:
        raise CAError(
            f"cannot search for {what}: no search addresses "
            "(EPICS_CA_AUTO_ADDR_LIST=NO and EPICS_CA_ADDR_LIST is empty)"
        )
    return Searcher(destinations, config.name_servers, deadline - time.monotonic(), cancel=cancel)


def _not_found(name: str, searcher: Searcher, timeout: float) -> CATimeoutError:
    return ConnectTimeoutError(
        f"PV {name!r} not found: searched {searcher.describe()} for {timeout:g} s"
    )


def _search(
    name: str,
    config: CAConfig,
    deadline: float,
    timeout: float,
    cancel: Cancellation | None = None,
) -> tuple[str, int]:
    searcher = _searcher(config, deadline, repr(name), cancel)
    try:
        found = searcher.resolve([name], deadline)
        if name not in found:
            raise _not_found(name, searcher, timeout)
        return found[name]
    finally:
        searcher.close()


def _create(
    conn: Connection, channels: Sequence[ClientChannel], deadline: float
) -> dict[int, CAError]:
    """Create ``channels`` on a new circuit: handshake and every CREATE_CHAN in one write.

    Returns the failures by cid (the others are connected).
    """
    conn.send(*conn.handshake(), *(channel.create() for channel in channels))
    return _await_created(conn, channels, deadline)


def _await_created(
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

    while pending:
        names = ", ".join(repr(channel.name) for channel in pending.values())
        try:
            reply = conn.recv_until(answers, deadline, f"creating channel {names}")
        except CATimeoutError as exc:
            failures.update((cid, _before_sending(exc)) for cid in pending)
            break
        assert isinstance(reply, (ErrorResponse, CreateChanResponse, CreateChFailResponse))
        if isinstance(reply, ErrorResponse):
            if reply.cid not in pending:
                raise ErrorResponseReceived(
                    f"creating {names}: {reply.status.name}: {reply.error_message}", reply
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


def _prepare(timeout: float, priority: int, repeater: bool) -> tuple[CAConfig, float]:
    _check_priority(priority)
    _check_timeout(timeout)
    deadline = time.monotonic() + timeout
    config = load_config()
    if repeater:
        from .repeater import ensure_repeater

        ensure_repeater(config.repeater_port)
    return config, deadline


def _open(
    pv_name: str,
    timeout: float,
    priority: int,
    repeater: bool,
    cancel: Cancellation | None = None,
) -> tuple[Connection, ClientChannel, float]:
    """Search, connect and create the channel within ``timeout`` seconds.

    With ``cancel``, cancelling it ends the call at once with
    :class:`CancelledBeforeSendingError` (no request has been sent yet).
    """
    check_pv_name(pv_name)
    config, deadline = _prepare(timeout, priority, repeater)
    try:
        server = _search(pv_name, config, deadline, timeout, cancel)  # ConnectTimeoutError
    except CACancelledError as exc:
        raise _naming(not_sent(exc), pv_name) from None
    try:
        conn = Connection(
            server, priority, config.max_array_bytes, deadline - time.monotonic(), cancel=cancel
        )
    except CAError as exc:  # ConnectTimeoutError or DisconnectedError: name the PV
        raise _naming(exc, pv_name) from None
    try:
        channel = conn.circuit.new_channel(pv_name)
        failure = _create(conn, [channel], deadline).get(channel.cid)
        if failure is not None:
            raise failure  # a timeout is already a ConnectTimeoutError (_await_created)
    except CACancelledError as exc:
        conn.close()
        raise _naming(not_sent(exc), pv_name) from None
    except BaseException:
        conn.close()
        raise
    return conn, channel, deadline


def _before_sending(exc: CATimeoutError) -> ConnectTimeoutError:
    """``exc`` as what it is: a timeout before any request went out."""
    return exc if isinstance(exc, ConnectTimeoutError) else ConnectTimeoutError(str(exc))


def _naming(exc: CAError, pv_name: str) -> CAError:
    """``exc`` with its message prefixed by the PV name (a connect failure names a server)."""
    exc.args = (f"PV {pv_name!r}: {exc}", *exc.args[1:])
    return exc


def _close(conn: Connection, channel: ClientChannel) -> None:
    # A cancelled connection sends nothing more: closing it resets it.
    if not conn.closed and channel.sid is not None and not conn.cancelled:
        with contextlib.suppress(OSError):
            conn.sock.sendall(bytes(ClearChannelRequest(channel.sid, channel.cid)))
    conn.close()


def _await(conn: Connection, channel: ClientChannel, ioid: int, deadline: float, what: str) -> Any:
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
        raise ErrorResponseReceived(
            f"{what}: the server answered {reply.status.name} "
            f"({reply.status.description}): {reply.error_message}",
            reply,
        )
    if isinstance(reply, ServerDisconnResponse):
        raise DisconnectedError(f"{what}: the server dropped the channel")
    return reply


def _need(channel: ClientChannel, right: AccessRights, verb: str) -> None:
    if not channel.access_rights & right:
        address = "{}:{}".format(*channel.circuit.address)
        raise ChannelAccessDenied(
            f"no {verb} access to {channel.name!r} on {address} "
            f"(the server grants {channel.access_rights.name})"
        )


def _read(
    conn: Connection,
    channel: ClientChannel,
    deadline: float,
    data_type: DataTypeSpec,
    data_count: int | None,
    notify: bool,
    force_int_enums: bool,
) -> Any:
    _need(channel, AccessRights.READ, "read")
    if data_type is None and channel.native_data_type == ChannelType.ENUM and not force_int_enums:
        data_type = ChannelType.STRING
    request = channel.read(data_type, data_count, notify)
    conn.send(request)
    reply = _await(conn, channel, request.ioid, deadline, f"reading {channel.name!r}")
    if isinstance(reply, ReadNotifyResponse) and not reply.status.success:
        raise ErrorResponseReceived(
            f"reading {channel.name!r} as {request.data_type.name} failed: "
            f"{reply.status.name} ({reply.status.description})",
            reply,
        )
    return reply


def read(
    pv_name: str,
    *,
    data_type: DataTypeSpec = None,
    data_count: int | None = None,
    timeout: float = 2.0,
    priority: int = 0,
    notify: bool = True,
    force_int_enums: bool = False,
    repeater: bool = True,
) -> Any:
    """Read a Channel.

    Parameters
    ----------
    pv_name : str
        The PV name to read from
    data_type : {'native', 'status', 'time', 'graphic', 'control'}, ChannelType or int, optional
        Request specific data type or a class of data types, matched to the
        channel's native data type. Default is Channel's native data type.
    data_count : integer, optional
        Requested number of values. Default is the channel's native data count.
    timeout : float, optional
        Seconds for the whole call: search, connect, create and read.
    priority : 0, optional
        Virtual Circuit priority. Default is 0, lowest. Highest is 99.
    notify : boolean, optional
        Send a ReadNotifyRequest instead of a ReadRequest. True by default.
    force_int_enums : boolean, optional
        Retrieve enums as integers. (Default is strings.)
    repeater : boolean, optional
        Spawn a Channel Access Repeater process if the port is available.

    Returns
    -------
    response : ReadResponse or ReadNotifyResponse

    Raises
    ------
    ConnectTimeoutError
        The PV was not found, or its server not connected or its channel not
        created, within ``timeout`` (a :class:`CATimeoutError`).
    CATimeoutError
        The server did not answer the read within ``timeout``.
    DisconnectedError
        The server refused the connection or dropped it.
    ErrorResponseReceived
        The server reported a failure (its status and message are included).
    ChannelAccessDenied
        The server grants no read access.

    Examples
    --------
    >>> read('simple:A').data
    array([1], dtype=int32)
    >>> read('random_walk:dt', data_type='time').metadata.stamp.as_datetime()
    """
    conn, channel, deadline = _open(pv_name, timeout, priority, repeater)
    try:
        return _read(conn, channel, deadline, data_type, data_count, notify, force_int_enums)
    finally:
        _close(conn, channel)


def _stringy(data: Any) -> bool:
    if isinstance(data, (str, bytes)):
        return True
    if isinstance(data, Sequence) and len(data) > 0:
        return isinstance(data[0], (str, bytes))
    return False


def _enum_choices(conn: Connection, channel: ClientChannel, deadline: float) -> list[str]:
    reply = _read(conn, channel, deadline, ChannelType.CTRL_ENUM, 1, True, True)
    return [raw.decode(STRING_ENCODING) for raw in reply.metadata.enum_strings]


def _enum_indices(data: Any, choices: list[str], pv_name: str) -> list[int]:
    items = [data] if isinstance(data, (str, bytes)) else list(data)
    indices = []
    for item in items:
        text = item.decode(STRING_ENCODING) if isinstance(item, bytes) else item
        if text in choices:
            indices.append(choices.index(text))
        elif text.strip().isdigit() and int(text) < max(len(choices), 1):
            indices.append(int(text))
        else:
            raise CAValueError(
                f"{pv_name!r} has no choice {text!r}; its choices are "
                f"{', '.join(map(repr, choices)) or '(none)'}"
            )
    return indices


def _write_request(
    conn: Connection,
    channel: ClientChannel,
    data: Any,
    data_type: DataTypeSpec,
    metadata: Any,
    notify: bool,
    deadline: float,
) -> Message:
    """Infer the DBR type from the value and the channel, and build the request."""
    if isinstance(data, (Sequence, bytes)) and not isinstance(data, str) and len(data) == 0:
        raise CAValueError(f"nothing to write to {channel.name!r}: the value is empty")
    if getattr(data, "ndim", 1) > 1:  # a numpy array would be flattened silently
        raise CAValueError(
            f"{channel.name!r} takes a scalar or a 1-D sequence, not a {data.ndim}-D array"
        )
    native = channel.native_data_type
    if data_type is None:
        if native == ChannelType.ENUM and _stringy(data):
            data = _enum_indices(data, _enum_choices(conn, channel, deadline), channel.name)
            data_type = ChannelType.ENUM
        elif (
            native == ChannelType.CHAR
            and isinstance(data, str)
            and (channel.native_data_count or 1) > 1
        ):
            # A long string in a CHAR waveform: the text and its NUL.
            data = data.encode(STRING_ENCODING) + b"\0"
            data_type = ChannelType.CHAR
        elif _stringy(data) and not (native == ChannelType.CHAR and isinstance(data, bytes)):
            # Text to a number or a one-element CHAR: the server converts it (and
            # refuses text that is not a number). Bytes to a CHAR are raw values.
            data_type = ChannelType.STRING
        elif native == ChannelType.STRING and not _stringy(data):
            data_type = _numeric_type(data)
    request = channel.write(data, data_type, None, notify, metadata)
    capacity = channel.native_data_count
    if capacity and request.data_count > capacity:
        raise CAValueError(
            f"{channel.name!r} holds at most {capacity} element(s); "
            f"{request.data_count} given would be cut by the server"
        )
    return request


def _numeric_type(data: Any) -> ChannelType:
    items = data if isinstance(data, Sequence) else [data]
    return ChannelType.DOUBLE if any(isinstance(x, float) for x in items) else ChannelType.LONG


def _write(
    conn: Connection,
    channel: ClientChannel,
    data: Any,
    notify: bool,
    data_type: DataTypeSpec,
    metadata: Any,
    deadline: float,
) -> Any:
    _need(channel, AccessRights.WRITE, "write")
    try:
        request = _write_request(conn, channel, data, data_type, metadata, notify, deadline)
    except CACancelledError as exc:  # reading an enum's choices: nothing written yet
        raise not_sent(exc) from None
    what = f"writing {channel.name!r}"
    if notify:
        conn.send(request)
        return _await(conn, channel, request.ioid, deadline, what)  # type: ignore[attr-defined]
    # A plain WRITE is answered only when it fails; the ECHO behind it tells
    # us the server has handled it, so a refusal is reported, not lost.
    conn.send(request, EchoRequest())

    def handled(msg: Message) -> bool:
        if isinstance(msg, ServerDisconnResponse):
            return msg.cid == channel.cid
        return isinstance(msg, (EchoResponse, ErrorResponse))

    reply = conn.recv_until(handled, deadline, what)
    if isinstance(reply, ServerDisconnResponse):
        raise DisconnectedError(f"{what}: the server dropped the channel")
    if isinstance(reply, ErrorResponse):
        raise ErrorResponseReceived(
            f"{what}: the server answered {reply.status.name} "
            f"({reply.status.description}): {reply.error_message}",
            reply,
        )
    return None


def write(
    pv_name: str,
    data: Any,
    *,
    notify: bool = False,
    data_type: DataTypeSpec = None,
    metadata: Any = None,
    timeout: float = 2.0,
    priority: int = 0,
    repeater: bool = True,
) -> Any:
    """Write to a Channel.

    Parameters
    ----------
    pv_name : str
        The PV name to write to
    data : str, bytes, int, or float or any Iterable of these
        Value(s) to write. A str written to an ENUM channel selects the choice
        by name (an unknown choice raises before anything is sent).
    notify : boolean, optional
        Request notification of completion and wait for it. False by default.
    data_type : {'native', 'status', 'time', 'graphic', 'control'}, ChannelType or int, optional
        Write as specific data type. Default is inferred from input.
    metadata : ctypes.BigEndianStructure or tuple
        Status and control metadata for the values
    timeout : float, optional
        Seconds for the whole call.
    priority : 0, optional
        Virtual Circuit priority. Default is 0, lowest. Highest is 99.
    repeater : boolean, optional
        Spawn a Channel Access Repeater process if the port is available.

    Returns
    -------
    None, or the WriteNotifyResponse when ``notify=True`` (its ``status``
    tells success or failure).

    Raises
    ------
    CAValueError
        The value does not fit the channel (checked before sending).
    ChannelAccessDenied
        The server grants no write access (checked before sending).
    ErrorResponseReceived
        The server refused a plain (not notify) write.
    ConnectTimeoutError
        Not found, connected or created within ``timeout``: nothing was written.
    CATimeoutError
        The write was sent but not confirmed within ``timeout``: its outcome is unknown.

    Examples
    --------
    >>> write('simple:A', 5)  # returns None
    >>> write('cat', 5, notify=True)  # blocks until complete
    """
    conn, channel, deadline = _open(pv_name, timeout, priority, repeater)
    try:
        return _write(conn, channel, data, notify, data_type, metadata, deadline)
    finally:
        _close(conn, channel)


def read_write_read(
    pv_name: str,
    data: Any,
    *,
    notify: bool = False,
    read_data_type: DataTypeSpec = None,
    write_data_type: DataTypeSpec = None,
    metadata: Any = None,
    timeout: float = 2.0,
    priority: int = 0,
    force_int_enums: bool = False,
    repeater: bool = True,
) -> tuple[Any, Any, Any]:
    """Write to a Channel, but sandwich the write between two reads, on one connection.

    Parameters
    ----------
    pv_name : str
    data : str, bytes, int, or float or any Iterable of these
    notify : boolean, optional
        Wait for completion of the write (so the final read shows its effect).
    read_data_type, write_data_type : class name, ChannelType or int, optional
    metadata : ctypes.BigEndianStructure or tuple
    timeout : float, optional
        Seconds for the whole call.
    priority : 0, optional
    force_int_enums : boolean, optional
    repeater : boolean, optional

    Returns
    -------
    initial, write_response, final : tuple of response
        The middle one is None unless ``notify=True``.

    Examples
    --------
    >>> read_write_read('cat', 5)  # returns initial, None, final
    """
    conn, channel, deadline = _open(pv_name, timeout, priority, repeater)
    try:
        initial = _read(conn, channel, deadline, read_data_type, None, True, force_int_enums)
        response = _write(conn, channel, data, notify, write_data_type, metadata, deadline)
        final = _read(conn, channel, deadline, read_data_type, None, True, force_int_enums)
        return initial, response, final
    finally:
        _close(conn, channel)


def subscribe(
    pv_name: str,
    priority: int = 0,
    data_type: DataTypeSpec = None,
    data_count: int | None = None,
    low: float = 0.0,
    high: float = 0.0,
    to: float = 0.0,
    mask: int | None = None,
) -> Subscription:
    """Define a subscription.

    Parameters
    ----------
    pv_name : string
        The PV name to subscribe to
    priority : integer, optional
        0 is lowest; 99 is highest.
    data_type : {'native', 'status', 'time', 'graphic', 'control'}, ChannelType or int, optional
        Default: the TIME type of the channel's native type.
    data_count : integer, optional
        Default: as many as the server has.
    low, high, to : float, optional
        Deprecated by Channel Access.
    mask : SubscriptionType, optional
        Default DBE_VALUE | DBE_ALARM.

    Examples
    --------
    >>> sub = subscribe('random_walk:x')
    >>> def f(sub, response):
    ...     print(response.data)
    >>> token = sub.add_callback(f)
    >>> sub.block()
    """
    from .subscription import Subscription

    return Subscription(pv_name, priority, data_type, data_count, low, high, to, mask)


def block(
    *subscriptions: Subscription,
    duration: float | None = None,
    timeout: float = 2.0,
    force_int_enums: bool = False,
    repeater: bool = True,
    keep_searching: bool = False,
    reconnect: bool = False,
) -> None:
    """Activate one or more subscriptions and process incoming responses.

    Use Ctrl+C (SIGINT) to escape, or from another thread, call
    :func:`interrupt` (or ``sub.interrupt()``).

    Parameters
    ----------
    *subscriptions : Subscriptions
    duration : float, optional
        How many seconds to run for. Run forever (None) by default.
    timeout : float, optional
        Seconds allowed for every subscription to connect.
    force_int_enums : boolean, optional
        Retrieve enums as integers. (Default is strings.)
    repeater : boolean, optional
        Spawn a Channel Access Repeater process if the port is available.
    keep_searching : boolean, optional
        Extension: keep searching for PVs that are not found instead of
        raising ``CATimeoutError`` after ``timeout``.
    reconnect : boolean, optional
        Extension: when a server goes away, search again and resubscribe
        instead of raising ``DisconnectedError``.

    Notes
    -----
    To add or remove subscriptions while blocking, use :class:`Blocker`
    directly: ``b = Blocker(*subs, ...)``, ``b.run(duration)`` in one thread,
    ``b.add(sub)`` / ``b.remove(sub)`` / ``b.interrupt()`` from others.
    """
    from .blocker import Blocker

    Blocker(
        *subscriptions,
        timeout=timeout,
        force_int_enums=force_int_enums,
        repeater=repeater,
        keep_searching=keep_searching,
        reconnect=reconnect,
    ).run(duration)


def interrupt() -> None:
    """Signal to ``block()`` to stop blocking. Idempotent.

    Interrupts every ``block()`` running in this process; if none is running,
    the next one to start returns at once.
    """
    from .blocker import interrupt_all

    interrupt_all()
