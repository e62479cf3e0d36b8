"""Hostile text in the console's files and dialogs: escapes, huge cells, odd paths.

On the fixed plant (no IOC): a string PV's value, a snapshot or journal edited by
hand, a server's error message in the log must neither reach the terminal as escape
sequences nor stop a screen (a traceback, or a worker dying silently).
"""

from __future__ import annotations

import logging
import re

from textual import events
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static, TextArea

from catui.data import journal
from catui.data.snapshot import SnapshotRow
from catui.dev.snapshots import make_app
from catui.dialogs.copy_out import CopyDialog
from catui.dialogs.prompt import TextPrompt
from catui.screens.compare import CompareScreen
from catui.screens.diagnostics import DiagnosticsScreen
from catui.screens.journal import JournalScreen
from catui.widgets.paste_area import PasteArea
from tests.catui.console_helpers import wait_until

SIZE = (120, 40)
ESCAPE = "\x1b]0;owned\x07\x1b[2J\x9b31m"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def drawn(widget: Widget) -> str:
    """What the widget sends to the terminal, line by line."""
    return "\n".join(
        "".join(segment.text for segment in widget.render_line(y))
        for y in range(widget.size.height)
    )


async def test_copy_dialog_shows_escapes_escaped_and_copies_them_as_they_are():
    app, _ = make_app()
    rows = [SnapshotRow("demo:message", f"a{ESCAPE}b", None, "", "", "")]
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CopyDialog(rows, rows))
        await pilot.pause()
        dialog = app.screen
        for _ in range(3):  # get, put, Markdown, CSV
            area = dialog.query_one(TextArea)
            assert not _CONTROL.search(drawn(area)), dialog.format.key
            await pilot.press("down")
            await pilot.pause()
        await pilot.press("enter")
        assert dialog.format.key == "csv"
        assert f"a{ESCAPE}b" in app.clipboard  # the clipboard (OSC 52, base64) gets it all
        assert not _CONTROL.search(drawn(dialog.query_one(TextArea)))


async def test_saving_to_a_home_that_does_not_exist_is_said_not_a_crash(tmp_path):
    app, _ = make_app()
    rows = [SnapshotRow("demo:ao", "1", 1.0)]
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CopyDialog(rows, rows))
        await pilot.pause()
        dialog = app.screen
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, TextPrompt)
        app.screen.query_one(Input).value = "~no-such-user-of-catui/snap.sh"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog
        status = str(dialog.query_one("#copy-status", Static).render())
        assert status.startswith("Not saved: ")
        assert dialog.saved is None


async def test_compare_shows_a_hand_edited_snapshot_escaped(tmp_path):
    app, _ = make_app()
    path = tmp_path / "edited.csv"
    path.write_text(f"name,value\ndemo:elsewhere,{ESCAPE}\n", encoding="utf-8")
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CompareScreen(path, lambda: {}))
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.verdicts) == 1, what="the row")
        await pilot.pause()
        assert screen.verdicts[0].saved == ESCAPE  # compared as it is, shown escaped
        assert not _CONTROL.search(drawn(screen.query_one(DataTable)))


async def test_compare_error_from_a_hostile_header_is_escaped(tmp_path):
    app, _ = make_app()
    path = tmp_path / "header.csv"
    path.write_text(f"value,{ESCAPE}\n1,2\n", encoding="utf-8")
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CompareScreen(path, lambda: {}))
        await pilot.pause()
        error = app.screen.query_one("#compare-error", Static)
        await wait_until(pilot, lambda: str(error.render()) != "", what="the error")
        assert "no name column" in str(error.render())
        assert not _CONTROL.search(drawn(error))


async def test_compare_with_a_file_csv_cannot_read_says_so(tmp_path):
    app, _ = make_app()
    huge = tmp_path / "huge.csv"
    huge.write_text("name,value\ndemo:ao," + "9" * 200_000 + "\n")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"name,value\ndemo:ao,\x00\x01\r\x02\xff\n")
    async with app.run_test(size=SIZE) as pilot:
        for path in (huge, binary):
            app.push_screen(CompareScreen(path, lambda: {}))
            await pilot.pause()
            screen = app.screen
            error = screen.query_one("#compare-error", Static)
            # csv.Error killed the worker silently: "Reading the snapshot…" for ever.
            await wait_until(pilot, lambda: "Not a snapshot" in str(error.render()),  # noqa: B023
                             what="the error")  # fmt: skip
            await pilot.press("escape")


async def test_journal_with_a_line_no_float_holds_still_shows(tmp_path):
    app, _ = make_app()
    path = tmp_path / "journal.jsonl"
    journal.append(path, journal.new_entry("demo:before", "1", "2", "completed"))
    with open(path, "a", encoding="utf-8") as file:
        file.write('{"time": 1' + "0" * 400 + ', "user": "u", "host": "h", "pv": "p",'
                   ' "old": null, "new": "1", "status": "completed"}\n')  # fmt: skip
        file.write("[" * 100_000 + "\n")
    journal.append(path, journal.new_entry("demo:after", "2", "3", "completed"))
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(JournalScreen(path))
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.entries) == 2, what="the entries")
        assert [e.pv for e in screen.entries] == ["demo:after", "demo:before"]


async def test_a_servers_error_text_in_the_log_is_escaped():
    app, feed = make_app()
    async with app.run_test(size=SIZE) as pilot:
        feed.play(app.watch_screen.drain)
        # As protocol.sync.blocker logs a CA error message, text chosen by the server.
        logging.getLogger("protocol.sync.blocker").warning(
            "server 127.0.0.1:5064 reported ECA_BADTYPE for PV 'x': %s", f"bad{ESCAPE}\nfake"
        )
        await pilot.press("D")
        assert isinstance(app.screen, DiagnosticsScreen)
        log = app.screen.query_one("#diagnostics-log", Static)
        await wait_until(pilot, lambda: "ECA_BADTYPE" in drawn(log), what="the record")
        text = drawn(log)
        assert "ECA_BADTYPE" in text and "bad\\x1b]0;owned" in text
        assert not _CONTROL.search(text)


async def test_pasting_csv_with_a_huge_cell_is_not_a_crash():
    app, _ = make_app()
    text = "name,value\ndemo:new," + "x" * 200_000 + "\n"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        app.post_message(events.Paste(text))
        await wait_until(pilot, lambda: app.screen.query_one(PasteArea).text == text,
                         what="the pasted text")  # fmt: skip
        await pilot.pause()
        assert app.screen.names == ["demo:new"]
        await pilot.press("enter")
        assert app.screen is app.watch_screen
        assert app.watch_screen.watchlist.names[-1] == "demo:new"
