"""One PV of a ``Blocker`` (a name at a priority): its search back-off, channel, subscriptions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..circuit import ClientChannel
    from .connection import Connection
    from .subscription import Subscription

__all__ = ["FIRST_RETRY", "PVState"]

#: Seconds before the first retry of a search; the interval doubles from there.
FIRST_RETRY = 0.05


class PVState:
    """One (name, priority): its search state, channel and subscriptions.

    Kept and changed by the Blocker's thread; ``diagnostics()`` reads its fields.
    """

    def __init__(self, name: str, priority: int, now: float) -> None:
        self.name = name
        self.priority = priority
        self.subs: dict[Subscription, int | None] = {}  # -> subscriptionid
        self.conn: Connection | None = None
        self.channel: ClientChannel | None = None
        self.next_search = now
        self.interval = FIRST_RETRY
        # Delay before searching again after a failure; it doubles while the
        # failures repeat (a server that finds the name but refuses the
        # channel, or breaks the circuit) and is cleared by the first update.
        self.penalty = 0.0
        # For diagnostics() only; monotonic times, set at events, never per update.
        self.searches = 0
        self.search_started = now
        self.last_search: float | None = None
        self.connected_at: float | None = None
        self.losses = 0

    def searched(self, now: float, cap: float) -> None:
        """A search for it went out: the next after the interval, which doubles up to ``cap``."""
        self.searches += 1
        self.last_search = now
        self.next_search = now + self.interval
        self.interval = min(self.interval * 2, cap)

    def hurry(self, now: float) -> None:
        """Search again soon (a server has just (re)started)."""
        if self.interval > FIRST_RETRY:
            self.interval = FIRST_RETRY
            self.next_search = min(self.next_search, now + FIRST_RETRY)

    def search_again(self, now: float, max_penalty: float) -> None:
        """Its channel is gone: search again after the penalty, doubled up to ``max_penalty``."""
        self.conn = None
        self.channel = None
        self.interval = FIRST_RETRY
        self.search_started = now
        self.next_search = now + self.penalty
        self.searches = 0
        self.connected_at = None
        self.losses += 1
        self.penalty = min(max(self.penalty * 2, FIRST_RETRY), max_penalty)
