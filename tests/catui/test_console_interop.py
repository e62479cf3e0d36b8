"""The console against a real EPICS Base IOC, driven through Pilot."""

from __future__ import annotations

import pytest

from catui.app_main import build_app
from catui.dialogs.confirm import ConfirmDialog
from catui.dialogs.write import WriteDialog
from catui.widgets.watch_table import WatchTable
from tests.catui.console_helpers import confirm_shown, select, status_text, wait_until

pytestmark = pytest.mark.interop

SIZE = (100, 30)


def pv(ioc, name: str) -> str:
    return f"{ioc.prefix}{name}"


def states(app):
    return app.watch_screen.watchlist.states


async def test_watchlist_shows_values_and_updates(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    names = [pv(epics_base_ioc, n) for n in ("ao", "mbbo", "str", "wf:double", "tick", "alarm")]
    missing = pv(epics_base_ioc, "no:such:pv")
    app = build_app([*names, missing], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        st = states(app)
        await wait_until(pilot, lambda: all(st[n].value is not None for n in names),
                         what="every value")  # fmt: skip
        await wait_until(pilot, lambda: st[names[0]].control is not None, what="control info")
        table = app.watch_screen.query_one(WatchTable)
        cell = lambda name, col: str(table.get_cell(name, col))  # noqa: E731
        assert cell(names[0], "value") == "3.500 mm"
        assert cell(names[1], "value") == "On"
        assert cell(names[2], "value") == "hello"
        assert cell(names[3], "value").startswith("[3] 1.5 2.5 3.5")  # %g: no value hidden
        assert cell(names[5], "alarm") == "MINOR HIGH"
        assert cell(missing, "conn") == "searching"
        first = st[names[4]].updates
        await wait_until(pilot, lambda: st[names[4]].updates >= first + 3, what="tick updates")
        assert "5/6" not in status_text(pilot) and "6/7 connected" in status_text(pilot)


async def test_write_through_dialog_with_notify(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    name = pv(epics_base_ioc, "ao")
    app = build_app([name], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        st = states(app)[name]
        await wait_until(pilot, lambda: st.control is not None and st.value is not None)
        await pilot.press("enter")
        assert isinstance(app.screen, WriteDialog)
        await pilot.press(*"12.25", "enter")
        await confirm_shown(pilot)  # once the PV was read again
        await pilot.press("n")  # the default is No: nothing written
        assert isinstance(app.screen, WriteDialog)
        await pilot.press("enter")
        await confirm_shown(pilot)
        await pilot.press("y")
        assert not isinstance(app.screen, (WriteDialog, ConfirmDialog))
        await wait_until(pilot, lambda: "completed" in status_text(pilot), what="completion")
        await wait_until(pilot, lambda: float(st.value[0]) == 12.25, what="the new value")
        assert str(app.watch_screen.query_one(WatchTable).get_cell(name, "value")) == "12.250 mm"
        epics_base_ioc.dbpf("ao", 3.5)


async def test_enum_write_picks_from_the_list(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    name = pv(epics_base_ioc, "mbbo")
    app = build_app([name], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        st = states(app)[name]
        await wait_until(pilot, lambda: st.control is not None and st.value is not None)
        await pilot.press("w", "up", "enter")  # from On to Off
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: st.value == ["Off"], what="Off")
        epics_base_ioc.dbpf("mbbo", 1)


async def test_refused_and_bad_writes_say_why(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    ro, ao, disabled = (pv(epics_base_ioc, n) for n in ("ro", "ao", "disabled"))
    app = build_app([ro, ao, disabled], cursor_blink=False, write_timeout=3.0)
    async with app.run_test(size=SIZE) as pilot:
        st = states(app)
        await wait_until(pilot, lambda: all(s.control is not None for s in st.values()))
        # Read-only: the dialog says so, and there is nothing to confirm.
        select(pilot, ro)
        await pilot.press("w")
        refused = str(app.screen.query_one("#write-refused").render())
        assert "No write access" in refused and "Nothing will be sent" in refused
        await pilot.press("enter", "escape")
        assert app.screen is app.watch_screen
        # A value that is not a number: an error in the dialog, nothing armed.
        select(pilot, ao)
        await pilot.press("w", *"1,5", "enter")
        assert isinstance(app.screen, WriteDialog)
        assert "Not written: not a number: '1,5'" in str(
            app.screen.query_one("#write-error").render()
        )
        # Outside the control limits: the confirmation warns.
        await pilot.press(*["backspace"] * 3, *"60", "enter")
        await confirm_shown(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "outside the drive limits -50 … 50" in app.screen.detail
        await pilot.press("escape", "escape")
        # DISP=1: the IOC refuses the put; the status bar says so in words.
        select(pilot, disabled)
        await pilot.press("w", "8", "enter")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: "failed" in status_text(pilot), what="the refusal")
        assert "the IOC answered ECA_PUTFAIL" in status_text(pilot)


async def test_missing_pv_connects_and_killed_ioc_recovers(ioc_factory, ca_env):
    ioc = ioc_factory()
    ca_env(ioc)
    ioc.stop()  # not there yet
    name = pv(ioc, "ao")
    app = build_app([name], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        st = states(app)[name]
        table = app.watch_screen.query_one(WatchTable)
        await pilot.pause(0.3)
        assert str(table.get_cell(name, "conn")) == "searching"
        ioc.start()
        await wait_until(pilot, lambda: st.value is not None, timeout=15, what="first value")
        assert str(table.get_cell(name, "conn")) == "connected"
        ioc.kill()
        await wait_until(pilot, lambda: st.connection == "disconnected", what="disconnected")
        assert str(table.get_cell(name, "conn")) == "disconnected"
        assert str(table.get_cell(name, "value")) == "3.500 mm"  # the last value, dimmed
        ioc.start()
        await wait_until(pilot, lambda: st.connection == "connected", timeout=15,
                         what="reconnection")  # fmt: skip
        assert str(table.get_cell(name, "conn")) == "connected"
