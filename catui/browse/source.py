"""What the console's browse screens read through: one small object the app hands them.

The record view and the PV tree screens never import :mod:`protocol`; they call a
:class:`BrowseSource` from a worker thread. This one reads over Channel Access
with :func:`catui.browse.record.read_record`, :func:`catui.browse.tree.expand_tree`
and :func:`catui.browse.fetch.fetch`; it is the one module to re-point at the feed
seam (``catui/feeds/``, its ``read_many`` over kept channels) when that exists.
Snapshots and tests hand the screens a source of fixed data instead.

Every name a source reads is remembered in :attr:`BrowseSource.seen` (link
targets, tree nodes): what the add dialog completes from.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from catui.browse.fetch import ALARM, Reading, Request
from catui.browse.fields import TABLE, RecordTable
from catui.browse.record import RecordView
from catui.browse.tree import DEFAULT_DEPTH, PVTree

__all__ = ["BrowseSource"]


class BrowseSource:
    """Record views, PV trees and alarm reads, blocking (call them from a worker).

    Parameters
    ----------
    timeout : float
        Seconds a name is searched for (and each read may take).
    table : RecordTable
        The record types' fields (a site's own types added, or one taken out in tests).
    """

    def __init__(self, timeout: float = 2.0, table: RecordTable = TABLE) -> None:
        self.timeout = timeout
        self.table = table
        self._seen: dict[str, None] = {}
        self._lock = threading.Lock()

    @property
    def seen(self) -> list[str]:
        """Record names met while browsing (roots, link targets, tree nodes), oldest first."""
        with self._lock:
            return list(self._seen)

    def remember(self, names: Iterable[str]) -> None:
        """Note names met while browsing (thread-safe)."""
        with self._lock:
            for name in names:
                if name:
                    self._seen.setdefault(name, None)

    def read_record(
        self,
        pv: str,
        on_update: Callable[[RecordView, str], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> RecordView:
        """Every field of ``pv``'s record (see :func:`catui.browse.record.read_record`)."""
        from catui.browse.record import read_record

        view = read_record(
            pv, timeout=self.timeout, table=self.table, on_update=on_update, cancelled=cancelled
        )
        if not view.error:
            self.remember([view.record])
            self.remember(v.link.record for v in view.links() if v.link and v.link.pv)
        return view

    def expand_tree(
        self,
        pv: str,
        max_depth: int = DEFAULT_DEPTH,
        on_update: Callable[[PVTree], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> PVTree:
        """The input-link tree of ``pv`` (see :func:`catui.browse.tree.expand_tree`)."""
        from catui.browse.tree import expand_tree

        tree = expand_tree(
            pv, max_depth=max_depth, timeout=self.timeout, table=self.table, on_update=on_update,
            cancelled=cancelled,
        )  # fmt: skip
        self.remember(node.pv for node in tree.nodes() if node.pv and not node.error)
        return tree

    def read_alarms(
        self, pvs: list[str], cancelled: Callable[[], bool] | None = None
    ) -> dict[str, Reading]:
        """Each PV's value, status and severity now (a live view's refresh)."""
        from catui.browse.fetch import fetch

        results = fetch([Request(pv, ALARM) for pv in pvs], timeout=self.timeout,
                        cancelled=cancelled)  # fmt: skip
        return {request.pv: reading for request, reading in results.items()}

    def read_field(self, pv: str) -> Reading:
        """One field again (after a write)."""
        from catui.browse.fetch import fetch

        results = fetch([Request(pv)], timeout=self.timeout)
        return next(iter(results.values()))
