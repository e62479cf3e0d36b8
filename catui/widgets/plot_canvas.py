"""A chart on screen: the lines of :mod:`catui.plot.render`, drawn with the line API.

The widget owns no data: it asks its ``draw`` function for a
:class:`~catui.plot.chart.Chart` of its size (and cursor) whenever it is resized or
told to :meth:`PlotCanvas.redraw`, and refreshes only the lines whose pieces changed
(a strip chart that scrolls changes most lines, a paused one none).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from catui.model import printable
from catui.plot.chart import Chart
from catui.plot.render import MAX_TRACES, Line
from catui.widgets.component_styles import ComponentStyles

__all__ = ["PlotCanvas"]

#: ``draw(width, height, cursor)``: the chart for a widget of that size.
DrawChart = Callable[[int, int, "int | None"], Chart]

_TRACE_COLOURS = ("#5fafff", "#ffaf00", "#5fd75f", "#ff87d7", "#af87ff", "#00d7d7",
                  "#d7d75f", "#e4e4e4")  # fmt: skip


def _trace_css() -> str:
    return "\n".join(
        f"PlotCanvas > .plot-canvas--trace-{k} {{ color: {colour}; }}"
        for k, colour in enumerate(_TRACE_COLOURS)
    )


class PlotCanvas(Widget, can_focus=True):
    """Draws the chart that ``draw`` makes; left/right move a read-out cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "cursor(-1)", "Cursor left", id="plot-cursor-left"),
        Binding("right", "cursor(1)", "Cursor right", id="plot-cursor-right"),
        Binding("shift+left", "cursor(-10)", "Cursor 10 left", show=False,
                id="plot-cursor-left-10"),
        Binding("shift+right", "cursor(10)", "Cursor 10 right", show=False,
                id="plot-cursor-right-10"),
        Binding("home", "cursor_to(0)", "Cursor to start", show=False, id="plot-cursor-first"),
        Binding("end", "cursor_to(-1)", "Cursor to end", show=False, id="plot-cursor-last"),
    ]  # fmt: skip

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "plot-canvas--axis",
        "plot-canvas--tick",
        "plot-canvas--title",
        "plot-canvas--legend",
        "plot-canvas--value",
        "plot-canvas--band-minor",
        "plot-canvas--band-major",
        "plot-canvas--limit",
        "plot-canvas--cursor",
        "plot-canvas--minor",
        "plot-canvas--major",
        "plot-canvas--invalid",
        "plot-canvas--offline",
        *(f"plot-canvas--trace-{k}" for k in range(MAX_TRACES)),
    }

    DEFAULT_CSS = """
    PlotCanvas { background: $surface; color: $foreground; }
    PlotCanvas > .plot-canvas--axis { color: $text-muted; }
    PlotCanvas > .plot-canvas--tick { color: $text-muted; }
    PlotCanvas > .plot-canvas--title { text-style: bold; }
    PlotCanvas > .plot-canvas--value { text-style: bold; }
    PlotCanvas > .plot-canvas--band-minor { background: #3a3000; }
    PlotCanvas > .plot-canvas--band-major { background: #400000; }
    PlotCanvas > .plot-canvas--limit { color: #d7af00; }
    PlotCanvas > .plot-canvas--cursor { text-style: reverse; }
    PlotCanvas > .plot-canvas--minor { color: #ffd75f; text-style: bold; }
    PlotCanvas > .plot-canvas--major { color: #ff4d4d; text-style: bold; }
    PlotCanvas > .plot-canvas--invalid { color: #ff5fff; text-style: bold; }
    PlotCanvas > .plot-canvas--offline { color: $text-disabled; text-style: dim; }
    """ + _trace_css()

    class CursorMoved(Message):
        """The read-out cursor moved to plot column ``column`` (None: hidden)."""

        def __init__(self, canvas: PlotCanvas, column: int | None) -> None:
            super().__init__()
            self.canvas = canvas
            self.column = column

        @property
        def control(self) -> PlotCanvas:
            return self.canvas

    def __init__(self, draw: DrawChart, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._draw = draw
        self.cursor: int | None = None
        self._chart: Chart | None = None
        self._lines: list[Line] = []
        self._strips: dict[int, tuple[Line, int, Strip]] = {}
        self._style = ComponentStyles(self, "plot-canvas--")
        self._combined: dict[str, Style] = {}
        self.redraws = 0

    # -- what the screen calls ----------------------------------------------
    @property
    def chart(self) -> Chart | None:
        """The chart last drawn."""
        return self._chart

    @property
    def lines(self) -> list[Line]:
        return self._lines

    def redraw(self) -> None:
        """Draw the chart again (new data, another window…); refresh the lines that changed."""
        width, height = self.size
        if width <= 0 or height <= 0:
            return
        chart = self._draw(width, height, self.cursor)
        self._chart = chart
        self.redraws += 1
        before = self._lines
        self._lines = chart.lines
        if len(before) != len(chart.lines):
            self.refresh()
            return
        for y, (old, new) in enumerate(zip(before, chart.lines, strict=True)):
            if old != new:
                self.refresh(Region(0, y, width, 1))

    def text(self) -> str:
        """The chart as plain text, a line each (what a reader of the screen sees)."""
        return "\n".join("".join(text for text, _ in line).rstrip() for line in self._lines)

    def set_cursor(self, column: int | None) -> None:
        """Show the cursor at plot column ``column`` (clamped), or hide it (None)."""
        if column is not None:
            plot_width = self._chart.layout.plot_width if self._chart else self.size.width
            column = max(0, min(column, max(0, plot_width - 1)))
        if column != self.cursor:
            self.cursor = column
            self.redraw()
            self.post_message(self.CursorMoved(self, column))

    # -- keys ----------------------------------------------------------------
    def action_cursor(self, step: int) -> None:
        if self.cursor is None:
            self.action_cursor_to(-1 if step < 0 else 0)
            return
        self.set_cursor(self.cursor + step)

    def action_cursor_to(self, column: int) -> None:
        plot_width = self._chart.layout.plot_width if self._chart else self.size.width
        self.set_cursor(column if column >= 0 else plot_width - 1)

    # -- drawing -------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        line = self._lines[y]
        cached = self._strips.get(y)
        if cached is not None and cached[1] == width and cached[0] == line:
            return cached[2]
        segments = [Segment(printable(text), self._style_for(names)) for text, names in line]
        strip = Strip(segments).crop_extend(0, width, self._style(""))
        self._strips[y] = (line, width, strip)
        return strip

    def _style_for(self, names: str) -> Style:
        style = self._combined.get(names)
        if style is None:
            style = self._style("")
            for name in names.split():
                style += self._style(name)
            self._combined[names] = style
        return style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style.clear()
        self._combined.clear()
        self._strips.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self.redraw()
        self.refresh()
