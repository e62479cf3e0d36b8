"""A waveform chart: an array's value against its index, decimated to the plot's columns.

Pure (numpy, no Textual), like :mod:`catui.plot.chart`: the console's waveform screen
draws its lines.  However long the array, drawing it is a min/max per pixel column
(:func:`~catui.plot.decimate.decimate_array`), never a loop over the elements.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from catui.plot.chart import Chart, format_reading
from catui.plot.decimate import decimate_array, decimate_xy
from catui.plot.render import (
    BRAILLE,
    IndexAxis,
    Trace,
    ValueAxis,
    auto_range,
    chart_layout,
    render_chart,
)

__all__ = ["WaveformReading", "XOrder", "cursor_element", "waveform_chart", "xy_chart"]


class WaveformReading:
    """What the waveform chart says in words: the range shown, its statistics, the
    element under the cursor."""

    def __init__(self) -> None:
        self.start = 0
        self.stop = 0
        self.stats: tuple[float, float, float] | None = None
        self.element: tuple[int, float] | None = None
        #: Against a second array: the X value of the cursor's element (None: by index).
        self.x: float | None = None


def cursor_element(cursor: int, plot_width: int, start: int, stop: int) -> int:
    """The index under plot cell ``cursor``, on an index range ``[start, stop)``."""
    span = max(1, stop - start)
    return min(stop - 1, start + int((cursor + 0.5) / max(1, plot_width) * span))


def _stats(shown: np.ndarray) -> tuple[float, float, float] | None:
    """(min, max, mean) of the finite elements; None if there is none."""
    total = float(shown.sum()) if shown.size else math.nan
    if math.isfinite(total):  # every element finite: no 9 MB masked copy per redraw
        return float(shown.min()), float(shown.max()), total / shown.size
    finite = shown[np.isfinite(shown)]
    if not finite.size:
        return None
    return float(finite.min()), float(finite.max()), float(finite.mean())


def waveform_chart(
    width: int,
    height: int,
    values: npt.ArrayLike,
    name: str,
    *,
    start: int = 0,
    stop: int | None = None,
    cursor: int | None = None,
    units: str = "",
    precision: int | None = None,
    severity: int | None = None,
    y_range: tuple[float, float] | None = None,
    connected: bool = True,
    reading: WaveformReading | None = None,
    mode: str = BRAILLE,
) -> Chart:
    """The chart of elements ``start:stop`` of ``values``, ``width × height`` cells.

    Parameters
    ----------
    values : array_like
        The waveform (numeric, 1-D).
    start, stop : int
        The index range shown (a zoom); ``stop`` defaults to the length.
    cursor : int, optional
        A plot column: the legend reads the element under it.
    y_range : (low, high), optional
        The value axis (the PV's display range, say); default from the data shown.
    reading : WaveformReading, optional
        Filled with the range, min/max/mean of the elements shown and the cursor's element.
    """
    array = np.asarray(values, dtype=np.float64).ravel()
    n = len(array)
    stop = n if stop is None else max(0, min(int(stop), n))
    start = max(0, min(int(start), max(0, stop - 1)))
    layout = chart_layout(width, height, 1, 1, mode)
    columns = decimate_array(array, max(1, layout.columns), start, stop)
    stats = _stats(array[start:stop])
    low, high = y_range if y_range is not None else auto_range([columns])
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        low, high = auto_range([columns])
    text = ""
    element = None
    if cursor is not None and layout.plot_width and stop > start:
        cursor = max(0, min(cursor, layout.plot_width - 1))
        index = cursor_element(cursor, layout.plot_width, start, stop)
        element = (index, float(array[index]))
        text = f"[{index}] {format_reading(element[1], precision)}"
    elif n:
        text = format_reading(float(array[stop - 1]) if stop else math.nan, precision)
        text = f"[{stop - 1}] {text}"
    if stats is not None:
        summary = " ".join(
            f"{word} {format_reading(v, precision)}"
            for word, v in zip(("min", "max", "mean"), stats, strict=True)
        )
    else:
        summary = "no finite element"
    title = f"{n} elements · [{start}:{stop}] · {summary}"
    trace = Trace(columns, name, text, units, severity, 0, connected)
    axis = IndexAxis(start, max(stop, start + 1), "index")
    lines = render_chart(layout, [trace], [ValueAxis(low, high, units)], axis, cursor=cursor,
                         title=title)  # fmt: skip
    if reading is not None:
        reading.start, reading.stop, reading.stats, reading.element = start, stop, stats, element
    return Chart(lines, layout)


class XOrder:
    """The finite elements of an X array in increasing order, kept for the next call.

    Keyed by the X array's identity (each decoded update is a new array) and the range.
    """

    def __init__(self) -> None:
        self._source: object = None
        self._range = (0, 0)
        self._value: tuple[np.ndarray, np.ndarray | None] = (np.empty(0), None)

    def __call__(
        self, source: object, xs: np.ndarray, start: int, stop: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(X sorted, the position in ``xs[start:stop]`` of each, or None: in place).

        ``source`` is what ``xs`` was made from (its identity is the key).
        """
        if source is self._source and (start, stop) == self._range:
            return self._value
        x_shown = xs[start:stop]
        keep = np.isfinite(x_shown)
        positions: np.ndarray | None = None  # element index of each point, when not i
        if not bool(keep.all()):
            positions = np.flatnonzero(keep)
            x_shown = x_shown[positions]
        if x_shown.size > 1 and not bool(np.all(x_shown[1:] >= x_shown[:-1])):
            ordered = np.argsort(x_shown, kind="stable")
            x_shown = x_shown[ordered]
            positions = ordered if positions is None else positions[ordered]
        self._source, self._range, self._value = source, (start, stop), (x_shown, positions)
        return self._value


def xy_chart(
    width: int,
    height: int,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    name: str,
    x_name: str,
    *,
    start: int = 0,
    stop: int | None = None,
    cursor: int | None = None,
    units: str = "",
    x_units: str = "",
    precision: int | None = None,
    x_precision: int | None = None,
    severity: int | None = None,
    y_range: tuple[float, float] | None = None,
    connected: bool = True,
    reading: WaveformReading | None = None,
    order: XOrder | None = None,
    mode: str = BRAILLE,
) -> Chart:
    """The chart of ``y`` against a second array ``x``, element by element.

    Elements ``start:stop`` of both (the shorter one's length bounds them) are sorted by
    ``x`` (when not increasing already) and reduced min/max per X column
    (:func:`~catui.plot.decimate.decimate_xy`); elements whose X is not finite are left
    out.  The cursor reads the element whose X is nearest its column's centre.

    Parameters
    ----------
    x, y : array_like
        The X array (a position, an energy…) and the values (numeric, 1-D).
    name, x_name : str
        The PVs, for the legend and the axis.
    start, stop : int
        The index range shown (a zoom of both arrays).
    cursor : int, optional
        A plot column: the legend reads the element under it.
    reading : WaveformReading, optional
        Filled as :func:`waveform_chart` does, and with the cursor element's X.
    order : XOrder, optional
        Keeps the sort of ``x`` between calls (the same X array object, the same range):
        a cursor move or a new ``y`` does not sort a million elements again.
    """
    xs = np.asarray(x, dtype=np.float64).ravel()
    ys = np.asarray(y, dtype=np.float64).ravel()
    n = min(len(xs), len(ys))
    stop = n if stop is None else max(0, min(int(stop), n))
    start = max(0, min(int(start), max(0, stop - 1)))
    layout = chart_layout(width, height, 1, 1, mode)
    y_shown = ys[start:stop]
    stats = _stats(y_shown)
    x_shown, positions = (order if order is not None else XOrder())(x, xs, start, stop)
    if positions is not None:
        y_shown = y_shown[positions]
    if x_shown.size:
        x0, x1 = float(x_shown[0]), float(x_shown[-1])
    else:
        x0, x1 = 0.0, 1.0
    if not x1 > x0:
        x0, x1 = x0 - 0.5, x1 + 0.5
    # The last X is the right edge: [x0, x1) would leave its element out.
    x_end = float(np.nextafter(x1, math.inf))
    columns = decimate_xy(x_shown, y_shown, x0, x_end, max(1, layout.columns))
    low, high = y_range if y_range is not None else auto_range([columns])
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        low, high = auto_range([columns])
    element = None
    x_at: float | None = None
    text = ""
    if cursor is not None and layout.plot_width and x_shown.size:
        cursor = max(0, min(cursor, layout.plot_width - 1))
        centre = x0 + (cursor + 0.5) / layout.plot_width * (x1 - x0)
        j = int(np.searchsorted(x_shown, centre))
        if j == x_shown.size or (j > 0 and centre - x_shown[j - 1] <= x_shown[j] - centre):
            j -= 1
        index = start + (int(positions[j]) if positions is not None else j)
        element, x_at = (index, float(y_shown[j])), float(x_shown[j])
        text = (f"[{index}] {x_name} {format_reading(x_at, x_precision)}: "
                f"{format_reading(element[1], precision)}")  # fmt: skip
    if stats is not None:
        summary = " ".join(
            f"{word} {format_reading(v, precision)}"
            for word, v in zip(("min", "max", "mean"), stats, strict=True)
        )
    else:
        summary = "no finite element"
    lengths = f"{n} elements" if len(xs) == len(ys) else f"{len(ys)} elements, X {len(xs)}"
    if not x_shown.size:
        summary = f"no finite X in {x_name}"
    title = f"{lengths} · [{start}:{stop}] vs {x_name} · {summary}"
    trace = Trace(columns, name, text, units, severity, 0, connected)
    axis = IndexAxis(x0, x1, f"{x_name} ({x_units})" if x_units else x_name)
    lines = render_chart(layout, [trace], [ValueAxis(low, high, units)], axis, cursor=cursor,
                         title=title)  # fmt: skip
    if reading is not None:
        reading.start, reading.stop, reading.stats, reading.element = start, stop, stats, element
        reading.x = x_at
    return Chart(lines, layout)
