"""Undo after a write whose old value is unknown writes nothing.

On the fixed plant of :mod:`catui.dev` (no IOC, no network).
"""

from __future__ import annotations

import datetime

from catui.app_main import build_app
from catui.dev.snapshots import fixed_pvs
from catui.dialogs.confirm import ConfirmDialog
from catui.dialogs.write import WriteDialog
from catui.feeds.fake import FakeFeed
from tests.catui.console_helpers import confirm_shown, select, status_text, wait_until

SIZE = (100, 30)


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
