"""A saved snapshot beside the live table: what drifted, what is missing, as values change.

Each PV of the snapshot gets a row: saved value, live value, the difference and the
tolerance it is held to (the snapshot's own, per row, when it has a ``tolerance``
column; otherwise the one set at the top of the screen).  A mark says ``DRIFT`` when
``|live - saved|`` is beyond the tolerance (or a text value or the severity changed),
``MISSING`` when the PV is not in the watchlist, ``OFFLINE`` when it is not connected.
The rows are compared again a few times a second, from what the watch screen holds.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, Static

from catui.data.snapshot import (
    CSV_COLUMNS,
    Drift,
    SnapshotError,
    SnapshotRow,
    compare,
    parse_number,
)
from catui.data.snapshot_file import SavedSnapshot, load_snapshot
from catui.live_snapshot import snapshot_row
from catui.model import CONNECTED, PVState

__all__ = ["CompareScreen", "RowVerdict", "judge"]

#: Seconds between two comparisons.
REFRESH = 0.5
_COLUMNS = (
    ("mark", "Mark"),
    ("name", "PV"),
    ("saved", "Saved"),
    ("live", "Live"),
    ("difference", "Δ"),
    ("tolerance", "Tolerance"),
    ("note", "Note"),
)

# A saved value comes from a file anyone may have edited, a live one from a string
# PV: escape sequences in them must not reach the terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _escaped(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclasses.dataclass(frozen=True)
class RowVerdict:
    """How one saved PV compares with the live table: the cells of its row.

    ``mark`` is ``ok``, ``DRIFT``, ``MISSING`` (not in the watchlist) or ``OFFLINE``.
    """

    name: str
    mark: str
    saved: str
    live: str = ""
    difference: str = ""
    tolerance: str = ""
    note: str = ""

    def cells(self) -> tuple[str, ...]:
        """The cells in the order of the table's columns."""
        return tuple(getattr(self, key) for key, _ in _COLUMNS)


def _with_units(row: SnapshotRow) -> str:
    return f"{row.value} {row.units}" if row.units and row.value else row.value


def judge(
    saved: list[SnapshotRow],
    live: Mapping[str, PVState],
    tolerances: Mapping[str, float],
    default_tolerance: float,
    tz: datetime.tzinfo | None = None,
    columns: Collection[str] = CSV_COLUMNS,
) -> list[RowVerdict]:
    """A verdict per saved row, in the snapshot's order (a name saved twice counts once).

    Parameters
    ----------
    saved : list of SnapshotRow
    live : mapping of str to PVState
        The watchlist's states.
    tolerances : mapping of str to float
        Per-row tolerances from the snapshot.
    default_tolerance : float
        For the rows without one.
    """
    live_rows = [
        snapshot_row(live[row.name], tz)
        for row in saved
        if row.name in live and live[row.name].connection == CONNECTED
    ]
    # A column the snapshot does not have is not compared (a hand-made list of names
    # and values has no severity: that is not a drift to MINOR).
    skipped = set()
    if "severity" not in columns:
        skipped.add("severity")
    if "value" not in columns and "number" not in columns:
        skipped.add("changed")
    drifts: dict[str, list[Drift]] = {}
    for drift in compare(saved, live_rows, tolerances, default_tolerance=default_tolerance):
        if drift.kind not in skipped:
            drifts.setdefault(drift.name, []).append(drift)
    by_name = {row.name: row for row in live_rows}
    verdicts: list[RowVerdict] = []
    seen: set[str] = set()
    for row in saved:
        if row.name in seen:
            continue
        seen.add(row.name)
        limit = tolerances.get(row.name, default_tolerance)
        tolerance = f"{limit:g}" + ("" if row.name in tolerances else " (all)")
        state = live.get(row.name)
        if state is None:
            verdicts.append(
                RowVerdict(row.name, "MISSING", _with_units(row), note="not in the watchlist")
            )
            continue
        if state.connection != CONNECTED:
            verdicts.append(
                RowVerdict(row.name, "OFFLINE", _with_units(row), tolerance=tolerance,
                           note=state.connection)
            )  # fmt: skip
            continue
        now = by_name[row.name]
        found = drifts.get(row.name, [])
        difference = ""
        if row.number is not None and now.number is not None:
            delta = now.number - row.number
            if not math.isnan(delta):
                difference = f"{delta:+.6g}"
        notes = [
            f"severity {d.saved.severity or 'none'} → {d.live.severity or 'none'}"
            for d in found
            if d.kind == "severity" and d.saved is not None and d.live is not None
        ]
        if any(d.kind == "changed" and d.difference is None for d in found):
            notes.insert(0, "value differs")
        verdicts.append(
            RowVerdict(
                row.name,
                "DRIFT" if found else "ok",
                _with_units(row),
                _with_units(now),
                difference,
                tolerance,
                "; ".join(notes),
            )
        )
    return verdicts


class CompareScreen(Screen[None]):
    """A saved snapshot (the file ``source``) against the live states.

    Parameters
    ----------
    source : Path
        The snapshot file, read in a worker when the screen opens.
    live : callable
        Returns the watchlist's states (name → PVState), called at each refresh.
    saved : SavedSnapshot, optional
        The snapshot, already read (``source`` is then only shown).
    add_missing : callable, optional
        Adds PV names to the watchlist (key ``a``: watch the missing ones).
    default_tolerance : float
        Of the rows without their own.
    tz : tzinfo, optional
    """

    BINDINGS = [
        Binding("escape,q", "close", "Close", tooltip="Back to the watchlist", id="compare-close"),
        Binding("t", "tolerance", "Tolerance", tooltip="Set the tolerance of rows without one",
                id="compare-tolerance"),
        Binding("a", "add_missing", "Add missing", tooltip="Watch the PVs not in the watchlist",
                id="compare-add-missing"),
    ]  # fmt: skip

    CSS_PATH = "../styles/compare.tcss"

    COMPONENT_CLASSES = {"compare--drift", "compare--missing", "compare--ok"}

    class Loaded(Message):
        """The snapshot file was read (or ``error`` says why not)."""

        def __init__(self, snapshot: SavedSnapshot | None, error: str = "") -> None:
            super().__init__()
            self.snapshot = snapshot
            self.error = error

    def __init__(
        self,
        source: Path,
        live: Callable[[], Mapping[str, PVState]],
        *,
        saved: SavedSnapshot | None = None,
        add_missing: Callable[[list[str]], None] | None = None,
        default_tolerance: float = 0.0,
        tz: datetime.tzinfo | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        #: The snapshot's rows and tolerances; empty until read.
        self.saved: list[SnapshotRow] = saved.rows if saved else []
        self.tolerances: dict[str, float] = dict(saved.tolerances) if saved else {}
        self.columns: frozenset[str] = saved.columns if saved else frozenset(CSV_COLUMNS)
        self.loaded = saved is not None
        self.live = live
        self.add_missing = add_missing
        self.default_tolerance = default_tolerance
        self.tz = tz
        #: The verdicts shown, in the snapshot's order.
        self.verdicts: list[RowVerdict] = []
        self._shown: dict[str, tuple[str, ...]] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Compare with snapshot: {self.source}"), id="compare-title")
        with Horizontal(id="compare-bar"):
            yield Label("Tolerance of rows without one:")
            yield Input(
                f"{self.default_tolerance:g}",
                id="compare-tolerance-input",
                placeholder="e.g. 0.1",
            )
        yield Static("", id="compare-summary")
        yield Static("", id="compare-error", classes="dialog-error", markup=False)
        table: DataTable[Text] = DataTable(id="compare-table", cursor_type="row")
        for key, label in _COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#compare-tolerance-input", Input).cursor_blink = getattr(
            self.app, "cursor_blink", True
        )
        self.query_one(DataTable).focus()
        if self.loaded:
            self.refresh_rows()
        else:
            self.query_one("#compare-summary", Static).update("Reading the snapshot…")
            self.load()
        self.set_interval(REFRESH, self.refresh_rows, name="compare")

    @work(thread=True, exclusive=True, exit_on_error=False, group="snapshot")
    def load(self) -> None:
        """Read the snapshot file (never in the UI thread: it may sit on a slow disk)."""
        try:
            snapshot = load_snapshot(self.source)
        except OSError as exc:
            self.post_message(
                self.Loaded(None, f"Cannot read {self.source}: {exc.strerror or exc}")
            )
        except SnapshotError as exc:
            self.post_message(self.Loaded(None, f"Not a snapshot: {self.source}: {exc}"))
        else:
            self.post_message(self.Loaded(snapshot))

    def on_compare_screen_loaded(self, message: Loaded) -> None:
        if message.snapshot is None:
            error = _escaped(message.error)  # a header cell of the file may be in it
            self.query_one("#compare-error", Static).update(error)
            self.query_one("#compare-summary", Static).update("")
            self.notify(error, severity="error", timeout=8, markup=False)
            return
        self.saved = message.snapshot.rows
        self.tolerances = dict(message.snapshot.tolerances)
        self.columns = message.snapshot.columns
        self.loaded = True
        self.refresh_rows()

    def refresh_rows(self) -> None:
        """Compare again; redraw the cells that changed."""
        if not self.loaded:
            return
        self.verdicts = judge(
            self.saved, self.live(), self.tolerances, self.default_tolerance, self.tz,
            self.columns,
        )  # fmt: skip
        table = self.query_one(DataTable)
        keys = [verdict.name for verdict in self.verdicts]
        if list(self._shown) != keys:
            table.clear()
            self._shown = {}
            for verdict in self.verdicts:
                cells = verdict.cells()
                table.add_row(*self._styled(cells), key=verdict.name)
                self._shown[verdict.name] = cells
        else:
            for verdict in self.verdicts:
                cells = verdict.cells()
                before = self._shown[verdict.name]
                if cells == before:
                    continue
                styled = self._styled(cells)
                for (key, _), old, new, text in zip(_COLUMNS, before, cells, styled, strict=True):
                    if old != new or key == "mark":
                        # update_width: a column grows with its content (a Δ of +256
                        # where +0.5 was is not cut to "+25").
                        table.update_cell(verdict.name, key, text, update_width=True)
                self._shown[verdict.name] = cells
        counts = {mark: 0 for mark in ("DRIFT", "MISSING", "OFFLINE")}
        for verdict in self.verdicts:
            if verdict.mark in counts:
                counts[verdict.mark] += 1
        summary = f"{len(self.verdicts)} PVs: {counts['DRIFT']} drifted"
        if counts["MISSING"]:
            summary += f", {counts['MISSING']} missing (a: watch them)"
        if counts["OFFLINE"]:
            summary += f", {counts['OFFLINE']} offline"
        self.query_one("#compare-summary", Static).update(summary)

    def _styled(self, cells: tuple[str, ...]) -> list[Text]:
        texts = [Text(_escaped(cell)) for cell in cells]
        style = {"DRIFT": "drift", "MISSING": "missing", "OFFLINE": "missing", "ok": "ok"}.get(
            cells[0]
        )
        if style:
            texts[0].stylize(self.get_component_rich_style(f"compare--{style}", partial=True))
        return texts

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.set_tolerance(event.value):
            self.query_one(DataTable).focus()

    def set_tolerance(self, text: str) -> bool:
        """Use ``text`` as the tolerance of rows without their own; False if it is not one."""
        error = self.query_one("#compare-error", Static)
        value = parse_number(text)
        if value is None or math.isnan(value) or value < 0:
            error.update(f"Not a tolerance: {text.strip()!r} (a number ≥ 0)")
            return False
        error.update("")
        self.default_tolerance = value
        self.refresh_rows()
        return True

    def action_tolerance(self) -> None:
        self.query_one("#compare-tolerance-input", Input).focus()

    def action_add_missing(self) -> None:
        missing = [v.name for v in self.verdicts if v.mark == "MISSING"]
        if not missing or self.add_missing is None:
            self.notify("No missing PVs to add", timeout=2)
            return
        self.add_missing(missing)
        self.notify(f"Watching {len(missing)} more PVs", timeout=3)
        self.refresh_rows()

    def action_close(self) -> None:
        self.dismiss(None)
