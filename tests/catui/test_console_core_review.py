"""Console core: what a server's strings or a PV's name can do to the screen, undo after
an unknown old value, the held row, and alarm history after a PV is removed and added.

On the fixed plant of :mod:`catui.dev` (no IOC, no network).
"""

from __future__ import annotations

import datetime

import pytest
from textual.widgets._toast import Toast

from catui.app_main import build_app
from catui.dev.snapshots import fixed_pvs, make_app
from catui.dialogs.confirm import ConfirmDialog
from catui.dialogs.write import WriteDialog
from catui.feeds.fake import FakeFeed, FakePV
from catui.model import ControlInfo
from catui.widgets.watch_table import WatchTable
from protocol.channel_types import ChannelType as T
from tests.catui.console_helpers import confirm_shown, select, status_text, wait_until

SIZE = (100, 30)
CLEAR = "\x1b[2J"  # what a hostile IOC's string would do to the operator's terminal


def terminal_output(app) -> str:  # type: ignore[no-untyped-def]
    """What the active screen sends to the terminal when drawn whole."""
    update = app.screen._compositor.render_update(full=True)
    return update.render_segments(app.console)


async def test_server_strings_reach_no_dialog_or_status_bar_unescaped():
    pvs = [
        FakePV("evil:str", T.STRING, [f"a{CLEAR}b"], control=ControlInfo()),
        FakePV("evil:enum", T.ENUM, [f"on{CLEAR}"],
               control=ControlInfo(enum_strings=("off", f"on{CLEAR}"))),
        FakePV("evil:units", T.DOUBLE, [1.0], control=ControlInfo(units=f"mm{CLEAR}")),
    ]  # fmt: skip
    feed = FakeFeed(pvs)
    app = build_app(list(feed.pvs), feed, tz=datetime.timezone.utc, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        states = app.watch_screen.watchlist.states
        await wait_until(pilot, lambda: all(s.control is not None for s in states.values()))
        await pilot.pause()
        assert CLEAR not in terminal_output(app)  # the table and detail pane: escaped
        for name in feed.pvs:
            select(pilot, name)
            await pilot.press("w")
            assert isinstance(app.screen, WriteDialog)
            await pilot.pause()
            assert CLEAR not in terminal_output(app), name
            await pilot.press("escape")
        # The confirm step (old → new with units) and the IOC's value reported after.
        select(pilot, "evil:units")
        await pilot.press("w", *"2", "enter")
        await confirm_shown(pilot)
        await pilot.pause()
        assert CLEAR not in terminal_output(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: "completed" in status_text(pilot))
        await pilot.pause()
        assert "the IOC reports 2 mm" in status_text(pilot)
        assert CLEAR not in terminal_output(app)
        assert all(CLEAR not in n.message for n in app._notifications)


async def test_a_name_that_looks_like_markup_is_notified_as_it_is():
    # '[', ']' and '/' are allowed in record names; "[/x]" is a closing tag to Textual.
    names = ["odd:[/x]", "odd:[b]bold"]
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.watch_screen.add_names(names)
        app.watch_screen.drain()
        for name in names:
            select(pilot, name)
            await pilot.press("w")  # searching: nothing to write to (a notification)
            assert app.screen is app.watch_screen
            select(pilot, name)
            await pilot.press("d")
        notes = list(app._notifications)
        assert len(notes) == 4
        for note in notes:  # what the toast shows is the message, or it raises MarkupError
            assert Toast(note).render().plain == note.message


async def test_undo_after_a_write_whose_old_value_is_unknown_writes_nothing(monkeypatch):
    feed = FakeFeed(fixed_pvs())
    app = build_app(list(feed.pvs), feed, tz=datetime.timezone.utc, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.watch_screen
        await wait_until(pilot, lambda: screen.watchlist.connected_count() == 13)
        select(pilot, "demo:setpoint")
        await pilot.press("w", *"2", "enter")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.last_write is not None, what="the first write")
        # The read before the next write fails (those of the dialog did not): the
        # value before it is not known.
        read = feed.read

        def failing_read(name, timeout):  # type: ignore[no-untyped-def]
            in_dialog = isinstance(app.screen, (WriteDialog, ConfirmDialog))
            if name == "demo:message" and not in_dialog:
                raise TimeoutError("no answer")
            return read(name, timeout)

        monkeypatch.setattr(feed, "read", failing_read)
        select(pilot, "demo:message")
        await pilot.press("w", *"bye", "enter")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: feed.writes_to("demo:message") == ["bye"])
        await wait_until(pilot, lambda: "wrote 'bye'" in status_text(pilot))
        # Undo must not offer to write demo:setpoint back: that was not the last write.
        await pilot.press("u")
        assert app.screen is screen, "undo offered to revert an earlier write"
        await pilot.pause(0.2)
        assert feed.writes == [("demo:setpoint", 2), ("demo:message", "bye")]


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


async def test_save_expands_the_home_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        app.screen.query_one("Input").value = "~/saved.txt"
        await pilot.press("enter")
        await pilot.pause()
    assert (tmp_path / "saved.txt").is_file()


@pytest.mark.parametrize("key", ["ctrl+s", "v"])
async def test_a_home_that_does_not_exist_is_said_not_a_crash(key):
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        app.screen.query_one("Input").value = "~nosuchuser-catui/x.txt"
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running and app.screen is app.watch_screen
        said = [n.message for n in app._notifications]
        assert any("Not a usable path" in m and "nosuchuser-catui" in m for m in said)
