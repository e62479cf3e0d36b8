"""The write dialog and the write worker on the fixed plant (no IOC): arming, refusals,
type-ahead keys, the deadline and quitting while a write waits.

Against a real IOC: ``test_console_armed_writes.py``, and (a real process, a real
partition) ``tests/faults/test_write_abandoned.py``.
"""

from __future__ import annotations

import datetime
import json
import threading
import time
from typing import Any

import pytest

from catui.app_main import build_app
from catui.dev.snapshots import fixed_pvs
from catui.dialogs.confirm import ConfirmDialog
from catui.dialogs.write import WriteDialog
from catui.feeds.base import ConnectionEvent
from catui.feeds.fake import FakeFeed, FakeLink
from protocol.errors import CAValueError
from protocol.sync.cancel import CACancelledError
from tests.catui.console_helpers import confirm_shown, select, status_text, wait_until

SIZE = (100, 30)


class GatedLink(FakeLink):
    """Its reads wait for the feed's gate; its writes may hang past any timeout."""

    def read_control(self, timeout: float) -> Any:
        assert isinstance(self.feed, GatedFeed)
        self.feed.gate.wait(10.0)
        return super().read_control(timeout)

    def write(self, value: Any, timeout: float) -> Any:
        assert isinstance(self.feed, GatedFeed)
        if self.feed.hang:  # sent, then stuck past any timeout: only abort() ends it
            self._aborted.wait(30.0)
            raise CACancelledError(f"{self.abandoned} while waiting for {self.name!r}")
        return super().write(value, timeout)


class GatedFeed(FakeFeed):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fixed_pvs(), **kwargs)
        self.gate = threading.Event()
        self.gate.set()
        self.hang = False
        self.links: list[GatedLink] = []

    def write_link(self, name: str) -> GatedLink:
        link = GatedLink(self, name)
        self.links.append(link)
        return link


def app_with(feed: FakeFeed, **options: Any):  # type: ignore[no-untyped-def]
    return build_app(list(feed.pvs), feed, tz=datetime.timezone.utc, cursor_blink=False,
                     **options)  # fmt: skip


async def settled(pilot) -> None:  # type: ignore[no-untyped-def]
    screen = pilot.app.watch_screen
    await wait_until(pilot, lambda: screen.watchlist.connected_count() == 13, what="the plant")


def journal_lines(path) -> list[dict]:  # type: ignore[no-untyped-def]
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def test_keys_typed_while_checking_confirm_nothing():
    feed = GatedFeed()
    app = app_with(feed)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        select(pilot, "demo:setpoint")
        feed.gate.clear()  # the reads of the dialog wait
        await pilot.press("w", "2", "enter")
        dialog = app.screen
        assert isinstance(dialog, WriteDialog)
        assert "checking the current value" in str(dialog.query_one("#write-state").render())
        await pilot.press("y", "enter", "y")  # typed ahead, for a confirm not shown yet
        await pilot.pause(0.2)
        assert app.screen is dialog and dialog.query_one("Input").value == "2"
        feed.gate.set()
        text = await confirm_shown(pilot)
        assert "new: 2 mm" in text
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmDialog)  # still asking: nothing confirmed it
        assert feed.writes == []
        await pilot.press("n", "escape")
        assert feed.links[0].abandoned  # the dialog's link, released on close


async def test_a_disconnected_pv_cannot_be_armed_until_it_reconnects():
    feed = GatedFeed()
    app = app_with(feed)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        screen = app.watch_screen
        assert feed._mailbox is not None
        # demo:setpoint goes away: disconnected, its type known.
        feed.pvs["demo:setpoint"].state = "disconnected"
        feed._mailbox.put_connection("demo:setpoint", ConnectionEvent("disconnected"))
        await wait_until(pilot, lambda: screen.watchlist.states["demo:setpoint"].connection
                         == "disconnected", what="the disconnection")  # fmt: skip
        select(pilot, "demo:setpoint")
        await pilot.press("w")
        dialog = app.screen
        assert isinstance(dialog, WriteDialog)
        state = dialog.query_one("#write-state")
        assert "demo:setpoint is disconnected: it cannot be written until it reconnects" in str(
            state.render()
        )
        await pilot.press("5", "enter")
        error = str(dialog.query_one("#write-error").render())
        assert error == "Not armed: demo:setpoint is disconnected; nothing was sent"
        assert app.screen is dialog
        # It reconnects: the line goes, Enter arms.
        feed.pvs["demo:setpoint"].state = "connected"
        event = ConnectionEvent("connected", ("127.0.0.1", 5064),
                                feed.pvs["demo:setpoint"].info())  # fmt: skip
        feed._mailbox.put_connection("demo:setpoint", event)
        await wait_until(pilot, lambda: "-hidden" in state.classes, what="the line gone")
        await pilot.press("enter")
        await confirm_shown(pilot)
        # It goes away while the confirm is shown: y writes nothing, and says so.
        feed._mailbox.put_connection("demo:setpoint", ConnectionEvent("disconnected"))
        await wait_until(pilot, lambda: screen.watchlist.states["demo:setpoint"].connection
                         == "disconnected", what="the disconnection")  # fmt: skip
        await pilot.press("y")
        assert app.screen is dialog
        error = str(dialog.query_one("#write-error").render())
        assert "Not written: demo:setpoint is disconnected" in error
        assert feed.writes == []
        await pilot.press("escape")


async def test_a_never_connected_pv_opens_no_dialog():
    feed = GatedFeed()
    app = app_with(feed)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        select(pilot, "demo:missing")
        await pilot.press("w")
        assert app.screen is app.watch_screen
        assert feed.links == []


@pytest.mark.parametrize(
    ("name", "typed", "said"),
    [
        # The library encodes DBR_STRING as latin-1: refused here, not replaced by "?".
        ("demo:message", "5 €", "a string holds latin-1 characters only; '€' is not one"),
        ("demo:setpoint", "1e999", "not a finite number"),
        ("demo:names", "a,b,c,d,e", "at most 4 values fit"),
    ],
)
async def test_values_the_library_refuses_are_refused_in_the_dialog(name, typed, said):
    feed = GatedFeed()
    app = app_with(feed)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        select(pilot, name)
        await pilot.press("w")
        dialog = app.screen
        dialog.query_one("Input").value = typed
        await pilot.press("enter")
        assert said in str(dialog.query_one("#write-error").render())
        assert app.screen is dialog and feed.writes == []


def test_the_dialog_and_the_library_agree(monkeypatch):
    """What parse_value lets through, the library's encoder accepts (check_value)."""
    from catui.data.write_value import parse_value
    from catui.feeds.ca_write import check_value

    cases = [("DOUBLE", 1, "1e308"), ("FLOAT", 1, "3.4e38"), ("SHORT", 1, "-32768"),
             ("LONG", 1, "2147483647"), ("CHAR", 1, "255"), ("STRING", 1, "é" * 39),
             ("STRING", 3, "a, b"), ("LONG", 8, "1,2,3")]  # fmt: skip
    for kind, count, text in cases:
        check_value(parse_value(text, kind, count), kind, count)
    with pytest.raises(ValueError, match="out of range for FLOAT"):
        check_value(3.5e38, "FLOAT", 1)
    with pytest.raises(ValueError, match="does not fit a DBR_STRING"):
        check_value("é" * 40, "STRING", 1)
    with pytest.raises(ValueError, match="at most 2 element"):
        check_value([1, 2, 3], "LONG", 2)


async def test_a_library_refusal_in_the_worker_is_not_written(tmp_path, monkeypatch):
    feed = GatedFeed()
    journal = tmp_path / "journal.jsonl"
    app = app_with(feed, journal_path=journal)

    def refuse(self, value, timeout):  # type: ignore[no-untyped-def]
        raise CAValueError("2.5 is not a whole number; writing it to LONG would change it")

    monkeypatch.setattr(GatedLink, "write", refuse)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        select(pilot, "demo:setpoint")
        await pilot.press("w", "2", "enter")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: "not written" in status_text(pilot), what="the refusal")
        assert "would change it" in status_text(pilot)
        await wait_until(pilot, lambda: len(journal_lines(journal)) == 1, what="the journal")
        assert journal_lines(journal)[0]["status"] == "not written"


async def test_a_stuck_write_is_abandoned_at_its_deadline(tmp_path):
    """One deadline from the confirmation: a call that ignores it is reset then."""
    feed = GatedFeed()
    feed.hang = True
    journal = tmp_path / "journal.jsonl"
    app = app_with(feed, journal_path=journal, write_timeout=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        select(pilot, "demo:setpoint")
        await pilot.press("w", "2", "enter")
        await confirm_shown(pilot)
        await pilot.press("y")
        confirmed = time.monotonic()
        await wait_until(pilot, lambda: "timed out" in status_text(pilot), timeout=5,
                         what="the timeout")  # fmt: skip
        assert time.monotonic() - confirmed < 1.8
        assert "no completion within 1 s; it was sent" in status_text(pilot)
        link = feed.links[-1]
        assert link.abandoned == "the write timeout passed"
        assert feed.writes == []
        await wait_until(pilot, lambda: len(journal_lines(journal)) == 1, what="the journal")
        assert journal_lines(journal)[0]["status"] == "timed out"


async def test_quit_abandons_a_waiting_write_at_once(tmp_path):
    feed = GatedFeed()
    feed.hang = True
    journal = tmp_path / "journal.jsonl"
    app = app_with(feed, journal_path=journal, write_timeout=30.0)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        select(pilot, "demo:setpoint")
        await pilot.press("w", "2", "enter")
        await confirm_shown(pilot)
        await pilot.press("y", "q")
        assert isinstance(app.screen, ConfirmDialog)
        detail = app.screen.detail
        assert "Still waiting: demo:setpoint" in detail
        assert "Quitting abandons it now" in detail
        assert "not written, and nothing of it reaches the IOC later" in detail
        assert "its outcome is unknown" in detail
        quit_at = time.monotonic()
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running, what="the exit")
    # The worker ended with the app: abandoned at once, reported and journalled.
    assert time.monotonic() - quit_at < 1.0
    (entry,) = journal_lines(journal)
    assert entry["status"] == "abandoned"
    assert "abandoned when catui quit: it was sent, the outcome is unknown" in entry["reply"]
    assert feed.links[-1].abandoned == "catui quit"
    assert feed.writes == []
