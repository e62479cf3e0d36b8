"""Many field reads at once: one search batch, one circuit per IOC, results as plain data.

:func:`fetch_round` opens every name of a batch at once with
:func:`protocol.sync.channels.open_channels` and reads each channel once;
:func:`fetch` adds the retry that keeps a missing name from holding up the
others: a first round waits briefly (names that exist answer at once), the
names still missing are searched again for the rest of the timeout.

Failures are said as EPICS users say them: :data:`NOT_FOUND`,
:data:`DISCONNECTED`, :data:`NO_READ_ACCESS`, :data:`REFUSED`, :data:`TIMED_OUT`,
each with the protocol's message (naming the PV) as its detail.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from catui.browse.links import decode_long

__all__ = [
    "ALARM",
    "ARRAY_LIMIT",
    "DISCONNECTED",
    "LONG",
    "NOT_FOUND",
    "NO_READ_ACCESS",
    "QUICK_ROUND",
    "REFUSED",
    "TIMED_OUT",
    "VALUE",
    "Reading",
    "Request",
    "fetch",
    "fetch_round",
    "reason_of",
    "value_text",
]

# Read modes.
VALUE = "value"  # the native type (enums as their text)
ALARM = "alarm"  # the DBR_TIME type: value, status, severity and time stamp
LONG = "long"  # a ``$`` name as a CHAR array, decoded as text

NOT_FOUND = "not found"
DISCONNECTED = "disconnected"
NO_READ_ACCESS = "no read access"
REFUSED = "refused by the server"
TIMED_OUT = "timed out"

#: Elements read of an array field: enough to show, little to transfer.
ARRAY_LIMIT = 256
#: Elements an array's text shows.
ARRAY_SHOWN = 8
#: Seconds the first search round waits: names that exist answer within
#: milliseconds; the others are searched again for the rest of the timeout.
QUICK_ROUND = 0.25


class Request(NamedTuple):
    """One read: a PV name and how to read it (:data:`VALUE`, :data:`ALARM`, :data:`LONG`)."""

    pv: str
    mode: str = VALUE


class Reading(NamedTuple):
    """What one read gave, or why it failed.

    Attributes
    ----------
    pv : str
    mode : str
    value : object
        ``str``, ``int``, ``float``, or a list of them for an array (at most
        :data:`ARRAY_LIMIT` elements); None on failure.
    text : str
        The value as text (an array: ``[count] a b c …``).
    native_count : int
        The channel's element count.
    native : str
        The channel's native DBR type (``DOUBLE``, ``STRING``, ``ENUM``, ...).
    status, severity : int or None
        The alarm (:data:`ALARM` reads only).
    timestamp : float or None
        POSIX seconds (:data:`ALARM` reads only).
    writable : bool
        Whether the server grants write access.
    host : str
        ``address:port`` of the server.
    error : str
        ``""`` when read, else one of the reasons above.
    detail : str
        The full error message.
    """

    pv: str
    mode: str = VALUE
    value: Any = None
    text: str = ""
    native_count: int = 0
    native: str = ""
    status: int | None = None
    severity: int | None = None
    timestamp: float | None = None
    writable: bool = False
    host: str = ""
    error: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Whether the read succeeded."""
        return not self.error


def reason_of(exc: BaseException) -> str:
    """The short reason for a failure: not found, disconnected, no read access, ..."""
    from protocol.errors import (
        CATimeoutError,
        ChannelAccessDenied,
        ConnectTimeoutError,
        DisconnectedError,
        ErrorResponseReceived,
    )

    if isinstance(exc, ChannelAccessDenied):
        return NO_READ_ACCESS
    if isinstance(exc, ConnectTimeoutError):
        # The server answered the search but its circuit or channel was not made in time.
        return NOT_FOUND if " not found" in str(exc) else DISCONNECTED
    if isinstance(exc, (DisconnectedError, ConnectionError)):
        return DISCONNECTED
    if isinstance(exc, ErrorResponseReceived):
        return REFUSED
    if isinstance(exc, (CATimeoutError, TimeoutError)):
        return TIMED_OUT
    if isinstance(exc, OSError):
        return DISCONNECTED
    return type(exc).__name__


def _failed(request: Request, exc: BaseException) -> Reading:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return Reading(request.pv, request.mode, error=reason_of(exc), detail=detail)


def _elements(data: Any) -> list[Any]:
    if isinstance(data, (bytes, str, int, float)):
        return [data]
    tolist = getattr(data, "tolist", None)
    items = tolist() if tolist is not None else list(data)
    return items if isinstance(items, list) else [items]


def _text(item: Any) -> str:
    if isinstance(item, bytes):
        try:
            return item.decode("utf-8")
        except UnicodeDecodeError:
            return item.decode("latin-1")
    return str(item)


def _number_text(item: Any, native: str) -> str:
    if isinstance(item, float):
        if math.isnan(item):
            return "nan"
        if math.isinf(item):
            return "inf" if item > 0 else "-inf"
        if item.is_integer() and abs(item) < 1e15:
            return str(int(item))
        return f"{item:.7g}" if native == "FLOAT" else repr(item)
    return str(item)


def value_text(value: Any, count: int, native: str) -> str:
    """A value as the record view and the tree show it; arrays as ``[count] a b …``."""
    if isinstance(value, list):
        shown = [_number_text(v, native) if not isinstance(v, str) else v for v in value]
        more = " …" if len(value) > ARRAY_SHOWN else ""
        return f"[{count}] " + " ".join(shown[:ARRAY_SHOWN]) + more
    if isinstance(value, str):
        return value
    return _number_text(value, native)


def _convert(request: Request, reply: Any, count: int, native: str) -> tuple[Any, str]:
    if request.mode == LONG:
        text = decode_long(reply.data)
        return text, text
    items = [_text(i) if isinstance(i, bytes) else i for i in _elements(reply.data)]
    value: Any = items[0] if count <= 1 and len(items) == 1 else items
    if count <= 1 and not items:
        value = ""
    return value, value_text(value, count, native)


class _Planned(NamedTuple):
    """What is known of a channel before its read, and how to read it."""

    native: str
    native_count: int
    writable: bool
    host: str
    data_type: Any
    data_count: int | None


def _plan(channel: Any, request: Request) -> _Planned | Reading:
    """How to read ``request`` on ``channel``, or the reading that says it cannot be read."""
    from protocol.channel_types import ChannelType
    from protocol.commands import AccessRights

    native_type = channel.native_data_type
    native = native_type.name
    count = int(channel.native_data_count)
    rights = channel.access_rights
    host = "{}:{}".format(*channel.server_address)
    writable = bool(rights & AccessRights.WRITE)
    if not rights & AccessRights.READ:
        detail = f"no read access to {request.pv!r} on {host}"
        return Reading(
            request.pv, request.mode, native_count=count, native=native,
            writable=writable, host=host, error=NO_READ_ACCESS, detail=detail,
        )  # fmt: skip
    data_count = min(count, ARRAY_LIMIT) if count > ARRAY_LIMIT else None
    if request.mode == LONG:
        data_type: Any = ChannelType.CHAR
        data_count = min(count, 65536) or None
    elif request.mode == ALARM:
        data_type = ChannelType.TIME_STRING if native_type == ChannelType.ENUM else "time"
    else:
        data_type = None
    return _Planned(native, count, writable, host, data_type, data_count)


def _reading(request: Request, plan: _Planned, reply: Any) -> Reading:
    """The reading of ``reply``, the answer to ``request`` read as ``plan`` says."""
    count, native = plan.native_count, plan.native
    value, text = _convert(request, reply, count, native)
    status = severity = stamp = None
    if request.mode == ALARM and reply.metadata is not None:
        status, severity = int(reply.metadata.status), int(reply.metadata.severity)
        stamp = float(reply.metadata.timestamp)
    return Reading(request.pv, request.mode, value, text, count, native, status, severity,
                   stamp, plan.writable, plan.host)  # fmt: skip


def fetch_round(
    requests: Sequence[Request],
    *,
    timeout: float,
    read_timeout: float | None = None,
    on_reading: Callable[[Reading], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[Request, Reading]:
    """Open every name at once (waiting at most ``timeout``), read each once.

    Parameters
    ----------
    requests : sequence of Request
        A name may appear with several modes: it is opened once.
    timeout : float
        Seconds for the search, connections and channel creation.
    read_timeout : float, optional
        Seconds for each read (``timeout`` by default).
    on_reading : callable, optional
        Called with each :class:`Reading` as it is made.
    cancelled : callable, optional
        Checked between reads: when it returns True the rest are not read
        (and are missing from the result).

    Returns
    -------
    dict of Request to Reading
        In ``requests`` order.
    """
    from protocol.commands import check_pv_name

    results: dict[Request, Reading] = {}
    read_timeout = timeout if read_timeout is None else read_timeout

    def done(reading: Reading, request: Request) -> None:
        results[request] = reading
        if on_reading is not None:
            on_reading(reading)

    unique = list(dict.fromkeys(requests))
    names: list[str] = []
    for name in dict.fromkeys(r.pv for r in unique):
        try:
            check_pv_name(name)
        except Exception as exc:  # a name CA refuses fails alone, before anything is sent
            for request in unique:
                if request.pv == name:
                    done(_failed(request, exc), request)
        else:
            names.append(name)
    if names and not (cancelled is not None and cancelled()):
        valid = set(names)
        _open_and_read([r for r in unique if r.pv in valid], timeout, read_timeout, done,
                       cancelled)  # fmt: skip
    return {r: results[r] for r in unique if r in results}


def _open_and_read(
    requests: list[Request],
    timeout: float,
    read_timeout: float,
    done: Callable[[Reading, Request], None],
    cancelled: Callable[[], bool] | None,
) -> None:
    from protocol.sync.channels import open_channels
    from protocol.sync.read_many import read_channels

    names = list(dict.fromkeys(r.pv for r in requests))
    try:
        opened = open_channels(names, timeout=timeout, repeater=False)
    except Exception as exc:
        for request in requests:
            done(_failed(request, exc), request)
        return
    with opened:
        # Every read of the round is sent before any reply is awaited (one write per
        # circuit): thousands of link fields cost one round trip, not thousands.
        planned: list[tuple[Request, _Planned, Any]] = []
        for request in requests:
            channel = opened.get(request.pv)
            if channel is None:
                done(_failed(request, opened.failures[request.pv]), request)
                continue
            try:
                plan = _plan(channel, request)
            except Exception as exc:
                done(_failed(request, exc), request)
                continue
            if isinstance(plan, Reading):
                done(plan, request)
            else:
                planned.append((request, plan, channel))
        if not planned or (cancelled is not None and cancelled()):
            return
        replies = read_channels(
            [(channel, plan.data_type, plan.data_count) for _, plan, channel in planned],
            read_timeout,
        )
        for (request, plan, _), reply in zip(planned, replies, strict=True):
            if isinstance(reply, BaseException):
                reading = _failed(request, reply)
            else:
                try:
                    reading = _reading(request, plan, reply)
                except Exception as exc:
                    reading = _failed(request, exc)
            done(reading, request)


def fetch(
    requests: Iterable[Request],
    *,
    timeout: float,
    on_reading: Callable[[Reading], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    quick: float = QUICK_ROUND,
) -> dict[Request, Reading]:
    """Read everything at once: names that exist arrive first, missing ones after.

    A first round waits ``quick`` seconds for the search; the names not found
    then are searched again for the rest of ``timeout``, so that one missing
    field (or a record on an IOC that is down) does not delay the others.

    Returns
    -------
    dict of Request to Reading
        Every request, in order.
    """
    requests = list(dict.fromkeys(requests))
    start = time.monotonic()

    def found(reading: Reading) -> None:
        if on_reading is not None and reading.error != NOT_FOUND:
            on_reading(reading)

    first = fetch_round(
        requests, timeout=min(quick, timeout), read_timeout=timeout,
        on_reading=found, cancelled=cancelled,
    )  # fmt: skip
    results = dict(first)
    missing = [r for r in requests if r in first and first[r].error == NOT_FOUND]
    remaining = timeout - (time.monotonic() - start)
    if missing and remaining > 0 and not (cancelled is not None and cancelled()):
        again = fetch_round(
            missing, timeout=remaining, read_timeout=timeout,
            on_reading=found, cancelled=cancelled,
        )  # fmt: skip
        results.update(again)
    for request in missing:
        reading = results[request]
        if reading.error == NOT_FOUND:
            # The protocol's message gives the last round's time: say the whole search's.
            detail = re.sub(r" for [0-9.e+-]+ s$", f" for {timeout:g} s", reading.detail)
            results[request] = reading = reading._replace(detail=detail)
            if on_reading is not None:
                on_reading(reading)
    return {r: results[r] for r in requests if r in results}
