"""The record view screen (``r``) against the browse IOCs: facts, fields, links, writes."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from catui.app_main import build_app
from catui.browse.fields import TABLE
from catui.browse.source import BrowseSource
from catui.dialogs.field_write import FieldWriteDialog
from catui.screens.pv_tree import PVTreeScreen
from catui.screens.record import RecordScreen
from catui.screens.watch import WatchScreen
from tests.catui.console_helpers import confirm_shown, select, wait_until

pytestmark = pytest.mark.interop

SIZE = (120, 40)


def screen_of(app) -> RecordScreen:
    screen = app.screen
    assert isinstance(screen, RecordScreen)
    return screen


def header(app) -> str:
    screen = screen_of(app)
    path = str(screen.query_one("#record-path", Static).render())
    return path + "\n" + str(screen.query_one("#record-summary", Static).render())


def cell(app, field: str) -> str:
    table = screen_of(app).query_one(DataTable)
    return str(table.get_cell(field, "value"))


def put_cursor(app, field: str) -> None:
    table = screen_of(app).query_one(DataTable)
    table.move_cursor(row=table.get_row_index(field), animate=False)


async def opened(pilot, app, record: str) -> RecordScreen:
    """Wait for the view of ``record`` with every field read."""
    screen = screen_of(app)
    await wait_until(
        pilot,
        lambda: screen.view.record == record and screen.view.record_type and screen.view.complete,
        what=f"the record view of {record}",
    )
    await pilot.pause()
    return screen


async def test_the_record_view_shows_facts_fields_and_follows_links(browse) -> None:
    top = browse.pv("sev:top")
    app = build_app([top], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        select(pilot, top)
        await pilot.press("r")
        screen = await opened(pilot, app, top)
        text = header(app)
        assert f"Record: {top}" in text
        assert f"{top}  ao on 127.0.0.1:" in text
        assert "DESC the root of the severity chain" in text
        assert "SCAN Passive" in text and "PINI YES" in text  # menus by their choice text
        assert "SEVR MAJOR" in text and "STAT LINK" in text
        assert "HIHI 0 (NO_ALARM)" in text
        # Every field of the ao record, by promptgroup, each with its prompt.
        table = screen.query_one(DataTable)
        assert "group:Output" in table.rows and "group:Alarm" in table.rows
        assert str(table.get_cell("DRVH", "prompt")) == "Drive High Limit"
        assert cell(app, "OMSL") == "closed_loop"
        assert cell(app, "DOL") == f"{browse.pv('sev:l2')} PP MS"
        assert table.row_count > 90
        # Enter on a link: its record's view; the breadcrumb shows the path.
        put_cursor(app, "DOL")
        await pilot.press("enter")
        await opened(pilot, app, browse.pv("sev:l2"))
        assert f"Record: {top} › {browse.pv('sev:l2')}" in header(app)
        assert "calc" in header(app)
        put_cursor(app, "INPA")
        await pilot.press("enter")
        await opened(pilot, app, browse.pv("sev:l1"))
        assert header(app).count("›") == 2
        # Backspace goes back along the path; Esc closes the view.
        await pilot.press("backspace")
        await opened(pilot, app, browse.pv("sev:l2"))
        assert header(app).count("›") == 1
        await pilot.press("escape")
        assert isinstance(app.screen, WatchScreen)


async def test_a_link_into_the_second_ioc_is_followed(browse) -> None:
    calc = browse.pv("chain:calc")
    app = build_app([calc], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        screen = await opened(pilot, app, calc)
        near = screen.view.host
        assert cell(app, "INPB") == "3.5  (constant)"
        assert "(read as INPF$)" in cell(app, "INPF")  # longer than 39 characters
        put_cursor(app, "INPE")
        await pilot.press("enter")
        screen = await opened(pilot, app, browse.far_pv("far:val"))
        assert screen.view.host != near
        assert "DESC in the second IOC" in header(app)
        # Names met while browsing are remembered (the add dialog completes them).
        assert browse.far_pv("far:val") in app.browser.seen


async def test_an_unknown_record_type_says_its_list_is_partial(browse) -> None:
    calc = browse.pv("chain:calc")
    source = BrowseSource(timeout=1.0, table=TABLE.without("calc"))
    app = build_app([calc], cursor_blink=False, browser=source)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        screen_ = screen_of(app)
        await wait_until(pilot, lambda: "partial:" in header(app) and screen_.view.complete,
                         what="the partial notice")  # fmt: skip
        assert "'calc' is not in the field table" in header(app)
        assert "not on this IOC:" in header(app)
        assert "INP" not in screen_.query_one(DataTable).rows


async def test_a_field_is_written_through_the_armed_dialog_with_dbd_checks_first(
    browse, tmp_path
) -> None:
    rec = browse.pv("write:long")
    journal = tmp_path / "journal.jsonl"
    app = build_app([rec], cursor_blink=False, journal_path=journal)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await opened(pilot, app, rec)
        # A field the record sets itself is refused before any dialog.
        put_cursor(app, "RPRO")
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, RecordScreen)
        assert "SPC_NOMOD" in list(app._notifications)[-1].message
        # A number outside DBF_LONG's range is refused in the dialog; nothing is sent.
        put_cursor(app, "HIHI")
        await pilot.press("w")
        assert isinstance(app.screen, FieldWriteDialog)
        await pilot.press(*"99999999999", "enter")
        error = app.screen.query_one("#write-error", Static)
        assert "outside DBF_LONG's range" in str(error.render())
        await pilot.press("escape")
        # DESC: armed, confirmed, written, journalled, and read again into the view.
        put_cursor(app, "DESC")
        await pilot.press("enter")
        assert isinstance(app.screen, FieldWriteDialog)
        await pilot.press(*"from the view", "enter")
        text = await confirm_shown(pilot)
        assert f"Write {rec}.DESC?" in text and "new: 'from the view'" in text
        await pilot.press("y")
        await wait_until(pilot, lambda: cell(app, "DESC") == "from the view",
                         what="the field read again")  # fmt: skip
        assert "from the view" in browse.near.dbgf("write:long.DESC")
        assert f'"{rec}.DESC"' in journal.read_text()
        assert app.watch_screen.last_write is not None
        assert app.watch_screen.last_write[0] == f"{rec}.DESC"
        # The menu field offers its choices.
        put_cursor(app, "SCAN")
        await pilot.press("w")
        assert isinstance(app.screen, FieldWriteDialog)
        assert app.screen.target.enum_strings[:2] == ("Passive", "Event")
        await pilot.press("escape")
    browse.near.dbpf("write:long.DESC", "write checks")


async def test_a_record_that_is_not_there_says_so_and_the_ui_does_not_wait(browse) -> None:
    gone = browse.pv("nowhere:at:all")
    app = build_app([gone], cursor_blink=False, browser=BrowseSource(timeout=1.0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert header(app).endswith(f"{gone}: reading…")  # drawn before any answer
        screen = screen_of(app)
        await wait_until(pilot, lambda: screen.ready, what="the failure")
        assert f"{gone}: not found" in header(app)
        # T: the record's PV tree, from the view.
        await pilot.press("escape")
        top = browse.pv("sev:top")
        app.watch_screen.add_names([top])
        select(pilot, top)
        await pilot.press("r")
        await opened(pilot, app, top)
        await pilot.press("T")
        assert isinstance(app.screen, PVTreeScreen) and app.screen.pv == top


async def test_a_field_write_from_the_record_view_is_undone_with_the_armed_confirm(
    browse, tmp_path
) -> None:
    rec = browse.pv("write:long")
    browse.near.dbpf("write:long.HIHI", "40")
    # The record is not a row: undo must not need the watchlist.
    app = build_app([browse.pv("sev:top")], cursor_blink=False,
                    journal_path=tmp_path / "journal.jsonl")  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await opened(pilot, app, browse.pv("sev:top"))
        screen_of(app).follow(rec)
        await opened(pilot, app, rec)
        put_cursor(app, "HIHI")
        await pilot.press("w")
        assert isinstance(app.screen, FieldWriteDialog)
        await pilot.press(*"77", "enter")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: cell(app, "HIHI") == "77", what="the write")
        # Changed behind the console's back after the write: the confirm shows what the
        # IOC holds now, and undo writes back the value read just before the write.
        browse.near.dbpf("write:long.HIHI", "78")
        await pilot.press("u")
        text = await confirm_shown(pilot)
        assert f"Undo the last write to {rec}.HIHI?" in text
        assert "78" in text and "40" in text
        assert browse.near.dbgf("write:long.HIHI") == "78"  # nothing sent before yes
        await pilot.press("y")
        await wait_until(pilot, lambda: cell(app, "HIHI") == "40", what="the undo read again")
        assert browse.near.dbgf("write:long.HIHI") == "40"
        assert isinstance(app.screen, RecordScreen)
        # A string field too, and the undo can be declined: nothing is sent.
        put_cursor(app, "DESC")
        await pilot.press("w", *"undo me", "enter")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: cell(app, "DESC") == "undo me", what="the DESC write")
        await pilot.press("u")
        await confirm_shown(pilot)
        await pilot.press("n")
        await pilot.pause(0.3)
        assert "undo me" in browse.near.dbgf("write:long.DESC")
        await pilot.press("u")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: cell(app, "DESC") == "write checks", what="DESC back")
        assert "write checks" in browse.near.dbgf("write:long.DESC")
    browse.near.dbpf("write:long.DESC", "write checks")
    browse.near.dbpf("write:long.HIHI", "0")
