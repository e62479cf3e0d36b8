"""Armed writes, undo, stale rows, row trends and alarm history, against a real IOC."""

from __future__ import annotations

import json

import pytest

from catui.app_main import build_app
from catui.dialogs.confirm import ConfirmDialog
from catui.dialogs.prompt import TextPrompt
from catui.dialogs.write import WriteDialog
from catui.trend import BLOCKS
from catui.widgets.detail_pane import DetailPane
from catui.widgets.watch_table import WatchTable
from tests.catui.console_helpers import confirm_shown, select, status_text, wait_until

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


def journal_lines(path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def test_armed_write_previews_holds_the_row_and_reports_the_ioc(
    epics_base_ioc, ca_env, tmp_path
):
    ca_env(epics_base_ioc)
    ao = f"{epics_base_ioc.prefix}ao"
    journal = tmp_path / "journal.jsonl"
    app = build_app([ao], cursor_blink=False, write_timeout=5.0, journal_path=journal)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app, [ao])
            assert cell(app, ao, "value") == "3.500 mm"
            await pilot.press("w")
            assert isinstance(app.screen, WriteDialog)
            await pilot.pause()
            assert cell(app, ao, "conn") == "editing"
            # Where the limits come from, read while the operator types.
            limits = app.screen.query_one("#write-limits")
            await wait_until(pilot, lambda: "DRVL/DRVH" in str(limits.render()),
                             what="the drive limits named")  # fmt: skip
            assert "Drive limits (DRVL/DRVH): -50 … 50 mm" in str(limits.render())
            # The IOC's value moves while it is edited: the row holds what the dialog shows.
            epics_base_ioc.dbpf("ao", 7)
            st = app.watch_screen.watchlist.states[ao]
            await wait_until(pilot, lambda: float(st.value[0]) == 7.0, what="the update")
            await pilot.pause(0.2)
            assert cell(app, ao, "value") == "3.500 mm"
            # Armed, the PV is read again: the confirm says it changed, and its old is
            # what the IOC holds now.  Old → new exactly, with units; what is sent; the
            # drive limits crossed, in words that say the IOC clips.
            await pilot.press(*"60", "enter")
            text = await confirm_shown(pilot)
            assert "changed since you opened this: was 3.5 mm, now 7 mm" in text
            assert "old: 7 mm" in text and "new: 60 mm" in text
            assert "sent: DOUBLE 60.0" in text
            assert (
                "60 is outside the drive limits -50 … 50 (DRVL/DRVH); the IOC will clip it" in text
            )
            assert "LOPR/HOPR" not in text  # 60 is within the display range -100 … 100
            await pilot.press("y")
            # The IOC clips to DRVH: the operator is told what it holds, not what was typed.
            await wait_until(pilot, lambda: "completed" in status_text(pilot), what="completion")
            assert "wrote 60 mm to" in status_text(pilot)
            assert "the IOC reports 50 mm" in status_text(pilot)
            await wait_until(pilot, lambda: cell(app, ao, "value") == "50.000 mm", what="the row")
            assert cell(app, ao, "conn") == "connected"
            # The journal: the value read right before the write, what was sent, and
            # what the IOC reported after it.
            await wait_until(pilot, lambda: len(journal_lines(journal)) == 1, what="the journal")
            (entry,) = journal_lines(journal)
            assert (entry["old"], entry["new"], entry["reported"]) == ("7 mm", "60 mm", "50 mm")
            assert entry["sent"] == "DOUBLE 60.0" and entry["status"] == "completed"
            # Beyond the display range as well: both limits named before anything is sent.
            await pilot.press("w", *"150", "enter")
            text = await confirm_shown(pilot)
            assert "changed since" not in text
            assert "(DRVL/DRVH)" in text and "display range -100 … 100 (LOPR/HOPR)" in text
            await pilot.press("escape", "escape")
            assert app.screen is app.watch_screen
            assert cell(app, ao, "conn") == "connected"  # released on cancel too
    finally:
        epics_base_ioc.dbpf("ao", 3.5)


async def test_the_confirm_shows_the_exact_value_not_the_precision(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    ao = f"{epics_base_ioc.prefix}ao"
    app = build_app([ao], cursor_blink=False, write_timeout=5.0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app, [ao])
            await pilot.press("w", *"0.75", "enter")
            text = await confirm_shown(pilot)
            assert "old: 3.5 mm" in text and "new: 0.75 mm" in text
            await pilot.press("y")
            await wait_until(pilot, lambda: "completed" in status_text(pilot), what="completion")
            assert "wrote 0.75 mm to" in status_text(pilot)
            assert "the IOC reports 0.75 mm" in status_text(pilot)
            # The table keeps PREC (once the monitor's update is drained).
            await wait_until(pilot, lambda: cell(app, ao, "value") == "0.750 mm",
                             what="the new value in the table")  # fmt: skip
    finally:
        epics_base_ioc.dbpf("ao", 3.5)


async def test_a_change_while_paused_is_seen_when_armed(epics_base_ioc, ca_env, tmp_path):
    ca_env(epics_base_ioc)
    ao = f"{epics_base_ioc.prefix}ao"
    journal = tmp_path / "journal.jsonl"
    app = build_app([ao], cursor_blink=False, write_timeout=5.0, journal_path=journal)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app, [ao])
            await pilot.press("p")  # paused: the row stays at 3.5
            epics_base_ioc.dbpf("ao", 9.25)
            await pilot.pause(0.3)
            await pilot.press("w")
            assert "Current: 3.5 mm" in str(app.screen.query_one("#write-current").render())
            await pilot.press(*"4", "enter")
            text = await confirm_shown(pilot)
            assert "changed since you opened this: was 3.5 mm, now 9.25 mm" in text
            assert "old: 9.25 mm" in text
            # Refused, then armed again: the dialog now shows the value read, and the
            # second confirm is a fresh one that no longer says it changed.
            await pilot.press("n")
            current = str(app.screen.query_one("#write-current").render())
            assert "Current: 9.25 mm" in current
            await pilot.press("enter")
            text = await confirm_shown(pilot)
            assert "changed since" not in text and "old: 9.25 mm" in text
            await pilot.press("y")
            await wait_until(pilot, lambda: len(journal_lines(journal)) == 1, what="the journal")
            assert journal_lines(journal)[0]["old"] == "9.25 mm"  # read right before the write
    finally:
        epics_base_ioc.dbpf("ao", 3.5)


@pytest.mark.parametrize(
    ("record", "value", "words", "held"),
    [
        # A longout without DRVH/DRVL reports LOPR/HOPR as its control limits: the IOC
        # accepts the value, and the warning says so.
        ("lo:nodrv", "2000", "2000 is outside the display range -1000 … 1000 (LOPR/HOPR); "
         "the IOC accepts it; check it is meant", "2000"),
        ("long", "600", "600 is outside the drive limits -500 … 500 (DRVL/DRVH); "
         "the IOC will clip it", "500"),
        ("float", "20", "20 is outside the display range -10 … 10 (LOPR/HOPR); "
         "the IOC accepts it", "20"),
    ],
)  # fmt: skip
async def test_limit_warnings_say_where_the_limits_come_from(
    epics_base_ioc, ca_env, record, value, words, held
):
    ca_env(epics_base_ioc)
    name = f"{epics_base_ioc.prefix}{record}"
    before = epics_base_ioc.dbgf(record)
    app = build_app([name], cursor_blink=False, write_timeout=5.0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app, [name])
            await pilot.press("w", *value, "enter")
            text = await confirm_shown(pilot)
            assert words in text
            assert text.count("⚠") == 1  # one warning: the same limits are not said twice
            await pilot.press("y")
            await wait_until(pilot, lambda: "completed" in status_text(pilot), what="completion")
            assert f"the IOC reports {held}" in status_text(pilot)
    finally:
        epics_base_ioc.dbpf(record, before)


async def test_huge_limits_are_shown_like_values(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    name = f"{epics_base_ioc.prefix}calc:huge"
    app = build_app([name], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, [name])
        await pilot.press("w")
        limits = app.screen.query_one("#write-limits")
        await wait_until(pilot, lambda: "LOPR/HOPR" in str(limits.render()), what="the source")
        assert "Display range (LOPR/HOPR): -1e+300 … 1e+300" in str(limits.render())
        await pilot.press("escape")


async def test_enum_preview_names_the_choice(epics_base_ioc, ca_env, tmp_path):
    ca_env(epics_base_ioc)
    mbbo = f"{epics_base_ioc.prefix}mbbo"
    journal = tmp_path / "journal.jsonl"
    app = build_app([mbbo], cursor_blink=False, journal_path=journal)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app, [mbbo])
            await pilot.press("w", "up", "enter")
            text = await confirm_shown(pilot)
            assert "old: 'On' (choice 1)" in text and "new: 'Off' (choice 0)" in text
            assert "sent: ENUM choice 0 ('Off')" in text
            # The row has the label, the read the index: the same value, not a change.
            assert "changed since" not in text
            await pilot.press("y")
            await wait_until(pilot, lambda: "completed" in status_text(pilot), what="completion")
            # The label and the index, never the index alone.
            assert "wrote 'Off' (choice 0) to" in status_text(pilot)
            assert "the IOC reports 'Off' (choice 0)" in status_text(pilot)
            await wait_until(pilot, lambda: len(journal_lines(journal)) == 1, what="the journal")
            (entry,) = journal_lines(journal)
            assert (entry["old"], entry["old_index"]) == ("On", 1)
            assert (entry["new"], entry["new_index"]) == ("Off", 0)
            assert (entry["reported"], entry["reported_index"]) == ("Off", 0)
    finally:
        epics_base_ioc.dbpf("mbbo", 1)


async def test_enum_choices_by_type_ahead(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    mbbo = f"{epics_base_ioc.prefix}mbbo"
    app = build_app([mbbo], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, [mbbo])
        await pilot.press("w")
        choices = app.screen.query_one("OptionList")
        assert choices.highlighted == 1  # On, the value now
        await pilot.press("f")
        assert choices.highlighted == 2  # Fault
        await pilot.pause(1.2)  # a pause: a new label
        await pilot.press("o", "f")
        assert choices.highlighted == 0  # Off
        await pilot.press("enter")
        text = await confirm_shown(pilot)
        assert "new: 'Off' (choice 0)" in text
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
        await pilot.press("w", *"12.25", "enter")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: float(st.value[0]) == 12.25, what="the write")
        await wait_until(pilot, lambda: app.watch_screen.last_write is not None)
        await pilot.press("u")
        text = await confirm_shown(pilot)
        assert "Undo the last write" in text
        assert "old: 12.25 mm" in text and "new: 3.5 mm" in text
        await pilot.press("n")  # the default is No: nothing written
        await pilot.pause(0.3)
        assert float(st.value[0]) == 12.25
        await pilot.press("u")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: float(st.value[0]) == 3.5, what="the undo")
        assert "the IOC reports 3.5 mm" in status_text(pilot)


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
        text = await confirm_shown(pilot)
        assert "new: '25 °C'" in text
        # The text and the bytes sent.
        assert "sent: CHAR[7] '25 °C' in UTF-8 and its NUL: 32 35 20 c2 b0 43 00" in text
        await pilot.press("y")
        await wait_until(pilot, lambda: cell(app, name, "value") == "25 °C", what="the row")
        raw = bytes(st.value[: list(st.value).index(0)])
        assert raw == "25 °C".encode()
        assert "the IOC reports '25 °C'" in status_text(pilot)
        # Undo puts back the exact bytes read before the write.
        await pilot.press("u")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: cell(app, name, "value").startswith("a long string"),
                         what="the undo")  # fmt: skip


async def test_text_or_numbers_to_an_empty_char_array(epics_base_ioc, ca_env):
    """A CHAR array that holds no text yet still takes text; ctrl+t switches to numbers."""
    ca_env(epics_base_ioc)
    name = f"{epics_base_ioc.prefix}wf:char0"
    app = build_app([name], cursor_blink=False, write_timeout=5.0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            st = app.watch_screen.watchlist.states[name]
            await wait_until(pilot, lambda: st.value is not None and st.control is not None,
                             what="the empty array")  # fmt: skip
            await pilot.press("w")
            dialog = app.screen
            limits = dialog.query_one("#write-limits")
            assert "Text, at most 15 bytes in UTF-8 (ctrl+t: numbers)" in str(limits.render())
            await pilot.press(*"hi", "enter")
            text = await confirm_shown(pilot)
            assert (
                "new: 'hi'" in text and "sent: CHAR[3] 'hi' in UTF-8 and its NUL: 68 69 00" in text
            )
            await pilot.press("y")
            await wait_until(pilot, lambda: "completed" in status_text(pilot), what="the text")
            assert "the IOC reports 'hi'" in status_text(pilot)
            # Numbers, after ctrl+t.
            await pilot.press("w", "ctrl+t")
            dialog = app.screen
            limits = dialog.query_one("#write-limits")
            assert "Up to 16 comma-separated numbers 0 … 255 (ctrl+t: text)" in str(
                limits.render()
            )
            await pilot.press(*"65,66,0", "enter")
            text = await confirm_shown(pilot)
            assert "new: [3] 65 66 0" in text and "sent: CHAR[3] 65, 66, 0" in text
            await pilot.press("y")
            await wait_until(pilot, lambda: "wrote [3] 65 66 0" in status_text(pilot),
                             what="the numbers")  # fmt: skip
            await wait_until(pilot, lambda: list(st.value[:3]) == [65, 66, 0], what="the row")
    finally:
        epics_base_ioc.shell(f'dbpf "{name}.NORD" "0"', check=False)


async def test_a_pv_that_goes_away_while_the_dialog_is_open_cannot_be_armed(ioc_factory, ca_env):
    ioc = ioc_factory()
    ca_env(ioc)
    ao = f"{ioc.prefix}ao"
    app = build_app([ao], cursor_blink=False, write_timeout=3.0)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app, [ao])
        await pilot.press("w", "4")
        dialog = app.screen
        assert isinstance(dialog, WriteDialog)
        state_line = dialog.query_one("#write-state")
        assert "-hidden" in state_line.classes
        ioc.stop()
        await wait_until(pilot, lambda: "is disconnected: it cannot be written until it "
                         "reconnects" in str(state_line.render()), what="the line")  # fmt: skip
        await pilot.press("enter")
        error = str(dialog.query_one("#write-error").render())
        assert error == f"Not armed: {ao} is disconnected; nothing was sent"
        assert app.screen is dialog
        # Back: the line goes, and Enter arms (on a new circuit: the dialog's died).
        ioc.start()
        await wait_until(pilot, lambda: "-hidden" in state_line.classes, timeout=15,
                         what="the PV back")  # fmt: skip
        await pilot.press("enter")
        text = await confirm_shown(pilot)
        assert "old: 3.5 mm" in text and "new: 4 mm" in text
        await pilot.press("y")
        await wait_until(pilot, lambda: "completed" in status_text(pilot), what="completion")
        assert "the IOC reports 4 mm" in status_text(pilot)
