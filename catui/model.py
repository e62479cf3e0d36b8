"""Per-PV state of the console and how it is shown: pure Python, no Textual, no sockets.

A feed hands raw updates to the UI through the mailbox of :mod:`catui.feeds.mailbox`;
the UI folds them into a :class:`PVState` with :meth:`PVState.apply_update` (or
stashes them, :meth:`PVState.stash`), decoded by the :class:`~catui.feeds.base.Decoder`
the feed handed over with the PV's connection, and formats the row with the
``format_*`` functions.  Nothing here knows a protocol.
"""

from __future__ import annotations

import bisect
import datetime
import fnmatch
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from catui.feeds.base import (
    CONNECTED,
    DISCONNECTED,
    SAMPLE_DECODER,
    SEARCHING,
    Address,
    ChannelInfo,
    ControlInfo,
    Decoder,
    Update,
    Values,
    decode_values,
)
from catui.feeds.names import severity_text, status_text
from catui.formats import (
    DEC,
    DEFAULT,
    EPICS_EPOCH,
    EXP,
    FORMAT_TAGS,
    FULL,
    HEX,
    TEXT,
    format_exact,
    format_exp,
    format_hex,
    format_item,
    format_number,
)

__all__ = [
    "CONNECTED",
    "DISCONNECTED",
    "HISTORY_LENGTH",
    "SEARCHING",
    "SORTS",
    "ControlInfo",
    "PVState",
    "Watchlist",
    "array_stats",
    "format_cycle",
    "format_number",
    "format_timestamp",
    "format_value",
    "printable",
    "severity_text",
    "status_text",
]

#: How many recent values a PV keeps for its sparkline.
HISTORY_LENGTH = 120
#: How many alarm changes a PV keeps for the detail pane.
ALARM_HISTORY_LENGTH = 6

LIMIT_NAMES = ("display", "alarm", "warning", "control")


def decode_data(data: object, data_type: object = None) -> Values:
    """Values of a read as the console keeps them (see :func:`catui.feeds.base.decode_values`)."""
    return decode_values(data)


@dataclass
class PVState:
    """Everything the console knows about one PV."""

    name: str
    connection: str = SEARCHING
    #: The channel as it was when last connected (None: never connected).
    info: ChannelInfo | None = None
    address: Address | None = None
    control: ControlInfo | None = None
    updates: int = 0
    history: deque[float] = field(default_factory=lambda: deque(maxlen=HISTORY_LENGTH))
    #: The last few alarm changes: (IOC timestamp or None, status, severity), oldest first.
    alarm_changes: deque[tuple[float | None, int, int]] = field(
        default_factory=lambda: deque(maxlen=ALARM_HISTORY_LENGTH)
    )
    #: Seconds the timestamp may stand still before the row is marked stale (None: never).
    stale_after: float | None = None
    #: How old the timestamp is, once past ``stale_after`` (see check_stale).
    stale_for: float | None = None
    #: How the table and the pane show the value: one of :data:`catui.formats.FORMATS`
    #: (key ``f``); copies, snapshots and writes always use the default.
    display: str = DEFAULT
    _stamp_seen: float | None = field(default=None, repr=False)
    _stamp_first_seen: float = field(default=0.0, repr=False)
    _stamp_moved_at: float | None = field(default=None, repr=False)
    # A CHAR array's text (None: not text) and the value it was decoded from.
    _text_of: object = field(default=None, repr=False)
    _text: str | None = field(default=None, repr=False)
    # What the properties value, severity, status and timestamp return; _raw is an
    # update taken by stash() and not decoded yet (decoded when one of them is read).
    _value: Any = field(default=None, repr=False)  # list[str] or numpy array: Values
    _severity: int | None = field(default=None, repr=False)
    _status: int | None = field(default=None, repr=False)
    _timestamp: float | None = field(default=None, repr=False)
    _raw: Update | None = field(default=None, repr=False)
    #: Reads this PV's updates (the feed's, handed over with the connection).
    decoder: Decoder = field(default=SAMPLE_DECODER, repr=False)

    # -- the decoded update, on demand -------------------------------------------
    @property
    def value(self) -> Any:
        if self._raw is not None:
            self.settle()
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        self.settle()
        self._value = value

    @property
    def severity(self) -> int | None:
        if self._raw is not None:
            self.settle()
        return self._severity

    @severity.setter
    def severity(self, severity: int | None) -> None:
        self.settle()
        self._severity = severity

    @property
    def status(self) -> int | None:
        if self._raw is not None:
            self.settle()
        return self._status

    @status.setter
    def status(self, status: int | None) -> None:
        self.settle()
        self._status = status

    @property
    def timestamp(self) -> float | None:
        if self._raw is not None:
            self.settle()
        return self._timestamp

    @timestamp.setter
    def timestamp(self, timestamp: float | None) -> None:
        self.settle()
        self._timestamp = timestamp

    @property
    def pending(self) -> bool:
        """Whether an update was stashed and not decoded yet."""
        return self._raw is not None

    # -- folding in what the worker saw ---------------------------------------
    def apply_update(self, update: Update) -> None:
        """Take the value, alarm and timestamp of a subscription update."""
        self._raw = None  # one stashed and not decoded is older than this one
        self.updates += 1
        self._decode(update)

    def stash(self, update: Update) -> None:
        """:meth:`apply_update`, decoded only when value, alarm or time are read.

        For PVs nobody looks at: a thousand updates a tick cost a thousand
        references and the first value, for the row's trend.
        """
        self._raw = update
        self.updates += 1
        first = self.decoder.first(update)
        if first is not None:
            self.history.append(first)

    def settle(self) -> None:
        """Decode the stashed update, if any."""
        raw = self._raw
        if raw is not None:
            self._raw = None
            self._decode(raw, history=False)

    def note_alarm(self, status: int, severity: int, timestamp: float | None) -> None:
        """An alarm change seen by the monitor (even in an update coalesced away).

        Kept in the order of the IOC's timestamps: one older than the newest kept
        (an IOC whose clock went back, a late update) goes in its place.
        """
        changes = self.alarm_changes
        if not changes:
            if severity:  # no alarm when first seen: nothing has changed yet
                changes.append((timestamp, status, severity))
            return
        newest = changes[-1][0]
        if timestamp is None or newest is None or timestamp >= newest:
            if changes[-1][1:] != (status, severity):
                changes.append((timestamp, status, severity))
            return
        kept = list(changes)
        at = bisect.bisect_right([stamp or 0.0 for stamp, _, _ in kept], timestamp)
        if at and kept[at - 1][1:] == (status, severity):
            return  # the same alarm as the one before it in time: not a change
        kept.insert(at, (timestamp, status, severity))
        changes.clear()
        changes.extend(kept)  # the deque's maxlen drops the oldest

    @property
    def never_processed(self) -> bool:
        """Whether the timestamp is the EPICS epoch: the record was never processed."""
        return self.timestamp == EPICS_EPOCH

    def check_stale(self, now: float, wall: float) -> bool:
        """Update :attr:`stale_for`; whether it changed (enough to redraw).

        Parameters
        ----------
        now : float
            ``time.monotonic()``.
        wall : float
            ``time.time()``: the timestamp's age is ``wall - timestamp``.

        The age is counted from the PV's own timestamp, so that a PV frozen since
        yesterday is stale as soon as it is watched.  The IOC's clock may differ from
        ours: once the timestamp has been seen to move, the age is at most the time
        since it moved (a clock behind ours does not make a live PV stale), and a
        timestamp in the future counts from when it was first seen.  Only connected
        PVs with a value can be stale: disconnected and never-seen PVs say so
        themselves, and a record never processed (EPICS epoch) says that instead.
        """
        before = self.stale_for
        stamp = self.timestamp if self.connection == CONNECTED else None
        if stamp is None or self.stale_after is None or stamp == EPICS_EPOCH:
            self._stamp_seen = self._stamp_moved_at = None
            self.stale_for = None
            return before is not None
        if stamp != self._stamp_seen:
            if self._stamp_seen is None:
                self._stamp_first_seen = now
            else:
                self._stamp_moved_at = now  # seen moving: the IOC was alive then
            self._stamp_seen = stamp
        age = wall - stamp
        if self._stamp_moved_at is not None:
            still = now - self._stamp_moved_at
            age = still if age < 0 else min(age, still)
        elif age < 0:
            age = now - self._stamp_first_seen
        self.stale_for = age if age > self.stale_after else None
        # Redraw when it turns stale, recovers, or its age shows another second.
        return (before is None) != (self.stale_for is None) or (
            before is not None and self.stale_for is not None and int(before) != int(age)
        )

    def _decode(self, update: Update, history: bool = True) -> None:
        # Ten thousand a second at scale: the history inlined.
        value, status, severity, stamp = self.decoder.decode(update)
        self._value = value
        if severity is not None:  # None: the update carries no alarm nor time
            self._severity, self._status, self._timestamp = severity, status, stamp
        if history and len(value):
            first = value[0]
            if not isinstance(first, str):
                number = first.item()
                if isinstance(number, (int, float)) and math.isfinite(number):
                    self.history.append(float(number))

    def apply_connection(
        self,
        state: str,
        address: Address | None = None,
        info: ChannelInfo | None = None,
        decoder: Decoder | None = None,
    ) -> None:
        """A change of connection: ``searching``, ``connected`` or ``disconnected``.

        When connected, ``info`` is the channel and ``decoder`` reads its updates.
        """
        self.connection = state
        if state == CONNECTED:
            self.address = address
            if info is not None:
                self.info = info
            if decoder is not None:
                self.decoder = decoder

    # -- questions the UI asks --------------------------------------------------
    @property
    def type_name(self) -> str:
        """EPICS's name of the native type (``DOUBLE``…; ``?`` before connecting)."""
        return "?" if self.info is None else self.info.type_name

    @property
    def count(self) -> int | None:
        """The native element count (None before connecting)."""
        return None if self.info is None else self.info.count

    @property
    def access_text(self) -> str:
        """``read/write``, ``read only``…; ``?`` before connecting."""
        return "?" if self.info is None else self.info.access_text

    @property
    def is_array(self) -> bool:
        return (self.count or 1) > 1 and not self.is_text

    @property
    def is_text(self) -> bool:
        """A CHAR array holding text (a long string) is shown and written as text."""
        return self.char_text() is not None

    def char_text(self) -> str | None:
        """A CHAR array's text (UTF-8, up to its first NUL); None if it is not text.

        Decoded once per value: the table asks on every redraw.
        """
        if self.type_name != "CHAR" or (self.count or 1) <= 1:
            return None
        value = self.value
        if value is not self._text_of:
            self._text_of = value
            self._text = _as_text(value) if isinstance(value, np.ndarray) else None
        return self._text

    @property
    def writable(self) -> bool:
        return self.info is not None and self.info.writable

    def scalar(self) -> Any:
        """The first value as a Python number or string, or None."""
        value = self.value
        if value is None or len(value) == 0:
            return None
        first = value[0]
        return first.item() if isinstance(first, np.generic) else first

    def text(self) -> str:
        """The value of a CHAR array as text, up to its first NUL (bad UTF-8 replaced)."""
        text = self.char_text()
        if text is not None:
            return text
        return _char_bytes(self.value).decode("utf-8", "replace")


def _char_bytes(values: Any) -> bytes:
    return bytes(np.asarray(values, dtype=np.uint8)).split(b"\0", 1)[0]


def _as_text(values: np.ndarray) -> str | None:
    """The text in a CHAR array, or None if it holds something else (binary data).

    Text is valid UTF-8 up to the first NUL, not empty, and mostly printable: a
    control character or two (an escape sequence) is shown, not taken for binary.
    """
    try:
        text = _char_bytes(values).decode("utf-8")
    except (UnicodeDecodeError, ValueError, OverflowError):
        return None
    if not text:
        return None
    if not text.isprintable():
        control = sum(not c.isprintable() and c not in "\t\n\r" for c in text)
        if 4 * control > len(text):
            return None
    return text


def format_cycle(state: PVState) -> tuple[str, ...]:
    """The formats ``f`` steps through for ``state``, the default first.

    Only those that show something else: every digit and exponential for floats,
    hex and exponential for integers, numbers and hex for a CHAR array's text (text
    for one that is not), the index of an enum read as numbers; a string has one.
    """
    value = state.value
    type_name = state.type_name
    if value is None or isinstance(value, list):
        return (DEFAULT,)
    if type_name == "CHAR" and (state.count or 1) > 1:
        return (DEFAULT, DEC, HEX) if state.is_text else (DEFAULT, HEX, TEXT)
    if type_name == "ENUM":
        return (DEFAULT, DEC) if state.control and state.control.enum_strings else (DEFAULT,)
    if value.dtype.kind in "biu":
        return (DEFAULT, HEX, EXP)
    if value.dtype.kind == "f":
        return (DEFAULT, FULL, EXP)
    return (DEFAULT,)


def _unlabelled(strings: Sequence[str]) -> str:
    """An enum read as an empty string: the index of its one empty label, if it has one.

    The IOC sends the label of an enum subscribed as text; for a state without one
    that is "" (caget would show the number).  When only one state has no label, that
    is its index; otherwise say so rather than show nothing.
    """
    empty = [index for index, label in enumerate(strings) if not label]
    return str(empty[0]) if len(empty) == 1 else "(no label)"


#: The control info of a PV whose metadata has not been read (yet).
_NO_CONTROL = ControlInfo()


def format_value(
    state: PVState, max_items: int = 4, width: int = 32, display: str = DEFAULT
) -> str:
    """The value cell: precision and units, enums as text, arrays ``[N] v1 v2 …``.

    ``display`` is one of :data:`catui.formats.FORMATS` (the row's, for the table and
    the pane); anything but the default is tagged (``hex: 0x1F``).
    """
    value = state.value
    if value is None:
        return ""
    control = state.control or _NO_CONTROL
    type_name = state.type_name
    if isinstance(value, list):  # strings, or an enum as its string
        if len(value) > 1 or (state.count or 1) > 1:
            items = [repr(v) if v == "" else v for v in value[:max_items]]
            return _clip(_array_text(len(value), items, len(value) > max_items), width)
        text = value[0] if value else ""
        if not text and type_name == "ENUM" and control.enum_strings:
            text = _unlabelled(control.enum_strings)
        return _clip(text, width)
    tag = "" if display == DEFAULT else FORMAT_TAGS.get(display, "")
    count = len(value)
    array = (state.count or 1) > 1 or count > 1
    if type_name == "CHAR" and (state.count or 1) > 1:
        if display == DEFAULT:
            text = state.char_text()
            if text is not None:
                return _clip(text, width)
        elif display == TEXT:
            return _clip(tag + state.text(), width)
    if count == 0:
        return "[0]" if array else ""
    units = f" {control.units}" if control.units else ""
    precision = control.precision
    if array:
        items = [_element(v, display, precision, type_name) for v in value[:max_items].tolist()]
        text = _array_text(count, items, count > max_items)
        return _clip(tag + text + units, width)
    scalar = value[0].item()
    if type_name == "ENUM" and display == DEFAULT and control.enum_strings:
        index = int(scalar)
        strings = control.enum_strings
        if 0 <= index < len(strings) and strings[index]:
            return _clip(strings[index], width)
        return _clip(str(index), width)  # no label: the number, as caget shows it
    return _clip(tag + _element(scalar, display, precision, type_name, scalar=True) + units, width)


def _element(
    value: Any, display: str, precision: int | None, type_name: str, scalar: bool = False
) -> str:
    """One number in ``display``; a scalar keeps PREC, an array element never hides one."""
    if display == FULL:
        return format_exact(value, type_name)
    if display == HEX and isinstance(value, int):
        return format_hex(value, type_name)
    if display == EXP:
        return format_exp(value, precision)
    return format_number(value, precision) if scalar else format_item(value, precision)


def format_data(state: PVState, data: Any, width: int = 60) -> str:
    """``data`` (a read's values) formatted as ``state``'s value would be."""
    probe = PVState(state.name, CONNECTED, state.info, control=state.control)
    probe._value = decode_values(data)
    return format_value(probe, max_items=8, width=width)


def printable(text: str) -> str:
    """``text`` with its control characters (escape sequences…) shown as ``\ufffd``.

    For server strings (values, enum choices, units) drawn by widgets whose text
    reaches the terminal as it is (``Static``, notifications, the status bar).
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def _array_text(count: int, items: Sequence[str], more: bool) -> str:
    return f"[{count}] " + " ".join(items) + (" …" if more else "")


def _clip(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def format_timestamp(
    timestamp: float | None, *, full: bool = False, tz: datetime.tzinfo | None = None
) -> str:
    """``HH:MM:SS.mmm`` (or the full date and nanosecond-free time with ``full``)."""
    if timestamp is None:
        return ""
    when = datetime.datetime.fromtimestamp(timestamp, tz)
    if full:
        zone = when.strftime(" %Z") if tz is not None else ""
        return when.strftime("%Y-%m-%d %H:%M:%S.%f") + zone
    return when.strftime("%H:%M:%S.%f")[:-3]


def array_stats(values: Any) -> tuple[float, float, float] | None:
    """``(min, max, mean)`` of a numeric array, ignoring NaN; None when there is none."""
    if not isinstance(values, np.ndarray) or values.size == 0:
        return None
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if finite.size == 0:
        return None
    return float(finite.min()), float(finite.max()), float(finite.mean())


SORTS = ("list", "name", "severity")


class Watchlist:
    """The PVs watched, in list order, with the filter and sort the screen shows them by."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self.states: dict[str, PVState] = {}
        self.filter = ""
        self.sort = "list"
        for name in names:
            self.add(name)

    def __contains__(self, name: object) -> bool:
        return name in self.states

    def __len__(self) -> int:
        return len(self.states)

    @property
    def names(self) -> list[str]:
        return list(self.states)

    def add(self, name: str) -> bool:
        """Add a PV (searching); False if it is already there."""
        if name in self.states:
            return False
        self.states[name] = PVState(name)
        return True

    def remove(self, name: str) -> bool:
        return self.states.pop(name, None) is not None

    def insert(self, name: str, position: int) -> PVState | None:
        """Add a PV (searching) at ``position`` in list order; None if it is already there."""
        if name in self.states:
            return None
        state = PVState(name)
        items = list(self.states.items())
        items.insert(max(0, min(position, len(items))), (name, state))
        self.states.clear()  # in place: the screens hold this dict
        self.states.update(items)
        return state

    def position(self, name: str) -> int:
        """Where ``name`` is in list order; ValueError if it is not there."""
        return list(self.states).index(name)

    def next_sort(self) -> str:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        return self.sort

    def matches(self, state: PVState) -> bool:
        """Case-insensitive: a glob (``*``, ``?``) on the name, otherwise a substring."""
        pattern = self.filter.strip().lower()
        if not pattern:
            return True
        name = state.name.lower()
        if any(c in pattern for c in "*?["):
            return fnmatch.fnmatchcase(name, pattern)
        return pattern in name

    def visible(self) -> list[PVState]:
        shown = [state for state in self.states.values() if self.matches(state)]
        if self.sort == "name":
            shown.sort(key=lambda s: s.name)
        elif self.sort == "severity":
            shown.sort(key=_severity_rank)
        return shown

    def connected_count(self) -> int:
        return sum(state.connection == CONNECTED for state in self.states.values())


def _severity_rank(state: PVState) -> tuple[int, str]:
    """Worst first: INVALID, MAJOR, MINOR, then offline PVs, then the rest."""
    if state.connection != CONNECTED:
        return (1, state.name)
    severity = state.severity or 0
    return ((-severity if severity else 2), state.name)
