"""The watchlist: one row per PV (name, value, alarm, timestamp, connection)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widgets import DataTable

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

    # -- what the screen calls ----------------------------------------------
    @property
    def selected_name(self) -> str | None:
        """The PV under the cursor, if any."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return None if row_key.value is None else str(row_key.value)

    def show(self, states: list[PVState]) -> None:
        """Show exactly ``states``, in order; the cursor stays on its PV if still shown."""
        selected = self.selected_name
        self._states = list(states)
        self.clear(columns=not self.columns or self._width_key != self._target_width())
        if not self.columns:
            self._add_columns()
        for state in states:
            self.add_row(*self._cells(state), key=state.name)
        names = [state.name for state in states]
        if selected in names:
            self.move_cursor(row=names.index(selected), animate=False)

    def refresh_states(self, states: Iterable[PVState]) -> None:
        """Redraw the rows of ``states`` (those shown)."""
        for state in states:
            if state.name not in self.rows:
                continue
            for (key, _), cell in zip(_COLUMNS, self._cells(state), strict=True):
                self.update_cell(state.name, key, cell)

    # -- internals ----------------------------------------------------------
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
