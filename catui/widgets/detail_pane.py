"""Everything about the selected PV: type, server, rights, time, alarm, limits, trend.

A line-API widget: the selected PV changes up to ten times a second, and a rich
``Table`` plus Textual's ``Sparkline`` re-rendered on each change cost more than the
whole watchlist.  Here the pane is a list of lines of (text, style) pieces, made from
the state in :meth:`DetailPane.show`; only the lines whose words changed are drawn again.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from catui.formats import (
    DEFAULT,
    EPICS_EPOCH,
    Day,
    format_age,
    format_exact,
    format_item,
    format_number,
    format_stamp,
)
from catui.model import (
    CONNECTED,
    ControlInfo,
    PVState,
    array_stats,
    format_timestamp,
    format_value,
    printable,
    severity_text,
    status_text,
)
from catui.trend import BLOCKS
from catui.widgets.component_styles import ComponentStyles

__all__ = ["DetailPane", "detail_lines", "trend_rows"]

# A line: (text, style name) pieces; "" is the pane's own style.
Line = tuple[tuple[str, str], ...]

_LABEL = 9  # label column width
_TREND_ROWS = 4  # at most: a taller pane leaves room for more facts
_SEVERITY_CLASS = {1: "minor", 2: "major", 3: "invalid"}


def _pair(control: ControlInfo, kind: str) -> str:
    """A pair of limits as the value is shown (``-1e+300``, not 300 digits), with units."""
    pair = control.limits.get(kind)
    if pair is None:
        return "—"
    low, high = (format_number(v, control.precision) for v in pair)
    units = f" {control.units}" if control.units else ""
    return f"{low} … {high}{units}"


def _hidden_digits(state: PVState) -> str | None:
    """Every digit of a scalar float whose precision rounds it; None otherwise.

    ``1`` for 0.75 with PREC 0 gets ``0.75``; ``3`` for 3.0 gets nothing.
    """
    value = state.value
    if (
        state.display != DEFAULT
        or not isinstance(value, np.ndarray)
        or value.dtype.kind != "f"
        or len(value) != 1
        or (state.count or 1) > 1
    ):
        return None
    number = value[0].item()
    precision = state.control.precision if state.control else None
    try:
        shown = float(format_number(number, precision))
    except ValueError:  # nan, inf
        return None
    if state.type_name == "FLOAT" and np.float32(shown) == np.float32(number):
        return None  # 0.1 is the float32 0.1, however Python writes its double
    return None if shown == number else format_exact(number, state.type_name)


def _full_stamp(timestamp: float | None, tz: datetime.tzinfo | None) -> str:
    if timestamp is None:
        return "—"
    if timestamp == EPICS_EPOCH:
        return "never processed (EPICS epoch)"
    try:
        return format_timestamp(timestamp, full=True, tz=tz)
    except (OverflowError, OSError, ValueError):
        return f"t={timestamp!r}"


def _alarm_words(status: int, severity: int) -> str:
    return f"{severity_text(severity) or 'NO_ALARM'} {status_text(status)}".strip()


def detail_lines(
    state: PVState, width: int, tz: datetime.tzinfo | None = None, day: Day | None = None
) -> list[Line]:
    """The pane's lines for ``state`` (the trend not included), ``width`` cells wide.

    ``day`` is today (its alarm times without a date); None: every one is today's.
    """
    online = state.connection == CONNECTED
    kind = f"{state.type_name}[{state.count}]" if state.count is not None else "type ?"
    address = "{}:{}".format(*state.address) if state.address and online else "no server"
    title = f"  {kind} · {address} · {state.access_text} · {state.connection}"
    lines: list[Line] = [((state.name, "name"), (title, ""))]
    # The left values (a full timestamp: 30 cells with its zone) get a little more than
    # half on a narrow pane; the right ones (alarm, units, limits) are shorter.
    room = width - 2 * _LABEL - 2
    half = max(10, room // 2, min(32, room - 22))

    def row(label: str, value: str, label2: str = "", value2: str = "", style2: str = "") -> None:
        lines.append(
            (
                (_fit(label, _LABEL), "label"),
                (_fit(value, half) + "  ", ""),
                (_fit(label2, _LABEL), "label"),
                (value2, style2),
            )
        )

    control = state.control or ControlInfo()
    alarm, alarm_style = "—", ""
    if online and state.value is not None:
        severity = state.severity or 0
        alarm = _alarm_words(state.status or 0, severity)
        alarm_style = _SEVERITY_CLASS.get(severity, "")
    value = format_value(state, max_items=6, width=half, display=state.display)
    row("Value", value, "Alarm", alarm, alarm_style)
    exact = _hidden_digits(state)
    if exact is not None:  # PREC rounds it (1 for 0.75): every digit below
        lines.append(((_fit("Exactly", _LABEL), "label"), (exact, "")))
    stamp = _full_stamp(state.timestamp, tz)
    precision = "" if control.precision is None else f", precision {control.precision}"
    row("Time", stamp, "Units", (control.units or "—") + precision)
    if state.control is None:
        row("Limits", "reading control metadata…" if online else "—")
    elif control.enum_strings:
        choices = " | ".join(f"{i}:{s}" for i, s in enumerate(control.enum_strings))
        lines.append(((_fit("Choices", _LABEL), "label"), (choices, "")))
    elif control.limits:
        row("Display", _pair(control, "display"), "Control", _pair(control, "control"))
        row("Alarm at", _pair(control, "alarm"), "Warn at", _pair(control, "warning"))
    stats = array_stats(state.value) if state.is_array else None
    if stats is not None:
        low, high, mean = (format_item(v, control.precision) for v in stats)
        row("Min/max", f"{low} / {high}", "Mean", mean)
    stale = _stale_text(state) if online else None
    if stale is not None:
        lines.append(((_fit("Stale", _LABEL), "label"), (stale, "stale")))
    if state.alarm_changes:
        changes: list[tuple[str, str]] = [(_fit("Alarms", _LABEL), "label")]
        for index, (stamp_, status, severity) in enumerate(state.alarm_changes):
            if stamp_:
                today = day is None or stamp_ in day
                when = format_stamp(stamp_, day, 8 if today else 14, tz)
            else:
                when = "--:--:--"
            if index:
                changes.append((" → ", ""))
            changes.append((f"{when} ", ""))
            changes.append((_alarm_words(status, severity), _SEVERITY_CLASS.get(severity, "")))
        lines.append(tuple(changes))
    return lines


def _stale_text(state: PVState) -> str | None:
    """The stale line: how old the timestamp is, while a threshold is set."""
    if state.stale_after is None:
        return None
    threshold = f"threshold {format_age(state.stale_after)}"
    if state.never_processed:
        return f"never processed: no time to count from ({threshold})"
    if state.stale_for is None:
        return None
    return f"the timestamp is {format_age(state.stale_for)} old ({threshold})"


def trend_rows(values: list[float], width: int, height: int) -> list[str]:
    """``values`` as bars ``height`` rows high (top row first), stretched to ``width``."""
    if len(values) < 2 or width <= 0 or height <= 0:
        return []
    count = len(values)
    if count > width:  # several values a column: the largest of them
        columns = [max(values[(count * n) // width : (count * (n + 1)) // width] or [values[-1]])
                   for n in range(width)]  # fmt: skip
    else:
        columns = [values[(n * count) // width] for n in range(width)]
    low, high = min(columns), max(columns)
    extent = high - low
    steps = len(BLOCKS) * height - 1
    levels = [int((v - low) / extent * steps) if extent else steps // 2 for v in columns]
    rows = []
    top = len(BLOCKS)
    for i in reversed(range(height)):
        base = i * top
        cells = [
            " " if level < base else "█" if level >= base + top else BLOCKS[level - base]
            for level in levels
        ]
        rows.append("".join(cells))
    return rows


def _fit(text: str, width: int) -> str:
    text = printable(text)
    if cell_len(text) > width:
        return set_cell_size(text, max(0, width - 1)) + "…"
    return set_cell_size(text, width)


class DetailPane(ScrollView, can_focus=False):
    """Details of one PV; :meth:`show` it a state (or None)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "detail-pane--name",
        "detail-pane--label",
        "detail-pane--minor",
        "detail-pane--major",
        "detail-pane--invalid",
        "detail-pane--stale",
        "detail-pane--trend",
        "detail-pane--trend-label",
    }

    DEFAULT_CSS = """
    DetailPane { height: auto; overflow-x: hidden; }
    DetailPane > .detail-pane--name { text-style: bold; }
    DetailPane > .detail-pane--label { text-style: bold; }
    DetailPane > .detail-pane--minor { color: #ffd75f; text-style: bold; }
    DetailPane > .detail-pane--major { color: #ff4d4d; text-style: bold; }
    DetailPane > .detail-pane--invalid { color: #ff5fff; text-style: bold; }
    DetailPane > .detail-pane--stale { color: #5fd7ff; text-style: italic; }
    DetailPane > .detail-pane--trend { color: $primary; }
    DetailPane > .detail-pane--trend-label { color: $text-muted; }
    """

    def __init__(
        self,
        *,
        tz: datetime.tzinfo | None = None,
        clock: Callable[[], float] = time.time,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.tz = tz
        #: The wall clock: alarm times of another day are shown with their date.
        self.clock = clock
        self._state: PVState | None = None
        self._shown: tuple[object, ...] | None = None  # what show() last showed
        self._lines: list[Line] = [(("No PV selected", ""),)]
        self._trend: tuple[str, list[float]] = ("", [])
        self._strips: dict[int, tuple[Line, int, Strip]] = {}
        self._all_cache: tuple[Any, Any, int, int, list[Line]] | None = None
        self._style = ComponentStyles(self, "detail-pane--")

    # -- what the screen calls ----------------------------------------------
    def show(self, state: PVState | None) -> None:
        """Show ``state`` (None: nothing selected); a no-op when nothing changed."""
        # The same PV with nothing new since (no update, connection, control, alarm or
        # staleness change): the pane already shows it.
        shown = None if state is None else (
            state, state.updates, state.connection, state.control, state.address,
            state.info, state.stale_for is None,
            int(state.stale_for or 0), state.stale_after, state.display,
            tuple(state.alarm_changes),
        )  # fmt: skip
        last = self._shown
        if shown is not None and last is not None and shown[0] is last[0] and shown == last:
            return
        self._shown = shown
        self._state = state
        self._remake()

    def text(self) -> str:
        """The pane as plain text, a line each (what a reader of the screen sees)."""
        return "\n".join("".join(text for text, _ in line).rstrip() for line in self._all())

    # -- drawing --------------------------------------------------------------
    def _remake(self) -> None:
        state = self._state
        width = max(self.scrollable_content_region.width, 40)
        if state is None:
            lines: list[Line] = [(("No PV selected", ""),)]
            trend: tuple[str, list[float]] = ("", [])
        else:
            state.settle()
            lines = detail_lines(state, width, self.tz, Day(self.clock(), self.tz))
            if state.is_array and isinstance(state.value, np.ndarray) and state.value.size > 0:
                trend = (f"Trace ({len(state.value)} points)", [float(v) for v in state.value])
            elif len(state.history) > 1:
                trend = (f"Recent values ({len(state.history)})", list(state.history))
            else:
                trend = ("", [])
        before = len(self._all())
        self._lines, self._trend = lines, trend
        after = self._all()
        if len(after) != before:
            self.virtual_size = Size(width, len(after))
            self.refresh()
            return
        # Only the lines whose words changed.
        top = round(self.scroll_y)
        for y in range(self.size.height):
            cached = self._strips.get(y + top)
            index = y + top
            if index < len(after) and (cached is None or cached[0] != after[index]):
                self.refresh(Region(0, y, self.size.width, 1))

    def _all(self) -> list[Line]:
        """Facts, then the trend filling the pane's remaining height (two rows at least).

        Made once per change and size (each line drawn asks for it).
        """
        width = max(self.scrollable_content_region.width, 10)
        height = self.size.height
        cached = self._all_cache
        if (
            cached is not None
            and cached[0] is self._lines
            and cached[1] is self._trend
            and cached[2:4] == (width, height)
        ):
            return cached[4]
        label, values = self._trend
        if not label:
            lines = self._lines
        else:
            rows = min(_TREND_ROWS, max(2, self.size.height - len(self._lines) - 1))
            bars = trend_rows(values, width, rows)
            lines = [
                *self._lines,
                ((label, "trend-label"),),
                *(((bar, "trend"),) for bar in bars),
            ]
        self._all_cache = (self._lines, self._trend, width, height, lines)
        return lines

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = round(self.scroll_y) + y
        lines = self._all()
        if index >= len(lines):
            return Strip.blank(width, self.rich_style)
        line = lines[index]
        cached = self._strips.get(index)
        if cached is not None and cached[0] == line and cached[1] == width:
            return cached[2]
        base = self._style("")
        # A server's strings (values, enum choices) may hold escape sequences, and
        # segments reach the terminal as they are.
        segments = [
            Segment(printable(text), base + self._style(kind) if kind else base)
            for text, kind in line
        ]
        strip = Strip(segments).crop_extend(0, width, base)
        self._strips[index] = (line, width, strip)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style.clear()
        self._strips.clear()

    def on_resize(self, event: Any) -> None:
        self._strips.clear()
        self._remake()
        self.virtual_size = Size(max(self.scrollable_content_region.width, 40), len(self._all()))
        self.refresh()
