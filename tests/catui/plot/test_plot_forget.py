"""A removed PV's history is kept while ctrl+z can put it back, then forgotten.

On the fixed plant of :mod:`catui.dev` (no IOC, no network).
"""

from __future__ import annotations

import math

from catui.dev.snapshots import make_app
from catui.plot.history import DISCONNECTED
from tests.catui.console_helpers import select

SIZE = (100, 30)


async def test_a_pv_put_back_keeps_its_history_with_a_gap():
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.watch_screen
        screen.drain()
        store = app.recorder.store
        assert "demo:level" in store
        before = store["demo:level"].total
        select(pilot, "demo:level")
        await pilot.press("d")
        assert "demo:level" not in screen.watchlist
        assert "demo:level" in store
        await pilot.press("ctrl+z")
        assert "demo:level" in screen.watchlist
        history = store["demo:level"]
        # The absence is a gap, not a line drawn across it.
        _, values, severities = history.samples()
        assert history.total == before + 1
        assert math.isnan(values[-1]) and severities[-1] == DISCONNECTED


async def test_a_removed_pv_is_forgotten_once_it_cannot_be_put_back():
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.watch_screen
        screen.drain()
        store = app.recorder.store
        assert {"demo:level", "demo:pressure"} <= set(store)
        screen.remove_names(["demo:level"])
        # Removals of another PV (added again each time) push demo:level's out of the
        # ctrl+z stack: then its history goes, the other's (watched) stays.
        for _ in range(screen.removed.maxlen - 1):
            screen.remove_names(["demo:pressure"])
            screen.add_names(["demo:pressure"])
            await pilot.pause()
        assert "demo:level" in store
        screen.remove_names(["demo:pressure"])
        assert "demo:level" not in store
        assert "demo:pressure" in store
        # demo:pressure is still restorable: kept until its last batch goes too.
        await pilot.press("ctrl+z")
        assert "demo:pressure" in screen.watchlist and "demo:pressure" in store
