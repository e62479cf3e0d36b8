"""The PV tree: where a PV's value and alarm come from, its input links followed down.

Opened with ``T`` on a row. A worker expands the tree through the app's
:class:`~catui.browse.source.BrowseSource` (each level's reads in one batch) and
posts an immutable snapshot of its rows after every round; once expanded it reads
the nodes' values and alarms again every :data:`LIVE_SECONDS` while the screen is
open. Each node shows its link field and flags, its value, its severity in colour
*and* in words; the node the root's severity originates from, cycles, repeats,
the depth limit and unreachable targets are marked in words (short ones: ``◀ origin``
is where the severity originates, ``↻ cycle`` a record met again below itself,
``repeat`` one expanded elsewhere in the tree, ``partial type`` a record type the
field table does not know). Enter opens a node's
record view; ``+``/``-`` change the depth limit; Esc closes the tree.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static

from catui.browse.links import CONSTANT, HARDWARE, JSON
from catui.browse.text import safe, severity_name, status_name
from catui.browse.tree import DEFAULT_DEPTH, PVTree, TreeRow

if TYPE_CHECKING:
    from catui.app import CatuiApp

__all__ = ["LIVE_SECONDS", "PVTreeScreen", "alarm_text", "marks_text", "origin_line"]

#: Seconds before the first rows are drawn while the tree expands: a tree that expands
#: within it (200 nodes on a LAN) is drawn once, complete; drawing it half-way as well
#: takes the interpreter from the reads for a fifth of the time.
FIRST_DRAW_SECONDS = 0.6
#: Seconds between redraws while the tree expands, after the first.
EXPANDING_SECONDS = 0.25
#: Seconds between the live reads of the tree's nodes.
LIVE_SECONDS = 1.0
SEVERITY_STYLE = {1: "bold #ffd75f", 2: "bold #ff4d4d", 3: "bold #ff5fff"}
_UNICODE_GUIDES = ("├─ ", "└─ ", "│  ", "   ")


def alarm_text(row: TreeRow) -> Text:
    """``MAJOR HIHI`` in the severity's colour; ``NO_ALARM``; ``""`` when not read."""
    if row.severity is None or row.error:
        return Text("")
    if not row.severity:
        return Text(severity_name(0), style="dim")
    words = f"{severity_name(row.severity)} {status_name(row.status)}".rstrip()
    return Text(words, style=SEVERITY_STYLE.get(row.severity, "bold"))


def marks_text(row: TreeRow) -> str:
    """What is worth knowing of a node besides its value, in words."""
    marks = []
    if row.origin:
        marks.append("◀ origin")
    if row.cycle:
        marks.append("↻ cycle")
    if row.repeat:
        marks.append("repeat")
    if row.capped:
        marks.append("depth limit")
    if row.partial:
        marks.append("partial type")
    if row.pending:
        marks.append("…")
    if row.note and row.kind not in (HARDWARE, CONSTANT, JSON):
        marks.append(safe(row.note))
    return " · ".join(marks)


def _node_text(row: TreeRow) -> Text:
    tee, corner, bar, blank = _UNICODE_GUIDES
    prefix = ""
    if row.depth:
        prefix = "".join(blank if last else bar for last in row.guides)
        prefix += corner if row.last else tee
    text = Text(prefix, style="dim")
    if row.field:
        text.append(f"{row.field}: ", style="bold")
    if row.pv:
        text.append(safe(row.pv))
        if row.record_type:
            text.append(f" ({safe(row.record_type)})", style="dim")
    else:
        what = safe(row.value) if row.value else row.kind
        text.append(f"{what} ({row.note})" if row.note else what, style="italic")
    return text


def _value_text(row: TreeRow) -> Text:
    if row.error:
        why = f"<{row.error}>"
        return Text(why if row.pv or not row.detail else f"{why} {safe(row.detail)}", "italic")
    if not row.pv:
        return Text("")
    return Text(safe(row.value) if row.value else ("…" if row.pending else '""'))


def origin_line(rows: list[TreeRow]) -> str:
    """Where the root's severity comes from, in one line."""
    if not rows:
        return ""
    root = rows[0]
    if root.error:
        return f"{root.pv}: {root.error}" + (f" ({safe(root.detail)})" if root.detail else "")
    if not root.severity:
        return "no alarm on the root" if root.severity == 0 else "reading…"
    origin = next((r for r in rows if r.origin), None)
    severity = severity_name(root.severity)
    if origin is None or origin.depth == 0:
        return f"{severity} {status_name(root.status)}: raised by {root.pv} itself"
    return (
        f"{severity} {status_name(root.status)}: originates at {origin.pv} "
        f"({status_name(origin.status)}), {origin.depth} link(s) down"
    )


class PVTreeScreen(Screen[None]):
    """The input-link tree of one PV, live while it is open.

    Parameters
    ----------
    pv : str
    max_depth : int
        Nodes this many links below the root are not expanded.
    live_seconds : float
        Seconds between live reads (0: none; snapshots).
    """

    CSS_PATH = "../styles/browse.tcss"

    BINDINGS = [
        Binding("escape", "close", "Back", tooltip="Close the PV tree", id="tree-close"),
        Binding("plus", "depth(1)", "Deeper", tooltip="Expand one level deeper",
                id="tree-deeper", key_display="+"),
        Binding("minus", "depth(-1)", "Shallower", tooltip="Expand one level less",
                id="tree-shallower", key_display="-"),
        Binding("g", "reload", "Expand again", tooltip="Read the whole tree again",
                id="tree-reload"),
    ]  # fmt: skip

    class Expanded(Message):
        """A snapshot of the tree's rows (after a round of reads, or a live change)."""

        def __init__(self, generation: int, rows: list[TreeRow], complete: bool) -> None:
            super().__init__()
            self.generation = generation
            self.rows = rows
            self.complete = complete

    def __init__(
        self, pv: str, max_depth: int = DEFAULT_DEPTH, live_seconds: float = LIVE_SECONDS
    ) -> None:
        super().__init__()
        self.pv = pv
        self.max_depth = max_depth
        self.live_seconds = live_seconds
        self.rows: list[TreeRow] = []
        self.complete = False
        #: Live reads made since the tree was expanded (the title says it is live).
        self.live_rounds = 0
        self._generation = 0
        #: The newest snapshot not shown yet, and the timer that shows it.
        self._latest: list[TreeRow] | None = None
        self._show_timer: Timer | None = None
        #: The rows in the table, and their shape (which node on which row).
        self._shown: list[TreeRow] = []
        self._shape: list[tuple[int, str, str, bool]] = []

    @property
    def catui(self) -> CatuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="tree-title", markup=False)
        yield Static("", id="tree-summary", markup=False)
        table: DataTable[Any] = DataTable(id="tree-rows", cursor_type="row")
        for key, label in (("node", "Link / PV"), ("flags", "Flags"), ("value", "Value"),
                           ("alarm", "Alarm"), ("marks", "")):  # fmt: skip
            table.add_column(label, key=key)
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.start()

    @property
    def ready(self) -> bool:
        """The tree is expanded (live reads may follow)."""
        return self.complete and bool(self.rows) and self._latest is None

    def start(self) -> None:
        self._generation += 1
        self.rows, self.complete, self.live_rounds = [], False, 0
        self._latest = None
        self.show()
        self.read(self.pv, self.max_depth, self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="pv-tree")
    def read(self, pv: str, max_depth: int, generation: int) -> None:
        """Expand the tree, then read its nodes again and again while it is shown."""

        def cancelled() -> bool:
            return generation != self._generation or not self.is_attached

        def update(tree: PVTree) -> None:
            if not cancelled():
                self.post_message(self.Expanded(generation, tree.rows(), False))

        source = self.catui.browser
        tree = source.expand_tree(pv, max_depth, on_update=update, cancelled=cancelled)
        if cancelled():
            return
        self.post_message(self.Expanded(generation, tree.rows(), True))
        spent = 0.0
        while self.live_seconds > 0:
            # A slow round (many nodes, a busy machine) is not repeated at once: the
            # reads take at most a fifth of the time.
            until = time.monotonic() + max(self.live_seconds, 4 * spent)
            while time.monotonic() < until:
                if cancelled():
                    return
                time.sleep(0.05)
            started = time.monotonic()
            readings = source.read_alarms(tree.pvs(), cancelled=cancelled)
            spent = time.monotonic() - started
            if cancelled():
                return
            changed = False
            for name, reading in readings.items():
                if reading.ok:
                    value, severity, status = reading.text, reading.severity, reading.status
                    changed |= bool(tree.update(name, value=value, severity=severity,
                                                status=status, error=""))  # fmt: skip
                else:
                    changed |= bool(tree.update(name, error=reading.error,
                                                detail=reading.detail))  # fmt: skip
            self.post_message(self.Expanded(generation, tree.rows() if changed else [], True))

    def on_pvtree_screen_expanded(self, message: Expanded) -> None:
        if message.generation != self._generation:
            return
        if self.complete and message.complete:
            self.live_rounds += 1
        if message.rows:
            self._latest = message.rows
        if message.complete:
            # Complete (or a live change): shown now.
            self.complete = True
            self._show_latest()
        elif self._show_timer is None:
            # While it expands, a round every few milliseconds: drawing each would
            # slow the reads (one interpreter) more than it shows.
            delay = EXPANDING_SECONDS if self.rows else FIRST_DRAW_SECONDS
            self._show_timer = self.set_timer(delay, self._show_latest)

    def _show_latest(self) -> None:
        if self._show_timer is not None:
            self._show_timer.stop()
            self._show_timer = None
        if self._latest is not None:
            self.rows, self._latest = self._latest, None
            self.show()
        else:
            self.show_title()

    def show_title(self) -> None:
        state = "expanding…" if not self.complete else "complete"
        if self.complete and self.live_seconds > 0:
            state = f"live, read every {self.live_seconds:g} s"
        nodes = len(self.rows)
        self.query_one("#tree-title", Static).update(
            f"PV tree: {self.pv} · depth ≤ {self.max_depth} · {nodes} node"
            f"{'s' if nodes != 1 else ''} · {state}"
        )

    def _cells(self, row: TreeRow) -> tuple[Text, ...]:
        node = _node_text(row)
        if row.origin:
            node.stylize("reverse" if self.catui.monochrome else "bold")
        return (
            node,
            Text(row.flags, style="dim"),
            _value_text(row),
            alarm_text(row),
            Text(marks_text(row), style="bold" if row.origin else ""),
        )

    def show(self) -> None:
        self.show_title()
        self.query_one("#tree-summary", Static).update(origin_line(self.rows))
        table = self.query_one(DataTable)
        shape = [(r.depth, r.field, r.pv, r.last) for r in self.rows]
        if shape == self._shape and len(self._shown) == len(self.rows):
            # The same nodes (a live change): only the rows that changed are redrawn.
            keys = ("node", "flags", "value", "alarm", "marks")
            for index, (row, before) in enumerate(zip(self.rows, self._shown, strict=True)):
                if row != before:
                    for key, cell in zip(keys, self._cells(row), strict=True):
                        table.update_cell(str(index), key, cell)
            self._shown = list(self.rows)
            return
        cursor = table.cursor_row
        table.clear()
        for index, row in enumerate(self.rows):
            table.add_row(*self._cells(row), key=str(index))
        self._shape, self._shown = shape, list(self.rows)
        if self.rows:
            table.move_cursor(row=min(cursor, len(self.rows) - 1), animate=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        index = event.cursor_row
        if 0 <= index < len(self.rows) and self.rows[index].pv:
            from catui.screens.record import RecordScreen

            self.app.push_screen(RecordScreen(self.rows[index].pv))

    def action_depth(self, step: int) -> None:
        depth = max(0, self.max_depth + step)
        if depth != self.max_depth:
            self.max_depth = depth
            self.start()

    def action_reload(self) -> None:
        self.start()

    def action_close(self) -> None:
        self._generation += 1
        self.dismiss(None)
