"""``catui monitor`` against EPICS Base soft IOCs: updates, masks, missing PVs, restarts."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import threading
import time

import pytest

pytestmark = pytest.mark.interop

# camonitor prints microseconds: 6 fractional digits.
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}"


class Lines:
    """Read a running tool's stdout line by line, with timeouts."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.queue.put(line.rstrip("\n"))

    def until(self, pattern: str, timeout: float = 10.0) -> list[str]:
        """Lines read until one matches ``pattern`` (included)."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r}; saw {seen}") from None
            seen.append(line)
            if re.search(pattern, line):
                return seen


def test_updates_missing_pvs_and_exit_status(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    proc = cli("monitor", "--duration", "0.8", "-w", "0.3", p + "tick", p + "alarm", p + "nope")
    lines = proc.stdout.splitlines()
    ticks = [line for line in lines if line.startswith(p + "tick ")]
    assert len(ticks) >= 3
    # No alarm: two separators end the line, where the status and severity would be.
    tick = re.escape(f"{p}tick".ljust(30)) + rf" {STAMP} \d+  "
    assert all(re.fullmatch(tick, t) for t in ticks)
    alarm = re.escape(f"{p}alarm".ljust(30)) + f" {STAMP} 85 HIGH MINOR"
    assert any(re.fullmatch(alarm, line) for line in lines), lines
    assert f"{p}nope".ljust(30) + " *** Not connected (PV not found)" in lines
    # A PV that never connected during a --duration run fails the run, on stderr.
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [f"catui monitor: {p}nope: never connected"]
    ok = cli("monitor", "--duration", "0.3", p + "ao")
    assert (ok.returncode, ok.stderr) == (0, "")
    assert re.fullmatch(re.escape(f"{p}ao".ljust(30)) + f" {STAMP} 3.5  \n", ok.stdout)


def test_mask_count_and_enum_numbers(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    # tick changes value every 0.1 s but never its alarm state: with -m a only the
    # initial update arrives.
    alarm_only = cli("monitor", "-m", "a", "--duration", "0.6", p + "tick")
    assert len(alarm_only.stdout.splitlines()) == 1
    values = cli("monitor", "-m", "va", "--duration", "0.6", p + "tick")
    assert len(values.stdout.splitlines()) >= 3
    proc = cli("monitor", "-n", "-#", "2", "--duration", "0.3", p + "mbbo", p + "wf:double")
    assert re.search(rf"^{re.escape(p)}mbbo +{STAMP} 1 1  $", proc.stdout, re.M), proc.stdout
    assert re.search(rf"^{re.escape(p)}wf:double {STAMP} 2 1.5 2.5  $", proc.stdout, re.M)
    bad = cli("monitor", "-m", "x", p + "ao")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def test_ctrl_c_exits_0(epics_base_ioc, tool_argv):
    argv, env = tool_argv(epics_base_ioc, "monitor", epics_base_ioc.prefix + "tick")
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        Lines(proc).until("tick")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        assert proc.stderr is not None
        assert proc.stderr.read() == ""
    finally:
        proc.kill()
        proc.wait()


def test_missing_pv_is_searched_and_ioc_restarts_are_survived(ioc_factory, tool_argv):
    ioc = ioc_factory(fill_bigwf=False)
    ioc.stop()
    name = ioc.prefix + "ao"
    argv, env = tool_argv(ioc, "monitor", "-w", "0.3", name)
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        lines = Lines(proc)
        assert lines.until("Not connected") == [
            name.ljust(30) + " *** Not connected (PV not found)"
        ]
        ioc.start()
        assert lines.until(r" 3\.5  $")[-1].startswith(name.ljust(30) + " ")
        ioc.stop()
        # camonitor's line: this machine's time when the server went away.
        (gone,) = lines.until("disconnected")
        assert re.fullmatch(re.escape(name.ljust(30)) + f" {STAMP} \\*\\*\\* disconnected", gone)
        ioc.start()
        assert lines.until(r" 3\.5  $")[-1].startswith(name.ljust(30) + " ")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        assert proc.stderr is not None
        assert proc.stderr.read() == ""
    finally:
        proc.kill()
        proc.wait()


def test_invalid_name_is_reported_and_the_others_monitored(cli, epics_base_ioc, clean_failure):
    p = epics_base_ioc.prefix
    proc = cli("monitor", "--duration", "0.3", "bad name", p + "ao")
    clean_failure(proc, "bad name")
    assert proc.stdout.startswith(f"{p}ao".ljust(30) + " ")


def test_an_enum_index_without_a_label_prints_its_number(epics_base_ioc, tool_argv, store_index):
    p = epics_base_ioc.prefix
    name = p + "mbbo"
    argv, env = tool_argv(epics_base_ioc, "monitor", name, p + "bo")
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    line = re.escape(name.ljust(30)) + f" {STAMP} "
    try:
        lines = Lines(proc)
        lines.until(line + "On  $")
        store_index("mbbo", 5)  # beyond its three labels: camonitor's reader sees ""
        lines.until(line + "5  $")
        epics_base_ioc.dbpf("mbbo.ONST", "")  # a label left blank, below the others
        store_index("mbbo", 1)
        lines.until(line + "1  $")
        store_index("mbbo", 2)
        assert lines.until(line + "Fault")[-1].endswith(" Fault STATE MAJOR")
        for index in (5, 0, 4):
            store_index("mbbo", index)
        seen = lines.until(line + "4  $")
        assert [text.split()[-1] for text in seen if text.startswith(name + " ")] == [
            "5", "Off", "4"
        ]  # fmt: skip
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        assert proc.stderr is not None
        assert proc.stderr.read() == ""
    finally:
        proc.kill()
        proc.wait()
        epics_base_ioc.dbpf("mbbo.ONST", "On")
        epics_base_ioc.dbpf("mbbo", "On")


def _relative(field: str) -> float:
    # camonitor's relative time: 14 spaces, then %+12.6f.
    assert re.fullmatch(r" {14}[ +\-\d]{4}\d\.\d{6}", field), field
    return float(field)


def test_time_stamp_keys(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    name = f"{p}tick".ljust(30)
    # -t sI: each PV's first line absolute, then the time since its previous update.
    proc = cli("monitor", "-t", "sI", "--duration", "0.8", p + "tick", p + "ao")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    ticks = [line for line in lines if line.startswith(name)]
    assert len(ticks) >= 3, proc.stdout
    assert re.fullmatch(re.escape(name) + rf" {STAMP} \d+  ", ticks[0])
    steps = [_relative(line[31:57]) for line in ticks[1:]]
    assert all(0.05 < step < 0.5 for step in steps), steps  # tick counts every 0.1 s
    ao = next(line for line in lines if line.startswith(p + "ao "))
    assert re.fullmatch(re.escape(f"{p}ao".ljust(30)) + f" {STAMP} 3.5  ", ao)
    # -t cr: this machine's clock, in parentheses, relative to the start of the run.
    proc = cli("monitor", "-t", "cr", "--duration", "0.6", p + "tick")
    first, *later = proc.stdout.splitlines()
    assert re.fullmatch(re.escape(name) + rf" \({STAMP}\) \d+  ", first)
    assert later, proc.stdout
    since_start = []
    for line in later:
        match = re.fullmatch(re.escape(name) + r" {15}\(([ +\-\d.]{12})\) \d+  ", line)
        assert match, line
        since_start.append(float(match[1]))
    assert since_start == sorted(since_start) and 0 < since_start[0] < 5, proc.stdout
    # -t n: no time at all; the separator stays.
    proc = cli("monitor", "-t", "n", "--duration", "0.3", p + "ao")
    assert proc.stdout == f"{p}ao".ljust(30) + "  3.5  \n"
    for bad in ("x", "r", "ni"):
        proc = cli("monitor", "-t", bad, p + "ao")
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, bad
