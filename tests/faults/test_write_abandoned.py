"""A write given up (quit, its deadline) never reaches the IOC later (issue 12, item 1).

``python -m catui`` runs in a real pseudo-terminal against a real EPICS Base IOC.

* Quit while a write waits for an IOC that has gone: the process is gone within a
  second (no worker thread left searching), and when the IOC comes back the value is
  the one it had: the write was abandoned, and journalled as not written.
* A network partition (in a private network namespace: its own loopback, a qdisc
  that drops every packet) after the write's channel is connected: the write is sent
  into it and never answered.  When its deadline passes, or the console quits, its
  socket is reset; once the partition heals, what the kernel had queued must not be
  delivered (a plain ``close()`` would have the kernel retransmit it for minutes and
  deliver it then).  Needs root (``ip netns``, ``tc``): without, the test fails and
  says why.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.catui.console_helpers import REPO, PtyConsole
from tests.support.iocs import READY, EpicsBaseIoc, IocError, IocProcess, free_port

pytestmark = pytest.mark.interop

#: The process must be gone this soon after the quit is confirmed.
EXIT_BUDGET = 1.5
#: How long the value is watched afterwards for a write landing late.
WATCH = 6.0
#: After a partition heals: longer than the kernel's next retransmission of what was
#: queued before it (the backoff doubles from 0.2 s: 3 s, 6.2 s, 12.6 s after sending).
WATCH_AFTER_HEAL = 12.0


def console_env(ioc: IocProcess, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EPICS_", "TEXTUAL"))}
    env.update(ioc.env)
    env["EPICS_CA_REPEATER_PORT"] = str(free_port())
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), TERM="xterm-256color",
               PYTHONPATH=str(REPO))  # fmt: skip
    return env


def journal_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def value_stays(ioc: EpicsBaseIoc, value: str, seconds: float) -> None:
    """Fail as soon as the IOC's ``ao`` is not ``value`` within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = ioc.dbgf("ao")
        assert float(now) == float(value), (
            f"the abandoned write reached the IOC: ao is {now}, not {value}"
        )
        time.sleep(0.25)


def arm(console: PtyConsole, ao: str, typed: str) -> None:
    """Open the write dialog on ``ao``, type a value, Enter: its confirm is shown."""
    console.type("w")
    console.wait_for(lambda text: f"Write {ao}" in text, what="the write dialog")
    console.type(typed + "\r")
    console.wait_for(lambda text: f"Write {ao}?" in text, what="the confirm step")


def test_quit_while_a_write_waits_ends_the_process_and_writes_nothing(
    ioc_factory: Callable[..., IocProcess], tmp_path: Path
) -> None:
    ioc = ioc_factory("epics-base")
    assert isinstance(ioc, EpicsBaseIoc)
    ao = f"{ioc.prefix}ao"
    journal = tmp_path / "journal.jsonl"
    args = [ao, "--write-timeout", "30", "--journal", str(journal)]
    console = PtyConsole(args, console_env(ioc, tmp_path))
    try:
        console.wait_for(lambda text: "3.500 mm" in text, what="the value of ao")
        # Paused: the row does not follow the IOC going away, so the confirm is given
        # for a PV that is no longer there (as when the monitor has not noticed yet).
        console.type("p")
        console.wait_for(lambda text: "PAUSED" in text, what="paused")
        arm(console, ao, "7")
        ioc.stop()
        console.type("y")
        console.wait_for(lambda text: f"writing {ao} ←" in text, what="the write")
        time.sleep(0.5)  # searching for the IOC, in the worker
        console.type("q")
        console.wait_for(lambda text: "Quit while a write waits" in text, what="the question")
        console.wait_for(lambda text: "Quitting abandons it now" in text, what="its words")
        console.type("y")
        quit_at = time.monotonic()
        exited: list[float] = []
        waiter = threading.Thread(
            target=lambda: (console.proc.wait(), exited.append(time.monotonic())), daemon=True
        )
        waiter.start()
        # The IOC comes back at once (its value 3.5 again, from PINI): a write still on
        # its way would find it now.  Nothing may write it.
        ioc.start()
        value_stays(ioc, "3.5", WATCH)
        waiter.join(40)
        assert exited, "catui still runs"
        elapsed = exited[0] - quit_at
        assert elapsed < EXIT_BUDGET, f"catui took {elapsed:.1f} s to exit after the quit"
        console.wait_exit(timeout=5)
        assert console.proc.returncode == 0, console.text[-3000:]
        assert "Traceback" not in console.text
        (entry,) = journal_lines(journal)
        assert entry["status"] == "not written", entry
        assert "catui quit before it was sent" in entry["reply"]
    finally:
        console.end()


# -- a partition, in a network namespace of its own ------------------------------------
_NAMES = itertools.count()


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


@pytest.fixture
def netns() -> Iterator[str]:
    """A fresh network namespace with its loopback up; deleted afterwards."""
    name = f"catui{os.getpid()}n{next(_NAMES)}"
    try:
        made = _run("ip", "netns", "add", name)
    except OSError as exc:
        pytest.fail(f"cannot create a network namespace: `ip` cannot run ({exc})")
    if made.returncode:
        pytest.fail(
            f"cannot create a network namespace (`ip netns add` says: {made.stderr.strip()}); "
            "this test needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN)"
        )
    try:
        up = _run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        assert up.returncode == 0, f"loopback of {name} not up: {up.stderr}"
        yield name
    finally:
        _run("ip", "netns", "del", name)


def partition(ns: str) -> None:
    """Drop every packet on the namespace's loopback (netem, else a tiny-burst tbf)."""
    for qdisc in (
        ["netem", "loss", "100%"],
        ["tbf", "rate", "1kbit", "burst", "20", "limit", "20"],
    ):
        done = _run("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "lo", "root", *qdisc)
        if done.returncode == 0:
            return
    pytest.fail(f"cannot partition the loopback of {ns} with tc: {done.stderr.strip()}")


def heal(ns: str) -> None:
    done = _run("ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", "lo", "root")
    assert done.returncode == 0, f"the partition of {ns} not removed: {done.stderr}"


class NamespacedIoc(EpicsBaseIoc):
    """The EPICS Base IOC, run in network namespace ``ns`` (its own loopback)."""

    def __init__(self, ns: str, prefix: str) -> None:
        super().__init__(prefix, fill_bigwf=False)
        self.ns = ns

    def argv(self) -> list[str]:
        return ["ip", "netns", "exec", self.ns, *super().argv()]

    def _wait_ready(self, deadline: float) -> None:
        # The listener is on the namespace's loopback: probed from in there.
        self._wait_for_line(lambda line: line.startswith(READY), 0, deadline)
        probe = f"import socket; socket.create_connection(('127.0.0.1', {self.port}), 1).close()"
        while _run("ip", "netns", "exec", self.ns, sys.executable, "-c", probe).returncode:
            if not self.running:
                raise self._exited()
            if time.monotonic() > deadline:
                raise IocError(f"no TCP listener on port {self.port} in {self.ns}")
            time.sleep(0.1)


@pytest.mark.parametrize("how", ["deadline", "quit"])
def test_a_write_sent_into_a_partition_never_lands_after_it_heals(
    netns: str, tmp_path: Path, how: str
) -> None:
    ioc = NamespacedIoc(netns, f"part{os.getpid()}:")
    console: PtyConsole | None = None
    try:
        ioc.start()
        ao = f"{ioc.prefix}ao"
        journal = tmp_path / "journal.jsonl"
        # 2 s: the read before the write times out after 1 s, the write goes then.
        args = [ao, "--write-timeout", "2", "--journal", str(journal)]
        console = PtyConsole(args, console_env(ioc, tmp_path),
                             prefix=["ip", "netns", "exec", netns])  # fmt: skip
        console.wait_for(lambda text: "3.500 mm" in text, what="the value of ao")
        arm(console, ao, "7")  # the write's channel is connected now
        partition(netns)
        console.type("y")
        console.wait_for(lambda text: f"writing {ao} ←" in text, what="the write")
        if how == "deadline":
            console.wait_for(lambda text: "timed out: no completion within 2 s" in text,
                             timeout=10, what="the timeout")  # fmt: skip
            console.type("q")
        else:
            time.sleep(1.5)  # past the read before it: the write is sent, unanswered
            console.type("q")
            console.wait_for(lambda text: "Quit while a write waits" in text, what="the question")
            console.type("y")
        elapsed = console.wait_exit(timeout=20)
        assert elapsed < EXIT_BUDGET, f"catui took {elapsed:.1f} s to exit after the quit"
        heal(netns)
        value_stays(ioc, "3.5", WATCH_AFTER_HEAL)
        (entry,) = journal_lines(journal)
        assert entry["status"] == ("timed out" if how == "deadline" else "abandoned"), entry
    finally:
        if console is not None:
            console.end()
        with contextlib.suppress(Exception):
            heal(netns)
        ioc.stop()
