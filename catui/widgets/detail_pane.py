"""Everything about the selected PV: type, server, rights, time, alarm, limits, trend."""

from __future__ import annotations

import datetime

import numpy as np
from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.app import RenderResult as TextualRenderResult
from textual.containers import VerticalScroll
from textual.renderables._blend_colors import blend_colors
from textual.renderables.sparkline import Sparkline as SparklineRenderable
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

#: Bar styles of the trend by (min color, max color, height ratio); see _TrendRenderable.
_BAR_STYLES: dict[tuple[Color, Color, float], Style] = {}


class _TrendRenderable(SparklineRenderable):  # type: ignore[type-arg]
    """Textual's sparkline, the same segments, at less cost ten times a second.

    Textual works out each bar's color (a blend, a Color, a Style) and each bucket
    (with Fractions) anew every frame; here the styles are remembered by height
    ratio (a sliding window repeats them) and the buckets are found with integers.
    """

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        data = list(self.data)
        if len(data) < 2:
            yield from super().__rich_console__(console, options)
            return
        width = self.width or options.max_width
        height = self.height or 1
        bar_line_segments = len(self.BARS)
        bar_segments = bar_line_segments * height - 1
        minimum, maximum = min(data), max(data)
        extent = maximum - minimum or 1
        summary_function = self.summary_function
        min_color, max_color = self.min_color.color, self.max_color.color
        assert min_color is not None and max_color is not None
        count = len(data)
        # int(Fraction(count, width) * n) is (count * n) // width.
        buckets = [
            part
            for part in (
                data[(count * n) // width : (count * (n + 1)) // width] for n in range(width)
            )
            if part
        ]
        ratios = [(summary_function(part) - minimum) / extent for part in buckets]
        if len(_BAR_STYLES) > 4096:
            _BAR_STYLES.clear()
        step = len(buckets) / width
        for i in reversed(range(height)):
            low = i * bar_line_segments
            high = (i + 1) * bar_line_segments
            bucket_index = 0.0
            for _ in range(width):
                height_ratio = ratios[int(bucket_index)]
                bar_index = int(height_ratio * bar_segments)
                bucket_index += step
                if bar_index < low:
                    yield Segment(" ", None)
                    continue
                bar = "█" if bar_index >= high else self.BARS[bar_index % bar_line_segments]
                key = (min_color, max_color, height_ratio)
                style = _BAR_STYLES.get(key)
                if style is None:
                    style = Style.from_color(blend_colors(min_color, max_color, height_ratio))
                    _BAR_STYLES[key] = style
                yield Segment(bar, style)
            if i > 0:
                yield Segment.line()


class _Trend(Sparkline):
    """The sparkline of the pane, drawn by :class:`_TrendRenderable`."""

    def render(self) -> TextualRenderResult:
        line = super().render()
        assert isinstance(line, SparklineRenderable)
        trend = _TrendRenderable(line.data, width=line.width, height=line.height,
                                 summary_function=line.summary_function)  # fmt: skip
        trend.min_color, trend.max_color = line.min_color, line.max_color
        return trend


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
        self._shown: tuple[object, ...] | None = None  # what show() last showed

    def compose(self) -> ComposeResult:
        yield Static("No PV selected", id="detail-title")
        yield Static("", id="detail-facts")
        yield Static("", id="detail-trend-label")
        yield _Trend([], id="detail-trend")

    def show(self, state: PVState | None) -> None:
        title = self.query_one("#detail-title", Static)
        facts = self.query_one("#detail-facts", Static)
        label = self.query_one("#detail-trend-label", Static)
        trend = self.query_one("#detail-trend", Sparkline)
        # The same PV with nothing new since (no update, connection or control
        # change): the pane already shows it.
        shown = None if state is None else (
            state, state.updates, state.connection, state.control, state.address,
            state.access, state.native_type, state.count,
        )  # fmt: skip
        last = self._shown
        if shown is not None and last is not None and shown[0] is last[0] and shown == last:
            return
        self._shown = shown
        if state is None:
            self._update(title, "No PV selected")
            self._update(facts, "", shape=0)
            self._update(label, "")
            trend.data = []
            return
        state.settle()
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
