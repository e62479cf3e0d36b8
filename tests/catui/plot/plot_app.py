"""A fixed data set and a small app showing it in a PlotCanvas (Pilot tests, snapshots).

No IOC, no clock: histories of known samples ending 2026-01-15 08:30:00 UTC, drawn in
UTC.  ``python -m tests.catui.plot.plot_app [single|multi]`` shows it in a terminal.
"""

from __future__ import annotations

import datetime
import math
import sys

from textual.app import App, ComposeResult

from catui.plot.chart import Chart, TraceSource, strip_chart
from catui.plot.history import History
from catui.widgets.plot_canvas import PlotCanvas

UTC = datetime.timezone.utc
#: 2026-01-15 08:30:00 UTC: the end of every fixed window.
END = datetime.datetime(2026, 1, 15, 8, 30, tzinfo=UTC).timestamp()
WINDOW = 600.0
#: The disconnection of demo:temperature: from 08:24:00 to 08:25:00.
GAP = (END - 360.0, END - 300.0)
#: The single-sample spike of demo:temperature, at 08:27:00.
SPIKE = (END - 180.0, 99.0)


def temperature() -> History:
    """1 Hz over 15 minutes: a slow swing through the warning and alarm limits, a
    one-minute disconnection and a one-sample spike."""
    history = History()
    start = END - 900.0
    for i in range(900):
        t = start + i
        if GAP[0] <= t < GAP[1]:
            if t == GAP[0]:
                history.disconnect(t)
            continue
        value = SPIKE[1] if t == SPIKE[0] else 50.0 + 40.0 * math.sin(i / 60.0)
        severity = 2 if value > 85 or value < 15 else 1 if value > 75 or value < 25 else 0
        history.append(t, value, severity)
    return history


def pressure() -> History:
    """Every 5 s, a ramp in bar."""
    history = History()
    start = END - 900.0
    for i in range(0, 900, 5):
        history.append(start + i, 1.0 + i / 900.0 + 0.1 * math.sin(i / 20.0), 0)
    return history


def setpoint() -> History:
    """Two steps (monitors send changes only: the value holds in between)."""
    history = History()
    history.append(END - 1000.0, 40.0, 0)
    history.append(END - 420.0, 60.0, 0)
    history.append(END - 120.0, 55.0, 0)
    return history


def sources(state: str) -> list[TraceSource]:
    """The PVs of the fixed chart ``state``: ``single`` or ``multi``."""
    temp = TraceSource(
        "demo:temperature", temperature(), "degC", 2, display=(0.0, 100.0),
        alarm=(15.0, 85.0), warning=(25.0, 75.0),
    )  # fmt: skip
    if state == "single":
        return [temp]
    if state == "multi":
        return [
            temp,
            TraceSource("demo:pressure", pressure(), "bar", 3),
            TraceSource("demo:setpoint", setpoint(), "degC", 1),
        ]
    raise ValueError(f"unknown plot state {state!r}")


class PlotApp(App[None]):
    """One PlotCanvas filling the screen, drawing the fixed chart ``state``."""

    def __init__(self, state: str = "single", y_range: object = "auto") -> None:
        super().__init__()
        self.state = state
        self.sources = sources(state)
        self.y_range = y_range

    def draw(self, width: int, height: int, cursor: int | None) -> Chart:
        return strip_chart(
            width, height, self.sources, END - WINDOW, END, cursor=cursor,
            y_range=self.y_range, tz=UTC, title="10 min · paused",  # type: ignore[arg-type]
        )  # fmt: skip

    def compose(self) -> ComposeResult:
        yield PlotCanvas(self.draw, id="plot")

    def on_mount(self) -> None:
        self.query_one(PlotCanvas).focus()


if __name__ == "__main__":
    PlotApp(sys.argv[1] if len(sys.argv) > 1 else "single").run()
