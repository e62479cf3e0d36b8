"""What the table and the detail pane show (issue 12): formats, text, enums, limits, times,
staleness, column widths at 80 columns, the write outcome fading, and removals undone.

On fixed plants (catui.feeds.fake, a fixed wall clock); no IOC, no network.
"""

from __future__ import annotations

import datetime

import numpy as np

from catui.app_main import build_app
from catui.dev.snapshots import STAMP, make_app
from catui.dialogs.confirm import ConfirmDialog
from catui.dialogs.prompt import TextPrompt
from catui.feeds.fake import FakeFeed, FakePV
from catui.formats import EPICS_EPOCH
from catui.model import ControlInfo
from catui.screens.help import HelpScreen
from catui.widgets.detail_pane import DetailPane
from catui.widgets.watch_table import WatchTable
from protocol.channel_types import ChannelType as T
from tests.catui.console_helpers import select, wait_until

UTC = datetime.timezone.utc
NOW = STAMP + 60.0  # a minute after the plant's timestamps
LONG_NAME = "plant:sector7:vacuum:gauge12"  # 28 characters


def plant() -> list[FakePV]:
    return [
        FakePV("d:small", T.DOUBLE, [[0.1, 0.2, 1e-7]], count=3, timestamp=STAMP,
               control=ControlInfo(precision=0)),
        FakePV("d:point", T.DOUBLE, [0.75], timestamp=STAMP,
               control=ControlInfo("mm", 0, (), {"display": (-1e300, 1e300),
                                                 "control": (-5.0, 5.0)})),
        FakePV("d:count", T.LONG, [123456], timestamp=STAMP, control=ControlInfo()),
        FakePV("d:text", T.CHAR, [list("tempé €\0".encode())], count=32, timestamp=STAMP,
               control=ControlInfo()),
        FakePV("d:enum", T.ENUM, [""], timestamp=STAMP,
               control=ControlInfo(enum_strings=("Off", "", "Fault"))),
        FakePV("d:never", T.DOUBLE, [0.0], severity=3, status=17, timestamp=EPICS_EPOCH,
               control=ControlInfo(precision=2)),
        FakePV("d:yesterday", T.DOUBLE, [1.0], timestamp=STAMP - 86400.0,
               control=ControlInfo(precision=1)),
        FakePV("d:float", T.FLOAT, [np.float32(0.1)], timestamp=STAMP,
               control=ControlInfo(precision=2)),
    ]  # fmt: skip


def plant_app(clock: float = NOW, *more: FakePV):  # type: ignore[no-untyped-def]
    feed = FakeFeed([*plant(), *more])
    app = build_app(list(feed.pvs), feed, tz=UTC, clock=lambda: clock, cursor_blink=False)
    return app, feed


async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
    states = pilot.app.watch_screen.watchlist.states
    await wait_until(pilot, lambda: all(s.value is not None and s.control is not None
                                        for s in states.values()), what="the plant")  # fmt: skip
    await pilot.pause()


def table(app) -> WatchTable:  # type: ignore[no-untyped-def]
    return app.watch_screen.query_one(WatchTable)


def cell(app, name: str, column: str) -> str:  # type: ignore[no-untyped-def]
    return str(table(app).get_cell(name, column))


def pane(app) -> str:  # type: ignore[no-untyped-def]
    return app.watch_screen.query_one(DetailPane).text()


def screen_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The table's lines as drawn (header first)."""
    widget = table(app)
    return [widget.render_line(y).text for y in range(widget.size.height)]


def line_of(app, name: str) -> str:  # type: ignore[no-untyped-def]
    found = [line for line in screen_lines(app) if line.startswith(f" {name} ")]
    assert len(found) == 1, (name, screen_lines(app))
    return found[0]


# -- items 6, 7, 8, 9: values, text, enums and limits as shown ------------------------------


async def test_values_text_enums_and_limits_at_80_columns():
    app, _ = plant_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert "[3] 0.1 0.2 1e-07" in line_of(app, "d:small")  # PREC 0 hid them as 0 0 0
        assert " 1 mm " in line_of(app, "d:point")  # a scalar keeps PREC in the table
        assert " tempé € " in line_of(app, "d:text")  # UTF-8 text, not numbers
        assert " 1 " in line_of(app, "d:enum")  # the state without a label: its number
        select(pilot, "d:point")
        await pilot.pause()
        text = pane(app)
        assert "Exactly  0.75" in text  # what PREC 0 rounds to 1
        assert "Display  -1e+300 … 1e+300 mm" in text and "Control  -5 … 5 mm" in text
        # 0.00 for 0.0, 1.0, and 0.10 for the float32 0.1 hide no digit.
        for name in ("d:never", "d:yesterday", "d:float"):
            select(pilot, name)
            await pilot.pause()
            assert "Exactly" not in pane(app), name
        select(pilot, "d:small")
        await pilot.pause()
        assert "Min/max  1e-07 / 0.2" in pane(app)
        select(pilot, "d:text")
        await pilot.pause()
        assert "Value    tempé €" in pane(app)


async def test_f_cycles_the_rows_format_in_the_row_and_the_pane():
    app, _ = plant_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        select(pilot, "d:point")
        seen = []
        for _ in range(3):
            await pilot.press("f")
            seen.append(cell(app, "d:point", "value"))
            assert seen[-1] in pane(app)
        assert seen == ["full: 0.75 mm", "exp: 7.500000e-01 mm", "1 mm"]
        select(pilot, "d:count")
        await pilot.press("f")
        assert cell(app, "d:count", "value") == "hex: 0x1E240"
        select(pilot, "d:text")
        await pilot.press("f")
        assert cell(app, "d:text", "value").startswith("dec: [11] 116 101 109 112")
        # Marked rows each take their next format.
        await pilot.press("f", "f")  # d:text back to its text
        for name in ("d:small", "d:count"):
            select(pilot, name)
            await pilot.press("space")
        await pilot.press("f")
        assert cell(app, "d:small", "value") == "full: [3] 0.1 0.2 1e-07"
        assert cell(app, "d:count", "value") == "exp: 1.234560e+05"
        assert cell(app, "d:text", "value") == "tempé €"
        # Copies and snapshots keep the default format.
        from catui.live_snapshot import snapshot_row

        assert snapshot_row(app.watch_screen.watchlist.states["d:count"]).value == "123456"


async def test_f_is_a_named_binding_in_help_and_the_palette():
    app, _ = plant_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert {"watch-format", "watch-restore"} <= {b.id for b in app.screen.bindings}
        await pilot.press("escape")
        titles = {c.title for c in app.get_system_commands(app.watch_screen)}
        assert {"Format", "Put back"} <= titles


# -- item 10: dates, never processed, alarm times -------------------------------------------


async def test_times_of_other_days_have_their_date_and_the_epoch_says_never_processed():
    app, _ = plant_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert cell(app, "d:point", "time") == "08:30:00.000"
        assert cell(app, "d:yesterday", "time") == "01-14 08:30:00"
        assert cell(app, "d:never", "time") == "never processed"
        select(pilot, "d:never")
        await pilot.pause()
        assert "Time     never processed (EPICS epoch)" in pane(app)
    app, _ = plant_app(clock=STAMP + 400 * 86400.0)  # next year
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert cell(app, "d:point", "time") == "2026-01-15"
        assert " 2026-01-15 " in line_of(app, "d:point")


async def test_the_alarm_history_gives_the_date_of_another_day():
    app, _ = plant_app(clock=STAMP + 86400.0)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        select(pilot, "d:never")
        await pilot.pause()
        assert "Alarms   never INVALID UDF" in pane(app)
        state = app.watch_screen.watchlist.states["d:point"]
        state.note_alarm(3, 2, STAMP - 400.0)  # yesterday
        select(pilot, "d:point")
        await pilot.pause()
        assert "Alarms   01-15 08:23:20 MAJOR HIHI" in pane(app)


# -- item 11: stale from the PV's own timestamp -----------------------------------------------


async def set_stale(pilot, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    select(pilot, name)
    await pilot.press("t")
    assert isinstance(pilot.app.screen, TextPrompt)
    await pilot.press("ctrl+a", "ctrl+k", *text, "enter")


async def test_stale_counts_from_the_timestamp_and_leaves_the_pane_when_cleared():
    app, _ = plant_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await set_stale(pilot, "d:yesterday", "30")
        assert cell(app, "d:yesterday", "conn") == "stale 1d00h"  # not "stale 0s"
        assert "Stale    the timestamp is 1d00h old (threshold 30s)" in pane(app)
        await set_stale(pilot, "d:yesterday", "")
        assert cell(app, "d:yesterday", "conn") == "connected"
        assert "Stale" not in pane(app)
        await set_stale(pilot, "d:never", "30")
        app.watch_screen.check_stale()
        assert cell(app, "d:never", "conn") == "connected"  # not "stale 21s"
        assert cell(app, "d:never", "time") == "never processed"
        assert "never processed: no time to count from" in pane(app)


# -- item 14: columns sized from their content --------------------------------------------------


async def test_at_80_columns_names_are_whole_and_no_column_wastes_room():
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.watch_screen.drain()
        await pilot.pause()
        lines = screen_lines(app)
        assert lines[0].split() == ["PV", "Value", "Trend", "Alarm", "Time", "Conn"]
        for name in ("demo:temperature", "demo:description", "demo:setpoint"):
            assert line_of(app, name).startswith(f" {name} ")
        assert "MINOR HIGH" in line_of(app, "demo:temperature")
        select(pilot, "demo:gauge")
        await pilot.pause()
        assert line_of(app, "demo:gauge").rstrip().endswith("INVALID COMM 08:30:00 connected")
    gauge = FakePV(LONG_NAME, T.DOUBLE, [1e-9], timestamp=STAMP, control=ControlInfo("Torr", 2))
    app, _ = plant_app(NOW, gauge)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert line_of(app, LONG_NAME).startswith(f" {LONG_NAME} 0.00 Torr")
        # The epoch row wants 15 cells for its time: the name is served first.
        assert " never " in line_of(app, "d:never")


async def test_a_longer_alarm_or_connection_text_widens_its_column():
    pvs = [FakePV("p:ok", T.DOUBLE, [1.0], timestamp=STAMP, control=ControlInfo()),
           FakePV("p:bad", T.DOUBLE, [1.0], timestamp=STAMP, control=ControlInfo())]  # fmt: skip
    feed = FakeFeed(pvs)
    app = build_app(list(feed.pvs), feed, tz=UTC, clock=lambda: NOW, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        before = dict(table(app)._widths)
        state = app.watch_screen.watchlist.states["p:bad"]
        state.severity, state.status = 3, 21  # INVALID WRITE_ACCESS (20 cells)
        state.connection = "disconnected"
        state.apply_connection("connected", ("127.0.0.1", 5064), feed.pvs["p:bad"].info())
        table(app).refresh_states([state])
        await pilot.pause()
        await pilot.pause()
        assert table(app)._widths["alarm"] == 20 > before["alarm"]
        assert "INVALID WRITE_ACCESS" in line_of(app, "p:bad")


# -- item 15: removals undone ---------------------------------------------------------------------


async def test_d_then_ctrl_z_puts_the_row_back_where_it_was():
    app, feed = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.watch_screen
        screen.drain()
        names = list(screen.watchlist.names)
        state = screen.watchlist.states["demo:readback"]
        state.stale_after, state.display = 30.0, "full"
        select(pilot, "demo:readback")
        await pilot.press("d")
        assert "demo:readback" not in screen.watchlist and "demo:readback" not in feed.added
        await pilot.press("ctrl+z")
        assert screen.watchlist.names == names
        back = screen.watchlist.states["demo:readback"]
        assert (back.stale_after, back.display) == (30.0, "full")
        assert "demo:readback" in feed.added
        await pilot.press("ctrl+z")  # nothing more to put back: said, nothing changes
        assert screen.watchlist.names == names


async def test_removing_marked_rows_asks_first_and_is_undone_in_one():
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.watch_screen
        screen.drain()
        names = list(screen.watchlist.names)
        for name in ("demo:status", "demo:mode", "demo:trace"):
            select(pilot, name)
            await pilot.press("space")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # the default: nothing removed
        assert screen.watchlist.names == names
        await pilot.press("d", "y")
        assert len(screen.watchlist) == len(names) - 3 and "demo:mode" not in screen.watchlist
        await pilot.press("ctrl+z")
        assert screen.watchlist.names == names
