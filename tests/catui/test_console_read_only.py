"""``--read-only`` (and ``CATUI_READ_ONLY``): every write path refused, said in the status bar."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from catui.app import ReadOnlyError, read_only_requested
from catui.app_main import build_app, build_parser
from catui.dialogs.add_pvs import AddPVsDialog
from catui.dialogs.write import WriteDialog
from catui.screens.record import RecordScreen
from catui.widgets.paste_area import PasteArea
from tests.catui.console_helpers import select, status_text, wait_until

pytestmark = pytest.mark.interop

SIZE = (100, 30)


def said(app) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("yes", True), ("", False), ("0", False), ("no", False), ("false", False)],
)
def test_catui_read_only_from_the_environment(monkeypatch, value, expected) -> None:
    monkeypatch.setenv("CATUI_READ_ONLY", value)
    assert read_only_requested() is expected


def test_the_flag_is_parsed() -> None:
    assert build_parser().parse_args(["--read-only", "x"]).read_only is True
    assert build_parser().parse_args(["x"]).read_only is False


async def test_no_write_path_is_open_when_read_only(epics_base_ioc, ca_env, monkeypatch) -> None:
    ca_env(epics_base_ioc)
    monkeypatch.setenv("CATUI_READ_ONLY", "1")
    ao = f"{epics_base_ioc.prefix}ao"
    epics_base_ioc.dbpf("ao", 3.5)
    app = build_app([ao], cursor_blink=False)
    assert app.read_only
    with pytest.raises(ReadOnlyError):
        app.writes.open_link(ao)
    async with app.run_test(size=SIZE) as pilot:
        st = app.watch_screen.watchlist.states[ao]
        await wait_until(pilot, lambda: st.value is not None, what="the value")
        assert status_text(pilot).startswith("READ-ONLY")
        select(pilot, ao)
        # The write dialog, by w and by Enter.
        for key in ("w", "enter"):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, WriteDialog), key
        assert sum("Read-only console" in m for m in said(app)) == 2
        # Undo, even with a write to undo.
        app.writes.last_write = (ao, [1.0])
        await pilot.press("u")
        await pilot.pause()
        assert "Read-only console: undo not written" in said(app)[-1]
        assert app.watch_screen._undo is None
        # Pasting caput lines adds the names; it writes nothing.
        await pilot.press("a")
        assert isinstance(app.screen, AddPVsDialog)
        app.screen.query_one(PasteArea).insert(f"caput {ao} 9\n")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert app.writes.links == set()
        # A field of the record view, by w and by Enter.
        await pilot.press("r")
        record = app.screen
        assert isinstance(record, RecordScreen)
        await wait_until(pilot, lambda: "VAL" in record.query_one(DataTable).rows,
                         what="the record's fields")  # fmt: skip
        assert "READ-ONLY" in str(record.query_one("#record-path", Static).render())
        table = record.query_one(DataTable)
        table.move_cursor(row=table.get_row_index("VAL"), animate=False)
        for key in ("w", "enter"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is record, key
        assert f"Read-only console: {ao}.VAL not written" in said(app)[-1]
        assert app.writes.links == set()
        # Undo of a field written from the record view, from the record view.
        app.writes.last_write = (f"{ao}.VAL", [1.0])
        await pilot.press("u")
        await pilot.pause()
        assert app.screen is record
        assert "Read-only console: undo not written" in said(app)[-1]
        assert app.watch_screen._undo is None and app.writes.links == set()
    assert float(epics_base_ioc.dbgf("ao").split()[-1]) == 3.5


async def test_the_same_keys_open_the_write_dialog_when_not_read_only(
    epics_base_ioc, ca_env, monkeypatch
) -> None:
    """The control: what read-only refuses is otherwise there."""
    ca_env(epics_base_ioc)
    monkeypatch.delenv("CATUI_READ_ONLY", raising=False)
    ao = f"{epics_base_ioc.prefix}ao"
    app = build_app([ao], cursor_blink=False)
    assert not app.read_only
    async with app.run_test(size=SIZE) as pilot:
        st = app.watch_screen.watchlist.states[ao]
        await wait_until(pilot, lambda: st.value is not None, what="the value")
        assert "READ-ONLY" not in status_text(pilot)
        select(pilot, ao)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, WriteDialog)
        await pilot.press("escape")
