"""An array PV's value against its index (``g`` on an array row), live, with a cursor and zoom.

Redrawn at most at the console's refresh rate, and only when the PV sent a new array
(the decoded value is a new object at each update).  The picture is decimated (min/max
per pixel column): a million elements draw as fast as a thousand, and a single-element
spike stays visible.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer

from catui.dialogs.pick_x import BY_INDEX, PickX
from catui.dialogs.prompt import PromptDialog
from catui.model import CONNECTED, PVState
from catui.plot.chart import Chart
from catui.plot.waveform import (
    WaveformReading,
    XOrder,
    cursor_element,
    waveform_chart,
    xy_chart,
)
from catui.screens.chart_export import ExportingScreen
from catui.widgets.plot_canvas import PlotCanvas

__all__ = ["IndexRangePrompt", "WaveformScreen", "write_elements"]


class IndexRangePrompt(PromptDialog[tuple[int, int]]):
    """``start stop`` of the elements to show."""

    def __init__(self, length: int, value: str = "") -> None:
        super().__init__(f"Elements to show (0 … {length})", "start stop; Esc: unchanged", value)
        self.length = length

    def check(self, text: str) -> tuple[int, int]:
        parts = text.replace(",", " ").replace(":", " ").split()
        if len(parts) != 2:
            raise ValueError("two indices: start stop")
        try:
            start, stop = int(parts[0]), int(parts[1])
        except ValueError:
            raise ValueError(f"not whole numbers: {text.strip()!r}") from None
        if not 0 <= start < stop <= self.length:
            raise ValueError(f"need 0 <= start < stop <= {self.length}")
        return start, stop


class WaveformScreen(ExportingScreen):
    """The waveform of one array PV (its decoded value, as the watchlist has it)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the watchlist", id="wave-back"),
        Binding("plus,equals_sign", "zoom(0.5)", "Zoom in", key_display="+",
                tooltip="Half the elements, around the cursor", id="wave-zoom-in"),
        Binding("minus", "zoom(2)", "Zoom out", key_display="-",
                tooltip="Twice the elements", id="wave-zoom-out"),
        Binding("z", "range", "Range", tooltip="Type the index range to show",
                id="wave-range"),
        Binding("0", "reset", "All", tooltip="Show every element", id="wave-all"),
        Binding("space", "pause", "Pause", tooltip="Hold the picture, or follow the PV again",
                id="wave-pause"),
        Binding("x", "pick_x", "X", tooltip="Draw against another array of the watchlist "
                "(or the index again)", id="wave-x"),
        *ExportingScreen.EXPORT_BINDINGS,
    ]  # fmt: skip

    CSS_PATH = "../styles/plot.tcss"
    export_stem = "waveform"

    def __init__(
        self,
        state: PVState,
        refresh_hz: float = 10.0,
        x_choices: Callable[[], Sequence[PVState]] | None = None,
    ) -> None:
        super().__init__()
        self.state = state
        #: The other array PVs ``x`` offers (the watchlist's, when asked).
        self.x_choices = x_choices or (lambda: ())
        #: The array drawn as X (None: the element index).
        self.x_state: PVState | None = None
        self._x_held: np.ndarray = np.empty(0)
        self._x_drawn: object = None
        self._x_order = XOrder()
        self.refresh_hz = refresh_hz
        self.zoom: tuple[int, int] | None = None
        self.paused = False
        self.reading = WaveformReading()
        self._drawn: object = None
        self._held: np.ndarray = np.empty(0)

    def compose(self) -> ComposeResult:
        yield PlotCanvas(self.draw, id="waveform")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(PlotCanvas).focus()
        self.set_interval(1.0 / self.refresh_hz, self.tick, name="waveform")

    def values(self) -> np.ndarray:
        """The array drawn: the PV's newest (or the one held while paused)."""
        if not self.paused:
            value = self.state.value
            if _numeric(value):
                self._held = value
        return self._held

    def x_values(self) -> np.ndarray | None:
        """The X array (newest, or held while paused); None: drawn against the index."""
        if self.x_state is None:
            return None
        if not self.paused:
            value = self.x_state.value
            if _numeric(value):
                self._x_held = value
        return self._x_held

    def draw(self, width: int, height: int, cursor: int | None) -> Chart:
        values = self.values()
        x = self.x_values()
        self._drawn, self._x_drawn = values, x
        length = len(values) if x is None else min(len(values), len(x))
        start, stop = self.zoom if self.zoom is not None else (0, length)
        control = self.state.control
        display = control.limits.get("display") if control is not None else None
        if x is not None and self.x_state is not None:
            x_control = self.x_state.control
            return xy_chart(
                width, height, x, values, self.state.name, self.x_state.name, start=start,
                stop=stop, cursor=cursor, units=control.units if control is not None else "",
                x_units=x_control.units if x_control is not None else "",
                precision=control.precision if control is not None else None,
                x_precision=x_control.precision if x_control is not None else None,
                severity=self.state.severity, y_range=display,
                connected=self.state.connection == CONNECTED, reading=self.reading,
                order=self._x_order,
            )  # fmt: skip
        return waveform_chart(
            width, height, values, self.state.name, start=start, stop=stop, cursor=cursor,
            units=control.units if control is not None else "",
            precision=control.precision if control is not None else None,
            severity=self.state.severity, y_range=display,
            connected=self.state.connection == CONNECTED, reading=self.reading,
        )  # fmt: skip

    def tick(self) -> None:
        if self.values() is not self._drawn or self.x_values() is not self._x_drawn:
            self.query_one(PlotCanvas).redraw()

    def csv_writer(self) -> Callable[[Path], int]:
        """``index,value`` (``index,x,value`` against an X array) of the elements shown,
        exact (Python's round-trip repr)."""
        shown = slice(self.reading.start, self.reading.stop)
        values = self.values()[shown].copy()
        x = self.x_values()
        first = self.reading.start
        return partial(write_elements, values=values, first=first,
                       x=None if x is None else x[shown].copy())  # fmt: skip

    # -- keys -----------------------------------------------------------------------
    def action_back(self) -> None:
        self.dismiss(None)

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.query_one(PlotCanvas).redraw()

    def action_reset(self) -> None:
        self.zoom = None
        self.query_one(PlotCanvas).redraw()

    def action_zoom(self, factor: float) -> None:
        n = len(self.values())
        if n < 2:
            return
        start, stop = self.zoom if self.zoom is not None else (0, n)
        canvas = self.query_one(PlotCanvas)
        chart = canvas.chart
        width = chart.layout.plot_width if chart is not None else 1
        centre = (
            cursor_element(canvas.cursor, width, start, stop)
            if canvas.cursor is not None
            else (start + stop) // 2
        )
        span = max(2, min(n, round((stop - start) * factor)))
        start = max(0, min(n - span, centre - span // 2))
        self.zoom = None if span >= n else (start, start + span)
        canvas.redraw()

    def action_pick_x(self) -> None:
        """Choose the X array among the watchlist's other numeric arrays."""
        choices = {s.name: s for s in self.x_choices()
                   if s is not self.state and _numeric(s.value)}  # fmt: skip
        if not choices and self.x_state is None:
            self.notify(f"No other array PV in the watchlist to draw {self.state.name} "
                        "against", severity="warning", timeout=4, markup=False)  # fmt: skip
            return

        def chosen(name: str | None) -> None:
            if name is None:
                return
            self.x_state = choices.get(name) if name != BY_INDEX else None
            self._x_held = np.empty(0)
            self.zoom = None  # an index range of the other length may not fit
            canvas = self.query_one(PlotCanvas)
            canvas.set_cursor(None)
            canvas.redraw()

        current = self.x_state.name if self.x_state is not None else BY_INDEX
        self.app.push_screen(PickX(sorted(choices), current), chosen)

    def action_range(self) -> None:
        n = len(self.values())

        def chosen(picked: tuple[int, int] | None) -> None:
            if picked is not None:
                self.zoom = None if picked == (0, n) else picked
                self.query_one(PlotCanvas).redraw()

        start, stop = self.zoom if self.zoom is not None else (0, n)
        self.app.push_screen(IndexRangePrompt(n, f"{start} {stop}"), chosen)


def write_elements(
    path: Path, values: np.ndarray, first: int = 0, x: np.ndarray | None = None
) -> int:
    """``index,value`` rows of ``values`` (index from ``first``) to ``path``; how many.

    With ``x`` (the X array's same elements), ``index,x,value`` rows.
    """
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        floats = values.astype(np.float64).tolist()
        if x is None:
            writer.writerow(("index", "value"))
            writer.writerows((first + i, repr(v)) for i, v in enumerate(floats))
            return len(values)
        xs = x.astype(np.float64).tolist()
        writer.writerow(("index", "x", "value"))
        writer.writerows(
            (first + i, repr(a), repr(v)) for i, (a, v) in enumerate(zip(xs, floats, strict=False))
        )
        return min(len(xs), len(floats))


def _numeric(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind in "biuf"
