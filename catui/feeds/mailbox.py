"""The latest-value mailbox between a feed's worker threads and the UI.

Monitor updates never become one message each: the worker thread stores the newest
update per PV in a :class:`Mailbox` (a dict under a lock) and the UI drains it on a
timer (about 10 Hz), so a 50 Hz PV, or a thousand PVs, cost one redraw per tick.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from catui.feeds.base import SAMPLE_DECODER, ConnectionEvent, ControlInfo, Decoder, Update

__all__ = ["Drained", "Mailbox"]


@dataclass
class Drained:
    """What the mailbox held at one drain: the newest of each kind, per PV."""

    #: The newest update per PV, as received (its PV's decoder reads it).
    updates: dict[str, Update] = field(default_factory=dict)
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

    def put_update(self, name: str, update: Update, decoder: Decoder = SAMPLE_DECODER) -> None:
        """The newest update of ``name``, read by ``decoder`` (its PV's) for its alarm."""
        # Only the newest update per PV survives to the UI, but no alarm change may
        # be lost with the ones replaced: the (cheap) alarm of each is compared here.
        alarm = decoder.alarm(update)
        with self._lock:
            if self._box.since is None:  # the clock is read once per drain, not per update
                self._box.since = time.monotonic()
            if alarm != self._alarm.get(name):
                self._alarm[name] = alarm
                if alarm is not None:
                    stamp = decoder.timestamp(update)
                    self._box.alarms.append((name, alarm[0], alarm[1], stamp))
            if name in self._box.updates:
                self._box.dropped += 1
            self._box.updates[name] = update

    def forget(self, name: str) -> None:
        """A PV left the watchlist (or reconnected): its next alarm counts as a change."""
        with self._lock:
            self._alarm.pop(name, None)

    def put_connection(self, name: str, event: ConnectionEvent) -> None:
        """A connection change of ``name`` (the newest one wins)."""
        with self._lock:
            if self._box.since is None:
                self._box.since = time.monotonic()
            # An update stays: after a disconnection it is the last value known.
            self._box.connections[name] = event

    def put_control(self, name: str, info: ControlInfo) -> None:
        """Control metadata of ``name`` (the newest one wins)."""
        with self._lock:
            if self._box.since is None:
                self._box.since = time.monotonic()
            self._box.controls[name] = info

    @property
    def oldest(self) -> float | None:
        """``time.monotonic()`` when the oldest item not yet drained arrived (None: none)."""
        return self._box.since

    def drain(self) -> Drained:
        """Everything put since the last drain (the mailbox starts empty again)."""
        with self._lock:
            box, self._box = self._box, Drained()
        return box
