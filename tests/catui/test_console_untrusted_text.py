"""What a server's strings or a PV's name can do to the screen: nothing (escaped).

On the fixed plant of :mod:`catui.dev` (no IOC, no network).
"""

from __future__ import annotations

import datetime

from textual.widgets._toast import Toast

from catui.app_main import build_app
from catui.dev.snapshots import make_app
from catui.dialogs.write import WriteDialog
from catui.feeds.fake import FakeFeed, FakePV
from catui.model import ControlInfo
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
