"""The PlotCanvas widget driven through Pilot (the fixed chart of plot_app)."""

from __future__ import annotations

from textual.binding import Binding

from catui.plot.render import cursor_position
from catui.widgets.plot_canvas import PlotCanvas
from tests.catui.plot.plot_app import END, GAP, SPIKE, UTC, WINDOW, PlotApp


async def test_the_chart_fills_the_widget_and_shows_the_gap_and_spike():
    app = PlotApp("single")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        canvas = app.query_one(PlotCanvas)
        chart = canvas.chart
        assert chart is not None and len(canvas.lines) == 24
        text = canvas.text().splitlines()
        assert text[0].startswith("●─── demo:temperature") and "degC" in text[0]
        layout = chart.layout
        t0 = END - WINDOW

        def column(t: float) -> int:
            return int((t - t0) / WINDOW * layout.plot_width)

        body = [
            line[layout.plot_x :]
            for line in text[layout.plot_y : layout.plot_y + layout.plot_height]
        ]
        body = [line.ljust(layout.plot_width) for line in body]
        # Nothing in the minute of the disconnection (the edge columns are shared).
        for col in range(column(GAP[0]) + 1, column(GAP[1])):
            assert all(line[col] == " " or line[col] in "⠁⠄HIGLOW" for line in body), col
        # The spike reaches the top row at its column.
        assert SPIKE[1] > 95
        top = next(i for i, line in enumerate(body) if line[column(SPIKE[0])] != " ")
        assert top == 0


async def test_left_and_right_move_the_cursor_and_the_read_out_follows():
    app = PlotApp("single")
    messages: list[PlotCanvas.CursorMoved] = []
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await pilot.pause()
        canvas = app.query_one(PlotCanvas)
        assert canvas.cursor is None
        await pilot.press("left")
        await pilot.pause()
        assert canvas.chart is not None
        width = canvas.chart.layout.plot_width
        assert canvas.cursor == width - 1
        await pilot.press("shift+left", "shift+left", "left")
        await pilot.pause()
        assert canvas.cursor == width - 22
        # Each message once (the hook sees it at every node it bubbles through).
        unique = list({id(m): m for m in messages}.values())
        moved = [m.column for m in unique if isinstance(m, PlotCanvas.CursorMoved)]
        assert moved == [width - 1, width - 11, width - 21, width - 22]
        # The legend reads the value held at the cursor's time, exactly.
        at = cursor_position(canvas.chart.layout, _axis(), canvas.cursor)
        sample = app.sources[0].history.value_at(at)
        assert sample is not None
        assert f"demo:temperature {sample.value:.2f} degC" in canvas.text().splitlines()[0]
        assert "▲" in canvas.text().splitlines()[-1]
        await pilot.press("home")
        await pilot.pause()
        assert canvas.cursor == 0
        await pilot.press("end", "right")
        await pilot.pause()
        assert canvas.cursor == width - 1  # clamped


async def test_a_redraw_refreshes_only_lines_that_changed():
    app = PlotApp("single")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        canvas = app.query_one(PlotCanvas)
        before = list(canvas.lines)
        canvas.redraw()  # nothing new: the same lines
        assert canvas.lines == before
        await pilot.press("left")
        await pilot.pause()
        changed = [i for i, (a, b) in enumerate(zip(before, canvas.lines, strict=True)) if a != b]
        # The legend's read-out, the cursor's column rows and the time axis labels.
        assert 0 in changed and len(canvas.lines) - 1 in changed


def test_every_key_is_a_named_binding():
    for binding in PlotCanvas.BINDINGS:
        assert isinstance(binding, Binding) and binding.id and binding.description


def _axis():
    from catui.plot.render import TimeAxis

    return TimeAxis(END - WINDOW, END, UTC)
