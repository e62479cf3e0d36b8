"""The row of a PV being written holds the value its dialog shows.

On the fixed plant of :mod:`catui.dev` (no IOC, no network).
"""

from __future__ import annotations

from catui.dev.snapshots import make_app
from catui.dialogs.write import WriteDialog
from catui.widgets.watch_table import WatchTable
from tests.catui.console_helpers import select

SIZE = (100, 30)


async def test_the_held_row_shows_the_value_the_dialog_shows():
    app, feed = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.watch_screen
        screen.drain()
        select(pilot, "demo:setpoint")
        await pilot.pause()
        table = screen.query_one(WatchTable)
        assert str(table.get_cell("demo:setpoint", "value")) == "1.500 mm"
        # An update is applied, and the operator's w is handled before the next redraw.
        feed.write("demo:setpoint", 7.0, 1.0)
        screen.drain()
        screen.action_write()
        await pilot.pause()
        assert isinstance(app.screen, WriteDialog)
        assert app.screen.target.current == "7 mm"  # exactly, not to PREC
        assert str(table.get_cell("demo:setpoint", "conn")) == "editing"
        assert str(table.get_cell("demo:setpoint", "value")) == "7.000 mm"
        await pilot.press("escape")
        assert str(table.get_cell("demo:setpoint", "conn")) == "connected"


async def test_the_held_row_stays_held_after_a_resize():
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.watch_screen
        screen.drain()
        select(pilot, "demo:setpoint")
        await pilot.press("w")
        table = screen.query_one(WatchTable)
        assert str(table.get_cell("demo:setpoint", "conn")) == "editing"
        await pilot.resize_terminal(140, 30)  # wider: new column widths, cells made again
        await pilot.pause()
        assert str(table.get_cell("demo:setpoint", "conn")) == "editing"
        await pilot.press("escape")
        assert str(table.get_cell("demo:setpoint", "conn")) == "connected"
