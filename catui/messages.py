"""Typed messages and the latest-value mailbox between CA worker threads and the UI.

Monitor updates never become one message each: the worker thread stores the newest
update per PV in a :class:`Mailbox` (a dict under a lock) and the UI drains it on a
timer (about 10 Hz), so a 50 Hz PV, or a thousand PVs, cost one redraw per tick.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from catui.model import ControlInfo

__all__ = ["ConnectionEvent", "Drained", "Mailbox", "WriteFinished", "WriteStarted"]


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
    dropped: int = 0

    def __bool__(self) -> bool:
        return bool(self.updates or self.connections or self.controls)

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

    def put_update(self, name: str, response: Any) -> None:
        with self._lock:
            if name in self._box.updates:
                self._box.dropped += 1
            self._box.updates[name] = response

    def put_connection(self, name: str, event: ConnectionEvent) -> None:
        with self._lock:
            # An update stays: after a disconnection it is the last value known.
            self._box.connections[name] = event

    def put_control(self, name: str, info: ControlInfo) -> None:
        with self._lock:
            self._box.controls[name] = info

    def drain(self) -> Drained:
        with self._lock:
            box, self._box = self._box, Drained()
        return box


class WriteStarted(Message):
    """A confirmed write was handed to a worker."""

    def __init__(self, pv: str, value: Any) -> None:
        super().__init__()
        self.pv = pv
        self.value = value


class WriteFinished(Message):
    """A write worker ended: ``ok`` and a sentence for the operator."""

    def __init__(self, pv: str, ok: bool, text: str) -> None:
        super().__init__()
        self.pv = pv
        self.ok = ok
        self.text = text
