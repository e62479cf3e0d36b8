"""``catui monitor --plot`` in a pseudo-terminal, against an EPICS Base IOC (plot_ioc.db)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import numpy as np
import pytest

from catui.plot.csv_export import read_samples

pytestmark = pytest.mark.interop

PLOT_DB = Path(__file__).parents[1] / "plot" / "plot_ioc.db"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _spawn(argv, env, rows=24, columns=80):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    proc = subprocess.Popen(argv, env=env, stdin=slave, stdout=slave, stderr=subprocess.PIPE,
                            close_fds=True)  # fmt: skip
    os.close(slave)
    return proc, master


def _read(master: int, until, timeout: float = 15.0) -> str:
    """What the tool drew, until ``until(text)`` or it ended."""
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the tool ended: EIO on Linux
                break
            if not chunk:
                break
            out += chunk
            if until(out.decode("utf-8", "replace")):
                break
    return out.decode("utf-8", "replace")


def _last_frame(text: str) -> list[str]:
    frame = text.rsplit("\x1b[H", 1)[-1]
    return [_ANSI.sub("", line).rstrip("\r") for line in frame.split("\n")]


@pytest.fixture
def plot_ioc(ioc_factory):
    return ioc_factory("epics-base", db=PLOT_DB, acf=None)


def test_plot_draws_a_live_chart_and_writes_the_csv(plot_ioc, tool_argv, tmp_path):
    ramp, sine = plot_ioc.prefix + "ramp", plot_ioc.prefix + "sine"
    csv_path = tmp_path / "samples.csv"
    argv, env = tool_argv(plot_ioc, "monitor", "--plot", "--duration", "3", "--window", "30",
                          "--csv", str(csv_path), ramp, sine)  # fmt: skip
    env.pop("NO_COLOR", None)
    proc, master = _spawn(argv, env)
    try:
        text = _read(master, lambda _: False, timeout=20.0)
        assert proc.wait(10) == 0
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    assert text.count("\x1b[H") >= 3  # redrawn in place while it ran
    assert "\x1b[38;5;75m" in text  # trace 0 in its colour on a terminal
    frame = _last_frame(text)
    assert len(frame) == 23 and all(len(line) <= 80 for line in frame)
    assert ramp in frame[0] and sine in frame[0]  # 80 columns: both entries on one row
    assert "catui monitor --plot · 30 s" in "\n".join(frame)
    assert sum(1 for line in frame for ch in line if 0x2800 < ord(ch) <= 0x28FF) > 20
    assert "●" in frame[0] and ("■" in frame[0] or "■" in frame[1])  # markers, in the legend
    back = read_samples(csv_path)
    times, values, _ = back[ramp]
    assert len(times) >= 20 and np.all(np.diff(times) > 0)
    steps = np.diff(values) % 100
    assert np.all(steps[np.round(np.diff(times) * 10) == 1] == 1)
    assert f"{len(times) + len(back[sine][0])} samples written to" in proc.stderr.read().decode()


def test_plot_ctrl_c_ends_with_0_and_no_colour_when_asked(plot_ioc, tool_argv, tmp_path):
    ramp = plot_ioc.prefix + "ramp"
    csv_path = tmp_path / "samples.csv"
    argv, env = tool_argv(plot_ioc, "monitor", "--plot", "--csv", str(csv_path), ramp)
    env["NO_COLOR"] = "1"
    proc, master = _spawn(argv, env, rows=30, columns=100)
    try:
        text = _read(master, lambda seen: seen.count("\x1b[H") >= 3)
        proc.send_signal(signal.SIGINT)
        text += _read(master, lambda _: False, timeout=10.0)
        assert proc.wait(10) == 0
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    assert "\x1b[38;5;" not in text  # NO_COLOR: the markers tell traces apart
    frame = _last_frame(text)
    assert frame[0].startswith("●") and ramp in frame[0]
    assert len(read_samples(csv_path)[ramp][0]) >= 5


def test_plot_legend_has_the_units_and_display_draws_the_display_range(plot_ioc, tool_argv):
    ramp, sine = plot_ioc.prefix + "ramp", plot_ioc.prefix + "sine"
    # A display range the data (10 … 90) is far from: auto could not have drawn it.
    plot_ioc.shell(f'dbpf "{sine}.HOPR" 1000')
    argv, env = tool_argv(plot_ioc, "monitor", "--plot", "--duration", "2", "--window", "30",
                          "--y-range", "display", sine, ramp)  # fmt: skip
    env["NO_COLOR"] = "1"
    proc, master = _spawn(argv, env, rows=30, columns=100)
    try:
        text = _read(master, lambda _: False, timeout=20.0)
        assert proc.wait(10) == 0
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    frame = _last_frame(text)
    legend = "\n".join(frame[:2])
    # Units from the control metadata (EGU), the value at the sine's precision (PREC 3).
    assert re.search(rf"{re.escape(sine)} \d+\.\d{{3}} V", legend), legend
    assert re.search(rf"{re.escape(ramp)} \d+ count", legend), legend
    assert "Y display" in "\n".join(frame)
    # Two units, two axes; the sine's (left) spans its LOPR 0 … HOPR 1000.
    ticks = [int(m.group(1)) for line in frame if (m := re.match(r"\s*(\d+)┤", line))]
    assert ticks and max(ticks) == 1000 and min(ticks) == 0, frame


def test_y_range_without_plot_is_refused(tool_argv, plot_ioc):
    argv, env = tool_argv(plot_ioc, "monitor", "--y-range", "display", plot_ioc.prefix + "ramp")
    done = subprocess.run(argv, env=env, capture_output=True, timeout=30)
    assert done.returncode == 2 and b"--y-range goes with --plot" in done.stderr
