"""The compare, diagnostics and journal screens read whole at 80×24 (issue 12, items 12, 14)."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from textual.widgets import DataTable, Static

from catui.app_main import build_app
from catui.data import journal
from catui.data.snapshot import SnapshotRow
from catui.data.snapshot_file import SavedSnapshot
from catui.dev.snapshots import STAMP, make_app
from catui.feeds.fake import FakeFeed
from catui.screens.compare import CompareScreen
from catui.screens.diagnostics import DiagnosticsScreen
from catui.screens.journal import JournalScreen
from tests.catui.console_helpers import wait_until
from tests.catui.test_console_display import NOW, UTC, plant

# -- item 12: the compare screen's Δ column ------------------------------------------------------


async def test_the_difference_column_grows_with_its_content():
    app, feed = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.watch_screen
        screen.drain()
        # Saved as it is now: a difference of +0, two cells; then +256.
        saved = SavedSnapshot([SnapshotRow("demo:setpoint", "1.500", 1.5, "mm", "", "")],
                              {}, frozenset({"name", "value", "number", "units"}))  # fmt: skip
        compare = CompareScreen(Path("saved.csv"), lambda: screen.watchlist.states, saved=saved)
        await app.push_screen(compare)
        await pilot.pause()
        assert compare.verdicts[0].difference == "+0"
        feed.write("demo:setpoint", 257.5, 1.0)
        screen.drain()
        compare.refresh_rows()
        await pilot.pause()
        assert compare.verdicts[0].difference == "+256"
        grid = compare.query_one(DataTable)
        column = grid.columns[next(k for k in grid.columns if k.value == "difference")]
        assert column.get_render_width(grid) >= len("+256") + 2 * grid.cell_padding


# -- item 14: diagnostics and journal at 80×24 -------------------------------------------------


def drawn(widget) -> str:  # type: ignore[no-untyped-def]
    """A Static's content as drawn in its width."""
    console = Console(width=widget.content_region.width, file=io.StringIO(), record=True,
                      color_system=None)  # fmt: skip
    console.print(widget.content)
    return console.export_text()


async def test_diagnostics_read_whole_at_80_columns():
    app, feed = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        feed.play(app.watch_screen.drain)
        await pilot.press("D")
        assert isinstance(app.screen, DiagnosticsScreen)
        await wait_until(pilot, lambda: app.screen.snap is not None, what="the snapshot")
        await pilot.pause()
        for name in ("pvs", "searching", "circuits"):
            text = drawn(app.screen.query_one(f"#diagnostics-{name}", Static))
            assert "…" not in text, text
        pvs = drawn(app.screen.query_one("#diagnostics-pvs", Static))
        assert "13 of 15 connected, priority 0" in pvs  # one priority: said once
        row = next(line for line in pvs.splitlines() if line.startswith("demo:setpoint "))
        cells = row.split()
        assert cells[:3] == ["demo:setpoint", "127.0.0.1:5064", "connected"]
        assert cells[3].startswith("07:30:") and cells[4:] == ["1", "0"]
        header = pvs.splitlines()[1].split()
        assert header == ["PV", "Server", "State", "Since", "Searches", "Lost"]


async def test_the_journal_reads_whole_at_80_columns(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal.append(path, journal.new_entry(
        "demo:setpoint", "1.500 mm", "60", "failed",
        "ECA_PUTFAIL (Channel write request failed)", when=STAMP - 86400 * 2,
    ))  # fmt: skip
    journal.append(path, journal.new_entry("demo:motor:setpoint", "0.00 mm", "2", "completed",
                                           "ECA_NORMAL", when=STAMP - 3600))  # fmt: skip
    feed = FakeFeed(plant())
    app = build_app(list(feed.pvs), feed, tz=UTC, clock=lambda: NOW, cursor_blink=False,
                    journal_path=path)  # fmt: skip
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        assert isinstance(app.screen, JournalScreen)
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.entries) == 2, what="the journal")
        await pilot.pause()
        grid = screen.query_one(DataTable)
        assert [str(c) for c in grid.get_row_at(0)] == [
            "07:30:00.000", "demo:motor:setpoint", "0.00 mm", "2", "completed",
        ]  # fmt: skip
        assert str(grid.get_row_at(1)[0]) == "01-13 08:30:00"  # another day: its date
        widths = sum(column.get_render_width(grid) for column in grid.columns.values())
        assert widths <= grid.size.width  # no column off the screen
        detail = str(screen.query_one("#journal-detail").render())
        assert "reply: ECA_NORMAL" in detail and "@" in detail
        await pilot.press("down")
        detail = str(screen.query_one("#journal-detail").render())
        assert "reply: ECA_PUTFAIL (Channel write request failed)" in detail
        assert "1.500 mm → 60" in detail
