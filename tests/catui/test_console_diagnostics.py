"""The diagnostics screen (``D``): on the fixed plant, then against two real IOCs."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator

import pytest
from rich.console import Console
from textual.widgets import Static

from catui.app_main import build_app
from catui.dev.snapshots import make_app
from catui.feeds.fake_diagnostics import FAKE_OTHER_SERVER
from catui.screens.diagnostics import DiagnosticsScreen
from catui.screens.help import HelpScreen
from catui.screens.watch import WatchScreen
from tests.catui.console_helpers import status_text, wait_until
from tests.support.iocs import EpicsBaseIoc
from tests.support.iocs import two_iocs as start_two_iocs

SIZE = (120, 40)


def section(app, name: str) -> str:
    """The plain text of one section of the diagnostics screen."""
    widget = app.screen.query_one(f"#diagnostics-{name}", Static)
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


def rows(text: str) -> list[list[str]]:
    """A section's lines, split into cells at runs of two or more spaces."""
    return [[cell for cell in line.strip().split("  ") if cell.strip()] for line in
            text.splitlines()]  # fmt: skip


def row_of(text: str, first: str) -> list[str]:
    found = [[c.strip() for c in row] for row in rows(text) if row and row[0].strip() == first]
    assert len(found) == 1, (first, text)
    return found[0]


# -- on the fixed plant ----------------------------------------------------------------


async def test_d_shows_the_snapshot_and_escape_returns():
    app, feed = make_app()
    async with app.run_test(size=SIZE) as pilot:
        feed.play(app.watch_screen.drain)
        await pilot.press("D")
        assert isinstance(app.screen, DiagnosticsScreen)
        await wait_until(pilot, lambda: app.screen.snap is not None, what="the first snapshot")
        await pilot.pause()
        address = section(app, "address")
        assert row_of(address, "EPICS_CA_ADDR_LIST") == ["EPICS_CA_ADDR_LIST", "127.0.0.1:5064"]
        assert row_of(address, "EPICS_CA_AUTO_ADDR_LIST")[1] == "NO"
        assert row_of(address, "Search destinations")[1] == "127.0.0.1:5064"
        circuits = section(app, "circuits")
        assert row_of(circuits, "127.0.0.1:5064")[:3] == ["127.0.0.1:5064", "0", "13"]
        pvs = section(app, "pvs")
        # Every PV at priority 0: said in the title, not in a column of zeros.
        assert "13 of 15 connected, priority 0" in pvs
        assert row_of(pvs, "demo:setpoint")[:3] == ["demo:setpoint", "127.0.0.1:5064", "connected"]
        assert row_of(pvs, "demo:missing")[1:3] == ["—", "searching"]
        searching = section(app, "searching")
        assert row_of(searching, "demo:missing")[1:3] == ["7", "6"]  # searches, retries
        duplicates = section(app, "duplicates")
        other = "{}:{}".format(*FAKE_OTHER_SERVER)
        assert f"answered by 127.0.0.1:5064 and {other}" in duplicates
        await pilot.press("escape")
        assert isinstance(app.screen, WatchScreen)


async def test_the_key_is_in_help_and_the_palette():
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        bindings = {b.id: b for b in app.watch_screen.current_bindings()}
        assert bindings["watch-diagnostics"].key == "D"
        assert bindings["watch-diagnostics"].tooltip == "Show CA diagnostics"
        commands = [c.title for c in app.get_system_commands(app.watch_screen)]
        assert "Diagnostics" in commands
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert any(b.id == "watch-diagnostics" for b in app.screen.bindings)


async def test_a_warning_logged_while_running_is_in_the_pane(capfd):
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        capfd.readouterr()
        logging.getLogger("protocol.sync.blocker").warning("PV %r: a [bold]test[/] warning", "x:y")
        logging.getLogger("catui.feed").info("an info record is not counted")
        # The status bar says a warning is waiting to be read, until D shows it.
        await wait_until(pilot, lambda: "⚠ 1 warning (D)" in status_text(pilot),
                         what="the warning count")  # fmt: skip
        await pilot.press("D")
        await wait_until(pilot, lambda: "test[/] warning" in section(app, "log"), what="the log")
        line = next(l for l in section(app, "log").splitlines() if "warning" in l)  # noqa: E741
        assert "WARNING" in line and "protocol.sync.blocker: PV 'x:y'" in line
        await pilot.press("escape")
        await pilot.pause(1.2)
        assert "warning" not in status_text(pilot)
    out, err = capfd.readouterr()
    assert "test" not in out + err


async def test_a_failing_snapshot_is_a_line_not_a_traceback():
    app, feed = make_app()

    def broken():
        raise RuntimeError("no snapshot today")

    feed.diagnostics = broken  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("D")
        summary = app.screen.query_one("#diagnostics-summary", Static)
        await wait_until(pilot, lambda: "no snapshot today" in str(summary.content),
                         what="the error")  # fmt: skip
        assert str(summary.content) == "No diagnostics: no snapshot today"
        assert isinstance(app.screen, DiagnosticsScreen)


# -- two real IOCs serving the same PV ----------------------------------------------------

PREFIX = f"catdc{os.getpid()}:"
SECOND_DB = """\
record(ao, "$(P)ao") {
    field(VAL, "11")
    field(PINI, "YES")
}
"""


@pytest.fixture(scope="module")
def two_iocs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EpicsBaseIoc, EpicsBaseIoc]]:
    with start_two_iocs(PREFIX, SECOND_DB, tmp_path_factory.mktemp("diag")) as pair:
        yield pair


@pytest.mark.interop
async def test_duplicate_server_shown_and_nothing_printed(two_iocs, monkeypatch, capfd):
    first, second = (ioc.ensure_running() for ioc in two_iocs)
    for key, value in first.env.items():
        monkeypatch.setenv(key, value)
    addr_list = f"127.0.0.1:{first.port} 127.0.0.1:{second.port}"
    monkeypatch.setenv("EPICS_CA_ADDR_LIST", addr_list)
    dup, only_first, missing = PREFIX + "ao", PREFIX + "long", PREFIX + "no:such:pv"
    # As if the user had called logging.basicConfig(): a root handler on the terminal.
    terminal = io.StringIO()
    root_handler = logging.StreamHandler(terminal)
    logging.getLogger().addHandler(root_handler)
    try:
        app = build_app([dup, only_first, missing], cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            states = app.watch_screen.watchlist.states
            await wait_until(pilot, lambda: states[dup].value is not None and
                             states[only_first].value is not None, what="values")  # fmt: skip
            capfd.readouterr()
            await pilot.press("D")
            assert isinstance(app.screen, DiagnosticsScreen)
            await wait_until(pilot, lambda: "answered by" in section(app, "duplicates"),
                             timeout=10.0, what="the duplicate")  # fmt: skip
            await wait_until(pilot, lambda: "served by both" in section(app, "log"),
                             what="the warning in the log")  # fmt: skip
            server = states[dup].address
            assert server is not None
            used, other = (
                "{}:{}".format(*server),
                "{}:{}".format(
                    *({("127.0.0.1", first.port), ("127.0.0.1", second.port)} - {server}).pop()
                ),
            )
            assert f"PV {dup!r} answered by {used} and {other}; using {used}" in section(
                app, "duplicates"
            )
            address = section(app, "address")
            assert row_of(address, "EPICS_CA_ADDR_LIST")[1] == addr_list
            assert row_of(address, "EPICS_CA_AUTO_ADDR_LIST")[1] == "NO"
            assert row_of(address, "EPICS_CA_SERVER_PORT")[1] == str(first.port)
            assert row_of(address, "Search destinations")[1] == addr_list
            pvs = section(app, "pvs")
            assert row_of(pvs, only_first)[1:3] == [f"127.0.0.1:{first.port}", "connected"]
            assert row_of(pvs, dup)[1:3] == [used, "connected"]
            assert row_of(pvs, missing)[1:3] == ["—", "searching"]
            circuits = section(app, "circuits")
            first_circuit = row_of(circuits, f"127.0.0.1:{first.port}")
            assert first_circuit[1] == "0"  # priority
            assert first_circuit[2] == ("2" if used.endswith(str(first.port)) else "1")
            # The missing PV's searches go on, and the pane follows them.
            retries = int(row_of(section(app, "searching"), missing)[2])
            await wait_until(pilot, lambda: int(row_of(section(app, "searching"), missing)[2])
                             > retries, timeout=10.0, what="more retries")  # fmt: skip
            await pilot.press("escape")
            assert isinstance(app.screen, WatchScreen)
            out, err = capfd.readouterr()
            assert out == "" and err == ""
    finally:
        logging.getLogger().removeHandler(root_handler)
    assert terminal.getvalue() == ""
    out, err = capfd.readouterr()
    assert "served by both" not in out + err
