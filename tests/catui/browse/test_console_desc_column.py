"""The watch table's Description column: each record's DESC, read once per connection."""

from __future__ import annotations

import pytest

from catui.app_main import build_app
from catui.desc_column import DescriptionTracker, desc_pv
from catui.model import PVState
from catui.widgets.watch_table import WatchTable
from tests.catui.console_helpers import wait_until

pytestmark = pytest.mark.interop


def test_a_pv_is_due_each_time_it_connects() -> None:
    a, b = PVState("a.VAL"), PVState("b")
    tracker = DescriptionTracker()
    assert tracker.due([a, b]) == []
    a.connection = b.connection = "connected"
    assert tracker.due([a, b]) == ["a.VAL", "b"]
    assert tracker.due([a, b]) == []
    a.connection = "disconnected"
    assert tracker.due([a, b]) == []
    a.connection = "connected"
    assert tracker.due([a, b]) == ["a.VAL"]
    assert desc_pv("a.VAL") == "a.DESC" and desc_pv("b") == "b.DESC"


def header(table: WatchTable) -> str:
    return table.render_line(0).text


async def test_the_column_is_asked_for_at_80_columns_and_follows_a_reconnect(browse) -> None:
    top, far = browse.pv("sev:top"), browse.far_pv("far:val")
    app = build_app([top, far], cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.watch_screen.query_one(WatchTable)
        await pilot.pause(0.3)
        assert not table.desc_shown and "Desc" not in header(table)
        await pilot.press("e")
        assert table.desc_shown and "Desc" in header(table)
        await wait_until(pilot, lambda: str(table.get_cell(far, "desc")) == "in the second IOC",
                         what="the DESC read")  # fmt: skip
        assert str(table.get_cell(top, "desc")) == "the root of the severity chain"
        # Read once per connection: a change alone is not read; a reconnect reads again.
        browse.far.dbpf("far:val.DESC", "changed")
        await pilot.pause(1.5)
        assert str(table.get_cell(far, "desc")) == "in the second IOC"
        # Rebooted: the DESC of its database again, read when the PV reconnects.
        state = app.watch_screen.watchlist.states[far]
        browse.far.stop()
        await wait_until(pilot, lambda: state.connection != "connected", timeout=30,
                         what="the far IOC gone")  # fmt: skip
        table.set_descriptions({far: "(before the reboot)"})
        browse.far.start()
        await wait_until(pilot, lambda: str(table.get_cell(far, "desc")) == "in the second IOC",
                         timeout=30, what="the DESC read again on reconnect")  # fmt: skip
        await pilot.press("e")
        assert not table.desc_shown and "Desc" not in header(table)


async def test_a_wide_terminal_shows_the_column_unasked(browse) -> None:
    top = browse.pv("sev:top")
    app = build_app([top], cursor_blink=False)
    async with app.run_test(size=(170, 30)) as pilot:
        table = app.watch_screen.query_one(WatchTable)
        await wait_until(pilot, lambda: table.desc_shown and str(table.get_cell(top, "desc")),
                         what="the DESC shown unasked")  # fmt: skip
        assert "Description" in header(table)
