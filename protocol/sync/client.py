"""The synchronous client: ``read``, ``write``, ``subscribe``, ``block`` and friends.

Same names, arguments, defaults and return objects as caproto's synchronous
client. Each call makes a fresh connection and closes it (stateless); nothing
about connections is kept at module level, so calls from several threads never
share or close each other's sockets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..channel_types import DataTypeSpec
from . import operations

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
    conn, channel, deadline = operations.connect_channel(pv_name, timeout, priority, repeater)
    try:
        return operations.read_channel(
            conn, channel, deadline, data_type, data_count, notify, force_int_enums
        )
    finally:
        operations.close_channel(conn, channel)


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
        by name, an int by index (a choice that does not exist raises before
        anything is sent). Text written to a number is parsed here, strictly
        (``"1.5"`` to a LONG raises; the server would store 1). A str written to
        a CHAR array is the text and its NUL. An empty sequence empties an
        array (a write of 0 elements).
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
    conn, channel, deadline = operations.connect_channel(pv_name, timeout, priority, repeater)
    try:
        return operations.write_channel(conn, channel, data, notify, data_type, metadata, deadline)
    finally:
        operations.close_channel(conn, channel)


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
    conn, channel, deadline = operations.connect_channel(pv_name, timeout, priority, repeater)
    try:
        read_type = operations.read_type(channel, read_data_type, force_int_enums)
        steps = operations.read_write_read_steps(
            channel, data, notify, read_type, write_data_type, metadata
        )
        result: tuple[Any, Any, Any] = operations.drive(conn, channel, steps, deadline)
        return result
    finally:
        operations.close_channel(conn, channel)


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
    ``b.add(sub)`` / ``b.remove(sub)`` / ``b.interrupt()`` from others; and
    ``b.read(name)`` / ``b.write(name, value)`` to read and write its PVs on the
    channels it keeps (see :mod:`protocol.sync.requests`).
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
