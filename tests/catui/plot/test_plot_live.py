"""The live strip chart on its fixed column grid: the plot per pixel column, the legend always."""

from __future__ import annotations

from catui.plot.chart import LiveStripChart, TraceSource, follow_window, strip_chart
from catui.plot.history import History
from catui.plot.render import chart_layout

END = 1_768_465_800.0  # 2026-01-15 08:30:00 UTC
SPAN = 600.0


def _sources() -> list[TraceSource]:
    history = History()
    for i in range(600):
        history.append(END - 600.0 + i, float(i % 50), 0)
    return [TraceSource("pv:ramp", history, "V", 1)]


def test_between_pixel_columns_only_the_legend_is_drawn_again():
    sources = _sources()
    history = sources[0].history
    live = LiveStripChart()
    columns = chart_layout(100, 30, 1).columns
    step = SPAN / columns
    now = (int(END / step) + 0.1) * step  # early in a pixel column
    t0, t1 = follow_window(now, SPAN, columns)
    first = live.draw(100, 30, sources, t0, t1, now)
    assert live.plots == 1 and first.lines == strip_chart(100, 30, sources, t0, t1).lines
    history.append(now, 77.0, 2)  # the same pixel column: the legend reads it at once
    again = live.draw(100, 30, sources, t0, t1, now + step * 0.5)
    assert live.plots == 1
    assert "77.0 V MAJOR" in "".join(text for text, _ in again.lines[0])
    assert again.lines[1:] == first.lines[1:]
    # The next pixel column: the plot is drawn again, with the sample, as strip_chart does.
    later = now + step
    t0, t1 = follow_window(later, SPAN, columns)
    drawn = live.draw(100, 30, sources, t0, t1, later)
    assert live.plots == 2 and drawn.lines == strip_chart(100, 30, sources, t0, t1).lines
    # A cursor is drawn at once, and reads like strip_chart's at that column.
    with_cursor = live.draw(100, 30, sources, t0, t1, later, cursor=10)
    assert live.plots == 3
    assert with_cursor.lines == strip_chart(100, 30, sources, t0, t1, cursor=10).lines
    history.append(later, 5.0, 0)
    same = live.draw(100, 30, sources, t0, t1, later, cursor=10)
    # The cursor's read-out is the legend's: as strip_chart's; the newest column waits.
    assert (
        live.plots == 3
        and same.lines[0] == strip_chart(100, 30, sources, t0, t1, cursor=10).lines[0]
    )
