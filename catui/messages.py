"""Typed messages and the latest-value mailbox between CA worker threads and the UI.

Monitor updates never become one message each: the worker thread stores the newest
update per PV in a :class:`Mailbox` (a dict under a lock) and the UI drains it on a
timer (about 10 Hz), so a 50 Hz PV, or a thousand PVs, cost one redraw per tick.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from catui.model import ControlInfo

__all__ = [
    "ConnectionEvent",
    "Drained",
    "Mailbox",
    "TerminalLost",
    "WriteChecked",
    "WriteFinished",
    "WriteStarted",
]


@dataclass(frozen=True)
class ConnectionEvent:
    """A subscription's connection changed (as the worker saw it)."""

    state: str
    address: tuple[str, int] | None = None
    native_type: Any = None
    count: int | None = None
    access: Any = None


@dataclass
class Drained:
    """What the mailbox held at one drain: the newest of each kind, per PV."""

    updates: dict[str, Any] = field(default_factory=dict)
    connections: dict[str, ConnectionEvent] = field(default_factory=dict)
    controls: dict[str, ControlInfo] = field(default_factory=dict)
    #: Every change of alarm (status, severity) seen, coalesced updates included:
    #: (name, status, severity, IOC timestamp or None), oldest first.
    alarms: list[tuple[str, int, int, float | None]] = field(default_factory=list)
    dropped: int = 0
    #: ``time.monotonic()`` when the first of these arrived (None: nothing did).
    since: float | None = None

    def __bool__(self) -> bool:
        return bool(self.updates or self.connections or self.controls or self.alarms)

    @property
    def names(self) -> set[str]:
        return set(self.updates) | set(self.connections) | set(self.controls)


class Mailbox:
    """Newest update, connection event and control info per PV, thread-safe.

    Writers (worker threads) overwrite; the reader (the UI timer) takes it all.
    ``dropped`` counts updates replaced before the UI saw them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._box = Drained()
        self._alarm: dict[str, tuple[int, int] | None] = {}  # last seen, per PV

    def put_update(self, name: str, response: Any) -> None:
        # Only the newest update per PV survives to the UI, but no alarm change may
        # be lost with the ones replaced: the (cheap) alarm of each is compared here.
        alarm = _alarm_of(response)
        with self._lock:
            if self._box.since is None:  # the clock is read once per drain, not per update
                self._box.since = time.monotonic()
            if alarm != self._alarm.get(name):
                self._alarm[name] = alarm
                if alarm is not None:
                    stamp = getattr(response.metadata, "timestamp", None)
                    self._box.alarms.append((name, alarm[0], alarm[1], stamp))
            if name in self._box.updates:
                self._box.dropped += 1
            self._box.updates[name] = response

    def forget(self, name: str) -> None:
        """A PV left the watchlist (or reconnected): its next alarm counts as a change."""
        with self._lock:
            self._alarm.pop(name, None)

    def put_connection(self, name: str, event: ConnectionEvent) -> None:
        with self._lock:
            if self._box.since is None:
                self._box.since = time.monotonic()
            # An update stays: after a disconnection it is the last value known.
            self._box.connections[name] = event

    def put_control(self, name: str, info: ControlInfo) -> None:
        with self._lock:
            if self._box.since is None:
                self._box.since = time.monotonic()
            self._box.controls[name] = info

    @property
    def oldest(self) -> float | None:
        """``time.monotonic()`` when the oldest item not yet drained arrived (None: none)."""
        return self._box.since

    def drain(self) -> Drained:
        with self._lock:
            box, self._box = self._box, Drained()
        return box


def _alarm_of(response: Any) -> tuple[int, int] | None:
    alarm = getattr(response, "alarm", _NO_ATTRIBUTE)
    if alarm is not _NO_ATTRIBUTE:
        return alarm  # type: ignore[return-value]
    metadata = getattr(response, "metadata", None)  # a stand-in response (catui.dev)
    if metadata is None or not hasattr(metadata, "severity"):
        return None
    return int(metadata.status), int(metadata.severity)


_NO_ATTRIBUTE = object()


class TerminalLost(Message):
    """The terminal went away (hung up, closed) or the console was told to end.

    ``reason`` is for the record: ``"hangup"`` (SIGHUP), ``"terminated"`` (SIGTERM),
    or what failed (``"terminal write failed: [Errno 5] Input/output error"``).
    """

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class WriteStarted(Message):
    """A confirmed write was handed to a worker."""

    def __init__(self, pv: str, value: Any) -> None:
        super().__init__()
        self.pv = pv
        self.value = value


class WriteChecked(Message):
    """A write link read the PV: when the write dialog opened, or when it was armed.

    ``purpose`` is ``"open"`` or ``"arm"``.  ``data`` is the value now (a numpy array or
    a list of str) and ``info`` its control metadata, or both None and ``error``
    says why the read failed (``disconnected`` then tells that the PV could not be
    reached at all).  ``limit_source`` is where the control limits come from
    (:func:`catui.data.write_value.limit_source`; None: not known).
    """

    def __init__(
        self,
        pv: str,
        purpose: str,
        data: Any = None,
        info: ControlInfo | None = None,
        limit_source: str | None = None,
        error: str = "",
        disconnected: bool = False,
    ) -> None:
        super().__init__()
        self.pv = pv
        self.purpose = purpose
        self.data = data
        self.info = info
        self.limit_source = limit_source
        self.error = error
        self.disconnected = disconnected


class WriteFinished(Message):
    """A write worker ended: ``ok`` and a sentence for the operator.

    ``old`` is the value read just before the write (a list of str or a numpy array;
    None if that read failed): what undo writes back.  ``reported`` is the IOC's value
    read back after a successful write, as data (None if not read); the sentence
    already says it, exactly.
    """

    def __init__(
        self, pv: str, ok: bool, text: str, old: Any = None, reported: Any = None
    ) -> None:
        super().__init__()
        self.pv = pv
        self.ok = ok
        self.text = text
        self.old = old
        self.reported = reported
