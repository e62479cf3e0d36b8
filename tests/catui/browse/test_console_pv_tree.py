"""The PV tree screen (``T``) against the browse IOCs: origin, flags, cycles, reasons, live."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from catui.app_main import build_app
from catui.screens.pv_tree import PVTreeScreen
from catui.screens.record import RecordScreen
from catui.screens.watch import WatchScreen
from tests.catui.console_helpers import select, wait_until

pytestmark = pytest.mark.interop

SIZE = (120, 40)


def tree_of(app) -> PVTreeScreen:
    screen = app.screen
    assert isinstance(screen, PVTreeScreen)
    return screen


def cells(app, pv: str) -> list[str]:
    """The cells of the first row showing ``pv``."""
    screen = tree_of(app)
    index = next(i for i, row in enumerate(screen.rows) if row.pv == pv)
    table = screen.query_one(DataTable)
    return [str(c) for c in table.get_row(str(index))]


async def expanded(pilot, app) -> PVTreeScreen:
    screen = tree_of(app)
    await wait_until(pilot, lambda: screen.complete and screen.rows, what="the tree expanded")
    await pilot.pause()
    return screen


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_the_tree_marks_where_the_severity_originates_and_updates_live(browse) -> None:
    top, src = browse.pv("sev:top"), browse.pv("sev:src")
    app = build_app([src, top], cursor_blink=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            select(pilot, top)
            await pilot.press("T")
            screen = await expanded(pilot, app)
            assert screen.rows[0].pv == top
            assert "depth ≤ 8" in text_of(screen, "#tree-title")
            assert text_of(screen, "#tree-summary") == (
                f"MAJOR LINK: originates at {src} (HIHI), 3 link(s) down"
            )
            node, flags, value, alarm, marks = cells(app, src)
            assert node.endswith(f"INPA: {src} (ai)") and flags == "PP MS"
            assert (value, alarm, marks) == ("10", "MAJOR HIHI", "◀ origin")
            minor = cells(app, browse.pv("sev:minor"))
            assert minor[1] == "NPP NMS" and minor[3] == "MINOR HIGH" and minor[4] == ""
            # Live: the source's value and alarm change while the tree is open.
            browse.near.dbpf("sev:src", 1)
            await wait_until(pilot, lambda: cells(app, src)[2:4] == ["1", "NO_ALARM"],
                             what="the live update")  # fmt: skip
            assert "live, read every 1 s" in text_of(screen, "#tree-title")
            # Enter on a node: its record view; Esc back to the tree, and to the watchlist.
            table = screen.query_one(DataTable)
            table.move_cursor(row=[r.pv for r in screen.rows].index(src), animate=False)
            await pilot.press("enter")
            assert isinstance(app.screen, RecordScreen)
            await pilot.press("escape")
            assert app.screen is screen
            await pilot.press("escape")
            assert isinstance(app.screen, WatchScreen)
    finally:
        browse.near.dbpf("sev:src", 10)


async def test_cycles_unreachable_targets_and_the_depth_limit_are_said(browse) -> None:
    loop, mixed, deep = browse.pv("loop:a"), browse.pv("reach:mixed"), browse.pv("deep:0")
    app = build_app([loop, mixed, deep], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        select(pilot, loop)
        await pilot.press("T")
        screen = await expanded(pilot, app)
        assert [r.pv for r in screen.rows] == [loop, browse.pv("loop:b"), browse.pv("loop:c"),
                                               loop]  # fmt: skip
        assert "↻ cycle" in str(screen.query_one(DataTable).get_row("3")[4])
        await pilot.press("escape")
        select(pilot, mixed)
        await pilot.press("T")
        screen = await expanded(pilot, app)
        assert cells(app, browse.pv("secret"))[2] == "<no read access>"
        assert cells(app, browse.pv("nowhere"))[2] == "<not found>"
        await pilot.press("escape")
        select(pilot, deep)
        await pilot.press("T")
        screen = await expanded(pilot, app)
        assert cells(app, browse.pv("deep:8"))[4] == "depth limit"
        assert len(screen.rows) == 9
        await pilot.press("minus")
        await wait_until(pilot, lambda: screen.complete and len(screen.rows) == 8,
                         what="the tree at depth 7")  # fmt: skip
        assert "depth ≤ 7" in text_of(screen, "#tree-title")
        assert cells(app, browse.pv("deep:7"))[4] == "depth limit"


async def test_a_target_that_goes_away_says_so_live_and_comes_back(browse) -> None:
    val, src = browse.far_pv("far:val"), browse.far_pv("far:src")
    app = build_app([val], cursor_blink=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("T")
            screen = await expanded(pilot, app)
            assert [r.pv for r in screen.rows if r.pv] == [val, src]
            assert cells(app, src)[2:4] == ["2", "INVALID UDF"]  # never processed
            browse.far.stop()
            await wait_until(pilot, lambda: cells(app, src)[2] == "<not found>", timeout=15,
                             what="the node unreadable")  # fmt: skip
            browse.far.start()
            await wait_until(pilot, lambda: cells(app, src)[2] == "2", timeout=30,
                             what="the node read again")  # fmt: skip
    finally:
        browse.far.ensure_running()
