"""What crosses the seam between the console and its data sources: neutral types only.

A feed (:mod:`catui.feeds.ca`, :mod:`catui.feeds.fake`, later pvAccess) speaks its
protocol below this line; above it the console sees connection events with a
:class:`ChannelInfo`, control metadata as :class:`ControlInfo`, opaque updates it
decodes lazily through the :class:`Decoder` handed over with the connection, and
write outcomes as :class:`WriteOutcome`.  Nothing here imports a protocol.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from catui.feeds.mailbox import Mailbox

__all__ = [
    "CHAR_RANGE",
    "CONNECTED",
    "DEADLINE",
    "DIALOG_CLOSED",
    "DISCONNECTED",
    "QUIT",
    "SAMPLE_DECODER",
    "SEARCHING",
    "Address",
    "ChannelInfo",
    "CircuitRow",
    "ConnectionEvent",
    "ControlInfo",
    "Decoded",
    "Decoder",
    "Diagnostics",
    "DuplicateRow",
    "Feed",
    "PVRow",
    "Sample",
    "SampleDecoder",
    "Update",
    "ValueLimits",
    "Values",
    "WriteLink",
    "WriteOutcome",
    "decode_values",
    "type_limits",
]

#: Why a write was abandoned (a write link's ``abandoned``).
QUIT = "catui quit"
DEADLINE = "the write timeout passed"
DIALOG_CLOSED = "the write dialog closed"

SEARCHING = "searching"
CONNECTED = "connected"
DISCONNECTED = "disconnected"

#: A server's (host, port).
Address = tuple[str, int]
#: A PV's values as the console keeps them: text items, or a numpy array of numbers.
Values = list[str] | npt.NDArray[np.generic]
#: An update as the feed received it; only the :class:`Decoder` of its PV reads it.
Update = object
#: A decoded update: (values, alarm status, alarm severity, timestamp or None).
Decoded = tuple[Values, int | None, int | None, float | None]

#: The range of an unsigned byte (a CHAR element), in every protocol.
CHAR_RANGE = (0, 255)
# EPICS's fixed-size types, whatever protocol carries them; a feed hands them over in
# its ChannelInfo (a protocol with other sizes says so there).
_INT_RANGES = {"SHORT": (-(2**15), 2**15 - 1), "LONG": (-(2**31), 2**31 - 1), "CHAR": CHAR_RANGE}


@dataclass(frozen=True, slots=True)
class ValueLimits:
    """What a channel can hold, for the write checks (None: no such limit)."""

    #: Bytes of one string element (its encoding's), the terminator not counted.
    max_string_bytes: int | None = None
    #: The range of an integer element.
    int_range: tuple[int, int] | None = None


def type_limits(type_name: str, max_string_bytes: int | None = None) -> ValueLimits:
    """The :class:`ValueLimits` of EPICS type ``type_name`` (``SHORT``, ``STRING``…).

    Parameters
    ----------
    type_name : str
    max_string_bytes : int, optional
        The protocol's string size, for a ``STRING``.
    """
    strings = max_string_bytes if type_name == "STRING" else None
    return ValueLimits(strings, _INT_RANGES.get(type_name))


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A connected channel, as the console needs to know it.

    ``type_name`` is EPICS's name of the native type (``DOUBLE``, ``ENUM``, ``CHAR``,
    ``STRING``, ``SHORT``, ``LONG``, ``FLOAT``; ``?`` unknown).
    """

    type_name: str = "?"
    count: int = 1
    readable: bool = True
    writable: bool = False
    limits: ValueLimits = field(default_factory=ValueLimits)

    @property
    def access_text(self) -> str:
        """``read/write``, ``read only``, ``write only`` or ``none``."""
        if self.readable:
            return "read/write" if self.writable else "read only"
        return "write only" if self.writable else "none"


@dataclass(frozen=True)
class ControlInfo:
    """A PV's control metadata, decoded: units, precision, enum choices, limits.

    ``limits`` maps ``display``, ``alarm``, ``warning`` and ``control`` to a
    ``(low, high)`` pair, or leaves the name out when the server has none.
    ``limit_source`` says where the control limits come from (see
    :func:`catui.data.write_value.limit_source`; None: not known).
    """

    units: str = ""
    precision: int | None = None
    enum_strings: tuple[str, ...] = ()
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    limit_source: str | None = None


class Decoder(Protocol):
    """Reads one PV's updates (handed over by the feed with its connection event)."""

    def decode(self, update: Update) -> Decoded:
        """The update's values (a copy), alarm status, severity and timestamp."""
        ...

    def first(self, update: Update) -> float | None:
        """The first value as a float when it is a finite number (for the trend), cheaply."""
        ...

    def alarm(self, update: Update) -> tuple[int, int] | None:
        """``(status, severity)``, cheaply (the mailbox asks for every update)."""
        ...

    def timestamp(self, update: Update) -> float | None:
        """The update's timestamp (seconds since the epoch; None: not known)."""
        ...


def decode_values(data: object) -> Values:
    """Values as the console keeps them: ``list[str]`` for text, a numpy array otherwise.

    Bytes are latin-1 (CA's string encoding; ASCII in practice); the array is a copy,
    since the received buffer is not ours to keep.
    """
    if isinstance(data, list):
        return [
            item.decode("latin-1", "replace") if isinstance(item, bytes) else str(item)
            for item in data
        ]
    return np.array(data)


@dataclass(frozen=True, slots=True)
class Sample:
    """A protocol-free update (the fake feed's; any feed may send them).

    ``data`` is a list of text items (str or bytes) or an array-like of numbers.
    """

    data: object
    status: int = 0
    severity: int = 0
    timestamp: float | None = 0.0


class SampleDecoder:
    """The :class:`Decoder` of :class:`Sample` updates."""

    def decode(self, update: Update) -> Decoded:
        assert isinstance(update, Sample)
        return decode_values(update.data), update.status, update.severity, update.timestamp

    def first(self, update: Update) -> float | None:
        if not isinstance(update, Sample):
            return None
        data = update.data
        if isinstance(data, list):
            return None
        values = np.atleast_1d(np.asarray(data))
        if not len(values) or values.dtype.kind not in "biuf":
            return None
        first = float(values[0])
        return first if math.isfinite(first) else None

    def alarm(self, update: Update) -> tuple[int, int] | None:
        if not isinstance(update, Sample):
            return None  # not an update this decoder reads: no alarm to note
        return update.status, update.severity

    def timestamp(self, update: Update) -> float | None:
        if not isinstance(update, Sample):
            return None
        return update.timestamp


SAMPLE_DECODER = SampleDecoder()


@dataclass(frozen=True)
class ConnectionEvent:
    """A PV's connection changed (as the feed saw it).

    ``info`` and ``decoder`` come with ``connected`` (None otherwise).
    """

    state: str
    address: Address | None = None
    info: ChannelInfo | None = None
    decoder: Decoder | None = None


@dataclass(frozen=True)
class WriteOutcome:
    """How a write went, classified once by the feed that made it.

    Attributes
    ----------
    ok : bool
        Whether it completed.
    sentence : str
        For the operator.
    status : str
        For the journal: ``completed``, ``failed``, ``timed out``, ``unknown``,
        ``abandoned``, ``refused`` or ``not written``.
    reply : str
        The server's status (``ECA_NORMAL``…), or "" when it said nothing.
    answered : bool
        Whether it ended with the server's answer or before anything was sent
        (its channel may then be closed in good order; otherwise it is reset).
    """

    ok: bool
    sentence: str
    status: str
    reply: str = ""
    answered: bool = True


class WriteLink(Protocol):
    """One PV's channel kept for one write: reads before it, the write, the read back.

    Its calls block (run them in a worker thread), one at a time; :meth:`abort` may be
    called from any thread, at any moment.
    """

    name: str

    @property
    def abandoned(self) -> str | None:
        """Why :meth:`abort` was called (None while the link is usable)."""
        ...

    def read_value(self, timeout: float) -> Values:
        """The PV's value now."""
        ...

    def read_control(self, timeout: float) -> tuple[Values, ControlInfo]:
        """The PV's value and control metadata (limits, units, enum choices) now."""
        ...

    def read_fields(self, names: Sequence[str], timeout: float) -> dict[str, object]:
        """The first value of each PV of ``names`` that answers (record fields).

        Missing ones are left out; the answers are kept for the link's life.
        """
        ...

    def write(self, value: object, timeout: float) -> object:
        """Write with notify and wait for completion; the server's reply."""
        ...

    def outcome(
        self, text: str, reply: object, error: BaseException | None, timeout: float
    ) -> WriteOutcome:
        """How the write of ``text`` went (:meth:`write` returned ``reply`` or raised)."""
        ...

    def unreachable(self, error: BaseException) -> bool:
        """Whether a read failed because the PV could not be reached (not found, gone)."""
        ...

    def close(self) -> None:
        """Close the channel in good order (after a write that was answered)."""
        ...

    def abort(self, reason: str) -> None:
        """Abandon the link now, from any thread: its sockets are reset, nothing more sent."""
        ...


# -- diagnostics: neutral rows for screens/diagnostics.py ----------------------------
@dataclass(frozen=True)
class PVRow:
    """One PV as the client sees it: where it is, how often it was searched and lost."""

    name: str
    priority: int
    state: str  # SEARCHING, "connecting" or CONNECTED
    server: Address | None
    searches: int
    search_started: float | None
    last_search: float | None
    next_search: float | None
    connected_since: float | None
    losses: int

    @property
    def retries(self) -> int:
        """Search requests beyond the first, in its current (or last) search."""
        return max(self.searches - 1, 0)


@dataclass(frozen=True)
class CircuitRow:
    """One open circuit (a connection to a server)."""

    address: Address
    priority: int
    channels: int
    connected_since: float
    last_heard: float | None


@dataclass(frozen=True)
class DuplicateRow:
    """A PV answered by two servers."""

    name: str
    first: Address
    other: Address
    when: float

    def describe(self) -> str:
        """``PV 'X' answered by A and B`` in words, for a log or a status line."""
        first, other = (f"{host}:{port}" for host, port in (self.first, self.other))
        return f"PV {self.name!r} answered by {first} and {other}; using {first}"


@dataclass(frozen=True)
class Diagnostics:
    """A feed's snapshot: settings in effect, where searches go, PVs, circuits, duplicates.

    ``settings`` are (name, value) rows in the protocol's own words (its environment
    variables); ``settings_note`` is shown instead when they are not known yet.
    """

    taken_at: float
    running: bool
    settings: tuple[tuple[str, str], ...] = ()
    settings_note: str = ""
    destinations: tuple[Address, ...] = ()
    #: Said instead of the destinations when there are none (why not).
    no_destinations: str = ""
    datagrams_sent: int = 0
    pvs: tuple[PVRow, ...] = ()
    circuits: tuple[CircuitRow, ...] = ()
    duplicates: tuple[DuplicateRow, ...] = ()
    duplicate_count: int = 0

    @property
    def searching(self) -> tuple[PVRow, ...]:
        """The PVs still searched for."""
        return tuple(pv for pv in self.pvs if pv.state == SEARCHING)


class Feed(Protocol):
    """What the console needs of a data source."""

    def attach(self, mailbox: Mailbox) -> None:
        """Where to put updates; called once, before anything else."""
        ...

    def add(self, names: Iterable[str]) -> None:
        """Start monitoring ``names`` (thread-safe)."""
        ...

    def remove(self, names: Iterable[str]) -> None:
        """Stop monitoring ``names`` (thread-safe)."""
        ...

    def run_monitor(self) -> None:
        """Feed the mailbox until :meth:`stop` (runs in a worker thread)."""
        ...

    def run_control_reader(self) -> None:
        """Deliver control metadata the monitor cannot, until :meth:`stop` (a worker)."""
        ...

    def read_many(self, names: Sequence[str], timeout: float) -> dict[str, Values]:
        """The value of each of ``names`` that answers within ``timeout`` (browsing)."""
        ...

    def write_link(self, name: str) -> WriteLink:
        """A link for one write to ``name`` (no I/O: it connects on first use)."""
        ...

    def check_value(self, value: object, type_name: str, count: int) -> None:
        """Raise ValueError (in the client library's words) for a value it would refuse."""
        ...

    def stop(self) -> None:
        """End both ``run_*`` loops (thread-safe, idempotent)."""
        ...

    def diagnostics(self) -> Diagnostics:
        """A snapshot of searches, circuits and duplicates (thread-safe, no I/O)."""
        ...
