"""The strip chart of up to eight PVs against wall-clock time (``g`` on the watchlist).

The data is the console's history (:class:`~catui.plot.recorder.Recorder`): the chart
opens with what was recorded since the PVs were first watched.  Following, the window
ends now and steps on a fixed column grid (:func:`~catui.plot.chart.follow_window`);
paused (``space``), it stands still and the cursor (left/right) reads every trace at a
time of it.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer

from catui.dialogs.prompt import PromptDialog
from catui.model import PVState
from catui.plot.chart import Chart, LiveStripChart, TraceSource, follow_window
from catui.plot.history import HistoryStore
from catui.plot.render import BRAILLE, MAX_TRACES, chart_layout
from catui.screens.chart_export import ExportingScreen, exact_rows, write_csv
from catui.widgets.plot_canvas import PlotCanvas

__all__ = ["SPANS", "StripChartScreen", "YLimitsPrompt", "span_text"]

#: The windows ``+`` and ``-`` step through, seconds.
SPANS = (30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0, 43200.0, 86400.0)
_Y_MODES = ("auto", "display", "typed")


def span_text(seconds: float) -> str:
    """``30 s``, ``10 min``, ``2 h``."""
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"


class YLimitsPrompt(PromptDialog[tuple[float, float]]):
    """``low high`` (or ``low, high``) for the value axis."""

    def check(self, text: str) -> tuple[float, float]:
        parts = text.replace(",", " ").split()
        if len(parts) != 2:
            raise ValueError("two numbers: low high")
        try:
            low, high = float(parts[0]), float(parts[1])
        except ValueError:
            raise ValueError(f"not numbers: {text.strip()!r}") from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"low must be below high: {low:g} … {high:g}")
        return low, high


class StripChartScreen(ExportingScreen):
    """A :class:`~catui.widgets.plot_canvas.PlotCanvas` following the PVs' histories.

    Parameters
    ----------
    states : sequence of PVState
        The PVs, in legend order (the first eight).
    store : HistoryStore
        Their histories.
    clock : callable
        The wall clock (what "now" is for the window).
    tz : tzinfo, optional
        The zone of the time axis (None: local).
    refresh_hz : float
        Redraws a second while following.
    span : float
        The window to open with, seconds.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the watchlist", id="chart-back"),
        Binding("space", "pause", "Pause", tooltip="Stop following (the cursor reads at a "
                "standing window) or follow again", id="chart-pause"),
        Binding("plus,equals_sign", "span(-1)", "Narrower", key_display="+",
                tooltip="A shorter time window", id="chart-narrower"),
        Binding("minus", "span(1)", "Wider", key_display="-", tooltip="A longer time window",
                id="chart-wider"),
        Binding("y", "y_mode", "Y axis", tooltip="Value axis: auto, the PVs' display range "
                "(LOPR/HOPR), typed limits", id="chart-y"),
        *ExportingScreen.EXPORT_BINDINGS,
    ]  # fmt: skip

    CSS_PATH = "../styles/plot.tcss"
    export_stem = "chart"

    def __init__(
        self,
        states: Sequence[PVState],
        store: HistoryStore,
        clock: Callable[[], float],
        tz: datetime.tzinfo | None = None,
        refresh_hz: float = 10.0,
        span: float = 600.0,
    ) -> None:
        super().__init__()
        self.states = list(states)[:MAX_TRACES]
        self.store = store
        self.clock = clock
        self.tz = tz
        self.refresh_hz = refresh_hz
        self.span = span
        #: The window's end while paused (None: following now).
        self.paused_at: float | None = None
        self.y_mode = "auto"
        self.y_limits: tuple[float, float] | None = None
        self.window: tuple[float, float] = (0.0, 1.0)
        self.exported = None
        self._live = LiveStripChart()

    def compose(self) -> ComposeResult:
        yield PlotCanvas(self.draw, id="strip-chart")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(PlotCanvas).focus()
        self.set_interval(1.0 / self.refresh_hz, self.tick, name="chart")

    # -- what is drawn ----------------------------------------------------------
    def sources(self) -> list[TraceSource]:
        """The traces as the chart takes them: history and what the metadata says."""
        out = []
        for state in self.states:
            control = state.control
            limits = control.limits if control is not None else {}
            out.append(
                TraceSource(
                    state.name,
                    self.store.history(state.name),
                    control.units if control is not None else "",
                    control.precision if control is not None else None,
                    limits.get("display"),
                    limits.get("alarm"),
                    limits.get("warning"),
                )
            )
        return out

    def chart_title(self) -> str:
        mode = self.y_mode
        if mode == "typed" and self.y_limits is not None:
            mode = f"{self.y_limits[0]:g} … {self.y_limits[1]:g}"
        if self.paused_at is None:
            state = "following"
        else:
            stamp = datetime.datetime.fromtimestamp(self.paused_at, self.tz)
            state = f"paused at {stamp:%H:%M:%S}"
        return f"{span_text(self.span)} · {state} · Y {mode}"

    def draw(self, width: int, height: int, cursor: int | None) -> Chart:
        sources = self.sources()
        units = {s.units for s in sources}
        layout = chart_layout(width, height, len(sources), 2 if len(units) > 1 else 1, BRAILLE)
        end = self.paused_at if self.paused_at is not None else self.clock()
        self.window = follow_window(end, self.span, max(1, layout.plot_width))
        y_range: str | tuple[float, float] = self.y_mode
        if self.y_mode == "typed":
            y_range = self.y_limits if self.y_limits is not None else "auto"
        return self._live.draw(
            width, height, sources, *self.window, end, cursor=cursor, y_range=y_range,
            tz=self.tz, title=self.chart_title(),
        )  # fmt: skip

    def tick(self) -> None:
        if self.paused_at is None:
            self.query_one(PlotCanvas).redraw()

    def csv_writer(self) -> Callable[[Path], int]:
        histories = {s.name: self.store.history(s.name) for s in self.states}
        rows = exact_rows(histories, *self.window)
        return partial(write_csv, rows=rows, tz=self.tz)

    # -- keys ---------------------------------------------------------------------
    def action_back(self) -> None:
        self.dismiss(None)

    def action_pause(self) -> None:
        self.paused_at = self.clock() if self.paused_at is None else None
        self.query_one(PlotCanvas).redraw()

    def action_span(self, step: int) -> None:
        nearest = min(range(len(SPANS)), key=lambda i: abs(SPANS[i] - self.span))
        self.span = SPANS[max(0, min(len(SPANS) - 1, nearest + step))]
        self.query_one(PlotCanvas).redraw()

    def action_y_mode(self) -> None:
        following = _Y_MODES[(_Y_MODES.index(self.y_mode) + 1) % len(_Y_MODES)]
        if following != "typed":
            self.y_mode = following
            self.query_one(PlotCanvas).redraw()
            return

        def typed(limits: tuple[float, float] | None) -> None:
            self.y_mode = "typed" if limits is not None else "auto"
            self.y_limits = limits
            self.query_one(PlotCanvas).redraw()

        start = "" if self.y_limits is None else f"{self.y_limits[0]:g} {self.y_limits[1]:g}"
        self.app.push_screen(
            YLimitsPrompt("Value axis limits", "low high; Esc: back to auto", start), typed
        )
