"""The chart screens (``g``) against a real EPICS Base IOC serving plot_ioc.db.

The ramp counts 0 … 99 at 10 Hz: what a column shows, what the cursor reads and where
the gap starts are known from the samples the console recorded.
"""

from __future__ import annotations

import asyncio
import csv
import math
from pathlib import Path

import numpy as np
import pytest

from catui.app_main import build_app
from catui.plot.chart import format_reading
from catui.plot.csv_export import read_samples
from catui.plot.render import TimeAxis, cursor_position
from catui.plot.waveform import cursor_element
from catui.screens.strip_chart import StripChartScreen
from catui.screens.waveform import WaveformScreen
from catui.widgets.plot_canvas import PlotCanvas
from tests.catui.console_helpers import select, wait_until

pytestmark = pytest.mark.interop

PLOT_DB = Path(__file__).with_name("plot_ioc.db")
SIZE = (100, 30)
_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # braille (dy, dx)


@pytest.fixture
def plot_ioc(ioc_factory, ca_env):
    ioc = ioc_factory("epics-base", db=PLOT_DB, acf=None)
    ca_env(ioc)
    return ioc


def cell(canvas: PlotCanvas, row: int, column: int) -> str:
    """The character at plot cell (row, column)."""
    chart = canvas.chart
    assert chart is not None
    line = chart.lines[chart.layout.plot_y + row]
    text = "".join(piece for piece, _ in line)
    return text[chart.layout.plot_x + column]


def dot_on(canvas: PlotCanvas, dot_row: int, pixel: int) -> bool:
    char = ord(cell(canvas, dot_row // 4, pixel // 2))
    return 0x2800 <= char <= 0x28FF and bool((char - 0x2800) & _BITS[dot_row % 4][pixel % 2])


async def open_chart(pilot, app, names):
    select(pilot, names[0])
    for name in names[1:]:
        select(pilot, name)
    await pilot.press("g")
    await wait_until(pilot, lambda: isinstance(app.screen, (StripChartScreen, WaveformScreen)))
    await pilot.pause()
    return app.screen


async def test_history_recorded_for_rows_off_screen(plot_ioc):
    ramp = plot_ioc.prefix + "ramp"
    # A short console: the ramp's row is the last of many, off screen.
    fillers = [plot_ioc.prefix + f"none{i}" for i in range(30)]
    app = build_app([*fillers, ramp], cursor_blink=False)
    async with app.run_test(size=(80, 12)) as pilot:
        store = app.recorder.store
        await wait_until(pilot, lambda: ramp in store and store[ramp].total >= 10,
                         what="ramp samples")  # fmt: skip
        state = app.watch_screen.watchlist.states[ramp]
        # Off screen, its updates are stashed, not decoded: the recorder leaves them so.
        await wait_until(pilot, lambda: state.pending, what="a stashed update")
        total = store[ramp].total
        await wait_until(pilot, lambda: store[ramp].total > total and state.pending,
                         what="recorded and still stashed")  # fmt: skip
        times, values, _ = store[ramp].samples()
        # Consecutive IOC samples 0.1 s apart count up by one (the drain may skip some).
        steps = np.diff(values) % 100
        gaps = np.round(np.diff(times) * 10)
        assert np.all(steps[gaps == 1] == 1) and (gaps == 1).any()


async def test_strip_chart_column_cursor_and_gap(plot_ioc):
    ramp = plot_ioc.prefix + "ramp"
    app = build_app([ramp], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        states = app.watch_screen.watchlist.states
        await wait_until(pilot, lambda: states[ramp].control is not None, what="control")
        history = app.recorder.store.history(ramp)
        await wait_until(pilot, lambda: history.total >= 30, what="three seconds of ramp")
        screen = await open_chart(pilot, app, [ramp])
        assert isinstance(screen, StripChartScreen)
        canvas = screen.query_one(PlotCanvas)
        await pilot.press(*"++++")  # 10 min -> 30 s
        assert screen.span == 30.0
        await pilot.press("y")  # the display range: LOPR 0 … HOPR 100
        await pilot.press("space")  # paused: the picture stands still
        await pilot.pause()
        assert "30 s · paused at" in canvas.text() and "Y display" in canvas.text()
        chart = canvas.chart
        assert chart is not None
        layout = chart.layout
        t0, t1 = screen.window
        # A known sample: its pixel column has the dot of its value.
        times, values, _ = history.samples(t0, t1)
        checked = 0
        for t, v in zip(times[-20:-2], values[-20:-2], strict=True):
            pixel = int((t - t0) / (t1 - t0) * layout.columns)
            dot_row = min(layout.dot_rows - 1, int((100.0 - v) * layout.dot_rows / 100.0))
            if 0x2800 <= ord(cell(canvas, dot_row // 4, pixel // 2)) <= 0x28FF:
                assert dot_on(canvas, dot_row, pixel), (t, v, pixel, dot_row)
                checked += 1
        assert checked >= 5
        # The cursor reads the value held at its time, as the IOC sent it.
        await pilot.press("end")
        await pilot.press(*["left"] * 10)
        assert canvas.cursor == layout.plot_width - 11
        at = cursor_position(layout, TimeAxis(t0, t1), canvas.cursor)
        held = values[np.searchsorted(times, at, side="right") - 1]
        legend = "".join(piece for piece, _ in canvas.lines[0])
        assert f"{ramp} {format_reading(float(held), 0)} count" in legend
        # Follow again, then kill the IOC: a gap from the disconnection on.
        await pilot.press("space", "escape")
        assert app.screen is app.watch_screen
        plot_ioc.stop()
        await wait_until(pilot, lambda: states[ramp].connection != "connected", what="gone")
        gone_at = app.clock()
        await asyncio.sleep(2.0)
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, StripChartScreen))
        screen = app.screen
        assert isinstance(screen, StripChartScreen)
        await pilot.press(*"++++", "space")
        await pilot.pause()
        canvas = screen.query_one(PlotCanvas)
        chart = canvas.chart
        assert chart is not None
        layout = chart.layout
        t0, t1 = screen.window
        legend = "".join(piece for piece, _ in chart.lines[0])
        assert "disconnected" in legend
        gap_from = int((gone_at - t0) / (t1 - t0) * layout.plot_width) + 1
        assert gap_from < layout.plot_width - 3
        blank = [cell(canvas, r, c) for r in range(layout.plot_height)
                 for c in range(gap_from, layout.plot_width)]  # fmt: skip
        assert all(not 0x2800 < ord(ch) <= 0x28FF and ch not in "●" for ch in blank)
        before = [cell(canvas, r, c) for r in range(layout.plot_height)
                  for c in range(max(0, gap_from - 12), gap_from - 2)]  # fmt: skip
        assert any(0x2800 < ord(ch) <= 0x28FF for ch in before)


async def test_spike_kept_in_a_day_window_and_csv_round_trip(plot_ioc, tmp_path):
    spike = plot_ioc.prefix + "spike"
    sine = plot_ioc.prefix + "sine"
    app = build_app([spike, sine], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        history = app.recorder.store.history(spike)
        await wait_until(pilot, lambda: history.total >= 1, what="the first value")
        plot_ioc.dbpf("spike", 1000)
        await wait_until(pilot, lambda: history.latest is not None
                         and history.latest.value == 1000.0, what="the spike")  # fmt: skip
        plot_ioc.dbpf("spike", 0)
        await wait_until(pilot, lambda: history.latest.value == 0.0, what="back to 0")
        screen = await open_chart(pilot, app, [spike])
        assert isinstance(screen, StripChartScreen)
        await pilot.press(*["minus"] * 12)
        assert screen.span == 86400.0
        await pilot.press("y", "y")  # auto -> display -> typed limits
        await pilot.press("ctrl+u", *"0 1000", "enter")
        assert screen.y_mode == "typed" and screen.y_limits == (0.0, 1000.0)
        await pilot.press("space")
        await pilot.pause()
        canvas = screen.query_one(PlotCanvas)
        chart = canvas.chart
        assert chart is not None
        t0, t1 = screen.window
        spike_at = float(history.samples()[0][np.argmax(history.samples()[1])])
        pixel = int((spike_at - t0) / (t1 - t0) * chart.layout.columns)
        # One sample among zeros, in a column of 10 minutes: still the top of the plot.
        assert dot_on(canvas, 0, pixel) or cell(canvas, 0, pixel // 2) == "●"
        assert "24 h" in canvas.text() and "Y 0 … 1000" in canvas.text()
        # CSV: the exact samples of the window, read back the same.
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+u", *str(tmp_path), "enter")
        await wait_until(pilot, lambda: screen.exported is not None, what="the CSV")
        assert screen.exported is not None
        back = read_samples(screen.exported)
        times, values, severities = history.samples(t0, t1)
        assert np.array_equal(back[spike][0], times) and np.array_equal(back[spike][1], values)
        assert np.array_equal(back[spike][2], severities) and 1000.0 in back[spike][1]
        assert sine not in back  # only the chart's traces
        await pilot.press("escape")
        # Two traces of different units: two axes; the sine's alarm severity in its entry.
        select(pilot, spike)
        await pilot.press("space")
        select(pilot, sine)
        await pilot.press("space", "g")
        await wait_until(pilot, lambda: isinstance(app.screen, StripChartScreen))
        await pilot.pause()
        text = app.screen.query_one(PlotCanvas).text()
        assert spike in text and sine in text and " V" in text and "mA" in text


async def test_waveform_view_cursor_zoom_and_csv(plot_ioc, tmp_path):
    wave = plot_ioc.prefix + "wave"
    plot_ioc.fill("wave", 2000, 0.0, 0.5)
    plot_ioc.shell(f'dbpf "{wave}.PROC" 1')
    app = build_app([wave], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        state = app.watch_screen.watchlist.states[wave]
        await wait_until(pilot, lambda: state.value is not None and len(state.value) == 2000,
                         what="the waveform")  # fmt: skip
        screen = await open_chart(pilot, app, [wave])
        assert isinstance(screen, WaveformScreen)
        canvas = screen.query_one(PlotCanvas)
        await pilot.pause()
        assert "2000 elements · [0:2000] · min 0.00 max 999.50 mean 499.75" in canvas.text()
        await pilot.press("right")  # the cursor appears at the first column
        chart = canvas.chart
        assert chart is not None
        index = cursor_element(0, chart.layout.plot_width, 0, 2000)
        legend = "".join(piece for piece, _ in canvas.lines[0])
        assert f"[{index}] {format_reading(0.5 * index, 2)}" in legend
        await pilot.press("+")  # half the elements, around the cursor
        assert screen.zoom == (0, 1000)
        await pilot.press("z", "ctrl+u", *"100 200", "enter")
        assert screen.zoom == (100, 200)
        await pilot.pause()
        assert "[100:200] · min 50.00 max 99.50" in canvas.text()
        await pilot.press("0")
        # CSV of the elements shown.
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+u", *str(tmp_path), "enter")
        await wait_until(pilot, lambda: screen.exported is not None, what="the CSV")
        assert screen.exported is not None
        with open(screen.exported, encoding="utf-8") as file:
            rows = list(csv.reader(file))
        assert rows[0] == ["index", "value"] and len(rows) >= 2
        assert all(math.isfinite(float(v)) for _, v in rows[1:])


async def test_waveform_against_a_second_array_as_x(plot_ioc, tmp_path):
    wave, xpos = plot_ioc.prefix + "wave", plot_ioc.prefix + "xpos"
    plot_ioc.fill("wave", 2000, 0.0, 0.5)
    plot_ioc.fill("xpos", 2000, 1999.0, -1.0)  # X decreasing: the chart sorts by it
    for name in (wave, xpos):
        plot_ioc.shell(f'dbpf "{name}.PROC" 1')
    app = build_app([wave, xpos, plot_ioc.prefix + "ramp"], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        states = app.watch_screen.watchlist.states
        await wait_until(
            pilot, lambda: all(states[n].value is not None and len(states[n].value) == 2000
                               and states[n].control is not None for n in (wave, xpos)),
            what="both arrays",
        )  # fmt: skip
        screen = await open_chart(pilot, app, [wave])
        assert isinstance(screen, WaveformScreen)
        canvas = screen.query_one(PlotCanvas)
        await pilot.press("x")
        await pilot.pause()
        # The other arrays only (not the ramp, a scalar): the index, then xpos.
        await pilot.press("down", "enter")
        await pilot.pause()
        assert screen.x_state is states[xpos]
        assert f"[0:2000] vs {xpos}" in canvas.text()
        await pilot.press("right")  # the cursor at the first column: the smallest X
        chart = canvas.chart
        assert chart is not None
        centre = 0.5 / chart.layout.plot_width * 1999.0
        index, value = screen.reading.element
        x = screen.reading.x
        assert x == 1999.0 - index and value == 0.5 * index
        assert abs(x - centre) <= 0.5  # the element whose X is nearest the column's
        legend = "".join(piece for piece, _ in canvas.lines[0])
        assert f"[{index}] {xpos} {x:.1f}: {value:.2f}" in legend
        # The smallest X has the largest value: the first column's dots are in the top row.
        assert any(dot_on(canvas, row, pixel) for row in range(4) for pixel in range(2))
        await pilot.press("left")
        # CSV: index, x, value of the elements shown.
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+u", *str(tmp_path), "enter")
        await wait_until(pilot, lambda: screen.exported is not None, what="the CSV")
        with open(screen.exported, encoding="utf-8") as file:
            rows = list(csv.reader(file))
        assert rows[0] == ["index", "x", "value"] and len(rows) == 2001
        assert rows[11] == ["10", "1989.0", "5.0"]
        # Back to the index.
        await pilot.press("x", "home", "enter")
        await pilot.pause()
        assert screen.x_state is None
        assert "2000 elements · [0:2000] · min 0.00" in canvas.text()
