"""Starting the console: PV arguments, -f FILE, --demo (with and without the extra)."""

from __future__ import annotations

import asyncio

import pytest

from catui import app_main
from catui.__main__ import main
from catui.ioc_examples.launch import DemoExtraMissing
from tests.catui.console_helpers import wait_until


def test_names_from_arguments_and_file(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("# plant\nb:1\na:2  # note\n")
    seen = {}

    def runner(app):
        seen["names"] = app.names
        seen["path"] = app.watchlist_path

    assert app_main.run_console(["a:2", "c:3", "-f", str(path)], runner) == 0
    assert seen == {"names": ["a:2", "c:3", "b:1"], "path": path}


def test_stale_thresholds_from_the_file_and_the_option(tmp_path, capsys):
    path = tmp_path / "w.txt"
    path.write_text("b:1 stale=30\na:2\n")
    seen = {}

    def runner(app):
        seen.update(app.stale_thresholds, default=app.stale_default)

    assert app_main.run_console(["-f", str(path), "--stale", "2m", "--no-session"], runner) == 0
    assert seen == {"b:1": 30.0, "default": 120.0}
    assert app_main.run_console(["a:1", "--stale", "soon", "--no-session"], runner) == 2
    assert "--stale: not a duration: 'soon'" in capsys.readouterr().err


def test_bad_file_and_no_names(tmp_path, capsys):
    assert main(["-f", str(tmp_path / "none.txt")]) == 2
    assert "No such file" in capsys.readouterr().err
    assert main([]) == 2
    assert "give PV names, -f FILE or --demo" in capsys.readouterr().err


def test_demo_without_the_extra_says_how_to_get_it(monkeypatch, capsys):
    import catui.ioc_examples.launch as launch

    def missing(*args, **kwargs):
        raise DemoExtraMissing("the demo IOCs need the 'demo' extra: pip install 'catui[demo]'")

    monkeypatch.setattr(launch, "start_ioc", missing)
    assert main(["--demo"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'catui[demo]'" in err


@pytest.mark.interop
def test_demo_starts_the_ioc_shows_it_and_stops_it(monkeypatch):
    for key in ("EPICS_CA_ADDR_LIST", "EPICS_CA_AUTO_ADDR_LIST", "EPICS_CA_SERVER_PORT"):
        monkeypatch.setenv(key, app_main.os.environ.get(key, ""))  # restored afterwards
    iocs = []
    import catui.ioc_examples.launch as launch

    real_start = launch.start_ioc

    def start(*args, **kwargs):
        iocs.append(real_start(*args, **kwargs))
        return iocs[-1]

    monkeypatch.setattr(launch, "start_ioc", start)

    async def drive(app):
        async with app.run_test(size=(80, 24)) as pilot:
            states = app.watch_screen.watchlist.states
            counter = states["demo:counter"]
            await wait_until(pilot, lambda: counter.updates > 0, timeout=10, what="demo values")
            first, redraws = counter.updates, app.watch_screen.redraws
            await pilot.pause(1.0)
            # 50 Hz on the wire (and ~30 PVs), at most ~10 redraws a second on screen.
            assert 2 <= app.watch_screen.redraws - redraws <= 12
            assert 2 <= counter.updates - first <= 12
            await wait_until(pilot, lambda: states["demo:mode"].control is not None)
            await pilot.press("q")

    assert app_main.run_console(["--demo"], lambda app: asyncio.run(drive(app))) == 0
    assert len(iocs) == 1 and not iocs[0].running
