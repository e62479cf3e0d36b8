"""The console's keys and dialogs, on the fixed plant of catui.dev (no IOC, no network)."""

from __future__ import annotations

import datetime

from catui.app_main import build_app
from catui.data.watchlist import load_watchlist
from catui.dev.snapshots import fixed_pvs, make_app
from catui.dialogs.add_pvs import AddPVsDialog
from catui.dialogs.confirm import ConfirmDialog
from catui.dialogs.filter import FilterDialog
from catui.dialogs.prompt import TextPrompt
from catui.feeds.fake import FakeFeed
from catui.screens.help import HelpScreen
from catui.screens.watch import WatchScreen
from catui.widgets.detail_pane import DetailPane
from catui.widgets.watch_table import WatchTable
from protocol.errors import CATimeoutError
from tests.catui.console_helpers import confirm_shown, select, status_text, wait_until

SIZE = (100, 30)


def shown(app) -> list[str]:
    table = app.watch_screen.query_one(WatchTable)
    return table.shown_names


async def settled(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.watch_screen.watchlist.connected_count() == 13)


async def test_add_and_remove():
    app, feed = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.watch_screen.drain()
        await pilot.press("a")
        assert isinstance(app.screen, AddPVsDialog)
        await pilot.press(*"new:one, new:two", "enter")
        assert shown(app)[-2:] == ["new:one", "new:two"]
        assert feed.added[-2:] == ["new:one", "new:two"]
        select(pilot, "new:one")
        await pilot.press("d")
        assert "new:one" not in shown(app) and "new:one" not in feed.added
        await pilot.press("a", "escape")
        assert app.screen is app.watch_screen


async def test_add_rejects_what_is_not_a_name():
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", *"é", "enter")
        assert isinstance(app.screen, AddPVsDialog)
        assert "not a PV name" in str(app.screen.query_one("#prompt-error").render())


async def test_filter_and_sort():
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.watch_screen.drain()
        await pilot.press("slash")
        assert isinstance(app.screen, FilterDialog)
        await pilot.press(*"motor", "enter")
        assert shown(app) == []
        await pilot.press("slash", *["backspace"] * 5, *"*:t*", "enter")
        assert shown(app) == ["demo:temperature", "demo:trace"]
        assert "filter: *:t*" in status_text(pilot)
        await pilot.press("slash", *["backspace"] * 4, "enter")
        assert len(shown(app)) == 15
        await pilot.press("s")
        assert shown(app) == sorted(shown(app))
        await pilot.press("s")
        assert shown(app)[:4] == ["demo:gauge", "demo:level", "demo:pressure", "demo:status"]
        assert "sort: severity" in status_text(pilot)


async def test_save_the_watchlist(tmp_path):
    app, _ = make_app()
    target = tmp_path / "saved.txt"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, TextPrompt)
        app.screen.query_one("Input").value = str(target)
        await pilot.press("enter")
        assert load_watchlist(target) == [pv.name for pv in fixed_pvs()]


async def test_stale_thresholds_start_per_pv_and_are_saved(tmp_path):
    feed = FakeFeed(fixed_pvs())
    names = list(feed.pvs)
    app = build_app(names, feed, cursor_blink=False, stale={names[0]: 30.0}, stale_default=5.0)
    target = tmp_path / "saved.txt"
    async with app.run_test(size=SIZE) as pilot:
        states = app.watch_screen.watchlist.states
        assert states[names[0]].stale_after == 30.0 and states[names[1]].stale_after == 5.0
        await pilot.press("ctrl+s")
        app.screen.query_one("Input").value = str(target)
        await pilot.press("enter")
    from catui.data.watchlist import read_watchlist

    saved = read_watchlist(target)
    assert saved[names[0]] == 30.0 and saved[names[1]] == 5.0 and list(saved) == names


async def test_pause_holds_updates_until_resumed():
    app, feed = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen: WatchScreen = app.watch_screen
        screen.drain()
        await pilot.press("p")
        assert "PAUSED" in status_text(pilot)
        feed.write("demo:setpoint", 7.0, 1.0)  # an update arrives meanwhile
        screen.drain()
        assert float(screen.watchlist.states["demo:setpoint"].value[0]) == 1.5
        await pilot.press("p")
        assert float(screen.watchlist.states["demo:setpoint"].value[0]) == 7.0


async def test_help_and_palette_list_every_key():
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        ids = {b.id for b in app.screen.bindings}
        assert {"watch-add", "watch-remove", "watch-write", "watch-filter", "watch-sort",
                "watch-pause", "watch-save", "watch-quit", "watch-help"} <= ids  # fmt: skip
        await pilot.press("escape")
        titles = {c.title for c in app.get_system_commands(app.watch_screen)}
        assert {"Add", "Remove", "Write", "Filter", "Sort", "Pause", "Save", "Help"} <= titles
        assert all(b.id and b.description for b in WatchScreen.BINDINGS)  # type: ignore[union-attr]


async def test_keymap_from_environment(monkeypatch):
    monkeypatch.setenv("CATUI_KEYMAP", "watch-add=plus")
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus")
        assert isinstance(app.screen, AddPVsDialog)


async def test_detail_pane_follows_the_cursor():
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.watch_screen.drain()
        select(pilot, "demo:mode")
        await pilot.pause()
        pane = app.watch_screen.query_one(DetailPane)
        assert "0:Off | 1:Standby | 2:Run | 3:Fault" in pane.text()
        await pilot.press("i")
        assert not pane.display


async def test_ui_stays_usable_while_a_write_waits():
    feed = FakeFeed(fixed_pvs(), write_delay=0.6)
    app = build_app(list(feed.pvs), feed, tz=datetime.timezone.utc, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        select(pilot, "demo:setpoint")
        await pilot.press("w", *"2", "enter")
        await confirm_shown(pilot)
        await pilot.press("y")
        assert "waiting for completion" in status_text(pilot)
        await pilot.press("s")  # the UI answers meanwhile
        assert "sort: name" in status_text(pilot)
        await wait_until(pilot, lambda: "completed" in status_text(pilot))
        assert feed.writes == [("demo:setpoint", 2)]


async def test_quit_while_a_write_waits_asks_first():
    feed = FakeFeed(fixed_pvs(), write_delay=0.8)
    app = build_app(list(feed.pvs), feed, tz=datetime.timezone.utc, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        select(pilot, "demo:setpoint")
        await pilot.press("w", *"2", "enter")
        await confirm_shown(pilot)
        await pilot.press("y", "q")
        assert isinstance(app.screen, ConfirmDialog)
        assert "demo:setpoint" in app.screen.detail
        await pilot.press("n")  # the default: keep running
        assert app.screen is app.watch_screen and app.is_running
        await pilot.press("ctrl+q")  # the app's quit key asks the same
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        await wait_until(pilot, lambda: "completed" in status_text(pilot))
        await pilot.press("q")  # nothing pending: quits at once
        await wait_until(pilot, lambda: not app.is_running, what="the exit")


async def test_write_timeout_is_reported(monkeypatch):
    app, feed = make_app()

    def slow(name, value, timeout, **kwargs):
        raise CATimeoutError("no reply")

    monkeypatch.setattr(feed, "write", slow)
    async with app.run_test(size=SIZE) as pilot:
        app.watch_screen.drain()
        select(pilot, "demo:mode")
        await pilot.press("enter", "down", "enter")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: "timed out" in status_text(pilot))
        assert "no completion within 10 s" in status_text(pilot)


async def test_no_write_to_an_offline_pv():
    app, feed = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.watch_screen.drain()
        select(pilot, "demo:missing")
        await pilot.press("w")
        assert app.screen is app.watch_screen
        assert feed.writes == []
