"""Paste anything into the add dialog: the PV names in it are found, shown, then added."""

from __future__ import annotations

import pytest
from textual import events

from catui.app_main import build_app
from catui.dev.snapshots import make_app
from catui.dialogs.add_pvs import AddPVsDialog, found_text
from catui.widgets.paste_area import PasteArea
from tests.catui.console_helpers import wait_until

SIZE = (120, 40)


def pv(ioc, name: str) -> str:
    return f"{ioc.prefix}{name}"


def found(app) -> str:
    return str(app.screen.query_one("#add-found").render())


def error(app) -> str:
    return str(app.screen.query_one("#prompt-error").render())


async def paste(pilot, text: str) -> None:
    """What a terminal's bracketed paste delivers: one Paste event, to the app."""
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()
    await wait_until(pilot, lambda: pilot.app.screen.query_one(PasteArea).text == text,
                     what="the pasted text")  # fmt: skip


def test_found_text():
    assert found_text([]) == "No PV names found yet."
    assert found_text(["a:1"]) == "Found 1 PV name: a:1"
    names = [f"p:{i}" for i in range(8)]
    assert found_text(names, {"p:0", "p:7"}) == (
        "Found 8 PV names: p:0, p:1, p:2, p:3, p:4 … and 3 more (2 already watched)"
    )


@pytest.mark.interop
async def test_paste_a_dbl_listing(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    listing = epics_base_ioc.shell('dbl "ao"')  # the IOC's own output
    expected = [pv(epics_base_ioc, n) for n in ("ao", "alarm", "disabled", "ro", "ops")]
    first = pv(epics_base_ioc, "str")
    app = build_app([first], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert isinstance(app.screen, AddPVsDialog)
        await paste(pilot, 'epics> dbl "ao"\n' + listing)
        assert found(app).startswith("Found 5 PV names: " + ", ".join(expected))
        assert not app.screen.query_one("#add-button").disabled
        await pilot.press("enter")
        assert app.screen is app.watch_screen
        states = app.watch_screen.watchlist.states
        assert list(states) == [first, *expected]
        # Added means watched: the IOC's values arrive.
        await wait_until(pilot, lambda: all(states[n].value is not None for n in expected),
                         what="the pasted PVs' values")  # fmt: skip
        assert float(states[expected[0]].value[0]) == pytest.approx(3.5)


@pytest.mark.interop
async def test_paste_camonitor_output_skips_lines_without_names(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    ao, mbbo, text = (pv(epics_base_ioc, n) for n in ("ao", "mbbo", "str"))
    camonitor = (
        f"{ao:<30} 2026-01-15 08:30:00.123456 3.5  \n"
        f"{mbbo:<30} 2026-01-15 08:30:00.123456 On  \n"
        "\n"
        "12.5 13.5 2026-01-15\n"  # no name in it: passed over, not an error
        f"{ao:<30} 2026-01-15 08:30:01.000000 3.6 HIGH MINOR\n"
        f"{text:<30} 2026-01-15 08:30:02.000000 hello  \n"
    )
    app = build_app([ao], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await paste(pilot, camonitor)
        assert found(app) == f"Found 3 PV names: {ao}, {mbbo}, {text} (1 already watched)"
        assert error(app) == ""
        await pilot.click("#add-button")
        assert app.screen is app.watch_screen
        states = app.watch_screen.watchlist.states
        assert list(states) == [ao, mbbo, text]
        await wait_until(pilot, lambda: states[text].value == ["hello"], what="the string PV")
        await wait_until(pilot, lambda: states[mbbo].control is not None, what="enum labels")


@pytest.mark.interop
async def test_paste_an_autosave_file_nothing_is_run(epics_base_ioc, ca_env, tmp_path):
    ca_env(epics_base_ioc)
    sentinel = tmp_path / "ran"
    long_, wf = pv(epics_base_ioc, "long"), pv(epics_base_ioc, "wf:double")
    sav = (
        "# save/restore V5.10\tAutomatically generated - DO NOT MODIFY - 260115-083000\n"
        f"{long_} 42\n"
        f'{wf} @array@ {{ "1.5" "2.5" "3.5" }}\n'
        f"! 1 channel(s) not connected - or not all gets were successful\n"
        f"$(touch {sentinel}) `touch {sentinel}`\n"
        "<END>\n"
    )
    app = build_app([], cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await paste(pilot, sav)
        assert found(app) == f"Found 2 PV names: {long_}, {wf}"
        await pilot.press("ctrl+enter")
        assert app.screen is app.watch_screen
        states = app.watch_screen.watchlist.states
        assert list(states) == [long_, wf]
        await wait_until(pilot, lambda: states[long_].value is not None, what="the value")
        assert int(states[long_].value[0]) == 42
    assert not sentinel.exists()


async def test_typed_names_still_add_with_enter():
    app, feed = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", *"x:one y:two", "enter")
        assert app.screen is app.watch_screen
        assert app.watch_screen.watchlist.names[-2:] == ["x:one", "y:two"]
        assert feed.added[-2:] == ["x:one", "y:two"]


async def test_nothing_found_is_said_and_the_dialog_stays():
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "enter")
        assert isinstance(app.screen, AddPVsDialog)
        assert error(app) == "Type or paste at least one PV name"
        await paste(pilot, "3.5 4.5\n2026-01-15 08:30:00\n")
        assert found(app) == "No PV names found yet."
        assert app.screen.query_one("#add-button").disabled
        await pilot.press("enter")
        assert error(app) == "No PV names found in the text"
        await pilot.press("escape")
        assert app.screen is app.watch_screen


async def test_xml_with_entities_is_refused_unread():
    app, _ = make_app()
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n'
        "<pvtable><pvlist><pv><name>&a;</name></pv></pvlist></pvtable>\n"
    )
    async with app.run_test(size=SIZE) as pilot:
        before = list(app.watch_screen.watchlist.names)
        await pilot.press("a")
        await paste(pilot, bomb)
        assert "DOCTYPE" in error(app)
        await pilot.press("enter")
        assert isinstance(app.screen, AddPVsDialog)
        await pilot.press("escape")
        assert app.watch_screen.watchlist.names == before


async def test_phoebus_pv_table():
    app, _ = make_app()
    pvs = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<pvtable version="3.0">\n  <pvlist>\n'
        "    <pv><selected>true</selected><name>ph:one</name><tolerance>0.01</tolerance>"
        "<saved><value>1</value></saved></pv>\n"
        "    <pv><selected>true</selected><name>ph:two</name></pv>\n"
        "  </pvlist>\n</pvtable>\n"
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await paste(pilot, pvs)
        assert found(app) == "Found 2 PV names: ph:one, ph:two"
        await pilot.press("enter")
        assert app.watch_screen.watchlist.names[-2:] == ["ph:one", "ph:two"]
