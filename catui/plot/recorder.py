"""The console's history of every watched PV, fed from the moment it is watched.

The watch screen calls :meth:`Recorder.record` with each :class:`~catui.model.PVState`
its drain touched (after the update or connection change was applied), whether its row
is on screen or not: a chart opened later has the minutes before it to show.

Cheap on purpose (a thousand PVs at 10 Hz go through here): an update that the screen
only stashed (a row off screen) is not decoded for the history — its first element,
severity and IOC timestamp are read straight from the update, and :meth:`History.append`
stores them in the PV's preallocated rings.  A disconnection is a gap (NaN with severity
:data:`~catui.plot.history.DISCONNECTED`) at the wall-clock time it was seen, until the
next update.

What reaches the history is what the drain sees: the newest update per PV per tick
(the mailbox keeps no more), so a PV faster than the console's refresh rate is sampled
at that rate; its alarm changes are still all in the row's alarm history.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from catui.model import CONNECTED, PVState
from catui.plot.history import HistoryStore

__all__ = ["Recorder", "numeric_sample"]


def numeric_sample(state: PVState) -> tuple[float | None, float, int] | None:
    """(IOC timestamp or None, first element as float, severity) of the newest update.

    None for a PV without a numeric value (strings, an empty array).  A stashed update
    (``state.pending``) is read without decoding it: decoding copies the whole array,
    which is what stashing avoids for rows nobody looks at.
    """
    raw = state._raw  # the stash is read, not settled (see above)
    if raw is not None:
        decoder = state.decoder
        first = decoder.first(raw)
        if first is None:
            # Not a finite number, or not a number at all: decode this one (rare) so a
            # NaN or infinite sample is recorded as the decoded rows record it.
            state.settle()
            return numeric_sample(state)
        stamp = decoder.timestamp(raw)
        alarm = decoder.alarm(raw)
        return stamp, first, 0 if alarm is None else int(alarm[1])
    data = state._value  # decoded already: no settle needed
    stamp = state._timestamp
    severity = state._severity or 0
    if data is None or isinstance(data, list) or not len(data):
        return None
    try:
        value = float(data[0])
    except (TypeError, ValueError):
        return None
    return (None if stamp is None else float(stamp)), value, severity


class Recorder:
    """Feeds a :class:`~catui.plot.history.HistoryStore` from the console's PV states.

    Parameters
    ----------
    store : HistoryStore, optional
        Where the histories go (a new one by default).
    clock : callable
        The wall clock: the time of a disconnection, and of an update without an IOC
        timestamp.
    """

    def __init__(
        self, store: HistoryStore | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store if store is not None else HistoryStore()
        self.clock = clock
        self._updates: dict[str, int] = {}  # PVState.updates when last recorded
        self._down: set[str] = set()  # PVs whose gap is open

    def record(self, state: PVState) -> None:
        """Record what changed in ``state`` since the last call: an update, a disconnection."""
        name = state.name
        updates = state.updates
        if updates != self._updates.get(name):
            self._updates[name] = updates
            sample = numeric_sample(state)
            if sample is not None:
                stamp, value, severity = sample
                if stamp is None or not stamp > 0.0:
                    stamp = self.clock()
                self.store.append(name, stamp, value if math.isfinite(value) else math.nan,
                                  severity)  # fmt: skip
                self._down.discard(name)
        if state.connection != CONNECTED and name not in self._down and name in self.store:
            self._down.add(name)
            self.store.disconnect(name, self.clock())

    def leave(self, name: str) -> None:
        """The PV left the watchlist, perhaps for a while: its history is kept.

        A gap from now, so a PV put back is not drawn as a line across its absence, and
        its next update is recorded whatever the new row's update count.
        """
        self._updates.pop(name, None)
        if name in self.store and name not in self._down:
            self._down.add(name)
            self.store.disconnect(name, self.clock())

    def forget(self, name: str) -> None:
        """Drop the history of a PV that left the watchlist."""
        self.store.remove(name)
        self._updates.pop(name, None)
        self._down.discard(name)
