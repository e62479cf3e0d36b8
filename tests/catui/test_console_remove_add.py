"""A PV removed and added again keeps its alarm history.

On the fixed plant of :mod:`catui.dev` (no IOC, no network).
"""

from __future__ import annotations

from catui.dev.snapshots import make_app
from tests.catui.console_helpers import select

SIZE = (100, 30)


async def test_a_pv_removed_and_added_again_keeps_its_alarm_history():
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.watch_screen
        screen.drain()
        level = screen.watchlist.states["demo:level"]
        assert [change[1:] for change in level.alarm_changes] == [(3, 2)]  # HIHI, MAJOR
        select(pilot, "demo:level")
        await pilot.press("d")
        screen.add_names(["demo:level"])
        screen.drain()
        level = screen.watchlist.states["demo:level"]
        assert level.severity == 2
        assert [change[1:] for change in level.alarm_changes] == [(3, 2)]
