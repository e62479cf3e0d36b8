"""Which chart ``g`` opens: the waveform of one array PV, else the strip chart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.screen import Screen

from catui.model import PVState
from catui.screens.strip_chart import StripChartScreen
from catui.screens.waveform import WaveformScreen

if TYPE_CHECKING:
    from catui.app import CatuiApp

__all__ = ["chart_screen"]


def chart_screen(states: Sequence[PVState], app: CatuiApp) -> Screen[None]:
    """The screen for ``states`` (the selection): an array alone is a waveform."""
    hz = app.refresh_hz
    if len(states) == 1 and states[0].is_array:
        watchlist = app.watch_screen.watchlist

        def arrays() -> list[PVState]:
            return [s for s in watchlist.states.values() if s.is_array]

        return WaveformScreen(states[0], hz, x_choices=arrays)
    return StripChartScreen(states, app.recorder.store, app.clock, app.tz, hz)
