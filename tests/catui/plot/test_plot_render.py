"""The chart renderer (catui.plot.render) and the strip chart glue (catui.plot.chart)."""

from __future__ import annotations

import datetime
import math

import numpy as np
import pytest

from catui.plot.chart import TraceSource, format_reading, strip_chart
from catui.plot.decimate import Columns, decimate_series
from catui.plot.history import History
from catui.plot.render import (
    HALFBLOCK,
    MARKERS,
    IndexAxis,
    TimeAxis,
    Trace,
    ValueAxis,
    alarm_overlay,
    auto_range,
    chart_layout,
    cursor_position,
    nice_ticks,
    render_chart,
    tick_text,
    time_ticks,
)

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 1, 15, 8, 20, tzinfo=UTC).timestamp()
T1 = T0 + 600
# Bit of braille dot (row, column) in a cell.
DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


def plain(line) -> str:
    return "".join(text for text, _ in line)


def cell(lines, layout, row: int, col: int) -> tuple[str, str]:
    """The character and style of plot cell (row, col)."""
    line = lines[layout.plot_y + row]
    x = 0
    for text, style in line:
        if x + len(text) > layout.plot_x + col:
            return text[layout.plot_x + col - x], style
        x += len(text)
    raise IndexError(col)


def test_a_known_sample_is_plotted_in_its_column_and_dot():
    layout = chart_layout(80, 24, 1)
    # Only t = T0 + 123 (value 7.3) is drawn: a disconnection follows it at once.
    columns = decimate_series([T0 + 123, T0 + 123.1], [7.3, math.nan], T0, T1, layout.columns)
    axis = ValueAxis(0.0, 10.0)
    lines = render_chart(layout, [Trace(columns, "pv")], [axis], TimeAxis(T0, T1, UTC))
    assert len(lines) == 24 and all(len(plain(line)) == 80 for line in lines)
    pixel = math.floor(123 / 600 * layout.columns)
    dot_row = math.floor((10.0 - 7.3) / 10.0 * layout.dot_rows)
    row, col = dot_row // 4, pixel // 2
    char, style = cell(lines, layout, row, col)
    assert style == "trace-0"
    assert (ord(char) - 0x2800) == DOT_BITS[dot_row % 4][pixel % 2]
    drawn = [
        (r, c) for r in range(layout.plot_height) for c in range(layout.plot_width)
        if cell(lines, layout, r, c)[0] != " "
    ]  # fmt: skip
    assert drawn == [(row, col)]


def test_a_gap_draws_nothing_in_its_columns():
    layout = chart_layout(80, 24, 1)
    t = T0 + np.arange(600.0)
    v = np.full(600, 5.0)
    v[200:300] = np.nan  # disconnected from 200 s to 300 s
    columns = decimate_series(t, v, T0, T1, layout.columns)
    lines = render_chart(layout, [Trace(columns, "pv")], [ValueAxis(0, 10)], TimeAxis(T0, T1))
    first, last = (
        math.ceil(200 / 600 * layout.plot_width),
        math.floor(300 / 600 * layout.plot_width) - 1,
    )
    for row in range(layout.plot_height):
        for col in range(first, last + 1):
            assert cell(lines, layout, row, col) == (" ", ""), (row, col)
    drawn_cols = {
        c for r in range(layout.plot_height) for c in range(layout.plot_width)
        if cell(lines, layout, r, c)[0] != " "
    }  # fmt: skip
    assert first - 1 in drawn_cols and last + 1 in drawn_cols


def test_the_cursor_is_marked_and_its_time_written():
    layout = chart_layout(80, 24, 1)
    columns = decimate_series([T0], [5.0], T0, T1, layout.columns)
    lines = render_chart(
        layout, [Trace(columns, "pv")], [ValueAxis(0, 10)], TimeAxis(T0, T1, UTC), cursor=36
    )
    assert cell(lines, layout, 0, 36) == ("│", "cursor")
    when = cursor_position(layout, TimeAxis(T0, T1, UTC), 36)
    assert when == pytest.approx(T0 + 36.5 / layout.plot_width * 600)
    stamp = datetime.datetime.fromtimestamp(when, UTC).strftime("%H:%M:%S.%f")[:-5]
    assert "▲" + stamp in plain(lines[-1])


def test_the_legend_reads_every_trace_at_the_cursor():
    step = History()
    step.append(T0 + 100, 1.0, 0)
    step.append(T0 + 400, 2.0, 2)
    ramp = History()
    for i in range(600):
        ramp.append(T0 + i, float(i), 0)
    sources = [TraceSource("step", step, "mm", 1), TraceSource("ramp", ramp, "mm", 0)]
    newest = strip_chart(80, 24, sources, T0, T1, tz=UTC)
    assert "step 2.0 mm MAJOR" in plain(newest.lines[0])
    assert "ramp 599 mm" in plain(newest.lines[0])
    layout = newest.layout
    column = layout.plot_width // 2  # about T0 + 300 s
    at = cursor_position(layout, TimeAxis(T0, T1), column)
    chart = strip_chart(80, 24, sources, T0, T1, cursor=column, tz=UTC)
    legend = plain(chart.lines[0])
    assert "step 1.0 mm" in legend and "MAJOR" not in legend
    assert f"ramp {math.floor(at - T0)} mm" in legend


def test_traces_read_without_colour_markers_and_patterns_differ():
    layout = chart_layout(120, 40, 4)
    t = T0 + np.arange(600.0)
    traces = [
        Trace(decimate_series(t, np.full(600, k + 1.0), T0, T1, layout.columns), f"pv{k}")
        for k in range(4)
    ]
    lines = render_chart(layout, traces, [ValueAxis(0, 5)], TimeAxis(T0, T1))
    legend = plain(lines[0]) + plain(lines[1])
    starts = [legend[legend.index(f"pv{k}") - 5 : legend.index(f"pv{k}") - 1] for k in range(4)]
    assert len(set(starts)) == 4 and [s[0] for s in starts] == list(MARKERS[:4])
    body = "".join(
        plain(line) for line in lines[layout.plot_y : layout.plot_y + layout.plot_height]
    )
    for k in range(4):
        assert MARKERS[k] in body
    # Each is a horizontal line in one dot row: solid fills both dots of every cell,
    # dotted (trace 2) the left one only, dashed (trace 1) mixes the two.
    dots = {}
    for line in lines[layout.plot_y : layout.plot_y + layout.plot_height]:
        for text, style in line:
            if style.startswith("trace-"):
                found = {ord(c) - 0x2800 for c in text if 0x2800 <= ord(c) <= 0x28FF}
                dots.setdefault(style, set()).update(found)
    assert dots["trace-0"] == {0x09} and dots["trace-3"] == {0x09, 0x01}
    assert dots["trace-2"] == {0x01} and dots["trace-1"] == {0x09, 0x01}


def test_alarm_limits_are_bands_and_named_rules():
    bands, limits = alarm_overlay((15.0, 85.0), (25.0, 75.0))
    assert [(b.kind, b.low, b.high) for b in bands] == [
        ("major", 85.0, math.inf), ("minor", 75.0, 85.0), ("minor", 15.0, 25.0),
        ("major", -math.inf, 15.0),
    ]  # fmt: skip
    layout = chart_layout(80, 24, 1)
    columns = decimate_series([T0], [50.0], T0, T1, layout.columns)
    lines = render_chart(
        layout, [Trace(columns, "t")], [ValueAxis(0, 100)], TimeAxis(T0, T1),
        bands=bands, limits=limits,
    )  # fmt: skip
    body = lines[layout.plot_y : layout.plot_y + layout.plot_height]
    texts = [plain(line) for line in body]
    for name in ("HIHI", "HIGH", "LOW", "LOLO"):
        assert any(text.rstrip().endswith(name) for text in texts), name
    styles = [{s for _, s in line} for line in body]
    assert any("band-major" in s for s in styles[0]) and any("band-major" in s for s in styles[-1])
    middle = styles[layout.plot_height // 2]
    assert not any("band" in s for s in middle)  # 50 is no alarm
    assert alarm_overlay(None, (math.nan, 7.0)) == (
        [alarm_overlay(None, (0, 7.0))[0][0]],
        [alarm_overlay(None, (0, 7.0))[1][0]],
    )


def test_two_units_two_axes_and_a_third_unit_shares_the_left():
    a, b, c = History(), History(), History()
    for i in range(10):
        a.append(T0 + 60 * i, float(i))
        b.append(T0 + 60 * i, 1000.0 + i)
        c.append(T0 + 60 * i, -float(i))
    two = strip_chart(100, 30, [TraceSource("a", a, "mm"), TraceSource("b", b, "mbar")], T0, T1)
    assert two.layout.axes == 2
    header = plain(two.lines[two.layout.plot_y - 1])
    assert header.lstrip().startswith("mm") and header.rstrip().endswith("mbar")
    right_labels = [plain(line)[-7:].strip() for line in two.lines[two.layout.plot_y : -2]]
    assert any(label.startswith("100") for label in right_labels)
    units = (("a", a, "mm"), ("b", b, "mbar"), ("c", c, "V"))
    three = strip_chart(100, 30, [TraceSource(*u) for u in units], T0, T1)
    assert three.layout.axes == 2 and "mixed" in plain(three.lines[three.layout.plot_y - 1])


def test_y_ranges_auto_display_and_given():
    h = History()
    h.append(T0, 3.0)
    h.append(T0 + 300, 4.0)
    source = TraceSource("x", h, "V", display=(-10.0, 10.0))

    def top_label(chart):
        return plain(chart.lines[chart.layout.plot_y])[:7].strip()

    auto = strip_chart(80, 24, [source], T0, T1)
    shown = strip_chart(80, 24, [source], T0, T1, y_range="display")
    given = strip_chart(80, 24, [source], T0, T1, y_range=(0.0, 50.0))
    assert float(top_label(shown)) == 10 and float(top_label(given)) == 50
    assert 4.0 <= float(top_label(auto) or 4) <= 4.1
    with pytest.raises(ValueError, match="low < high"):
        strip_chart(80, 24, [source], T0, T1, y_range=(5.0, 5.0))
    with pytest.raises(ValueError, match="unknown value range"):
        strip_chart(80, 24, [source], T0, T1, y_range="sideways")


def test_ticks_are_round_and_labels_short():
    ticks, step = nice_ticks(0.0, 10.0, 5)
    assert step == 2.0 and ticks == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert tick_text(0.25, 0.05) == "0.25" and tick_text(200000.0, 100000.0) == "200000"
    assert tick_text(1013.25, 0.05) == "1013.25" and tick_text(-0.0, 1.0) == "0"
    assert tick_text(3.0e-7, 1.0e-7) == "3e-07"
    stamps, every = time_ticks(T0 + 1, T0 + 600, 6, UTC)
    assert every == 120 and stamps[0] == T0 + 120
    layout = chart_layout(80, 24, 1)
    columns = decimate_series([T0], [1.0], T0, T1, layout.columns)
    lines = render_chart(layout, [Trace(columns, "x")], [ValueAxis(0, 2)], TimeAxis(T0, T1, UTC))
    assert plain(lines[-1]).split() == ["08:20", "08:22", "08:24", "08:26", "08:28"]
    assert plain(lines[-2]).startswith(" " * 7 + "└┬")


def test_an_index_axis_and_halfblocks():
    layout = chart_layout(60, 16, 1, mode=HALFBLOCK)
    assert layout.columns == layout.plot_width
    columns = Columns(
        np.full(layout.columns, 0.0), np.full(layout.columns, 0.0),
        np.full(layout.columns, 0.0), np.zeros(layout.columns, np.int8),
    )  # fmt: skip
    lines = render_chart(layout, [Trace(columns, "w")], [ValueAxis(-1, 1)], IndexAxis(0, 1000))
    body = "".join(plain(line) for line in lines)
    assert "▀" in body or "▄" in body
    assert plain(lines[-1]).split()[:2] == ["0", "200"]


def test_auto_range_pads_and_survives_nothing_to_draw():
    flat = decimate_series([T0], [5.0], T0, T1, 10)
    assert auto_range([flat]) == (4.5, 5.5)
    assert auto_range([Columns.empty(10)]) == (0.0, 1.0)
    low, high = auto_range([decimate_series([T0, T0 + 1], [0.0, 100.0], T0, T1, 10)])
    assert low == pytest.approx(-4.0) and high == pytest.approx(104.0)


def test_bad_input_is_refused_and_a_tiny_window_says_so():
    layout = chart_layout(80, 24, 1)
    with pytest.raises(ValueError, match="columns"):
        render_chart(layout, [Trace(Columns.empty(5), "x")], [ValueAxis(0, 1)], TimeAxis(T0, T1))
    with pytest.raises(ValueError, match="at most 8"):
        render_chart(layout, [Trace(Columns.empty(layout.columns), "x")] * 9,
                     [ValueAxis(0, 1)], TimeAxis(T0, T1))  # fmt: skip
    with pytest.raises(ValueError):
        ValueAxis(1.0, 1.0)
    with pytest.raises(ValueError):
        TimeAxis(T1, T0)
    small = chart_layout(10, 5, 1)
    lines = render_chart(small, [], [ValueAxis(0, 1)], TimeAxis(T0, T1))
    assert "too small" in plain(lines[0]) and len(lines) == 5


def test_format_reading():
    assert format_reading(1.23456, 2) == "1.23" and format_reading(math.nan, 2) == "—"
    assert format_reading(1234567.0, None) == "1.23457e+06"


def test_a_following_window_steps_a_whole_column_at_a_time():
    from catui.plot.chart import follow_window

    t0, t1 = follow_window(1000.1, 600.0, 240)  # a column is 2.5 s
    assert (t0, t1) == (402.5, 1002.5)
    assert follow_window(1002.4, 600.0, 240) == (t0, t1)  # the same grid
    assert follow_window(1002.6, 600.0, 240) == (405.0, 1005.0)
    with pytest.raises(ValueError):
        follow_window(1.0, 0.0, 10)
