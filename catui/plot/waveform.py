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
from catui.plot.decimate import decimate_array
from catui.plot.render import (
    BRAILLE,
    IndexAxis,
    Trace,
    ValueAxis,
    auto_range,
    chart_layout,
    render_chart,
)

__all__ = ["WaveformReading", "cursor_element", "waveform_chart"]


class WaveformReading:
    """What the waveform chart says in words: the range shown, its statistics, the
    element under the cursor."""

    def __init__(self) -> None:
        self.start = 0
        self.stop = 0
        self.stats: tuple[float, float, float] | None = None
        self.element: tuple[int, float] | None = None


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
