"""Resource hygiene: many calls leave no sockets, threads or memory behind.

Against the session's EPICS Base IOC.  CI runs short versions; the long ones of
issue 7 (10,000 reads, 1,000 interrupted ``block()`` calls) run with::

    CATUI_SOAK=1 /work/venv/bin/python -m pytest tests/faults/test_hygiene.py -q

Open file descriptors are counted in ``/proc/self/fd``, threads as the kernel
sees them (``/proc/self/status``), resident memory from ``/proc/self/statm``.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from protocol.sync import client
from tests.support.iocs import EpicsBaseIoc, IocProcess, free_port
from tests.support.processes import end_processes, repeater_pids

pytestmark = pytest.mark.interop

SOAK = os.environ.get("CATUI_SOAK", "") not in ("", "0")
READS = 10_000 if SOAK else 2_000
BLOCKS = 1_000 if SOAK else 200
# RSS may wobble by a few pages (allocator arenas, the first use of a code path
# after the warm-up); a leak of even 1 kB per call would exceed this.
RSS_SLACK = (8 if SOAK else 2) * 2**20
PAGE = os.sysconf("SC_PAGE_SIZE")


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _threads() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads: line in /proc/self/status")


def _rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE


def _snapshot() -> tuple[int, int, int]:
    gc.collect()
    return _fds(), _threads(), _rss()


def _assert_unchanged(before: tuple[int, int, int], after: tuple[int, int, int], n: int) -> None:
    fds, threads, rss = before
    fds_after, threads_after, rss_after = after
    assert fds_after == fds, f"{fds_after - fds} file descriptors left open after {n} calls"
    assert threads_after == threads, f"{threads_after - threads} threads left after {n} calls"
    grown = rss_after - rss
    assert grown < RSS_SLACK, f"RSS grew by {grown / 2**20:.1f} MiB over {n} calls"


@pytest.fixture
def ioc(epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]) -> EpicsBaseIoc:
    ca_env(epics_base_ioc)
    return epics_base_ioc


def test_many_reads_leak_nothing(ioc: EpicsBaseIoc) -> None:
    name = ioc.prefix + "ao"
    for _ in range(100):  # warm-up: imports, caches, allocator arenas
        client.read(name, repeater=False)
    before = _snapshot()
    for _ in range(READS):
        client.read(name, repeater=False)
    _assert_unchanged(before, _snapshot(), READS)


def test_interrupted_blocks_leak_nothing(ioc: EpicsBaseIoc) -> None:
    name = ioc.prefix + "ao"

    def one_block() -> None:
        got = threading.Event()
        sub = client.subscribe(name)

        def callback(sub: Any, response: Any) -> None:
            got.set()

        sub.add_callback(callback)
        thread = threading.Thread(target=client.block, args=(sub,), kwargs={"repeater": False})
        thread.start()
        try:
            assert got.wait(5.0), "no update within 5 s"
        finally:
            sub.interrupt()
            thread.join(5.0)
        assert not thread.is_alive(), "block() did not return after interrupt()"

    for _ in range(20):
        one_block()
    before = _snapshot()
    for _ in range(BLOCKS):
        one_block()
    _assert_unchanged(before, _snapshot(), BLOCKS)


@pytest.fixture
def own_repeater_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A repeater port of the test's own, its repeaters ended afterwards.

    Not the session's: an IOC with CA links runs libca's repeater (a thread of the
    IOC, not a process of ours) on the port it was given, which then is taken.
    """
    port = str(free_port())
    monkeypatch.setenv("EPICS_CA_REPEATER_PORT", port)
    yield port
    end_processes(repeater_pids(port))


def test_spawned_repeater_is_shared(ioc: EpicsBaseIoc, own_repeater_port: str) -> None:
    """Clients with repeater=True, at once and one after another: one repeater runs."""
    port = own_repeater_port
    name = ioc.prefix + "ao"
    errors: list[BaseException] = []

    def read() -> None:
        try:
            client.read(name, repeater=True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10.0)
    assert not errors
    # A client takes the port before it starts a repeater, so however the calls
    # interleave and however slowly that repeater starts (seconds on a loaded
    # machine), nobody else starts one: there is nothing to wait for.
    first = repeater_pids(port)
    assert len(first) == 1, first
    for _ in range(3):
        client.read(name, repeater=True)
        client.block(client.subscribe(name), duration=0.1, repeater=True)
    assert repeater_pids(port) == first
