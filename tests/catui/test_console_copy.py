"""Copy rows out (get/put lines, Markdown, CSV) and compare a saved snapshot with live values."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest
from textual.widgets import DataTable, Input, TextArea

from catui.app_main import build_app
from catui.data.snapshot import from_csv
from catui.data.snapshot_file import parse_snapshot
from catui.dialogs.confirm import ConfirmDialog
from catui.dialogs.copy_out import CopyDialog
from catui.dialogs.prompt import TextPrompt
from catui.screens.compare import CompareScreen
from tests.catui.console_helpers import select, wait_until

pytestmark = pytest.mark.interop

SIZE = (120, 40)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pv(ioc, name: str) -> str:
    return f"{ioc.prefix}{name}"


async def ready(pilot, names) -> None:
    states = pilot.app.watch_screen.watchlist.states
    await wait_until(
        pilot,
        lambda: all(states[n].value is not None and states[n].control is not None for n in names),
        what="values and control info",
    )


def run_line(line: str) -> subprocess.CompletedProcess[str]:
    """Run a copied ``catui …`` line as a shell would split it (without a shell)."""
    words = shlex.split(line)
    assert words[0] == "catui"
    return subprocess.run(
        [sys.executable, "-m", "catui", *words[1:]],
        capture_output=True, text=True, timeout=30, cwd=ROOT, check=False,
    )  # fmt: skip


def verdict(screen: CompareScreen, name: str):
    return next(v for v in screen.verdicts if v.name == name)


def mark(screen: CompareScreen, name: str) -> str:
    return str(screen.query_one(DataTable).get_cell(name, "mark"))


async def test_copy_marked_rows_in_every_format_and_save(epics_base_ioc, ca_env, tmp_path):
    ca_env(epics_base_ioc)
    ao, mbbo, text, wf, alarm = (
        pv(epics_base_ioc, n) for n in ("ao", "mbbo", "str", "wf:double", "alarm")
    )
    app = build_app([ao, mbbo, text, wf, alarm], cursor_blink=False)
    target = tmp_path / "plant.csv"
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, [ao, mbbo, text, wf, alarm])
            for name in (ao, text, wf, alarm):  # not mbbo
                select(pilot, name)
                await pilot.press("space")
            await pilot.press("c")
            assert isinstance(app.screen, CopyDialog)
            dialog = app.screen
            assert [row.name for row in dialog.rows] == [ao, text, wf, alarm]

            # catui get lines, shown in the dialog and copied on Enter.
            await pilot.press("enter")
            gets = "".join(f"catui get {name}\n" for name in (ao, text, wf, alarm))
            assert app.clipboard == gets
            assert dialog.query_one(TextArea).text == gets
            assert "Copied catui get lines (4 lines)" in str(
                dialog.query_one("#copy-status").render()
            )

            # catui put lines: the current values, exact, shell-quoted.
            await pilot.press("down", "enter")
            puts = app.clipboard.splitlines()
            assert puts == [
                f"catui put {ao} 3.5",
                f"catui put {text} hello",
                f"catui put -a {wf} 3 1.5 2.5 3.5",
                f"catui put {alarm} 85.0",
            ]

            # Markdown: name, value, units, severity, timestamp.
            await pilot.press("down", "enter")
            markdown = app.clipboard.splitlines()
            assert markdown[0] == "| name | value | units | severity | timestamp |"
            assert markdown[2].startswith(f"| {ao} | 3.500 | mm |  | 20")
            assert markdown[5].startswith(f"| {alarm} | 85.0 | degC | MINOR | ")

            # CSV, read back as the snapshot it is.
            await pilot.press("down", "enter")
            csv_text = app.clipboard
            rows = {row.name: row for row in from_csv(csv_text)}
            assert list(rows) == [ao, text, wf, alarm]
            assert rows[ao].value == "3.500" and rows[ao].number == 3.5
            assert rows[ao].units == "mm"
            assert rows[text].value == "hello" and rows[text].number is None
            assert rows[wf].value == "[3] 1.5 2.5 3.5"  # as the table shows it
            assert rows[alarm].severity == "MINOR"

            # ctrl+s: a prompt with a default name, then the file.
            await pilot.press("ctrl+s")
            assert isinstance(app.screen, TextPrompt)
            field = app.screen.query_one(Input)
            assert field.value.startswith("snapshot-") and field.value.endswith(".csv")
            field.value = str(target)
            await pilot.press("enter")
            await wait_until(pilot, lambda: target.exists(), what="the saved file")
            assert target.read_text() == csv_text
            await wait_until(pilot, lambda: dialog.saved == target, what="the saved path")

            # Saving over it again asks first.
            target.write_text("changed by hand\n")
            await pilot.press("ctrl+s")
            app.screen.query_one(Input).value = str(target)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog),
                             what="the replace question")  # fmt: skip
            await pilot.press("n")
            await pilot.pause()
            assert target.read_text() == "changed by hand\n"
            assert "exists" in str(dialog.query_one("#copy-status").render())
            await pilot.press("ctrl+s")
            app.screen.query_one(Input).value = str(target)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("y")
            await wait_until(pilot, lambda: target.read_text() == csv_text, what="the replace")

            await pilot.press("escape")
            assert app.screen is app.watch_screen
            assert app.watch_screen.snapshot_path == target

            # Without marks, c copies the cursor's row.
            for name in (ao, text, wf, alarm):
                select(pilot, name)
                await pilot.press("space")
            select(pilot, mbbo)
            await pilot.press("c", "down", "enter")
            assert app.clipboard == f"catui put {mbbo} On\n"
            await pilot.press("escape")

        # The copied put lines restore the values: run them, as an operator would.
        epics_base_ioc.dbpf("ao", 9)
        assert run_line(f"catui put -a {wf} 2 9 9").returncode == 0
        assert epics_base_ioc.dbgf("wf:double.NORD") == "2"
        for line in (puts[0], puts[2]):
            done = run_line(line)
            assert done.returncode == 0, done.stderr
        assert float(epics_base_ioc.dbgf("ao")) == 3.5
        assert epics_base_ioc.dbgf("wf:double.NORD") == "3"
    finally:
        epics_base_ioc.dbpf("ao", 3.5)


async def test_copied_put_line_restores_an_empty_array(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    empty = pv(epics_base_ioc, "wf:empty")  # NORD 0: no element in use
    app = build_app([empty], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, [empty])
        await pilot.press("c", "down", "enter")
        line = app.clipboard
        await pilot.press("escape")
    assert line == f"catui put -a {empty} 0\n"
    try:
        assert run_line(f"catui put -a {empty} 2 1 2").returncode == 0
        assert epics_base_ioc.dbgf("wf:empty.NORD") == "2"
        done = run_line(line)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == f"New : {empty} 0 (empty array)"
        assert epics_base_ioc.dbgf("wf:empty.NORD") == "0"
    finally:
        run_line(f"catui put -a {empty} 0")


async def test_compare_a_saved_csv_flags_drift(epics_base_ioc, ca_env, tmp_path):
    ca_env(epics_base_ioc)
    ao, text = pv(epics_base_ioc, "ao"), pv(epics_base_ioc, "str")
    app = build_app([ao, text], cursor_blink=False)
    target = tmp_path / "before.csv"
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, [ao, text])
            for name in (ao, text):
                select(pilot, name)
                await pilot.press("space")
            await pilot.press("c", "down", "down", "down", "ctrl+s")
            app.screen.query_one(Input).value = str(target)
            await pilot.press("enter")
            await wait_until(pilot, lambda: target.exists(), what="the snapshot")
            await pilot.press("escape")

            # v offers the snapshot just saved.
            await pilot.press("v")
            assert isinstance(app.screen, TextPrompt)
            assert app.screen.query_one(Input).value == str(target)
            await pilot.press("enter")
            assert isinstance(app.screen, CompareScreen)
            screen = app.screen
            await wait_until(pilot, lambda: len(screen.verdicts) == 2, what="the rows")
            assert [v.mark for v in screen.verdicts] == ["ok", "ok"]
            assert verdict(screen, ao).saved == "3.500 mm"

            # The IOC's value changes: the row drifts, while the screen is open.
            epics_base_ioc.dbpf("ao", 3.9)
            await wait_until(pilot, lambda: verdict(screen, ao).mark == "DRIFT", what="drift")
            assert mark(screen, ao) == "DRIFT"
            assert verdict(screen, ao).live == "3.900 mm"
            assert verdict(screen, ao).difference == "+0.4"
            assert verdict(screen, text).mark == "ok"
            assert "1 drifted" in str(screen.query_one("#compare-summary").render())

            # A tolerance for all rows: 0.5 lets 0.4 through, not 5.5.
            await pilot.press("t")
            field = screen.query_one("#compare-tolerance-input", Input)
            assert field.has_focus
            field.value = ""
            await pilot.press(*"0.5", "enter")
            assert verdict(screen, ao).mark == "ok" and mark(screen, ao) == "ok"
            assert verdict(screen, ao).tolerance == "0.5 (all)"
            epics_base_ioc.dbpf("ao", 9)
            await wait_until(pilot, lambda: verdict(screen, ao).mark == "DRIFT", what="drift")

            # A tolerance that is not one is said, and the last good one kept.
            await pilot.press("t")
            field.value = "-1"
            await pilot.press("enter")
            assert "Not a tolerance: '-1'" in str(screen.query_one("#compare-error").render())
            assert screen.default_tolerance == 0.5
            await pilot.press("escape")
            assert app.screen is app.watch_screen
    finally:
        epics_base_ioc.dbpf("ao", 3.5)


async def test_compare_a_markdown_snapshot_with_row_tolerances(epics_base_ioc, ca_env, tmp_path):
    ca_env(epics_base_ioc)
    ao, long_, text = (pv(epics_base_ioc, n) for n in ("ao", "long", "str"))
    gone = pv(epics_base_ioc, "no:such:pv")
    snapshot = tmp_path / "logbook.md"
    snapshot.write_text(
        "Shift log, before the beam study.\n\n"
        "| name | value | units | severity | timestamp | tolerance |\n"
        "|---|---|---|---|---|---|\n"
        f"| {ao} | 3.500 | mm |  | 2026-01-15 08:30:00.000000 | 0.2 |\n"
        f"| {long_} | 42 |  |  |  |  |\n"
        f"| {text} | hello |  |  |  |  |\n"
        f"| {gone} | 1 |  |  |  |  |\n\n"
        "Signed: the operator.\n"
    )
    assert len(parse_snapshot(snapshot.read_text()).rows) == 4
    app = build_app([ao, long_, text], cursor_blink=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, [ao, long_, text])
            await pilot.press("v")
            app.screen.query_one(Input).value = str(snapshot)
            await pilot.press("enter")
            screen = app.screen
            assert isinstance(screen, CompareScreen)
            await wait_until(pilot, lambda: len(screen.verdicts) == 4, what="the rows")
            assert [v.mark for v in screen.verdicts] == ["ok", "ok", "ok", "MISSING"]
            assert mark(screen, gone) == "MISSING"
            assert verdict(screen, ao).tolerance == "0.2"

            epics_base_ioc.dbpf("ao", 3.6)  # within the row's own 0.2
            epics_base_ioc.dbpf("long", 43)  # beyond the global 0
            epics_base_ioc.dbpf("str", "bye")
            await wait_until(pilot, lambda: verdict(screen, long_).mark == "DRIFT",
                             what="long drifts")  # fmt: skip
            await wait_until(pilot, lambda: verdict(screen, text).mark == "DRIFT",
                             what="str drifts")  # fmt: skip
            await wait_until(pilot, lambda: verdict(screen, ao).live == "3.600 mm")
            assert verdict(screen, ao).mark == "ok"
            assert verdict(screen, text).note == "value differs"
            epics_base_ioc.dbpf("ao", 3.8)
            await wait_until(pilot, lambda: verdict(screen, ao).mark == "DRIFT", what="ao drifts")

            # a: watch the missing PV; it is then searched for, not missing.
            await pilot.press("a")
            assert gone in app.watch_screen.watchlist.states
            assert verdict(screen, gone).mark == "OFFLINE"
            await pilot.press("escape")
    finally:
        epics_base_ioc.dbpf("ao", 3.5)
        epics_base_ioc.dbpf("long", 42)
        epics_base_ioc.dbpf("str", "hello")


async def test_compare_with_a_file_that_is_not_a_snapshot(epics_base_ioc, ca_env, tmp_path):
    ca_env(epics_base_ioc)
    bad = tmp_path / "notes.txt"
    bad.write_text("just some notes\nno table here\n")
    app = build_app([pv(epics_base_ioc, "ao")], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        for path in (bad, tmp_path / "none.csv"):
            await pilot.press("v")
            app.screen.query_one(Input).value = str(path)
            await pilot.press("enter")
            screen = app.screen
            assert isinstance(screen, CompareScreen)
            error = screen.query_one("#compare-error")
            await wait_until(pilot, lambda: str(error.render()) != "", what="the error")  # noqa: B023
            assert str(path) in str(error.render())
            await pilot.press("escape")
        assert app.screen is app.watch_screen
