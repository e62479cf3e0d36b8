"""A live strip chart's cost: ``PYTHONPATH=. python bench/bench_plot_live.py``.

This measures the chart screen's drawing part, the
:class:`~catui.widgets.plot_canvas.PlotCanvas`, as the screen drives it (a
:class:`~catui.plot.chart.LiveStripChart`): 8 PVs at 10 Hz each (appended to their
histories on the UI thread, as the console does), the
chart following the newest 10 minutes and redrawn at 10 Hz, at 120×40 and 80×24.  Side
by side, in the same run, the same app with the same updates and no chart drawn.

Figures: the process's CPU (% of one core) over ``--seconds``, frames composed, and
keystroke to screen (``left``, the cursor moving; timed to the first frame that shows
it, rendered to terminal output as a real driver would, as ``bench_console.py`` does).
No network, no IOC.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import time
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Static

from bench.bench_console import FrameClock
from catui.plot.chart import Chart, LiveStripChart, TraceSource, follow_window, strip_chart
from catui.plot.history import History
from catui.plot.render import chart_layout
from catui.widgets.plot_canvas import PlotCanvas

TRACES = 8
RATE = 10.0
WINDOW = 600.0
PRESSES = 20


class LiveChart(App[None]):
    """8 histories fed at 10 Hz; the chart (if ``chart``) redrawn at each feed."""

    def __init__(self, chart: bool, scroll: bool = False, live: bool = False) -> None:
        super().__init__()
        self.live = LiveStripChart() if live else None
        self.with_chart = chart
        self.scroll = scroll
        self.histories = [History() for _ in range(TRACES)]
        self.sources = [
            TraceSource(f"bench:pv{k}", h, "V" if k < 4 else "mA", 3)
            for k, h in enumerate(self.histories)
        ]
        now = time.time()
        # Ten minutes of history already there (the chart opens with data).
        for i in range(int(WINDOW * RATE)):
            t = now - WINDOW + i / RATE
            for k, h in enumerate(self.histories):
                h.append(t, math.sin(t / (20 + 3 * k)) + k, 0)
        self.ticks = 0

    def draw(self, width: int, height: int, cursor: int | None) -> Chart:
        if self.scroll:
            now = time.time()
            t0, t1 = now - WINDOW, now
        else:  # on the column grid: only the newest column and the legend change
            columns = chart_layout(width, height, TRACES, axes=2).columns
            now = time.time()
            t0, t1 = follow_window(now, WINDOW, columns)
            if self.live is not None:  # as the chart screen draws: the plot per pixel column
                return self.live.draw(width, height, self.sources, t0, t1, now, cursor=cursor,
                                      title="10 min · following")  # fmt: skip
        return strip_chart(width, height, self.sources, t0, t1, cursor=cursor,
                           title="10 min · following")  # fmt: skip

    def compose(self) -> ComposeResult:
        if self.with_chart:
            yield PlotCanvas(self.draw, id="plot")
        else:
            yield Static("no chart", id="plot")

    def on_mount(self) -> None:
        if self.with_chart:
            self.query_one(PlotCanvas).focus()
        self.set_interval(1 / RATE, self.feed)

    def feed(self) -> None:
        t = time.time()
        for k, h in enumerate(self.histories):
            h.append(t, math.sin(t / (20 + 3 * k)) + k, 0)
        self.ticks += 1
        if self.with_chart:
            self.query_one(PlotCanvas).redraw()


async def run_case(
    chart: bool, size: tuple[int, int], seconds: float, scroll: bool = False, live: bool = False
) -> dict[str, Any]:
    app = LiveChart(chart, scroll, live)
    async with app.run_test(size=size) as pilot:
        clock = FrameClock(app, render=True)
        await pilot.pause(1.0)
        f0, cpu0, w0 = clock.frames, time.process_time(), time.monotonic()
        keys: list[float] = []
        step = seconds / PRESSES
        for i in range(PRESSES):
            await asyncio.sleep(step * (0.3 + 0.4 * ((i * 7) % 10) / 10))
            if chart:
                canvas = app.query_one(PlotCanvas)
                before = canvas.cursor
                key = "right" if i and i % 2 == 0 else "left"  # the first shows it

                def moved(b: Any = before, c: PlotCanvas = canvas) -> bool:
                    return c.cursor != b

                keys.append(await clock.press(key, moved))
            await asyncio.sleep(max(0.0, w0 + step * (i + 1) - time.monotonic()))
        cpu, wall = time.process_time() - cpu0, time.monotonic() - w0
        return {
            "cpu": 100 * cpu / wall,
            "frames": (clock.frames - f0) / wall,
            "keys": keys,
            "ticks": app.ticks,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print("machine: shared, 2 cores; figures move with the neighbours' load")
    for size in ((120, 40), (80, 24)):
        without = asyncio.run(run_case(False, size, args.seconds))
        for scroll, live in ((False, True), (False, False), (True, False)):
            with_chart = asyncio.run(run_case(True, size, args.seconds, scroll, live))
            keys = with_chart["keys"]
            how = (
                "scrolling at every redraw" if scroll
                else "column grid, plot per pixel column (the chart screen)" if live
                else "column grid, plot at every redraw"
            )  # fmt: skip
            print(
                f"{size[0]}×{size[1]} ({how}): CPU {without['cpu']:.1f} % without the chart, "
                f"{with_chart['cpu']:.1f} % with it "
                f"(+{with_chart['cpu'] - without['cpu']:.1f} points); frames/s "
                f"{without['frames']:.1f} / {with_chart['frames']:.1f}; key → screen median "
                f"{1000 * statistics.median(keys):.0f} ms, worst {1000 * max(keys):.0f} ms "
                f"(n={len(keys)})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
