"""Everything about the selected PV: type, server, rights, time, alarm, limits, trend."""

from __future__ import annotations

import datetime

import numpy as np
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Sparkline, Static

from catui.model import (
    CONNECTED,
    ControlInfo,
    PVState,
    array_stats,
    format_number,
    format_timestamp,
    format_value,
    severity_text,
    status_text,
)

__all__ = ["DetailPane"]


def _access_text(access: object) -> str:
    if access is None:
        return "?"
    bits = int(access)  # type: ignore[call-overload]
    return {0: "none", 1: "read only", 2: "write only", 3: "read/write"}.get(bits, str(bits))


def detail_title(state: PVState) -> Text:
    """Name, then type, server, access and connection on the same line."""
    online = state.connection == CONNECTED
    kind = f"{state.type_name}[{state.count}]" if state.count is not None else "type ?"
    address = "{}:{}".format(*state.address) if state.address and online else "no server"
    title = Text(state.name, style="bold")
    title.append(f"  {kind} · {address} · {_access_text(state.access)} · {state.connection}")
    return title


def _pair(control: ControlInfo, kind: str) -> str:
    pair = control.limits.get(kind)
    if pair is None:
        return "—"
    low, high = (format_number(v, control.precision) for v in pair)
    return f"{low} … {high}"


def detail_table(state: PVState, tz: datetime.tzinfo | None = None) -> Table:
    """The facts of ``state``, two label/value pairs a row."""
    control = state.control or ControlInfo()
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    online = state.connection == CONNECTED
    if online and state.value is not None:
        severity = severity_text(state.severity) or "NO_ALARM"
        alarm = f"{severity} {status_text(state.status)}".strip()
    else:
        alarm = "—"
    grid.add_row("Value", Text(format_value(state, max_items=6, width=60)), "Alarm", alarm)
    stamp = format_timestamp(state.timestamp, full=True, tz=tz) or "—"
    precision = "" if control.precision is None else f", precision {control.precision}"
    grid.add_row("Time", stamp, "Units", (control.units or "—") + precision)
    if state.control is None:
        grid.add_row("Limits", "reading control metadata…" if online else "—", "", "")
    elif control.enum_strings:
        choices = " | ".join(f"{i}:{s}" for i, s in enumerate(control.enum_strings))
        grid.add_row("Choices", choices, "", "")
    elif control.limits:
        grid.add_row("Display", _pair(control, "display"), "Control", _pair(control, "control"))
        grid.add_row("Alarm at", _pair(control, "alarm"), "Warn at", _pair(control, "warning"))
    stats = array_stats(state.value) if state.is_array else None
    if stats is not None:
        low, high, mean = (format_number(v, control.precision) for v in stats)
        grid.add_row("Min/max", f"{low} / {high}", "Mean", mean)
    return grid


class DetailPane(VerticalScroll, can_focus=False):
    """Details of one PV; :meth:`show` it a state (or None)."""

    DEFAULT_CSS = """
    DetailPane { height: auto; }
    DetailPane > Sparkline { height: 2; }
    """

    def __init__(self, *, tz: datetime.tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tz = tz
        self._shapes: dict[str | None, object] = {}

    def compose(self) -> ComposeResult:
        yield Static("No PV selected", id="detail-title")
        yield Static("", id="detail-facts")
        yield Static("", id="detail-trend-label")
        yield Sparkline([], id="detail-trend")

    def show(self, state: PVState | None) -> None:
        title = self.query_one("#detail-title", Static)
        facts = self.query_one("#detail-facts", Static)
        label = self.query_one("#detail-trend-label", Static)
        trend = self.query_one("#detail-trend", Sparkline)
        if state is None:
            self._update(title, "No PV selected")
            self._update(facts, "", shape=0)
            self._update(label, "")
            trend.data = []
            return
        self._update(title, detail_title(state))
        grid = detail_table(state, self.tz)
        self._update(facts, grid, shape=grid.row_count)
        if state.is_array and isinstance(state.value, np.ndarray) and state.value.size > 0:
            self._update(label, f"Trace ({len(state.value)} points)", shape=1)
            trend.data = [float(v) for v in state.value]
        elif len(state.history) > 1:
            self._update(label, f"Recent values ({len(state.history)})", shape=1)
            trend.data = list(state.history)
        else:
            self._update(label, "")
            trend.data = []

    def _update(self, widget: Static, content: str | Text | Table, shape: object = None) -> None:
        """``widget.update(content)``, with a layout only when its height may change.

        ``shape`` stands for the height: one line a row of a table, one line a label;
        None means the content itself (a title that may wrap).  A new value of the
        selected PV ten times a second then repaints the pane without laying out the
        screen again.
        """
        key = (content.plain if isinstance(content, Text) else content) if shape is None else shape
        layout = self._shapes.get(widget.id) != key
        if not layout and isinstance(content, (str, Text)) and content == widget.content:
            return  # the same words: nothing to repaint
        self._shapes[widget.id] = key
        widget.update(content, layout=layout)
