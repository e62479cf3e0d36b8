"""The PV tree: a record's input links followed recursively, each node with its value and alarm.

:func:`expand_tree` reads the root, then level by level the record type and
value of each new node and the input links of each record (its type's
``DBF_INLINK`` fields but TSEL: INP, DOL, INPA…, SDIS, SIML, …), every level's reads
in one batch through :func:`catui.browse.fetch.fetch_round` (one search, one
circuit per IOC, across IOCs). A record is expanded once: met again below
itself it is a *cycle*, met again elsewhere a *repeat* (its links are shown
where it was first expanded). Nodes at ``max_depth`` are not expanded
(*capped*). A target that cannot be read says why (``not found``,
``disconnected``, ``no read access``). Names not found at once are searched
again, for the rest of the timeout, after everything else is read.

:meth:`PVTree.mark_origin` marks where the root's severity comes from: from
the root, follow the links that carry severity (``MS``, ``MSS``; ``MSI`` for
INVALID) to a node of the same severity, down to the deepest such node.
:meth:`PVTree.update` applies a live value and marks again; :meth:`PVTree.rows`
gives an immutable snapshot for a screen or the command line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import NamedTuple

from catui.browse import fetch as fetching
from catui.browse.fetch import ALARM, LONG, NOT_FOUND, QUICK_ROUND, VALUE, Reading, Request
from catui.browse.fields import TABLE, RecordTable
from catui.browse.links import (
    CONSTANT,
    EMPTY,
    HARDWARE,
    INVALID,
    JSON,
    PV,
    Link,
    long_name,
    may_be_truncated,
    parse_link,
)
from catui.browse.record import record_name

__all__ = [
    "DEFAULT_DEPTH",
    "INVALID_SEVERITY",
    "NOT_FOLLOWED",
    "PVTree",
    "TreeNode",
    "TreeRow",
    "expand_tree",
]

DEFAULT_DEPTH = 8
INVALID_SEVERITY = 3
#: Input links not followed: TSEL brings a time stamp, neither a value nor a severity
#: (and reading it for every node costs a twentieth of a tree of calc records).
NOT_FOLLOWED = frozenset({"TSEL"})


class TreeNode:
    """One node: the root PV, or what one input link of its parent points to.

    Attributes
    ----------
    kind : str
        The link's kind (:data:`catui.browse.links.PV`, ``constant``, ``hardware``,
        ``json``, ``invalid``); the root is a PV node.
    field : str
        The parent's link field that leads here (``INPA``); ``""`` for the root.
    link : Link or None
        That link, parsed (flags); None for the root.
    pv, record : str
        What is read for the value (``rec.FIELD``), and its record; ``""`` for a
        node that is not a PV (a constant, a hardware address, a JSON calc link).
    record_type : str
    value : str
        The value's text (a constant's text, a hardware address).
    status, severity : int or None
    error, detail : str
        Why the node could not be read (``not found``...), and the full message.
    note : str
        Something worth saying that is not a failure (``not a record: no .RTYP``).
    children : list of TreeNode
    cycle : bool
        Its record is one of its ancestors': shown, not expanded again.
    repeat : bool
        Its record is expanded elsewhere in the tree.
    capped : bool
        At the depth limit: its links were not read.
    partial : bool
        Its record type is unknown to the table: only the usual links were tried.
    origin : bool
        The root's severity originates here.
    pending : bool
        Reads for it are still to come.
    """

    __slots__ = (
        "capped", "children", "cycle", "depth", "detail", "error", "field", "kind", "link",
        "note", "order", "origin", "parent", "partial", "pending", "pv", "record",
        "record_type", "repeat", "severity", "status", "value",
    )  # fmt: skip

    def __init__(
        self,
        pv: str,
        *,
        kind: str = PV,
        field: str = "",
        link: Link | None = None,
        parent: TreeNode | None = None,
        order: int = 0,
    ) -> None:
        self.kind = kind
        self.pv = pv
        self.record = record_name(pv) if pv else ""
        self.field = field
        self.link = link
        self.parent = parent
        self.depth: int = 0 if parent is None else parent.depth + 1
        self.order = order
        self.record_type = ""
        self.value = ""
        self.status: int | None = None
        self.severity: int | None = None
        self.error = ""
        self.detail = ""
        self.note = ""
        self.children: list[TreeNode] = []
        self.cycle = self.repeat = self.capped = self.partial = self.origin = False
        self.pending = kind == PV

    def __repr__(self) -> str:
        what = self.pv or self.value or self.kind
        return f"<TreeNode {self.field or 'root'} -> {what!r} depth {self.depth}>"

    @property
    def flags(self) -> str:
        """The link's flags (``"PP MS"``), ``""`` for the root and non-PV links."""
        return self.link.flags if self.link is not None else ""

    def ancestors(self) -> Iterator[TreeNode]:
        """Parent, grandparent, ... up to the root."""
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def walk(self) -> Iterator[TreeNode]:
        """This node and everything under it, depth first, in link order."""
        yield self
        for child in self.children:
            yield from child.walk()


class TreeRow(NamedTuple):
    """One node as a screen or the command line shows it (an immutable snapshot).

    ``guides`` tells, for each level above the node, whether that ancestor was
    the last of its siblings (to draw ``│`` or space), and ``last`` whether
    this node is; the other attributes are :class:`TreeNode`'s.
    """

    depth: int
    field: str
    kind: str
    pv: str
    record_type: str
    value: str
    status: int | None
    severity: int | None
    flags: str
    error: str
    detail: str
    note: str
    cycle: bool
    repeat: bool
    capped: bool
    partial: bool
    origin: bool
    pending: bool
    last: bool
    guides: tuple[bool, ...]
    link_text: str


class PVTree:
    """The tree of one PV's input links.

    Attributes
    ----------
    root : TreeNode
    max_depth : int
    complete : bool
        Every read is done.
    """

    def __init__(self, pv: str, max_depth: int = DEFAULT_DEPTH) -> None:
        self.root = TreeNode(pv.strip())
        self.max_depth = max_depth
        self.complete = False
        # The node whose links are shown, per record.
        self.expanded: dict[str, TreeNode] = {}

    def __repr__(self) -> str:
        return f"<PVTree {self.root.pv!r}: {sum(1 for _ in self.nodes())} nodes>"

    def nodes(self) -> Iterator[TreeNode]:
        """Every node, depth first."""
        return self.root.walk()

    def pvs(self) -> list[str]:
        """The PV names of the nodes, once each (what a live view subscribes to)."""
        return list(dict.fromkeys(n.pv for n in self.nodes() if n.pv))

    def find(self, pv: str) -> list[TreeNode]:
        """The nodes showing ``pv``."""
        return [n for n in self.nodes() if n.pv == pv]

    def origin(self) -> TreeNode | None:
        """The node marked as where the root's severity originates."""
        return next((n for n in self.nodes() if n.origin), None)

    def update(
        self,
        pv: str,
        *,
        value: str | None = None,
        severity: int | None = None,
        status: int | None = None,
        error: str | None = None,
        detail: str = "",
    ) -> list[TreeNode]:
        """Apply a live update of ``pv``; returns the nodes that changed (origin marks too).

        ``error`` (``"disconnected"``…) says the PV could not be read now; ``""``
        that it was again (the error is cleared); None leaves it as it is.
        """
        changed = []
        for node in self.find(pv):
            before = (node.value, node.severity, node.status, node.error)
            if value is not None:
                node.value = value
            if severity is not None:
                node.severity = severity
            if status is not None:
                node.status = status
            if error is not None:
                node.error, node.detail = error, detail if error else ""
            if (node.value, node.severity, node.status, node.error) != before:
                changed.append(node)
        if changed:
            before_origin = self.origin()
            after = self.mark_origin()
            if after is not before_origin:
                changed += [
                    n for n in (before_origin, after) if n is not None and n not in changed
                ]
        return changed

    def mark_origin(self) -> TreeNode | None:
        """Mark (and return) the node the root's severity originates from; None if no alarm.

        From the root, follow the links that carry severity to the root's
        severity (MS and MSS; MSI only for INVALID) whose target has that
        severity, down to the deepest one; a repeat is followed where its
        record is expanded; the root itself when no such link leads anywhere.
        """
        for node in self.nodes():
            node.origin = False
        severity = self.root.severity
        if not severity or self.root.error:
            return None
        best: list[tuple[int, TreeNode]] = [(0, self.root)]
        seen = {self.root.record}

        def carries(child: TreeNode) -> bool:
            link = child.link
            if link is None or child.kind not in (PV, JSON) or not child.pv:
                return False
            if link.severity in ("MS", "MSS") or (
                link.severity == "MSI" and severity == INVALID_SEVERITY
            ):
                return child.severity == severity and not child.error
            return False

        def walk(node: TreeNode, depth: int) -> None:
            for child in node.children:
                if child.cycle or not carries(child):
                    continue
                if depth + 1 > best[0][0]:
                    best[0] = (depth + 1, child)
                target = self.expanded.get(child.record, child) if child.repeat else child
                if target.record not in seen:
                    seen.add(target.record)
                    walk(target, depth + 1)

        walk(self.root, 0)
        origin = best[0][1]
        origin.origin = True
        return origin

    def rows(self) -> list[TreeRow]:
        """The nodes as immutable rows, depth first, for display."""
        rows: list[TreeRow] = []

        def add(node: TreeNode, last: bool, guides: tuple[bool, ...]) -> None:
            link = node.link
            rows.append(TreeRow(
                node.depth, node.field, node.kind, node.pv, node.record_type, node.value,
                node.status, node.severity, node.flags, node.error, node.detail, node.note,
                node.cycle, node.repeat, node.capped, node.partial, node.origin, node.pending,
                last, guides, link.text if link is not None else "",
            ))  # fmt: skip
            below = (*guides, last) if node.parent is not None else guides
            for i, child in enumerate(node.children):
                add(child, i == len(node.children) - 1, below)

        add(self.root, True, ())
        return rows


class _Expansion:
    """The reads still to make, round after round, and what each is for."""

    def __init__(self, tree: PVTree, table: RecordTable, timeout: float) -> None:
        self.tree = tree
        self.table = table
        self.timeout = timeout
        self.values: dict[str, list[TreeNode]] = {}  # pv -> nodes waiting for its value
        self.types: dict[str, TreeNode] = {}  # rec.RTYP -> the node to expand once typed
        self.links: dict[str, tuple[TreeNode, str, int]] = {}  # rec.FIELD -> (node, field, order)
        self.longs: dict[str, tuple[TreeNode, str, int]] = {}  # rec.FIELD$ -> the same
        self.outstanding: dict[TreeNode, int] = {}
        self.parked: dict[Request, float] = {}  # not found yet -> when first searched
        self.first_search: dict[Request, float] = {}

    @property
    def busy(self) -> bool:
        return bool(self.values or self.types or self.links or self.longs)

    def _expect(self, node: TreeNode, count: int = 1) -> None:
        self.outstanding[node] = self.outstanding.get(node, 0) + count
        node.pending = True

    def _done(self, node: TreeNode) -> None:
        left = self.outstanding.get(node, 1) - 1
        if left > 0:
            self.outstanding[node] = left
        else:
            self.outstanding.pop(node, None)
            node.pending = False

    def requests(self) -> list[Request]:
        """Everything to read now (not the names parked for a later search)."""
        out = [Request(pv, ALARM) for pv in self.values]
        out += [Request(pv, VALUE) for pv in self.types]
        out += [Request(pv, VALUE) for pv in self.links]
        out += [Request(pv, LONG) for pv in self.longs]
        return [r for r in out if r not in self.parked]

    def start(self) -> None:
        root = self.tree.root
        self._place(root)
        self._want_value(root)

    def _want_value(self, node: TreeNode) -> None:
        self.values.setdefault(node.pv, []).append(node)
        self._expect(node)

    def _place(self, node: TreeNode) -> None:
        """Mark a PV node cycle, repeat or capped, or queue its expansion; insert it."""
        if node.parent is not None:
            _insert(node.parent, node)
        if any(a.record == node.record for a in node.ancestors()):
            node.cycle = True
        elif node.record in self.tree.expanded:
            node.repeat = True
        elif node.depth >= self.tree.max_depth:
            node.capped = True
        else:
            self.tree.expanded[node.record] = node
            self.types[f"{node.record}.RTYP"] = node
            self._expect(node)

    def add_node(self, parent: TreeNode, field: str, link: Link, order: int) -> None:
        """The child for ``link`` (nothing for an empty link), with its reads queued."""
        if link.kind == EMPTY:
            return
        if link.kind == PV or (link.kind == JSON and link.pv):
            child = TreeNode(link.pv, kind=link.kind, field=field, link=link, parent=parent,
                             order=order)  # fmt: skip
            self._place(child)
            self._want_value(child)
            return
        child = TreeNode("", kind=link.kind, field=field, link=link, parent=parent, order=order)
        child.value = link.text
        if link.kind == HARDWARE:
            child.note = f"hardware address, {link.bus}"
        elif link.kind == INVALID or link.error:
            child.error, child.detail = "invalid link", link.error
        elif link.kind == JSON:
            child.note = f"JSON {link.json_type or '?'} link"
        elif link.kind == CONSTANT:
            child.note = "constant"
        _insert(parent, child)
        for i, arg in enumerate(link.args):  # a JSON calc link's arguments, what debug wraps
            if child.depth >= self.tree.max_depth:
                child.capped = True
                break
            self.add_node(child, f"arg {i}" if link.json_type == "calc" else "", arg, i)

    def apply(self, request: Request, reading: Reading) -> None:
        """Take one final reading (found, or not found for good)."""
        pv = request.pv
        if request.mode == ALARM:
            for node in self.values.pop(pv, []):
                node.value, node.status, node.severity = (
                    reading.text,
                    reading.status,
                    reading.severity,
                )
                node.error, node.detail = reading.error, reading.detail
                if reading.error:
                    node.note = ""  # the failure says it: no need to add that .RTYP failed too
                self._done(node)
        elif request.mode == LONG:
            entry = self.longs.pop(pv, None)
            if entry is not None:
                node, field, order = entry
                if reading.ok:  # else the IOC has no $ form (before 3.14.11): nothing more
                    self.add_node(node, field, parse_link(reading.text), order)
                self._done(node)
        elif pv in self.links:
            node, field, order = self.links.pop(pv)
            self._link(node, field, order, pv, reading)
            self._done(node)
        elif pv in self.types:
            self._type(self.types.pop(pv), reading)

    def _type(self, node: TreeNode, reading: Reading) -> None:
        if reading.error:
            if not node.error:
                node.note = f"not an EPICS record (.RTYP: {reading.error})"
        else:
            node.record_type = reading.text
            node.partial = not self.table.knows(reading.text)
            fields = [f for f in self.table.input_links(reading.text) if f not in NOT_FOLLOWED]
            for order, name in enumerate(fields):
                self.links[f"{node.record}.{name}"] = (node, name, order)
            self._expect(node, len(fields))
        self._done(node)

    def _link(self, node: TreeNode, field: str, order: int, pv: str, reading: Reading) -> None:
        if not reading.error:
            if may_be_truncated(reading.text):
                self.longs[long_name(pv)] = (node, field, order)
                self._expect(node)
            else:
                self.add_node(node, field, parse_link(reading.text), order)
        elif reading.error != NOT_FOUND:
            # (a field the record does not have says nothing: a probe of an unknown type,
            # or a field of a newer Base than the IOC's, calc's INPM..INPU before 7.0)
            child = TreeNode("", kind=INVALID, field=field, parent=node, order=order)
            child.error, child.detail = reading.error, reading.detail
            _insert(node, child)


def _insert(parent: TreeNode, child: TreeNode) -> None:
    """Keep children in the order of the record's link fields."""
    siblings = parent.children
    i = len(siblings)
    while i > 0 and siblings[i - 1].order > child.order:
        i -= 1
    siblings.insert(i, child)


def expand_tree(
    pv: str,
    *,
    max_depth: int = DEFAULT_DEPTH,
    timeout: float = 2.0,
    table: RecordTable = TABLE,
    on_update: Callable[[PVTree], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    quick: float = QUICK_ROUND,
) -> PVTree:
    """Read the input-link tree of ``pv``.

    Parameters
    ----------
    pv : str
        The root: a record or one of its fields.
    max_depth : int
        Nodes this many links below the root are shown but not expanded.
    timeout : float
        Seconds a name is searched for before it is "not found"; also each read's.
    table : RecordTable
        Which record types' input links are known.
    on_update : callable, optional
        ``on_update(tree)`` after each round of reads (take :meth:`PVTree.rows`
        there for a snapshot another thread may read).
    cancelled : callable, optional
        Stop when it returns True.
    quick : float
        Seconds a round waits for names below the root (see the module docstring).

    Returns
    -------
    PVTree
        ``tree.root.error`` says why the root could not be read.
    """
    if max_depth < 0:
        raise ValueError(f"max_depth must be 0 or more, not {max_depth}")
    tree = PVTree(pv, max_depth)
    work = _Expansion(tree, table, timeout)
    work.start()
    round_timeout = timeout  # the root alone: it gets the whole timeout
    while not (cancelled is not None and cancelled()):
        requests = work.requests()
        if not requests:
            if not work.parked:
                break
            # Everything else is read: search the missing names for the rest of their time.
            requests = list(work.parked)
            newest = max(work.parked.values())
            round_timeout = max(0.05, timeout - (time.monotonic() - newest))
            work.parked.clear()
        started = time.monotonic()
        results = fetching.fetch_round(
            requests, timeout=round_timeout, read_timeout=timeout, cancelled=cancelled
        )
        ended = time.monotonic()
        for request in requests:
            reading = results.get(request)
            if reading is None:  # cancelled
                continue
            if reading.error == NOT_FOUND:
                first = work.first_search.setdefault(request, started)
                if ended - first < timeout * 0.999:
                    work.parked[request] = first
                    continue
            work.apply(request, reading)
        round_timeout = min(quick, timeout)
        tree.mark_origin()
        if on_update is not None:
            on_update(tree)
    tree.complete = not (work.busy or work.parked)
    tree.mark_origin()
    return tree
