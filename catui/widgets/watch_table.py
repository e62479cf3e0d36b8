"""The watchlist: one row per PV (name, value, alarm, timestamp, connection)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from catui.model import (
    CONNECTED,
    PVState,
    format_timestamp,
    format_value,
    severity_text,
    status_text,
)

__all__ = ["WatchTable"]

_COLUMNS = (("pv", "PV"), ("value", "Value"), ("alarm", "Alarm"), ("time", "Time"),
            ("conn", "Connection"))  # fmt: skip
_SEVERITY_CLASS = {1: "minor", 2: "major", 3: "invalid"}


def _respell(old: Text, lines: Any, new: Text, padding: int, width: int) -> Any:
    """``lines`` (how ``old`` was drawn in its cell) with the words of ``new``.

    Only when ``new`` takes exactly the cells ``old`` did: one line, the same
    length, styles and options, printable ASCII (one cell a character) that fits
    uncropped.  None otherwise: the cell is rendered as usual.
    """
    before, after = old.plain, new.plain
    if (
        len(before) != len(after)
        or len(lines) != 1
        or len(before) > width - 2 * padding
        or not (before.isascii() and after.isascii())
        or not (before.isprintable() and after.isprintable())
        or old.style != new.style
        or old.spans != new.spans
        or (old.justify, old.overflow, old.no_wrap, old.end, old.tab_size)
        != (new.justify, new.overflow, new.no_wrap, new.end, new.tab_size)
    ):
        return None
    line = lines[0]
    drawn = "".join([segment.text for segment in line])
    if drawn[padding : padding + len(before)] != before:
        return None
    drawn = drawn[:padding] + after + drawn[padding + len(after) :]
    respelled = []
    offset = 0
    for segment in line:
        size = len(segment.text)
        respelled.append(Segment(drawn[offset : offset + size], segment.style, segment.control))
        offset += size
    return [respelled]


def column_widths(total: int) -> dict[str, int]:
    """Column widths for a table ``total`` cells wide (padding and scrollbar left out)."""
    time = 12 if total >= 100 else 8
    fixed = {"alarm": 12, "time": time, "conn": 12}
    room = total - sum(fixed.values()) - 2 * len(_COLUMNS) - 2
    name = max(12, min(40, room // 2))
    return {"pv": name, "value": max(10, room - name), **fixed}


class WatchTable(DataTable[Text]):
    """Rows keyed by PV name; cells styled by alarm severity and connection.

    The severity is also written out (``MINOR``…) so that it reads without color.
    """

    COMPONENT_CLASSES = {
        "watch-table--minor",
        "watch-table--major",
        "watch-table--invalid",
        "watch-table--offline",
    }

    DEFAULT_CSS = """
    WatchTable > .watch-table--minor { color: #ffd75f; text-style: bold; }
    WatchTable > .watch-table--major { color: #ff4d4d; text-style: bold; }
    WatchTable > .watch-table--invalid { color: #ff5fff; text-style: bold; }
    WatchTable > .watch-table--offline { color: $text-disabled; text-style: dim; }
    """

    def __init__(self, *, tz: datetime.tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id=id)
        self.tz = tz
        self._width_key = 0
        self._states: list[PVState] = []
        self._by_name: dict[str, PVState] = {}
        #: Names of the rows whose cells are older than their state (drawn lazily).
        self._stale: set[str] = set()
        self._measuring = False
        self._style_now: Style | None = None
        #: (row key, column key) -> (cell, how it was drawn, its lines); see _render_cell.
        self._cell_lines: dict[tuple[RowKey, ColumnKey], tuple[Text, tuple[Any, ...], Any]] = {}

    # -- what the screen calls ----------------------------------------------
    @property
    def selected_name(self) -> str | None:
        """The PV under the cursor, if any."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return None if row_key.value is None else str(row_key.value)

    def names_on_screen(self) -> set[str]:
        """The PVs of the rows in view, and the one under the cursor."""
        names: set[str] = set()
        top = round(self.scroll_y)
        get_key = self._row_locations.get_key
        for index in range(max(0, top), min(self.row_count, top + self.size.height)):
            key = get_key(index)
            if key is not None and key.value is not None:
                names.add(key.value)
        selected = self.selected_name
        if selected is not None:
            names.add(selected)
        return names

    def show(self, states: list[PVState]) -> None:
        """Show exactly ``states``, in order; the cursor stays on its PV if still shown."""
        selected = self.selected_name
        self._states = list(states)
        self._by_name = {state.name: state for state in states}
        names = [state.name for state in states]
        same_width = bool(self.columns) and self._width_key == self._target_width()
        if same_width and len(names) == self.row_count and all(n in self.rows for n in names):
            # The same rows in another order (a new sort): move them, don't rebuild them.
            order = {name: index for index, name in enumerate(names)}
            self.sort("pv", key=lambda cell: order[cell.plain])
        else:
            self.clear(columns=not same_width)
            if not self.columns:
                self._add_columns()
            blank = [Text() for _ in _COLUMNS[1:]]
            for name in names:
                # Cells are made when the row is first drawn (see render_lines); the
                # name is there from the start, for sort() above.
                self.add_row(Text(name), *blank, key=name)
        self._stale = set(names)
        self.refresh()
        if selected in self._by_name:
            self.move_cursor(row=names.index(selected), animate=False)

    def refresh_states(self, states: Iterable[PVState]) -> None:
        """Redraw the rows of ``states`` (those shown).

        Rows off screen are only marked: their cells are remade when they are drawn or
        asked for (:meth:`get_cell`, :meth:`get_row`), so a thousand updates a tick
        cost a thousand set insertions, not five thousand cells.
        """
        changed = {state.name for state in states}
        changed &= self._by_name.keys()
        if not changed:
            return
        self._stale |= changed
        top = round(self.scroll_y)
        for index in range(max(0, top), min(self.row_count, top + self.size.height)):
            key = self._row_locations.get_key(index)
            if key is not None and key.value in changed:
                self.refresh()
                break

    def get_cell(self, row_key: RowKey | str, column_key: ColumnKey | str) -> Text:
        self._flush_row(row_key)
        return super().get_cell(row_key, column_key)

    def get_row(self, row_key: RowKey | str) -> list[Text]:
        self._flush_row(row_key)
        return super().get_row(row_key)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._flush_visible()
        # DataTable asks for the widget's style once a line; it cannot change while
        # the lines are drawn, so work it out once.
        self._style_now = super().rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._style_now = None

    @property
    def rich_style(self) -> Style:
        style = getattr(self, "_style_now", None)  # (None during DataTable.__init__)
        return super().rich_style if style is None else style

    # -- internals ----------------------------------------------------------
    def _flush_visible(self) -> None:
        """Make the cells of the stale rows on screen, before they are drawn."""
        if not self._stale:
            return
        top = round(self.scroll_y)
        changed = False
        for index in range(max(0, top), min(self.row_count, top + self.size.height)):
            key = self._row_locations.get_key(index)
            if key is not None and key.value in self._stale:
                changed = self._set_cells(key) or changed
        if changed:
            self._bump()

    def _bump(self) -> None:
        """Invalidate DataTable's render caches (keyed on ``_update_count``).

        What they hold for the old count can never be used again: drop it now rather
        than leave thousands of lines to the garbage collector (see _render_cell for
        the cells that did not change).
        """
        self._update_count += 1
        for cache in (self._cell_render_cache, self._row_render_cache, self._line_cache,
                      self._row_renderable_cache):  # fmt: skip
            cache.clear()

    def _flush_row(self, row_key: RowKey | str) -> None:
        # No refresh: a stale row on screen has one pending since it went stale.
        name = row_key.value if isinstance(row_key, RowKey) else row_key
        if name in self._stale and not self._measuring and self._set_cells(RowKey(name)):
            self._bump()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # DataTable measures new rows through get_row; the columns have fixed widths,
        # so the blank cells of rows not yet drawn need not be made for that.
        self._measuring = True
        try:
            super()._update_dimensions(new_rows)
        finally:
            self._measuring = False

    def _set_cells(self, key: RowKey) -> bool:
        """Remake the cells of row ``key`` from its state; whether any of them changed."""
        name = key.value
        self._stale.discard(name)
        state = self._by_name.get(name)  # type: ignore[arg-type]
        row = self._data.get(key)
        if state is None or row is None:
            return False
        changed = False
        for (column, _), cell in zip(_COLUMNS, self._cells(state), strict=True):
            old = row.get(column)  # type: ignore[call-overload]
            if old is None or old.plain != cell.plain or old.spans != cell.spans:
                row[column] = cell  # type: ignore[index]
                changed = True
        return changed

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> Any:
        """DataTable's, but a cell that has not changed is not rendered again.

        DataTable keys its caches on a counter that any update bumps, so a value that
        changes ten times a second made every cell on screen render again each time;
        here a cell's lines are kept while the cell object and how it is drawn stay.
        """
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        assert row_key is not None and column_key is not None
        cell = self._data[row_key][column_key]
        how = (row_index, column_index, base_style, width, cursor, hover,
               self._show_hover_cursor, self._pseudo_class_state, self.show_cursor)  # fmt: skip
        cached = self._cell_lines.get((row_key, column_key))
        if cached is not None and cached[1] == how:
            if cached[0] is cell:
                return cached[2]
            # A new value of the same length and style (a counter, a time): the
            # lines of the old one with the new characters.
            lines = _respell(cached[0], cached[2], cell, self.cell_padding, width)
            if lines is not None:
                self._cell_lines[(row_key, column_key)] = (cell, how, lines)
                return lines
        lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        self._cell_lines[(row_key, column_key)] = (cell, how, lines)
        return lines

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._cell_lines.clear()

    def notify_style_update(self) -> None:  # a new theme, CSS, or pseudo-class
        super().notify_style_update()
        self._cell_lines.clear()

    def _target_width(self) -> int:
        return max(self.size.width, 60)

    def _add_columns(self) -> None:
        self._width_key = self._target_width()
        widths = column_widths(self._width_key)
        for key, label in _COLUMNS:
            self.add_column(label, width=widths[key], key=key)

    def on_resize(self, event: events.Resize) -> None:
        if self.columns and self._target_width() != self._width_key:
            self.show(self._states)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"watch-table--{name}", partial=True)

    def _cells(self, state: PVState) -> list[Text]:
        width = column_widths(self._width_key or 80)["value"]
        online = state.connection == CONNECTED
        severity = state.severity if online else None
        status = status_text(state.status) if severity else ""
        alarm = " ".join(filter(None, (severity_text(severity), status)))
        full = (self._width_key or 80) >= 100
        stamp = format_timestamp(state.timestamp, tz=self.tz)
        cells = [
            Text(state.name),
            Text(format_value(state, width=width)),
            Text(alarm),
            Text(stamp if full else stamp[:8]),
            Text(state.connection),
        ]
        if not online:
            for cell in cells:
                cell.stylize(self._style("offline"))
        elif severity in _SEVERITY_CLASS:
            style = self._style(_SEVERITY_CLASS[severity])
            cells[1].stylize(style)
            cells[2].stylize(style)
        return cells
