"""Session state, terminal loss and low-bandwidth mode of the console.

The terminal-loss tests run ``python -m catui`` in a real pseudo-terminal against a
real IOC: a hangup (SIGHUP), or the terminal closing under the console, must end it
cleanly, within seconds, with the session saved for the next start.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import re
import signal
import time
from pathlib import Path

import pytest
from textual.filter import NoColor

from catui import app_main
from catui.app import CatuiApp
from catui.app_main import build_app
from catui.data.session import (
    SessionError,
    SessionState,
    default_state_path,
    load_session,
    save_session,
)
from catui.dev.snapshots import fixed_pvs
from catui.feeds.fake import FakeFeed
from catui.feeds.mailbox import Mailbox
from catui.lag import LagMeter
from catui.low_bandwidth import LOW_BANDWIDTH_HZ
from catui.messages import TerminalLost
from catui.widgets.watch_table import WatchTable
from tests.catui.console_helpers import PtyConsole, status_text, wait_until
from tests.support.iocs import free_port

REPO = Path(__file__).resolve().parents[2]
SIZE = (100, 30)


def shown(app: CatuiApp) -> list[str]:
    """The PVs the table shows, in row order."""
    table = app.watch_screen.query_one(WatchTable)
    rows = {}
    for name in app.watch_screen.watchlist.states:
        try:
            rows[table.get_row_index(name)] = name
        except KeyError:  # filtered out
            continue
    assert len(rows) == table.row_count
    return [rows[row] for row in sorted(rows)]


# -- (a) the state file --------------------------------------------------------------
def test_save_and_load_round_trip(tmp_path):
    path = tmp_path / "deep" / "catui" / "session.json"
    state = SessionState(("b:1", "a:2", "c:3"), "*:1", "severity")
    save_session(path, state)
    assert load_session(path) == state
    assert json.loads(path.read_text())["names"] == ["b:1", "a:2", "c:3"]
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["session.json"]  # no temp left


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "session.json"
    save_session(path, SessionState(("old:pv",)))

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        save_session(path, SessionState(("new:pv",)))
    monkeypatch.undo()
    assert load_session(path) == SessionState(("old:pv",))
    assert [p.name for p in tmp_path.iterdir()] == ["session.json"]


def test_no_file_is_no_session(tmp_path):
    assert load_session(tmp_path / "none.json") is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not a catui session"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"version": 99, "names": []}', "unknown version 99"),
        (b'{"version": 1, "names": "a:1"}', "'names' is not a list"),
        (b'{"version": 1, "names": ["a b"]}', "not a PV name: 'a b'"),
        (b'{"version": 1, "names": ["a:1"], "sort": "random"}', "'sort' is not one of"),
        (b'{"version": 1, "names": ["a:1"], "filter": 3}', "'filter' is not a string"),
        (b"\xff\xfe\x00garbage", "session.json"),
    ],
)
def test_corrupt_file_is_one_clear_error(tmp_path, content, reason):
    path = tmp_path / "session.json"
    path.write_bytes(content)
    with pytest.raises(SessionError) as info:
        load_session(path)
    message = str(info.value)
    assert str(path) in message and reason in message and "\n" not in message


def test_default_state_path(monkeypatch, tmp_path):
    assert default_state_path({"XDG_STATE_HOME": str(tmp_path)}) == (
        tmp_path / "catui" / "session.json"
    )
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    home_default = tmp_path / "home" / ".local" / "state" / "catui" / "session.json"
    assert default_state_path({}) == home_default
    assert default_state_path({"XDG_STATE_HOME": "relative/dir"}) == home_default


def test_corrupt_state_warns_once_and_starts_with_the_pvs_given(tmp_path, capsys):
    path = tmp_path / "session.json"
    path.write_text("{truncated")
    seen = {}
    status = app_main.run_console(
        ["--restore", "x:1", "--state-file", str(path)], lambda app: seen.update(names=app.names)
    )
    assert status == 0 and seen["names"] == ["x:1"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ignoring the saved session" in err and str(path) in err
    # Without PVs, nothing to start from: the usual usage error, after the warning.
    assert app_main.run_console(["--state-file", str(path)], lambda app: None) == 2
    err = capsys.readouterr().err
    assert "ignoring the saved session" in err and "give PV names" in err


def test_start_rules(tmp_path, capsys):
    path = tmp_path / "session.json"
    save_session(path, SessionState(("s:1", "s:2"), "s", "name"))
    seen: dict[str, object] = {}

    def runner(app):
        seen.update(names=app.names, state=app.state_path, filter=app._start_filter,
                    sort=app._start_sort)  # fmt: skip

    state = ["--state-file", str(path)]
    assert app_main.run_console(state, runner) == 0  # no PVs: the last session
    assert seen == {"names": ["s:1", "s:2"], "state": path, "filter": "s", "sort": "name"}
    assert app_main.run_console(["p:1", *state], runner) == 0  # PVs: those only
    assert seen == {"names": ["p:1"], "state": path, "filter": "", "sort": "list"}
    assert app_main.run_console(["--restore", "p:1", "s:2", *state], runner) == 0
    assert seen["names"] == ["s:1", "s:2", "p:1"] and seen["sort"] == "name"
    assert app_main.run_console(["--no-session", "p:1", *state], runner) == 0
    assert seen["state"] is None  # nothing saved on exit either
    assert app_main.run_console(["--no-session", *state], runner) == 2
    capsys.readouterr()
    missing = tmp_path / "none.json"
    assert app_main.run_console(["--restore", "p:1", "--state-file", str(missing)], runner) == 0
    assert f"no saved session in {missing}" in capsys.readouterr().err
    assert "--restore" in app_main.build_parser().format_help()


def test_demo_leaves_the_session_alone(tmp_path, monkeypatch):
    import catui.ioc_examples.launch as launch

    class Demo:  # what run_console uses of the demo IOC
        env: dict[str, str] = {}
        pvs = ["demo:one"]

        def stop(self):
            pass

    monkeypatch.setattr(launch, "start_ioc", lambda name: Demo())
    path = tmp_path / "session.json"
    save_session(path, SessionState(("s:1",)))
    seen = {}

    def runner(app):
        seen.update(names=app.names, state=app.state_path)

    assert app_main.run_console(["--demo", "--state-file", str(path)], runner) == 0
    assert seen == {"names": ["demo:one"], "state": None}
    assert app_main.run_console(["--demo", "--restore", "--state-file", str(path)], runner) == 0
    assert seen == {"names": ["s:1", "demo:one"], "state": path}


def test_unwritable_state_file_is_reported_after_the_app(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    path = blocker / "session.json"  # its directory is a file

    async def drive(app):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("q")

    status = app_main.run_console(
        ["x:1", "--state-file", str(path)], lambda app: asyncio.run(drive(app))
    )
    assert status == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "session not saved" in err and str(path) in err


# -- saving on every exit, restoring on the next start (Pilot) ----------------------------
def fake_app(names=None, **kwargs) -> tuple[CatuiApp, FakeFeed]:
    feed = FakeFeed(fixed_pvs())
    app = build_app(list(names or feed.pvs), feed, tz=datetime.timezone.utc,
                    cursor_blink=False, **kwargs)  # fmt: skip
    return app, feed


async def test_quit_saves_the_session(tmp_path):
    path = tmp_path / "session.json"
    app, _ = fake_app(["demo:temperature", "demo:setpoint", "demo:mode"], state_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "slash", *"demo:*e*", "enter")
        assert "filter: demo:*e*" in status_text(pilot)
        await pilot.press("a", *"new:pv", "enter")
        assert not path.exists()  # saved on exit, not before
        await pilot.press("q")
    assert load_session(path) == SessionState(
        ("demo:temperature", "demo:setpoint", "demo:mode", "new:pv"), "demo:*e*", "name"
    )


async def test_terminal_lost_saves_and_exits(tmp_path):
    path = tmp_path / "session.json"
    app, feed = fake_app(["demo:temperature"], state_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        app.post_message(TerminalLost("hangup"))
        await wait_until(pilot, lambda: path.exists(), what="the session saved")
    assert app.terminal_lost == "hangup" and app.return_code == 0
    assert feed._stop.is_set()  # the feed was stopped (CAFeed: the Blocker's circuits closed)
    assert load_session(path) == SessionState(("demo:temperature",), "", "name")


@pytest.mark.interop
def test_restart_restores_watchlist_filter_and_sort(epics_base_ioc, ca_env, tmp_path):
    ca_env(epics_base_ioc)
    ao, mbbo, text = (f"{epics_base_ioc.prefix}{n}" for n in ("ao", "mbbo", "str"))
    path = tmp_path / "session.json"
    save_session(path, SessionState((text, mbbo, ao), "*o", "name"))

    async def drive(app):
        async with app.run_test(size=SIZE) as pilot:
            states = app.watch_screen.watchlist.states
            await wait_until(pilot, lambda: states[ao].value is not None, what="a value")
            table = app.watch_screen.query_one(WatchTable)
            await wait_until(pilot, lambda: str(table.get_cell(ao, "value")) == "3.500 mm")
            assert list(states) == [text, mbbo, ao]
            assert shown(app) == [ao, mbbo]  # filtered (*o), sorted by name
            assert "sort: name" in status_text(pilot) and "filter: *o" in status_text(pilot)
            await pilot.press("s")  # severity
            await pilot.press("q")

    assert app_main.run_console(["--state-file", str(path)], lambda a: asyncio.run(drive(a))) == 0
    assert load_session(path) == SessionState((text, mbbo, ao), "*o", "severity")


# -- (b), (c) a real terminal (PtyConsole: tests/catui/console_helpers.py) ----------


def _repeaters_on(port: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"protocol.sync.repeater" in argv and str(port).encode() in b" ".join(argv):
                pids.append(int(entry.name))
    return pids


@pytest.fixture
def console_env(epics_base_ioc, tmp_path):
    """The environment of a console of ``epics_base_ioc`` in a terminal, state in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EPICS_", "TEXTUAL"))}
    env.update(epics_base_ioc.env)
    # Its own repeater port: a repeater the console started (it must not) would show.
    env["EPICS_CA_REPEATER_PORT"] = str(free_port())
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), TERM="xterm-256color",
               PYTHONPATH=str(REPO))  # fmt: skip
    env.pop("NO_COLOR", None)
    yield env
    assert _repeaters_on(int(env["EPICS_CA_REPEATER_PORT"])) == []


def state_of(env) -> SessionState | None:
    return load_session(Path(env["XDG_STATE_HOME"]) / "catui" / "session.json")


@pytest.mark.interop
@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_signal_exits_cleanly_and_saves_the_session(epics_base_ioc, console_env, sig):
    ao, mbbo, tick = (f"{epics_base_ioc.prefix}{n}" for n in ("ao", "mbbo", "tick"))
    console = PtyConsole([ao, mbbo, tick], console_env)
    try:
        console.wait_for(lambda text: "3.500 mm" in text, what="the value of ao")
        console.type("s")
        console.wait_for(lambda text: "sort: name" in text, what="sort: name")
        console.type("/")
        console.wait_for(lambda text: "Filter PVs" in text, what="the filter dialog")
        console.type("*o\r")
        console.wait_for(lambda text: "filter: *o" in text, what="the filter")
        console.proc.send_signal(sig)
        elapsed = console.wait_exit(timeout=10)
        assert console.proc.returncode == 0, console.text[-3000:]
        assert elapsed < 3.0
        assert "Traceback" not in console.text and "Error" not in console.text
        assert "\x1b[?1049l" in console.text  # the terminal was restored (alt screen left)
        assert state_of(console_env) == SessionState((ao, mbbo, tick), "*o", "name")
    finally:
        console.end()


@pytest.mark.interop
@pytest.mark.parametrize(
    ("ctty", "ticking"),
    [(True, False), (False, False), (False, True)],
    ids=["hangup-signal", "tty-check", "write-fails"],
)
def test_closed_terminal_exits_cleanly(epics_base_ioc, console_env, ctty, ticking):
    # With a controlling terminal, closing it sends SIGHUP; without one, the console must
    # notice by itself: a failing write (a ticking PV redraws) or its once-a-second check.
    names = [f"{epics_base_ioc.prefix}{n}" for n in ("ao", "tick" if ticking else "str")]
    console = PtyConsole(names, console_env, ctty=ctty)
    try:
        console.wait_for(lambda text: "3.500 mm" in text, what="the value of ao")
        console.type("s")
        console.wait_for(lambda text: "sort: name" in text, what="sort: name")
        console.close_master()
        elapsed = console.wait_exit(timeout=10)
        assert console.proc.returncode == 0
        assert elapsed < 3.0
        assert state_of(console_env) == SessionState(tuple(names), "", "name")
    finally:
        console.end()


# -- (e) low bandwidth, NO_COLOR, the lag indicator --------------------------------------
def _colours(sgr: str) -> list[str]:
    """The colour parameters of an SGR sequence's parameters (39/49, "default", are none)."""
    params = sgr.split(";")
    return [p for p in params if re.fullmatch(r"3[0-8]|4[0-8]|9[0-7]|10[0-7]", p)]


@pytest.mark.interop
def test_low_bandwidth_terminal_gets_no_colour(epics_base_ioc, console_env):
    ao, alarm = f"{epics_base_ioc.prefix}ao", f"{epics_base_ioc.prefix}alarm"
    console = PtyConsole(["--low-bandwidth", ao, alarm], console_env)
    try:
        console.wait_for(lambda text: "3.500 mm" in text and "MINOR" in text, what="values")
        console.proc.send_signal(signal.SIGHUP)
        console.wait_exit(timeout=10)
        sgrs = re.findall(r"\x1b\[([0-9;]*)m", console.text)
        assert sgrs and not [sgr for sgr in sgrs if _colours(sgr)]
        assert any("7" in sgr.split(";") for sgr in sgrs)  # the cursor, in reverse video
    finally:
        console.end()


def _greys_only(svg: str) -> bool:
    fills = re.findall(r"fill:\s*#([0-9a-fA-F]{6})", svg)
    channels = [tuple(int(f[i : i + 2], 16) for i in (0, 2, 4)) for f in fills]
    return bool(channels) and all(max(c) - min(c) <= 4 for c in channels)


async def test_low_bandwidth_mode(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    app, feed = fake_app(low_bandwidth=True)
    assert "NO_COLOR" not in os.environ  # decided for the app, not for the process
    async with app.run_test(size=SIZE) as pilot:
        assert app.animation_level == "none"
        assert app.theme == "catui-mono" and app.monochrome and not app.cursor_blink
        assert any(isinstance(f, NoColor) for f in app.get_line_filters())
        screen = app.watch_screen
        assert screen.refresh_hz == LOW_BANDWIDTH_HZ == 2.0
        await wait_until(pilot, lambda: screen.watchlist.connected_count() == 13)
        await pilot.pause(0.6)
        assert _greys_only(app.export_screenshot())
        # An update every 20 ms for 1.5 s: at most 2 redraws a second reach the screen.
        pv = feed.pvs["demo:temperature"]
        redraws, started = screen.redraws, time.monotonic()
        for step in range(75):
            app.mailbox.put_update(pv.name, pv.response(20.0 + step))
            await pilot.pause(0.02)
        drawn, took = screen.redraws - redraws, time.monotonic() - started
        assert drawn > 0, "no update reached the screen"
        # One redraw a 0.5 s at most (10 Hz would be ~15 here), however long it took.
        assert drawn <= took * LOW_BANDWIDTH_HZ + 1, (drawn, took)
        assert "MAJOR" in app.export_screenshot()  # severity still reads as text
        # Without colours, the cursor is reverse video and a marked row underlined.
        table = screen.query_one(WatchTable)
        await pilot.press("home", "space")  # marks row 0, the cursor moves to row 1
        await pilot.pause()
        marked, cursor = table.render_line(1), table.render_line(2)
        assert all(seg.style.underline for seg in marked if seg.text.strip())
        assert all(seg.style.reverse for seg in cursor if seg.text.strip())
        table.blur()  # blurred, the cursor still shows (underlined, the theme's choice)
        await pilot.pause()
        assert all(seg.style.underline or seg.style.reverse
                   for seg in table.render_line(2) if seg.text.strip())  # fmt: skip


async def test_normal_mode_has_colour_and_10_hz(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "")  # empty: no effect (no-color.org)
    app, _ = fake_app()
    assert os.environ["NO_COLOR"] == ""
    async with app.run_test(size=SIZE) as pilot:
        assert not app.monochrome and app.theme != "catui-mono"
        assert not any(isinstance(f, NoColor) for f in app.get_line_filters())
        assert app.watch_screen.refresh_hz == 10.0
        await wait_until(pilot, lambda: app.watch_screen.watchlist.connected_count() == 13)
        await pilot.pause(0.2)
        assert not _greys_only(app.export_screenshot())


async def test_no_color_is_monochrome_at_the_normal_rate(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("TEXTUAL_ANIMATIONS", raising=False)
    app, _ = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.monochrome and app.theme == "catui-mono"
        assert any(isinstance(f, NoColor) for f in app.get_line_filters())
        assert app.watch_screen.refresh_hz == 10.0 and app.animation_level != "none"
        await wait_until(pilot, lambda: app.watch_screen.watchlist.connected_count() == 13)
        await pilot.pause(0.2)
        assert _greys_only(app.export_screenshot())


def test_low_bandwidth_option_reaches_the_app():
    seen = {}

    def runner(app):
        seen.update(lb=app.low_bandwidth, mono=app.monochrome, level=app.animation_level)

    assert app_main.run_console(["x:1", "--low-bandwidth", "--no-session"], runner) == 0
    assert seen == {"lb": True, "mono": True, "level": "none"}


def test_lag_meter():
    meter = LagMeter(period=0.1, hold=1.0)
    assert meter.threshold == pytest.approx(0.15)
    assert meter.observe(None, 100.0) == 0.0
    assert meter.observe(99.9, 100.0) == 0.0  # one period: the redraw cap, not lag
    assert meter.observe(99.66, 100.0) == 0.3
    assert meter.observe(100.05, 100.1) == 0.3  # held for a second after
    assert meter.observe(None, 100.9) == 0.3
    assert meter.observe(None, 101.0) == 0.0
    assert meter.observe(99.0, 102.0) == 3.0
    assert LagMeter.behind(None, 50.0) is None
    assert LagMeter.behind(38.2, 50.0) == 11


def test_mailbox_notes_the_oldest_arrival(monkeypatch):
    clock = iter([10.0, 11.0, 12.0, 13.0])
    monkeypatch.setattr("catui.feeds.mailbox.time.monotonic", lambda: next(clock))
    box = Mailbox()
    assert box.oldest is None
    box.put_update("a", object())
    box.put_update("a", object())
    box.put_update("b", object())
    assert box.oldest == 10.0  # the clock was read once
    drained = box.drain()
    assert drained.since == 10.0 and box.oldest is None
    box.put_control("a", None)  # type: ignore[arg-type]
    assert box.drain().since == 11.0


async def test_pause_says_how_far_behind_and_lag_shows():
    app, feed = fake_app(["demo:temperature"])
    pv = feed.pvs["demo:temperature"]
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.watch_screen.watchlist.connected_count() == 1)
        await pilot.press("p")
        assert "PAUSED" in status_text(pilot) and "behind" not in status_text(pilot)
        app.mailbox.put_update(pv.name, pv.response(30.0))
        await wait_until(pilot, lambda: "PAUSED 1 s behind" in status_text(pilot), timeout=3,
                         what="1 s behind")  # fmt: skip
        await pilot.press("p")
        await pilot.pause(0.2)
        text = status_text(pilot)
        assert "PAUSED" not in text and "behind" not in text and "lag" not in text
        # A UI stalled for 0.6 s: the next drain shows the data was that late.
        app.mailbox.put_update(pv.name, pv.response(31.0))
        time.sleep(0.6)
        await wait_until(pilot, lambda: "lag" in status_text(pilot), timeout=1, what="lag")
        lag = float(re.search(r"lag (\d+\.\d) s", status_text(pilot)).group(1))
        assert 0.5 <= lag < 2.0
        await wait_until(pilot, lambda: "lag" not in status_text(pilot), timeout=3,
                         what="the lag indicator to go")  # fmt: skip
