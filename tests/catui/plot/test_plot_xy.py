"""A waveform against a second array: xy_chart alone, and x with nothing to offer."""

from __future__ import annotations

import numpy as np

from catui.dev.snapshots import make_app
from catui.plot.waveform import WaveformReading, XOrder, xy_chart
from catui.screens.waveform import WaveformScreen
from tests.catui.console_helpers import select


def text(chart) -> str:
    return "\n".join("".join(piece for piece, _ in line) for line in chart.lines)


def test_elements_whose_x_is_not_finite_are_left_out_and_the_cursor_maps_back():
    x = np.array([3.0, np.nan, 1.0, 2.0, np.inf])
    y = np.array([30.0, 99.0, 10.0, 20.0, 98.0])
    reading = WaveformReading()
    chart = xy_chart(60, 16, x, y, "demo:y", "demo:x", cursor=0, reading=reading)
    # The smallest X (1.0) is element 2; the NaN/inf X elements are not drawn but the
    # statistics are of every value shown.
    assert reading.element == (2, 10.0) and reading.x == 1.0
    assert reading.stats == (10.0, 99.0, (30 + 99 + 10 + 20 + 98) / 5)
    assert "[2] demo:x 1: 10" in text(chart)
    column = chart.layout.plot_width - 1
    xy_chart(60, 16, x, y, "demo:y", "demo:x", cursor=column, reading=reading)
    assert reading.element == (0, 30.0) and reading.x == 3.0


def test_arrays_of_different_lengths_use_the_shorter():
    chart = xy_chart(60, 16, np.arange(5.0), np.arange(8.0), "demo:y", "demo:x")
    assert "8 elements, X 5 · [0:5] vs demo:x" in text(chart)


def test_an_x_without_a_finite_element_says_so():
    chart = xy_chart(60, 16, np.full(4, np.nan), np.arange(4.0), "demo:y", "demo:x")
    assert "no finite X in demo:x" in text(chart)


def test_the_x_order_is_kept_for_the_same_array_and_range_only():
    order = XOrder()
    x = np.array([2.0, 0.0, 1.0])
    first = order(x, x, 0, 3)
    assert first[0].tolist() == [0.0, 1.0, 2.0] and first[1].tolist() == [1, 2, 0]
    assert order(x, x, 0, 3) is first  # a cursor move: not sorted again
    assert order(x, x, 1, 3)[0].tolist() == [0.0, 1.0]  # another range
    update = np.array([0.0, 5.0, 1.0])  # a new update: a new array object
    assert order(update, update, 0, 3)[0].tolist() == [0.0, 1.0, 5.0]
    # Through the chart: the legend reads the new X at the same cursor.
    reading = WaveformReading()
    y = np.array([10.0, 20.0, 30.0])
    xy_chart(60, 16, x, y, "y", "x", cursor=0, reading=reading, order=order)
    assert reading.element == (1, 20.0)
    xy_chart(60, 16, update, y, "y", "x", cursor=0, reading=reading, order=order)
    assert reading.element == (0, 10.0)


async def test_x_without_another_numeric_array_says_so():
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.watch_screen.drain()
        # demo:trace is the plant's one numeric array (demo:names holds strings).
        select(pilot, "demo:trace")
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, WaveformScreen)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, WaveformScreen) and app.screen.x_state is None
        messages = [n.message for n in app._notifications]
        assert any("No other array PV in the watchlist" in m for m in messages), messages
