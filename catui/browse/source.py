"""What the console's browse screens read through: one small object the app hands them.

The record view and the PV tree screens never import :mod:`protocol`; they call a
:class:`BrowseSource` from a worker thread. This one reads over Channel Access
with :func:`catui.browse.record.read_record`, :func:`catui.browse.tree.expand_tree`
and :func:`catui.browse.fetch.fetch`; it is the one module to re-point at the feed
seam (``catui/feeds/``, its ``read_many`` over kept channels) when that exists.
Snapshots and tests hand the screens a source of fixed data instead.

Every record a source reads is remembered in :attr:`BrowseSource.seen_names` (link
targets, tree nodes): what the add dialog completes from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from catui.browse.fetch import ALARM, Reading, Request
from catui.browse.fields import TABLE, RecordTable
from catui.browse.record import RecordView
from catui.browse.tree import DEFAULT_DEPTH, PVTree
from catui.data.seen_names import SeenNames

__all__ = ["LIVE_TIMEOUT", "BrowseSource"]

#: Seconds a live refresh searches for names (and waits for each read).
LIVE_TIMEOUT = 0.5


class BrowseSource:
    """Record views, PV trees and alarm reads, blocking (call them from a worker).

    Parameters
    ----------
    timeout : float
        Seconds a name is searched for (and each read may take).
    table : RecordTable
        The record types' fields (a site's own types added, or one taken out in tests).
    seen : SeenNames, optional
        Where to remember the names met (the console's own, shared with the add dialog).
    """

    def __init__(
        self, timeout: float = 2.0, table: RecordTable = TABLE, seen: SeenNames | None = None
    ) -> None:
        self.timeout = timeout
        self.table = table
        #: Names met while browsing (roots, link targets, tree nodes).
        self.seen_names = seen if seen is not None else SeenNames()

    @property
    def seen(self) -> list[str]:
        """The names met, first seen first."""
        return self.seen_names.names()

    def remember(self, names: Iterable[str]) -> None:
        """Note names met while browsing (thread-safe)."""
        self.seen_names.add(names)

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
        """Each PV's value, status and severity now (a live view's refresh).

        Searched for :data:`LIVE_TIMEOUT` at most: a name not found then (its IOC
        gone) must not hold up the next refresh of the others.
        """
        from catui.browse.fetch import fetch

        results = fetch([Request(pv, ALARM) for pv in pvs],
                        timeout=min(self.timeout, LIVE_TIMEOUT), cancelled=cancelled)  # fmt: skip
        return {request.pv: reading for request, reading in results.items()}

    def read_descriptions(self, names: list[str]) -> dict[str, str]:
        """Each name's record DESC (``""`` where it cannot be read: not a record, no access)."""
        from catui.browse.fetch import fetch

        fields = {name: name.strip().partition(".")[0] + ".DESC" for name in names}
        results = fetch([Request(pv) for pv in dict.fromkeys(fields.values())],
                        timeout=self.timeout)  # fmt: skip
        texts = {request.pv: reading.text for request, reading in results.items() if reading.ok}
        return {name: texts.get(pv, "") for name, pv in fields.items()}

    def read_field(self, pv: str) -> Reading:
        """One field again (after a write)."""
        from catui.browse.fetch import fetch

        results = fetch([Request(pv)], timeout=self.timeout)
        return next(iter(results.values()))
