"""What a drain of the mailbox does to the watchlist, without drawing: no Textual here.

:class:`WatchEngine` folds a :class:`~catui.feeds.mailbox.Drained` box into the
:class:`~catui.model.Watchlist`'s PV states (connections, alarm history, control
metadata, updates decoded or only stashed) and says what changed, so that the screen
only redraws.  Updates are handed to :class:`~catui.model.PVState` as they came: what
an update is, is the feed's and the state's business, not this module's.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from catui.feeds.mailbox import Drained
from catui.model import PVState, Watchlist

__all__ = ["Applied", "WatchEngine"]


@dataclass
class Applied:
    """What one drained box changed.

    ``changed`` are the states whose row is to be drawn again, ``names`` the PVs the box
    named (the detail pane is shown again if the selected one is among them).
    ``resort``: sorted by severity, the order may have changed; ``recount``: a
    connection changed, the connected PVs are to be counted again.
    """

    changed: list[PVState] = field(default_factory=list)
    names: Collection[str] = ()
    resort: bool = False
    recount: bool = False


class WatchEngine:
    """Applies drained boxes to ``watchlist``; counts what it saw.

    Parameters
    ----------
    watchlist : Watchlist
        The PVs watched (the screen's): PVs removed meanwhile are skipped.
    """

    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist
        #: Boxes that changed something, and monitor updates seen / coalesced away.
        self.redraws = 0
        self.updates_seen = 0
        self.updates_coalesced = 0
        #: PVs whose last update is stashed, not decoded (see :meth:`apply`).
        self._stashed: dict[str, PVState] = {}

    def count(self, box: Drained) -> None:
        """Count the updates of ``box`` (those coalesced away in the mailbox too)."""
        self.updates_seen += len(box.updates) + box.dropped
        self.updates_coalesced += box.dropped

    def apply(self, box: Drained, seen: Collection[str]) -> Applied:
        """Fold ``box`` into the PV states; ``seen``: the PVs whose rows are on screen.

        Updates of PVs nobody sees (rows off screen, not selected) are only stashed:
        decoded when read (drawn, selected, sorted, written to…).  An update stashed
        at an earlier box and not replaced since (a quiet PV) is decoded now, rather
        than keep the received buffer it views alive.

        Returns
        -------
        Applied
            What changed; ``changed`` empty: nothing to redraw.
        """
        states = self.watchlist.states
        updates, connections, controls = box.updates, box.connections, box.controls
        changed: list[PVState] = []
        # Sorted by severity, the order changes only with an alarm or a connection:
        # the mailbox lists every alarm change, so nothing needs decoding to know.
        resort = self.watchlist.sort == "severity" and bool(box.alarms or connections)
        stashed = self._stashed
        self._stashed = now_stashed = {}
        for name, status, severity, stamp in box.alarms:
            state = states.get(name)
            if state is not None:
                state.note_alarm(status, severity, stamp)
        # Most boxes carry only updates: their names, without building box.names.
        names: Collection[str] = box.names if connections or controls else updates
        for name in names:
            state = states.get(name)
            if state is None:
                continue  # removed meanwhile
            event = connections.get(name)
            if event is not None:
                state.apply_connection(event.state, event.address, event.info, event.decoder)
            update = updates.get(name)
            if update is not None:
                if name in seen:
                    state.apply_update(update)
                else:
                    state.stash(update)
                    now_stashed[name] = state
            control = controls.get(name)
            if control is not None:
                state.control = control
            changed.append(state)
        for name, state in stashed.items():
            if name not in now_stashed:
                state.settle()
        if changed:
            self.redraws += 1
        return Applied(changed, names, resort, recount=bool(connections))

    def check_stale(self, now: float, wall: float) -> list[PVState]:
        """Mark (or clear) stale PVs: a timestamp standing still past its threshold.

        ``now`` is ``time.monotonic()``, ``wall`` the wall clock; returns the states
        whose stale mark changed.
        """
        return [
            state
            for state in self.watchlist.states.values()
            if state.stale_after is not None or state.stale_for is not None
            if state.check_stale(now, wall)
        ]
