"""The watch table's rows as snapshot rows (the fixed plant of catui.dev, no IOC)."""

from __future__ import annotations

import numpy as np

from catui.data.snapshot import put_commands
from catui.dev.snapshots import make_app
from catui.live_snapshot import put_rows, snapshot_row
from tests.catui.console_helpers import wait_until


async def test_rows_of_the_fixed_plant():
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        states = app.watch_screen.watchlist.states
        app.watch_screen.drain()  # the fixed plant's app does not drain on a timer
        await wait_until(pilot, lambda: states["demo:setpoint"].value is not None)
        row = lambda name: snapshot_row(states[name], app.tz)  # noqa: E731
        setpoint = row("demo:setpoint")
        assert (setpoint.value, setpoint.number, setpoint.units) == ("1.500", 1.5, "mm")
        assert setpoint.timestamp == "2026-01-15 08:30:00.000000 UTC"
        assert (row("demo:mode").value, row("demo:mode").number) == ("Run", None)
        assert row("demo:counter").number == 123456.0
        assert row("demo:gauge").severity == "INVALID"
        assert row("demo:message").value == "hello from catui"
        assert row("demo:description").value == "A long string, longer than 40 bytes"
        names = row("demo:names")
        assert names.value == "[4] alpha beta gamma delta" and names.number is None
        trace = row("demo:trace")
        # PREC 3, and yet no element shown as 0 that is not (0.0150926, -5.8783e-16).
        assert trace.value.startswith("[1000] 0 0.0150926 ") and "…" not in trace.value
        assert trace.units == "V" and not trace.value.endswith(" V")
        offline = row("demo:flow")
        assert (offline.value, offline.severity) == ("", "disconnected")

        exact = put_rows([states[n] for n in ("demo:trace", "demo:temperature", "demo:flow")])
        trace_values = states["demo:trace"].value
        assert exact[0].value.split()[:2] == ["[1000]", repr(float(trace_values[0]))]
        assert exact[0].value.split()[-1] == repr(float(trace_values[-1]))
        temperature = float(states["demo:temperature"].value[0])
        assert exact[1].value == repr(temperature) and exact[1].number == temperature
        lines = put_commands(exact)
        assert lines[0].startswith("catui put -a -- demo:trace 1000 0.0 ")  # negatives follow
        assert lines[1] == f"catui put demo:temperature {temperature!r}"
        assert lines[2] == "# demo:flow: no value, not written"


def test_put_rows_never_write_back_a_line_break_as_a_space():
    from catui.feeds.base import ChannelInfo
    from catui.model import CONNECTED, PVState

    text = PVState("demo:s", CONNECTED, ChannelInfo("STRING", 1))
    text.value = ["two\nlines"]
    long_text = PVState("demo:long", CONNECTED, ChannelInfo("CHAR", 16))
    long_text.value = np.frombuffer(b"one\ntwo\0\0\0\0\0\0\0\0", dtype=np.uint8).copy()
    plain = PVState("demo:p", CONNECTED, ChannelInfo("STRING", 1))
    plain.value = ["hello  world"]
    # The table (and so the snapshot) shows "two lines"; the put line wrote that back.
    assert snapshot_row(text).value == "two lines"
    lines = put_commands(put_rows([text, long_text, plain]))
    assert lines[0] == "# demo:s: control characters, not written"
    assert lines[1] == "# demo:long: control characters, not written"
    assert lines[2] == "catui put demo:p 'hello  world'"
