"""Armed writes, undo, stale rows, row trends and alarm history, against a real IOC."""

from __future__ import annotations

import pytest

from catui.app_main import build_app
from catui.dialogs.confirm import ConfirmDialog
from catui.dialogs.prompt import TextPrompt
from catui.dialogs.write import WriteDialog
from catui.trend import BLOCKS
from catui.widgets.detail_pane import DetailPane
from catui.widgets.watch_table import WatchTable
from tests.catui.console_helpers import select, status_text, wait_until

pytestmark = pytest.mark.interop

SIZE = (100, 30)


def cell(app, name: str, column: str) -> str:
    return str(app.watch_screen.query_one(WatchTable).get_cell(name, column))


def confirm_text(app) -> str:
    assert isinstance(app.screen, ConfirmDialog)
    return f"{app.screen.question}\n{app.screen.body}\n{app.screen.detail}"


async def ready(pilot, app, names) -> None:
    st = app.watch_screen.watchlist.states

    def known() -> bool:
        return all(st[n].control is not None and st[n].value is not None for n in names)

    await wait_until(pilot, known, what="values and control info")


async def test_armed_write_previews_holds_the_row_and_reports_the_ioc(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    ao = f"{epics_base_ioc.prefix}ao"
    app = build_app([ao], cursor_blink=False, write_timeout=5.0)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, [ao])
        assert cell(app, ao, "value") == "3.500 mm"
        await pilot.press("w")
        assert isinstance(app.screen, WriteDialog)
        await pilot.pause()
        assert cell(app, ao, "conn") == "editing"
        # The IOC's value moves while it is edited: the row holds what the dialog shows.
        epics_base_ioc.dbpf("ao", 7)
        st = app.watch_screen.watchlist.states[ao]
        await wait_until(pilot, lambda: float(st.value[0]) == 7.0, what="the update")
        await pilot.pause(0.2)
        assert cell(app, ao, "value") == "3.500 mm"
        # Old → new with units, exactly what is sent, and the drive limits crossed.
        await pilot.press(*"60", "enter")
        text = confirm_text(app)
        assert "old: 3.500 mm" in text and "new: 60.000 mm" in text
        assert "sent: DOUBLE 60.0" in text
        assert "outside the control limits -50 … 50 (DRVL/DRVH)" in text
        assert "LOPR/HOPR" not in text  # 60 is within the display range -100 … 100
        await pilot.press("y")
        # The IOC clips to DRVH: the operator is told what it holds, not what was typed.
        await wait_until(pilot, lambda: "completed" in status_text(pilot), what="completion")
        assert "the IOC reports 50.000 mm" in status_text(pilot)
        await wait_until(pilot, lambda: cell(app, ao, "value") == "50.000 mm", what="the row")
        assert cell(app, ao, "conn") == "connected"
        # Beyond the display range as well: both limits named before anything is sent.
        await pilot.press("w", *"150", "enter")
        text = confirm_text(app)
        assert "(DRVL/DRVH)" in text and "display range -100 … 100 (LOPR/HOPR)" in text
        await pilot.press("escape", "escape")
        assert app.screen is app.watch_screen
        assert cell(app, ao, "conn") == "connected"  # released on cancel too
        epics_base_ioc.dbpf("ao", 3.5)


async def test_enum_preview_names_the_choice(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    mbbo = f"{epics_base_ioc.prefix}mbbo"
    app = build_app([mbbo], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, [mbbo])
        await pilot.press("w", "up", "enter")
        text = confirm_text(app)
        assert "old: On" in text and "new: Off (choice 0)" in text
        assert "sent: ENUM choice 0 ('Off')" in text
        await pilot.press("n", "escape")


async def test_undo_writes_back_the_value_read_before_the_write(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    ao = f"{epics_base_ioc.prefix}ao"
    app = build_app([ao], cursor_blink=False, write_timeout=5.0)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, [ao])
        st = app.watch_screen.watchlist.states[ao]
        await pilot.press("u")  # nothing written yet: nothing to undo, nothing asked
        assert app.screen is app.watch_screen
        await pilot.press("w", *"12.25", "enter", "y")
        await wait_until(pilot, lambda: float(st.value[0]) == 12.25, what="the write")
        await wait_until(pilot, lambda: app.watch_screen.last_write is not None)
        await pilot.press("u")
        text = confirm_text(app)
        assert "Undo the last write" in text
        assert "old: 12.250 mm" in text and "new: 3.500 mm" in text
        await pilot.press("n")  # the default is No: nothing written
        await pilot.pause(0.3)
        assert float(st.value[0]) == 12.25
        await pilot.press("u", "y")
        await wait_until(pilot, lambda: float(st.value[0]) == 3.5, what="the undo")
        assert "the IOC reports 3.500 mm" in status_text(pilot)


async def test_stale_rows_are_marked_and_recover(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    ao, tick = (f"{epics_base_ioc.prefix}{n}" for n in ("ao", "tick"))
    app = build_app([ao, tick], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, [ao, tick])
        table = app.watch_screen.query_one(WatchTable)
        # Both rows marked: the threshold applies to both.
        await pilot.press("space", "space")
        assert table.marked_names == [ao, tick]
        await pilot.press("t")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"1", "enter")
        st = app.watch_screen.watchlist.states
        assert st[ao].stale_after == st[tick].stale_after == 1.0
        # ao is passive: its time stands still; tick moves ten times a second.
        await wait_until(pilot, lambda: cell(app, ao, "conn").startswith("stale "),
                         timeout=5, what="ao stale")  # fmt: skip
        assert cell(app, tick, "conn") == "connected"
        select(pilot, ao)
        await pilot.pause(0.2)
        assert "the timestamp is " in app.watch_screen.query_one(DetailPane).text()
        epics_base_ioc.dbpf("ao", 4.5)
        await wait_until(pilot, lambda: cell(app, ao, "conn") == "connected",
                         timeout=5, what="ao fresh again")  # fmt: skip
        # A bad threshold is refused in words; the old one stays.
        await pilot.press("t", "ctrl+a", *"soon", "enter")
        assert st[ao].stale_after == 1.0
        epics_base_ioc.dbpf("ao", 3.5)


async def test_row_trend_and_alarm_history(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    tick, alarm = (f"{epics_base_ioc.prefix}{n}" for n in ("tick", "alarm"))
    app = build_app([tick, alarm], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, [tick, alarm])
        await wait_until(pilot, lambda: len(cell(app, tick, "trend")) >= 3, what="a trend")
        assert set(cell(app, tick, "trend")) <= set(BLOCKS)
        for value in (95, 50):  # MAJOR HIHI, then no alarm
            epics_base_ioc.dbpf("alarm", value)
        select(pilot, alarm)
        pane = app.watch_screen.query_one(DetailPane)

        def history() -> str:
            return next((x for x in pane.text().splitlines() if x.startswith("Alarms")), "")

        await wait_until(pilot, lambda: "NO_ALARM" in history(), what="the alarm history")
        line = history()
        assert line.index("MINOR HIGH") < line.index("MAJOR HIHI") < line.index("NO_ALARM")
        epics_base_ioc.dbpf("alarm", 85)


async def test_text_to_a_char_array_round_trips_in_utf8(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    name = f"{epics_base_ioc.prefix}lstr.VAL$"
    app = build_app([name], cursor_blink=False, write_timeout=5.0)
    async with app.run_test(size=SIZE) as pilot:
        st = app.watch_screen.watchlist.states[name]
        await wait_until(pilot, lambda: st.value is not None and st.is_text, what="the text")
        await pilot.press("w")
        app.screen.query_one("Input").value = "25 °C"  # (Pilot's keys are ASCII)
        await pilot.press("enter")
        text = confirm_text(app)
        assert "new: '25 °C'" in text and "sent: CHAR[7] '25 °C' in UTF-8 and its NUL" in text
        await pilot.press("y")
        await wait_until(pilot, lambda: cell(app, name, "value") == "25 °C", what="the row")
        raw = bytes(st.value[: list(st.value).index(0)])
        assert raw == "25 °C".encode()
        # Undo puts back the exact bytes read before the write.
        await pilot.press("u", "y")
        await wait_until(pilot, lambda: cell(app, name, "value").startswith("a long string"),
                         what="the undo")  # fmt: skip
