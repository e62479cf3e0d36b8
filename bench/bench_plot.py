"""Terminal plot renderers side by side: ``PYTHONPATH=. python bench/bench_plot.py``.

Which way should catui draw its strip chart and waveform view?  Each candidate draws
the same two workloads, in the same process and run:

* **strip**: 8 traces × 6,000 points (10 minutes at 10 Hz, each with a disconnection:
  NaN), into a plot area of about 118 × 34 cells;
* **waveform**: one 1,000,000-point array into the same area.

A *redraw* is everything from the data to what Textual paints — lines of segments
(``Strip``s, or Rich segments for a renderable): for the libraries their own API
calls (``clear``/``plot``/``build``…), for catui decimation + :func:`render_chart` +
the widget's strips.  Figures: median and worst of ``--repeat`` redraws, and the peak
of memory allocated during one (``tracemalloc``, numpy included).  A redraw that has not
finished after ``--cap`` seconds is stopped and reported as such.

It also checks, by drawing a trace with a NaN gap in its middle third, whether the
gap stays empty (no cell drawn strictly inside it).

Candidates (those installed; ``pip install textual-plot textual-plotext``):

* ``catui braille`` / ``catui halfblock`` — :mod:`catui.plot` (numpy), pure, then in a
  :class:`~catui.widgets.plot_canvas.PlotCanvas` (strips);
* ``textual-plot`` — ``PlotWidget`` (braille lines on ``textual-hires-canvas``);
* ``textual-plot + catui decimation`` — the same widget fed 2 points per pixel column;
* ``textual-hires-canvas`` — its ``Canvas.draw_hires_lines`` directly, NaN breaks ours;
* ``plotext`` — ``build()`` (the string ``textual-plotext`` wraps) and Rich's
  ``Text.from_ansi`` + ``render_lines``, as ``PlotextPlot.render`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import importlib.metadata
import io
import os
import signal
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
from textual.app import App, ComposeResult

from catui.plot.chart import Chart
from catui.plot.decimate import decimate_array, decimate_series
from catui.plot.render import (
    BRAILLE,
    HALFBLOCK,
    IndexAxis,
    TimeAxis,
    Trace,
    ValueAxis,
    auto_range,
    chart_layout,
    render_chart,
)
from catui.widgets.plot_canvas import PlotCanvas

UTC = datetime.timezone.utc
T0 = 1_768_465_800.0
WINDOW = 600.0
TRACES = 8
POINTS = 6000
WAVE = 1_000_000
#: The chart around a 118 × 34 plot: 8 cells of value labels, 3 legend rows, header,
#: time axis and labels.
CHART = (126, 40)
COLOURS = ("#5fafff", "#ffaf00", "#5fd75f", "#ff87d7", "#af87ff", "#00d7d7", "#d7d75f",
           "#e4e4e4")  # fmt: skip


def strip_data() -> list[tuple[np.ndarray, np.ndarray]]:
    t = T0 + np.arange(POINTS) * 0.1
    out = []
    for k in range(TRACES):
        v = np.sin(np.arange(POINTS) / (300 + 40 * k) + k) * (1 + 0.1 * k) + 0.3 * k
        v[1500 + 400 * k : 1800 + 400 * k] = np.nan
        out.append((t, v))
    return out


def wave_data() -> np.ndarray:
    v = np.sin(np.linspace(0, 40 * np.pi, WAVE)) + np.random.default_rng(1).normal(0, 0.05, WAVE)
    v[WAVE // 3] = 4.0
    return v


def gap_data() -> tuple[np.ndarray, np.ndarray]:
    t = T0 + np.arange(600.0)
    v = np.sin(np.arange(600.0) / 40)
    v[200:400] = np.nan
    return t, v


class _Cap(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Cap


def timed(redraw: Callable[[], Any], repeat: int, cap: float) -> dict[str, Any]:
    """Median/worst seconds of ``repeat`` redraws and the peak allocated in one."""
    signal.signal(signal.SIGALRM, _alarm)
    times: list[float] = []
    try:
        signal.setitimer(signal.ITIMER_REAL, cap)
        t = time.perf_counter()
        redraw()  # warm-up (caches, imports)
        first = time.perf_counter() - t
        signal.setitimer(signal.ITIMER_REAL, 0)
        runs = repeat if first < 1.0 else max(1, min(repeat, 3))
        for _ in range(runs):
            signal.setitimer(signal.ITIMER_REAL, cap)
            t = time.perf_counter()
            redraw()
            times.append(time.perf_counter() - t)
            signal.setitimer(signal.ITIMER_REAL, 0)
        gc.collect()
        tracemalloc.start()
        signal.setitimer(signal.ITIMER_REAL, cap * 4)
        redraw()
        signal.setitimer(signal.ITIMER_REAL, 0)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    except _Cap:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if tracemalloc.is_tracing():
            tracemalloc.stop()
        return {"capped": True, "times": times}
    return {"capped": False, "times": times, "peak": peak}


# -- catui ---------------------------------------------------------------------------
def catui_pure(mode: str) -> dict[str, Callable[[], Any]]:
    layout = chart_layout(*CHART, TRACES, mode=mode)
    wave_layout = chart_layout(*CHART, 1, mode=mode)
    strips = strip_data()
    wave = wave_data()
    gap = gap_data()

    def strip() -> list[Any]:
        traces = [
            Trace(decimate_series(t, v, T0, T0 + WINDOW, layout.columns), f"pv{k}", f"{v[-1]:.3f}")
            for k, (t, v) in enumerate(strips)
        ]
        axis = ValueAxis(*auto_range([tr.columns for tr in traces]))
        return render_chart(layout, traces, [axis], TimeAxis(T0, T0 + WINDOW, UTC))

    def waveform() -> list[Any]:
        columns = decimate_array(wave, wave_layout.columns)
        axis = ValueAxis(*auto_range([columns]))
        return render_chart(wave_layout, [Trace(columns, "wave")], [axis], IndexAxis(0, WAVE))

    def gap_text() -> list[str]:
        one = chart_layout(*CHART, 1, mode=mode)
        columns = decimate_series(*gap, T0, T0 + WINDOW, one.columns)
        lines = render_chart(
            one, [Trace(columns, "g")], [ValueAxis(-1.1, 1.1)], TimeAxis(T0, T0 + WINDOW)
        )
        body = lines[one.plot_y : one.plot_y + one.plot_height]
        return [
            "".join(t for t, _ in line)[one.plot_x : one.plot_x + one.plot_width] for line in body
        ]

    return {"strip": strip, "waveform": waveform, "gap": gap_text}  # type: ignore[dict-item]


class _Host(App[None]):
    def __init__(self, widget: Any) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


async def catui_widget(repeat: int, cap: float) -> dict[str, Any]:
    """The pure redraw plus PlotCanvas's strips for every line (none cached)."""
    pure = catui_pure(BRAILLE)
    current: dict[str, Callable[[], Any]] = {"draw": pure["strip"]}

    def draw(width: int, height: int, cursor: int | None) -> Chart:
        lines = current["draw"]()
        return Chart(lines, chart_layout(width, height, TRACES))

    canvas = PlotCanvas(draw)
    app = _Host(canvas)
    results: dict[str, Any] = {}
    async with app.run_test(size=CHART) as pilot:
        await pilot.pause()

        def redraw() -> None:
            canvas._strips.clear()
            canvas.redraw()
            for y in range(canvas.size.height):
                canvas.render_line(y)

        for name in ("strip", "waveform"):
            current["draw"] = pure[name]
            results[name] = timed(redraw, repeat, cap)
    return results


# -- textual-plot ----------------------------------------------------------------------
async def textual_plot(repeat: int, cap: float, decimated: bool) -> dict[str, Any]:
    from textual_hires_canvas import Canvas
    from textual_plot import HiResMode, PlotWidget

    plot = PlotWidget()
    app = _Host(plot)
    strips = strip_data()
    wave = wave_data()
    gap = gap_data()
    results: dict[str, Any] = {}

    def columns_to_points(x0: float, x1: float, lo: np.ndarray, hi: np.ndarray) -> tuple[Any, Any]:
        n = len(lo)
        xs = x0 + (x1 - x0) * (np.arange(n) + 0.5) / n
        return np.repeat(xs, 2), np.column_stack((lo, hi)).ravel()

    async with app.run_test(size=CHART) as pilot:
        await pilot.pause()
        canvases = list(plot.query(Canvas))
        area = plot.query_one("#plot", Canvas).size
        results["area"] = f"{area.width}×{area.height}"

        def paint() -> None:
            plot._render_plot()
            for canvas in canvases:
                for y in range(canvas.size.height):
                    canvas.render_line(y)

        def strip() -> None:
            plot.clear()
            for k, (t, v) in enumerate(strips):
                x = t - T0
                if decimated:
                    c = decimate_series(t, v, T0, T0 + WINDOW, area.width * 2)
                    x, v = columns_to_points(0, WINDOW, c.lo, c.hi)
                plot.plot(
                    x, v, line_style=COLOURS[k], hires_mode=HiResMode.BRAILLE, label=f"pv{k}"
                )
            paint()

        def waveform() -> None:
            plot.clear()
            if decimated:
                c = decimate_array(wave, area.width * 2)
                x, v = columns_to_points(0, WAVE, c.lo, c.hi)
            else:
                x, v = np.arange(WAVE, dtype=float), wave
            plot.plot(x, v, line_style=COLOURS[0], hires_mode=HiResMode.BRAILLE)
            paint()

        results["strip"] = timed(strip, repeat, cap)
        results["waveform"] = timed(waveform, repeat, cap)
        plot.clear()
        t, v = gap
        plot.plot(t - T0, v, line_style=COLOURS[0], hires_mode=HiResMode.BRAILLE)
        plot.set_xlimits(0, WINDOW)
        plot._render_plot()
        main = plot.query_one("#plot", Canvas)
        results["gap"] = [
            "".join(seg.text for seg in main.render_line(y)) for y in range(main.size.height)
        ]
        results["gap_width"] = main.size.width
    return results


# -- textual-hires-canvas --------------------------------------------------------------
async def hires_canvas(repeat: int, cap: float) -> dict[str, Any]:
    from textual_hires_canvas import Canvas, HiResMode

    width, height = 118, 34
    canvas = Canvas(width, height)
    app = _Host(canvas)
    strips = strip_data()
    wave = wave_data()
    gap = gap_data()
    results: dict[str, Any] = {"area": f"{width}×{height}"}

    def segments(x: np.ndarray, y: np.ndarray, low: float, high: float) -> list[tuple[float, ...]]:
        px = x * (width / (x[-1] - x[0] if x[-1] > x[0] else 1.0))
        py = (high - y) / (high - low) * height
        ok = ~np.isnan(py)
        pair = ok[1:] & ok[:-1]  # a NaN breaks the line
        quads = np.column_stack((px[:-1], py[:-1], px[1:], py[1:]))[pair]
        return [tuple(q) for q in quads.tolist()]

    async with app.run_test(size=(width, height)) as pilot:
        await pilot.pause()

        def paint() -> None:
            for y in range(height):
                canvas.render_line(y)

        def strip() -> None:
            canvas.reset()
            for k, (t, v) in enumerate(strips):
                canvas.draw_hires_lines(
                    segments(t - T0, v, -1.5, 4.0), HiResMode.BRAILLE, COLOURS[k]
                )
            paint()

        def waveform() -> None:
            canvas.reset()
            canvas.draw_hires_lines(segments(np.arange(WAVE, dtype=float), wave, -1.5, 4.5),
                                    HiResMode.BRAILLE, COLOURS[0])  # fmt: skip
            paint()

        results["strip"] = timed(strip, repeat, cap)
        results["waveform"] = timed(waveform, repeat, cap)
        canvas.reset()
        t, v = gap
        canvas.draw_hires_lines(segments(t - T0, v, -1.1, 1.1), HiResMode.BRAILLE, COLOURS[0])
        results["gap"] = [
            "".join(seg.text for seg in canvas.render_line(y)) for y in range(height)
        ]
        results["gap_width"] = width
    return results


# -- plotext -----------------------------------------------------------------------------
def plotext_runs(repeat: int, cap: float) -> dict[str, Any]:
    import plotext as plt
    from rich.console import Console
    from rich.text import Text

    console = Console(width=CHART[0], height=CHART[1], color_system="truecolor",
                      file=io.StringIO(), force_terminal=True)  # fmt: skip
    strips = strip_data()
    wave = wave_data()
    gap = gap_data()

    def setup() -> None:
        plt.clf()
        plt.plotsize(*CHART)
        plt.theme("clear")

    def to_segments(text: str) -> Any:
        return console.render_lines(Text.from_ansi(text), console.options)

    def strip() -> Any:
        setup()
        for k, (t, v) in enumerate(strips):
            plt.plot((t - T0).tolist(), v.tolist(), marker="braille", color=k + 1)
        return to_segments(plt.build())

    def waveform() -> Any:
        setup()
        plt.plot(wave.tolist(), marker="braille")
        return to_segments(plt.build())

    results = {"strip": timed(strip, repeat, cap), "waveform": timed(waveform, repeat, cap)}
    setup()
    t, v = gap
    plt.plot((t - T0).tolist(), v.tolist(), marker="braille")
    plt.xlim(0, WINDOW)
    plt.ylim(-1.1, 1.1)
    plt.frame(False)
    plt.xaxes(False, False)
    plt.yaxes(False, False)
    plt.xticks([])
    plt.yticks([])
    plt.plotsize(118, 34)
    lines = plt.build().splitlines()
    results["gap"] = [Text.from_ansi(line).plain for line in lines]
    results["gap_width"] = max((len(line) for line in results["gap"]), default=118)
    return results


# -- the gap check -----------------------------------------------------------------------
def gap_verdict(rows: list[str], width: int) -> str:
    """Whether a trace with no data in [200 s, 400 s) of 600 s draws anything inside it."""
    inner = range(int(width * 200 / 600) + 2, int(width * 400 / 600) - 2)
    drawn = sum(
        1 for row in rows for col in inner
        if col < len(row) and row[col] not in " │" and not row[col].isdigit()
    )  # fmt: skip
    return "kept (nothing drawn in it)" if drawn == 0 else f"bridged ({drawn} cells drawn in it)"


def cell(result: dict[str, Any]) -> str:
    if result.get("capped"):
        return "not finished within the cap"
    times = result["times"]
    return (
        f"{1000 * statistics.median(times):8.1f} / {1000 * max(times):8.1f} ms, "
        f"peak {result['peak'] / 1e6:6.1f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="redraws timed per case")
    parser.add_argument(
        "--cap", type=float, default=60.0, help="seconds before a redraw is stopped"
    )
    args = parser.parse_args()
    versions = {}
    for package in (
        "textual",
        "numpy",
        "textual-plot",
        "textual-hires-canvas",
        "plotext",
        "textual-plotext",
    ):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    print("versions:", ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"machine: {os.cpu_count()} cores (shared), python {sys.version.split()[0]}")
    rows: list[tuple[str, dict[str, Any], dict[str, Any], str]] = []
    for mode in (BRAILLE, HALFBLOCK):
        pure = catui_pure(mode)
        layout = chart_layout(*CHART, TRACES, mode=mode)
        rows.append((
            f"catui {mode} (pure: decimate + render_chart)",
            timed(pure["strip"], args.repeat, args.cap),
            timed(pure["waveform"], args.repeat, args.cap),
            f"{layout.plot_width}×{layout.plot_height}; gap "
            + gap_verdict(pure["gap"](), layout.plot_width),  # type: ignore[arg-type]
        ))  # fmt: skip
    widget = asyncio.run(catui_widget(args.repeat, args.cap))
    rows.append(
        ("catui braille in PlotCanvas (+ strips)", widget["strip"], widget["waveform"], "")
    )
    if versions["textual-plot"] != "not installed":
        for decimated in (False, True):
            res = asyncio.run(textual_plot(args.repeat, args.cap, decimated))
            name = "textual-plot + catui decimation" if decimated else "textual-plot PlotWidget"
            note = f"{res['area']}; gap " + gap_verdict(res["gap"], res["gap_width"])
            rows.append((name, res["strip"], res["waveform"], note))
    if versions["textual-hires-canvas"] != "not installed":
        res = asyncio.run(hires_canvas(args.repeat, args.cap))
        note = f"{res['area']}; gap " + gap_verdict(res["gap"], res["gap_width"])
        rows.append(("textual-hires-canvas draw_hires_lines", res["strip"], res["waveform"], note))
    if versions["plotext"] != "not installed":
        res = plotext_runs(args.repeat, args.cap)
        note = "gap " + gap_verdict(res["gap"], res["gap_width"])
        name = f"plotext {versions['plotext']} build + Text.from_ansi"
        rows.append((name, res["strip"], res["waveform"], note))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'redraw (median / worst, peak allocated)':{width}}  "
          f"{'strip 8 × 6,000':>40}  {'waveform 1,000,000':>40}  plot area, gap")  # fmt: skip
    for name, strip, wave, note in rows:
        print(f"{name:{width}}  {cell(strip):>40}  {cell(wave):>40}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
