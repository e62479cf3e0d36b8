"""A strip chart from PV histories: axes per unit, ranges, alarm bands, legend read-outs.

The glue between :mod:`catui.plot.history` and :mod:`catui.plot.render` that the
console's chart screen and ``catui monitor --plot`` share: give it the PVs (a
:class:`TraceSource` each) and a time window, get back the lines to draw.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from catui.plot.decimate import Columns
from catui.plot.history import DISCONNECTED, History
from catui.plot.render import (
    BRAILLE,
    MAX_TRACES,
    Band,
    Layout,
    Limit,
    Line,
    TimeAxis,
    Trace,
    ValueAxis,
    _legend,
    alarm_overlay,
    auto_range,
    chart_layout,
    cursor_position,
    render_chart,
)

__all__ = [
    "Chart",
    "LiveStripChart",
    "TraceSource",
    "follow_window",
    "format_reading",
    "strip_chart",
]

#: How the value axes are ranged: from the data, from the PVs' LOPR/HOPR, or given.
YRange = str | tuple[float, float]


class Chart(NamedTuple):
    """Lines to draw and the layout they were drawn for (the plot's width bounds a cursor)."""

    lines: list[Line]
    layout: Layout


@dataclass(frozen=True)
class TraceSource:
    """A PV on a chart: its history and what its metadata says (``ControlInfo``'s fields).

    ``display`` is LOPR/HOPR, ``alarm`` (LOLO, HIHI), ``warning`` (LOW, HIGH).
    """

    name: str
    history: History
    units: str = ""
    precision: int | None = None
    display: tuple[float, float] | None = None
    alarm: tuple[float, float] | None = None
    warning: tuple[float, float] | None = None


def follow_window(now: float, span: float, columns: int) -> tuple[float, float]:
    """The window ``(t0, t1)`` of a chart following ``now``, on a fixed column grid.

    ``t1`` is ``now`` rounded up to a whole pixel column (``span / columns`` seconds), so
    that between two steps of the grid a redraw changes only the newest column and the
    legend: the other lines are the same and are not drawn again.  A 10-minute window
    on 224 columns steps every 2.7 s instead of scrolling at every redraw.
    """
    if span <= 0 or columns <= 0:
        raise ValueError(f"a window needs a positive span and columns: {span!r}, {columns!r}")
    step = span / columns
    t1 = math.ceil(now / step) * step
    return t1 - span, t1


def format_reading(value: float, precision: int | None) -> str:
    """A value for the legend: the PV's precision, else ``%.6g``; ``—`` in a gap."""
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return str(value)
    if precision is not None and 0 <= precision <= 17:
        return f"{value:.{precision}f}"
    return f"{value:.6g}"


def _axis_range(
    y_range: YRange, sources: Sequence[TraceSource], columns: Sequence[object], first: bool
) -> tuple[float, float]:
    if isinstance(y_range, tuple) and first:
        low, high = float(y_range[0]), float(y_range[1])
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"the value axis needs low < high, not {low!r} … {high!r}")
        return low, high
    if y_range == "display":
        pairs = [s.display for s in sources if s.display is not None]
        if pairs:
            low, high = min(p[0] for p in pairs), max(p[1] for p in pairs)
            if high > low:
                return low, high
    elif not isinstance(y_range, tuple) and y_range != "auto":
        raise ValueError(f"unknown value range {y_range!r}: auto, display or (low, high)")
    return auto_range(columns)  # type: ignore[arg-type]


def strip_chart(
    width: int,
    height: int,
    sources: Sequence[TraceSource],
    t0: float,
    t1: float,
    *,
    cursor: int | None = None,
    y_range: YRange = "auto",
    tz: datetime.tzinfo | None = None,
    title: str = "",
    mode: str = BRAILLE,
) -> Chart:
    """The strip chart of ``sources`` over ``[t0, t1)``, ``width × height`` cells.

    Parameters
    ----------
    sources : sequence of TraceSource
        At most eight PVs, in legend order.  The first two distinct units get an axis
        each (left, right); PVs of any further unit share the left one.
    cursor : int, optional
        A plot column: the legend then reads every trace's value at its time (the
        value held then, exact where the raw history reaches) instead of the newest.
    y_range : "auto", "display" or (low, high)
        The value axes' range: from the data drawn, from the PVs' display limits
        (falling back to the data), or given (for the left axis; the right one is auto).
    title : str
        The header's text.
    """
    if len(sources) > MAX_TRACES:
        raise ValueError(f"a chart shows at most {MAX_TRACES} PVs, not {len(sources)}")
    units: list[str] = []
    for source in sources:
        if source.units not in units:
            units.append(source.units)
    on_axis = [1 if len(units) > 1 and s.units == units[1] else 0 for s in sources]
    axes_count = 2 if len(units) > 1 else 1
    layout = chart_layout(width, height, len(sources), axes_count, mode)
    columns = [s.history.window(t0, t1, max(1, layout.columns)) for s in sources]
    axes = []
    for axis in range(axes_count):
        mine = [s for s, a in zip(sources, on_axis, strict=True) if a == axis]
        drawn = [c for c, a in zip(columns, on_axis, strict=True) if a == axis]
        low, high = _axis_range(y_range, mine, drawn, first=axis == 0)
        label = units[axis] if axis < len(units) else ""
        if axis == 0 and len(units) > 2:
            label = "mixed"
        axes.append(ValueAxis(low, high, label))
    x_axis = TimeAxis(t0, t1, tz)
    at = None
    if cursor is not None and layout.plot_width:
        cursor = max(0, min(cursor, layout.plot_width - 1))
        at = cursor_position(layout, x_axis, cursor)
    traces = []
    for source, column, axis in zip(sources, columns, on_axis, strict=True):
        sample = source.history.latest if at is None else source.history.value_at(at)
        if sample is None:
            reading, severity, connected = "", None, True
        else:
            reading = format_reading(sample.value, source.precision)
            connected = sample.severity != DISCONNECTED
            severity = sample.severity if connected else None
        traces.append(Trace(column, source.name, reading, source.units, severity, axis, connected))
    bands: list[Band] = []
    limits: list[Limit] = []
    if len(sources) == 1:
        bands, limits = alarm_overlay(sources[0].alarm, sources[0].warning)
    lines = render_chart(
        layout, traces, axes, x_axis, bands=bands, limits=limits, cursor=cursor, title=title
    )
    return Chart(lines, layout)


def _reading(source: TraceSource, at: float | None) -> tuple[str, int | None, bool]:
    sample = source.history.latest if at is None else source.history.value_at(at)
    if sample is None:
        return "", None, True
    connected = sample.severity != DISCONNECTED
    return (format_reading(sample.value, source.precision),
            sample.severity if connected else None, connected)  # fmt: skip


class LiveStripChart:
    """A following strip chart on a fixed column grid: the plot is drawn again only when
    a new pixel column begins; in between, only the legend (the newest values).

    At 10 redraws a second, a 10-minute window on 224 pixel columns begins a column
    every 2.7 s: the plot is drawn once in 27 redraws, the legend (a few string
    joins) at each.  The newest column shows what it held when it began and fills in at
    the next one; anything else that changes the picture (size, window, cursor, value
    axis, title, the PVs) draws it at once.
    """

    def __init__(self) -> None:
        self._key: tuple[object, ...] | None = None
        self._chart: Chart | None = None
        self._traces: list[Trace] = []
        self.plots = 0  # how many times the plot was drawn (for tests and benchmarks)

    def draw(
        self,
        width: int,
        height: int,
        sources: Sequence[TraceSource],
        t0: float,
        t1: float,
        now: float,
        *,
        cursor: int | None = None,
        y_range: YRange = "auto",
        tz: datetime.tzinfo | None = None,
        title: str = "",
        mode: str = BRAILLE,
    ) -> Chart:
        """:func:`strip_chart`'s chart, its plot as of the pixel column ``now`` falls in."""
        cached = self._chart
        pixel = None
        if cached is not None and cached.layout.columns:
            pixel = math.floor(now / ((t1 - t0) / cached.layout.columns))
        key = (width, height, t0, t1, pixel, cursor, y_range, title, mode, tz,
               tuple((s.name, s.units, s.display, s.alarm, s.warning, s.precision)
                     for s in sources))  # fmt: skip
        if cached is None or key != self._key:
            chart = strip_chart(width, height, sources, t0, t1, cursor=cursor, y_range=y_range,
                                tz=tz, title=title, mode=mode)  # fmt: skip
            self.plots += 1
            if chart.layout.columns:
                pixel = math.floor(now / ((t1 - t0) / chart.layout.columns))
            self._key = (*key[:4], pixel, *key[5:])
            self._chart = chart
            return chart
        layout = cached.layout
        if not layout.legend_rows or not layout.fits:
            return cached
        at = None
        if cursor is not None and layout.plot_width:
            clamped = max(0, min(cursor, layout.plot_width - 1))
            at = cursor_position(layout, TimeAxis(t0, t1, tz), clamped)
        traces = []
        for source in sources:
            reading, severity, connected = _reading(source, at)
            axis = 0 if layout.axes == 1 else _axis_of(sources, source)
            traces.append(
                Trace(_NO_COLUMNS, source.name, reading, source.units, severity, axis, connected)
            )
        lines = list(cached.lines)
        lines[: layout.legend_rows] = _legend(layout, traces)
        self._chart = Chart(lines, layout)
        return self._chart


_NO_COLUMNS = Columns.empty(0)


def _axis_of(sources: Sequence[TraceSource], source: TraceSource) -> int:
    units: list[str] = []
    for s in sources:
        if s.units not in units:
            units.append(s.units)
    return 1 if len(units) > 1 and source.units == units[1] else 0
