"""The waveform screen redrawing a 1,000,000-point array at 2 Hz (bench_waveform.py).

Run from the repository root: ``PYTHONPATH=. python bench/bench_waveform.py``.

Target: at most 20 ms per redraw.  Measured through the console's own path, in a running
Textual app (headless): a :class:`~catui.screens.waveform.WaveformScreen` on a PV state
whose value is replaced by a new 1,000,000-element DOUBLE array every 0.5 s (a new object,
as each decoded update is); the screen's own timer notices it and redraws.  For each
update:

* **redraw** — :meth:`PlotCanvas.redraw`: the screen's ``draw`` (the array as float64,
  the min/max/mean of the elements shown, min/max decimation per pixel column,
  :func:`~catui.plot.render.render_chart`) and the diff against the lines on screen;
* **paint** — the :meth:`PlotCanvas.render_line` calls of the frame that follows (the
  strips Textual composes for the lines that changed);
* **decimate alone** — :func:`~catui.plot.decimate.decimate_array` of the same array into
  the same columns, outside the app (the floor of any redraw).

Also the process's CPU (all threads) over the run, as a share of one core.  No IOC and
no network: decoding the update is the feed's cost (``bench_core.py``), not the screen's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import numpy as np
from textual.app import App

from catui.feeds.base import CONNECTED, ControlInfo
from catui.model import PVState
from catui.plot.decimate import decimate_array
from catui.screens.waveform import WaveformScreen
from catui.widgets.plot_canvas import PlotCanvas

POINTS = 1_000_000
RATE_HZ = 2.0
TARGET_MS = 20.0


def arrays(count: int) -> list[np.ndarray]:
    """``count`` different waveforms (a sine, noise, one spike), made before timing."""
    rng = np.random.default_rng(1)
    x = np.linspace(0, 40 * np.pi, POINTS)
    out = []
    for k in range(count):
        v = np.sin(x + k / 3) + rng.normal(0, 0.05, POINTS)
        v[(POINTS // 3 + 1000 * k) % POINTS] = 4.0
        out.append(v)
    return out


class WaveformBench(App[None]):
    """The waveform screen of one array PV, its redraws and paints timed."""

    def __init__(self, state: PVState) -> None:
        super().__init__()
        self.state = state
        self.redraw_s: list[float] = []
        self.paint_s: list[float] = []
        self._paint = 0.0

    def on_mount(self) -> None:
        screen = WaveformScreen(self.state, refresh_hz=10.0)
        self.push_screen(screen)
        self.call_after_refresh(self._instrument)

    def _instrument(self) -> None:
        canvas = self.screen.query_one(PlotCanvas)
        redraw, render_line = canvas.redraw, canvas.render_line

        def timed_redraw() -> None:
            if self._paint:  # the frame after the previous redraw is done
                self.paint_s.append(self._paint)
            self._paint = 0.0
            t = time.perf_counter()
            redraw()
            self.redraw_s.append(time.perf_counter() - t)

        def timed_render_line(y: int) -> Any:
            t = time.perf_counter()
            strip = render_line(y)
            self._paint += time.perf_counter() - t
            return strip

        canvas.redraw = timed_redraw  # type: ignore[method-assign]
        canvas.render_line = timed_render_line  # type: ignore[method-assign]


async def run(size: tuple[int, int], seconds: float) -> dict[str, Any]:
    data = arrays(4)
    state = PVState("bench:wave", connection=CONNECTED,
                    control=ControlInfo("V", 3, limits={"display": (-5.0, 5.0)}))  # fmt: skip
    state.value = data[0]
    app = WaveformBench(state)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.5)
        app.redraw_s.clear()
        app.paint_s.clear()
        updates = int(seconds * RATE_HZ)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for k in range(updates):
            state.value = data[(k + 1) % len(data)].copy()  # a new array, like a decode
            await asyncio.sleep(1.0 / RATE_HZ)
        cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        canvas = app.screen.query_one(PlotCanvas)
        columns = canvas.chart.layout.columns if canvas.chart is not None else size[0]
    floor = []
    for k in range(20):
        t = time.perf_counter()
        decimate_array(data[k % len(data)], columns, 0, POINTS)
        floor.append(time.perf_counter() - t)
    return {"updates": updates, "redraw": app.redraw_s, "paint": app.paint_s, "cpu": cpu,
            "floor": floor, "columns": columns}  # fmt: skip


def ms(values: list[float]) -> str:
    if not values:
        return "none"
    v = sorted(values)
    p95 = v[min(len(v) - 1, int(0.95 * len(v)))]
    return (f"median {statistics.median(v) * 1e3:6.2f} ms  p95 {p95 * 1e3:6.2f} ms  "
            f"worst {v[-1] * 1e3:6.2f} ms  (n={len(v)})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per size (default 15)")
    parser.add_argument("--size", action="append", help="COLSxROWS (default 120x40, 80x24)")
    args = parser.parse_args()
    sizes = args.size or ["120x40", "80x24"]
    print(f"waveform screen, {POINTS:,} DOUBLE elements, a new array at {RATE_HZ:g} Hz, "
          f"{args.seconds:g} s per size; target ≤ {TARGET_MS:g} ms per redraw")  # fmt: skip
    for text in sizes:
        cols, rows = (int(p) for p in text.lower().split("x"))
        result = asyncio.run(run((cols, rows), args.seconds))
        redraw = result["redraw"]
        total = [r + p for r, p in zip(redraw, result["paint"], strict=False)]
        print(f"\n{cols}x{rows} ({result['columns']} pixel columns), "
              f"{result['updates']} updates, {len(redraw)} redraws")  # fmt: skip
        print(f"  redraw          {ms(redraw)}")
        print(f"  paint           {ms(result['paint'])}")
        print(f"  redraw + paint  {ms(total)}")
        print(f"  decimate alone  {ms(result['floor'])}")
        print(f"  CPU             {result['cpu'] * 100:.1f} % of a core")
        worst = max(redraw) * 1e3 if redraw else float("nan")
        verdict = "within" if worst <= TARGET_MS else "OVER"
        print(f"  worst redraw {worst:.2f} ms: {verdict} the {TARGET_MS:g} ms target")


if __name__ == "__main__":
    main()
