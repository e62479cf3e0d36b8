"""The write journal: every write of the console appended to a file, and shown on ``j``."""

from __future__ import annotations

import getpass
import json
import socket
import time

import pytest
from textual.widgets import DataTable

from catui import app_main
from catui.app_main import build_app
from catui.data import journal
from catui.feeds.ca_write import journal_status
from catui.screens.journal import JournalScreen
from protocol.errors import (
    CATimeoutError,
    CAValueError,
    ChannelAccessDenied,
    ConnectTimeoutError,
    DisconnectedError,
)
from protocol.status import ensure_status
from tests.catui.console_helpers import confirm_shown, select, status_text, wait_until

SIZE = (120, 40)


def pv(ioc, name: str) -> str:
    return f"{ioc.prefix}{name}"


def lines(path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def notifications(app) -> list[tuple[str, str]]:
    return [(n.severity, n.message) for n in app._notifications]


# -- the status of a write, in the journal's words ------------------------------------------


class Reply:
    def __init__(self, name: str) -> None:
        self.status = ensure_status(name)


@pytest.mark.parametrize(
    ("response", "error", "expected"),
    [
        (Reply("ECA_NORMAL"), None, ("completed", "ECA_NORMAL")),
        (object(), None, ("completed", "")),
        (None, ChannelAccessDenied("no"), ("refused", "")),
        (None, CATimeoutError("slow"), ("timed out", "")),
        (None, CAValueError("bad"), ("not written", "")),
        (None, ConnectTimeoutError("not found"), ("not written", "")),
        (None, DisconnectedError("closed"), ("unknown", "")),
        (None, OSError("gone"), ("failed", "")),
    ],
)
def test_journal_status(response, error, expected):
    assert journal_status(response, error) == expected


def test_journal_status_of_an_abandoned_write():
    from catui.feeds.base import DEADLINE, QUIT
    from catui.feeds.ca_write import describe_write
    from protocol.sync.cancel import CACancelledError, CancelledBeforeSendingError

    # Quit before it was sent: not written; after: abandoned, its outcome unknown.
    assert journal_status(None, CancelledBeforeSendingError("x"), QUIT) == ("not written", "")
    assert journal_status(None, CACancelledError("x"), QUIT) == ("abandoned", "")
    # Reset at its deadline: a timeout, as one the client noticed itself.
    assert journal_status(None, CACancelledError("x"), DEADLINE) == ("timed out", "")
    ok, text = describe_write("pv", "5", None, CACancelledError("x"), 3.0, abandoned=QUIT)
    assert not ok and text == (
        "write to pv abandoned when catui quit: it was sent, the outcome is unknown; "
        "check the value"
    )
    ok, text = describe_write("pv", "5", None, CancelledBeforeSendingError("x"), 3.0,
                              abandoned=QUIT)  # fmt: skip
    assert text == "not written to pv: catui quit before it was sent"
    _, text = describe_write("pv", "5", None, CACancelledError("x"), 3.0, abandoned=DEADLINE)
    assert text.startswith("write to pv timed out: no completion within 3 s; it was sent")


def test_journal_status_of_a_refused_put():
    status, reply = journal_status(Reply("ECA_PUTFAIL"), None)
    assert status == "failed" and reply.startswith("ECA_PUTFAIL (")


# -- where the journal is -------------------------------------------------------------------


def test_journal_option_and_default(tmp_path, _state_home):
    seen = {}

    def runner(app):
        seen["path"] = app.journal_path

    target = tmp_path / "ops" / "writes.jsonl"
    assert app_main.run_console(["a:1", "--journal", str(target)], runner) == 0
    assert seen["path"] == target
    assert app_main.run_console(["a:1"], runner) == 0
    # The test session's own state directory (tests/catui/conftest.py), never ~.
    assert seen["path"] == _state_home / "catui" / "journal.jsonl"


# -- against a real IOC -----------------------------------------------------------------------


@pytest.mark.interop
async def test_writes_are_journalled_and_shown(epics_base_ioc, ca_env, tmp_path):
    ca_env(epics_base_ioc)
    path = tmp_path / "journal.jsonl"
    # An entry from an earlier session, in the same file.
    journal.append(path, journal.new_entry("old:pv", "1", "2", "completed", when=1_000_000.0))
    ao, disabled = pv(epics_base_ioc, "ao"), pv(epics_base_ioc, "disabled")
    app = build_app([ao, disabled], cursor_blink=False, journal_path=path, write_timeout=3.0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            states = app.watch_screen.watchlist.states
            await wait_until(pilot, lambda: all(s.control is not None for s in states.values()),
                             what="control info")  # fmt: skip
            await wait_until(pilot, lambda: states[ao].value is not None, what="a value")
            before = time.time()
            select(pilot, ao)
            await pilot.press("w", *"12.25", "enter")
            await confirm_shown(pilot)
            await pilot.press("y")
            await wait_until(pilot, lambda: "completed" in status_text(pilot), what="completion")
            await wait_until(pilot, lambda: len(lines(path)) == 2, what="the journal line")
            select(pilot, disabled)
            await pilot.press("w", "8", "enter")
            await confirm_shown(pilot)
            await pilot.press("y")
            await wait_until(pilot, lambda: "failed" in status_text(pilot), what="the refusal")
            await wait_until(pilot, lambda: len(lines(path)) == 3, what="the second line")

            old, written, refused = lines(path)
            assert old["pv"] == "old:pv"
            # Exact values with their units; old: read right before the write.
            assert written["pv"] == ao and written["new"] == "12.25 mm"
            assert written["old"] == "3.5 mm"
            assert written["sent"] == "DOUBLE 12.25" and written["reported"] == "12.25 mm"
            assert written["status"] == "completed" and written["reply"] == "ECA_NORMAL"
            assert written["user"] == getpass.getuser()
            assert written["host"] == socket.gethostname()
            assert before <= written["time"] <= time.time()
            assert refused["pv"] == disabled and refused["new"] == "8"
            assert "reported" not in refused  # not read after a failed write
            assert refused["status"] == "failed" and "ECA_PUTFAIL" in refused["reply"]

            # j: the journal, newest first, the earlier session's entry last.
            await pilot.press("j")
            assert isinstance(app.screen, JournalScreen)
            screen = app.screen
            await wait_until(pilot, lambda: len(screen.entries) == 3, what="the journal shown")
            assert [e.pv for e in screen.entries] == [disabled, ao, "old:pv"]
            table = screen.query_one(DataTable)
            assert table.row_count == 3
            first = [str(cell) for cell in table.get_row_at(0)]
            assert first[1] == disabled and first[3] == "8" and first[4] == "failed"
            second = [str(cell) for cell in table.get_row_at(1)]
            assert second[2:5] == ["3.5 mm", "12.25 mm", "completed"]
            assert "3 writes" in str(screen.query_one("#journal-summary").render())
            await pilot.press("escape")
            assert app.screen is app.watch_screen
    finally:
        epics_base_ioc.dbpf("ao", 3.5)


@pytest.mark.interop
async def test_journal_shows_control_characters_escaped(epics_base_ioc, ca_env, tmp_path):
    ca_env(epics_base_ioc)
    path = tmp_path / "journal.jsonl"
    journal.append(path, journal.new_entry("x:pv", "\x1b[2J", "[bold]b[/]\nfake", "completed"))
    app = build_app([pv(epics_base_ioc, "ao")], cursor_blink=False, journal_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.entries) == 1, what="the entry")
        row = [str(cell) for cell in screen.query_one(DataTable).get_row_at(0)]
        assert row[2] == "\\x1b[2J"
        assert row[3] == "[bold]b[/]\\x0afake"  # markup shown as typed, one line


@pytest.mark.interop
async def test_a_journal_that_cannot_be_written_is_a_warning(epics_base_ioc, ca_env, tmp_path):
    ca_env(epics_base_ioc)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the journal's directory should be\n")
    path = blocker / "journal.jsonl"  # even root cannot create this
    name = pv(epics_base_ioc, "ao")
    app = build_app([name], cursor_blink=False, journal_path=path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            state = app.watch_screen.watchlist.states[name]
            await wait_until(pilot, lambda: state.control is not None and state.value is not None)
            await pilot.press("w", *"7.5", "enter")
            await confirm_shown(pilot)
            await pilot.press("y")
            await wait_until(pilot, lambda: "completed" in status_text(pilot), what="completion")
            await wait_until(
                pilot,
                lambda: any(sev == "warning" for sev, _ in notifications(app)),
                what="the warning",
            )
            warning = next(msg for sev, msg in notifications(app) if sev == "warning")
            assert warning.startswith("Write journal not written") and str(path) in warning
            # The write itself was reported as what it was, and happened.
            assert any(sev == "information" and "completed" in msg
                       for sev, msg in notifications(app))  # fmt: skip
            await wait_until(pilot, lambda: float(state.value[0]) == 7.5, what="the new value")
            assert app.screen is app.watch_screen
    finally:
        epics_base_ioc.dbpf("ao", 3.5)
