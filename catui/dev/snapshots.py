"""Fixed console states for SVG snapshot tests and the README screenshots.

``python -m catui.dev.snapshots [DIR]`` (or ``screenshots/make_screenshots.py``)
writes one SVG per state and size into ``screenshots/``; ``tests/catui/test_snapshots.py``
compares the same states with ``snap_compare``.  No IOC, no clock: the PVs come from a
:class:`~catui.feeds.fake.FakeFeed` with fixed timestamps, shown in UTC.
"""

from __future__ import annotations

import datetime
import math
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np
from textual.pilot import Pilot

from catui.app import CatuiApp
from catui.app_main import build_app
from catui.dev.fake_browse import FixedBrowseSource
from catui.feeds.base import ControlInfo
from catui.feeds.fake import FakeFeed, FakePV
from catui.feeds.fake import TypeNames as T

__all__ = ["SIZES", "SNAPSHOTS", "make_app", "write_screenshots"]

#: 2026-01-15 08:30:00 UTC, when every fixed PV was last updated.
STAMP = datetime.datetime(2026, 1, 15, 8, 30, tzinfo=datetime.timezone.utc).timestamp()
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}

_TEMPERATURE = ControlInfo(
    "degC", 2, (),
    {"display": (0.0, 100.0), "alarm": (15.0, 85.0), "warning": (25.0, 75.0),
     "control": (5.0, 95.0)},
)  # fmt: skip
_MM = ControlInfo("mm", 3, (), {"display": (-50.0, 50.0), "control": (-50.0, 50.0)})
_TRACE = ControlInfo("V", 3, (), {"display": (-1.5, 1.5)})


def _trace() -> list[float]:
    x = np.linspace(0.0, 4.0 * np.pi, 1000)
    return [float(v) for v in np.sin(x) * (1.0 + 0.2 * np.cos(3.0 * x))]


def fixed_pvs() -> list[FakePV]:
    """The plant of the screenshots, modelled on the demo IOC."""
    temps = [50.0 + 30.0 * math.sin(i / 6.0) for i in range(60)]
    return [
        FakePV("demo:temperature", T.DOUBLE, temps, severity=1, status=4, timestamp=STAMP + 0.25,
               control=_TEMPERATURE),
        FakePV("demo:status", T.ENUM, ["Warning"], severity=1, status=7, timestamp=STAMP,
               control=ControlInfo(enum_strings=("OK", "Warning", "Alarm"))),
        FakePV("demo:setpoint", T.DOUBLE, [1.5], timestamp=STAMP, control=_MM,
               fields={"RTYP": "ao", "DRVL": -50.0, "DRVH": 50.0, "LOPR": -50.0,
                       "HOPR": 50.0}),
        FakePV("demo:readback", T.DOUBLE, [1.5], timestamp=STAMP, control=_MM, access=1),
        FakePV("demo:mode", T.ENUM, ["Run"], timestamp=STAMP,
               control=ControlInfo(enum_strings=("Off", "Standby", "Run", "Fault"))),
        FakePV("demo:message", T.STRING, ["hello from catui"], timestamp=STAMP,
               control=ControlInfo()),
        FakePV("demo:description", T.CHAR, [list(b"A long string, longer than 40 bytes\0")],
               count=256, timestamp=STAMP, control=ControlInfo()),
        FakePV("demo:names", T.STRING, [["alpha", "beta", "gamma", "delta"]], count=4,
               timestamp=STAMP, control=ControlInfo()),
        FakePV("demo:trace", T.DOUBLE, [_trace()], count=1000, timestamp=STAMP + 0.5,
               access=1, control=_TRACE),
        FakePV("demo:counter", T.LONG, [123456], timestamp=STAMP + 0.98, access=1,
               control=ControlInfo(precision=None)),
        FakePV("demo:pressure", T.DOUBLE, [7.8], severity=1, status=4, timestamp=STAMP,
               access=1, control=ControlInfo("bar", 2, (), {"alarm": (0.0, 9.0),
                                                               "warning": (0.0, 7.5)})),
        FakePV("demo:level", T.DOUBLE, [96.0], severity=2, status=3, timestamp=STAMP,
               access=1, control=ControlInfo("%", 0)),
        FakePV("demo:gauge", T.DOUBLE, [1013.2], severity=3, status=9, timestamp=STAMP,
               access=1, control=ControlInfo("mbar", 1)),
        FakePV("demo:flow", T.DOUBLE, [12.3], state="disconnected", timestamp=STAMP,
               control=ControlInfo("l/min", 1)),
        FakePV("demo:missing", None, state="searching"),
    ]  # fmt: skip


def fixed_clock() -> float:
    """A minute after :data:`STAMP`: the plant's timestamps are today's, a minute old."""
    return STAMP + 60.0


def make_app() -> tuple[CatuiApp, FakeFeed]:
    """The console on the fixed plant (UTC, no cursor blink)."""
    feed = FakeFeed(fixed_pvs())
    # The drain timer never fires (every 1000 s): settling drains by hand, step by step.
    app = build_app(
        list(feed.pvs), feed, tz=datetime.timezone.utc, clock=fixed_clock, cursor_blink=False,
        refresh_hz=0.001, browser=FixedBrowseSource(),
    )  # fmt: skip
    return app, feed


def _settle(feed: FakeFeed) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def settle(pilot: Pilot[None]) -> None:
        screen = pilot.app.watch_screen  # type: ignore[attr-defined]
        feed.play(screen.drain)
        await pilot.pause()

    return settle


def _then(feed: FakeFeed, *keys: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    settle = _settle(feed)

    async def run(pilot: Pilot[None]) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
        # A write dialog reads its PV in a worker (when it opens, when it is armed):
        # the screenshot shows what follows.
        checks = [w for w in pilot.app.workers if w.group == "write-check"]
        if checks:  # (none: wait_for_complete would wait for every worker)
            await pilot.app.workers.wait_for_complete(checks)
        # The record view and the PV tree fill in from their workers' messages.
        for _ in range(200):
            if getattr(pilot.app.screen, "ready", True):
                break
            await pilot.pause(0.01)
        await pilot.pause()
        await pilot.pause()

    return run


#: name -> keys pressed after the plant has settled
SNAPSHOTS: dict[str, tuple[str, ...]] = {
    "main": (),
    "detail_array": ("down",) * 8,
    "write_dialog": ("down", "down", "w", "6", "0"),
    "write_confirm": ("down", "down", "w", "6", "0", "enter"),
    "help": ("question_mark",),
    "diagnostics": ("D",),
    # f: the temperature with every digit, the counter in hex (and its pane).
    "formats": ("f", *("down",) * 9, "f"),
    "record_view": ("r",),
    "pv_tree": (*("down",) * 11, "T"),
    # g: the temperature's strip chart (alarm bands), with the cursor; two PVs of two
    # units (two axes); the trace's waveform.
    "strip_chart": ("g", "end", *("left",) * 20),
    "strip_chart_two": ("space", "down", "space", "g"),
    "waveform": (*("down",) * 8, "g", "right"),
}


def fill_histories(app: CatuiApp) -> None:
    """Ten minutes of fixed history before :data:`STAMP` for the chart states: the
    temperature swings through its limits, is disconnected for a minute and spikes once;
    the setpoint steps."""
    store = app.recorder.store
    temperature = store.history("demo:temperature")
    for i in range(600):
        t = STAMP - 600.0 + i
        if 300 <= i < 360:
            if i == 300:
                temperature.disconnect(t)
            continue
        value = 99.0 if i == 420 else 50.0 + 40.0 * math.sin(i / 40.0)
        severity = 2 if value > 85 or value < 15 else 1 if value > 75 or value < 25 else 0
        temperature.append(t, value, severity)
    setpoint = store.history("demo:setpoint")
    for t, value in ((STAMP - 700.0, -10.0), (STAMP - 400.0, 20.0), (STAMP - 150.0, 1.5)):
        setpoint.append(t, value, 0)


def snapshot_case(name: str) -> tuple[CatuiApp, Callable[[Pilot[None]], Awaitable[None]]]:
    """A fresh app and what to do before the screenshot of state ``name``."""
    app, feed = make_app()
    keys = SNAPSHOTS[name]
    if "g" in keys:
        fill_histories(app)
    return app, _then(feed, *keys)


def write_screenshots(directory: Path) -> list[Path]:
    """Write ``{state}_{size}.svg`` for every state and size; return the paths."""
    from textual._doc import take_svg_screenshot

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SNAPSHOTS:
        for size_name, size in SIZES.items():
            app, run_before = snapshot_case(name)
            svg = take_svg_screenshot(app=app, terminal_size=size, run_before=run_before)
            path = directory / f"{name}_{size_name}.svg"
            path.write_text(svg, encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "screenshots"
    for path in write_screenshots(target):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
