"""Calls from several threads at once: each makes its own connection and disturbs no other."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from protocol.sync import client
from protocol.sync.client import Blocker
from tests.protocol.sync.client_support import Recorder, Runner, wait_for
from tests.support.iocs import EpicsBaseIoc, IocProcess

pytestmark = pytest.mark.interop


@pytest.fixture
def ioc(
    epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]
) -> Iterator[EpicsBaseIoc]:
    ca_env(epics_base_ioc)
    initial = client.read(epics_base_ioc.prefix + "long").data.tolist()
    yield epics_base_ioc
    client.write(epics_base_ioc.prefix + "long", initial, notify=True)  # as other tests expect


def test_write_in_main_thread_while_another_thread_blocks(ioc: EpicsBaseIoc) -> None:
    tick = client.subscribe(ioc.prefix + "tick")
    watched = client.subscribe(ioc.prefix + "long")
    ticks, seen = Recorder().attach(tick), Recorder().attach(watched)
    blocker = Blocker(tick, watched)
    runner = Runner(blocker.run)
    written = list(range(100, 130))
    try:
        wait_for(lambda: ticks.count >= 1 and seen.count >= 1, 5.0, "the first updates")
        ticks_before = ticks.count
        started = time.monotonic()
        for value in written:
            response = client.write(ioc.prefix + "long", value, notify=True)
            assert response.status.name == "ECA_NORMAL"
            assert client.read(ioc.prefix + "long").data.tolist() == [value]
            time.sleep(0.01)
        client.write(ioc.prefix + "long", written[-1] + 1)  # and a plain one
        wait_for(lambda: seen.values()[-1] == written[-1] + 1, 1.0, "the last value")
        # The block kept receiving all along.
        wait_for(lambda: time.monotonic() - started > 0.5, 1.0, "time to pass")
        assert ticks.count >= ticks_before + 4
        assert runner.thread.is_alive() and runner.error is None
    finally:
        blocker.interrupt()
        runner.join(2.0)
    assert runner.error is None
    # Every write posted a monitor, in order.
    assert seen.values()[1:] == [*written, written[-1] + 1]


def test_reads_from_many_threads_at_once(ioc: EpicsBaseIoc) -> None:
    names = ["ao", "long", "str", "mbbo", "wf:double", "wf:string"] * 4
    results: dict[int, object] = {}
    runners = [
        Runner(lambda i=i, n=n: results.__setitem__(i, client.read(ioc.prefix + n).data))
        for i, n in enumerate(names)
    ]
    for runner in runners:
        runner.join(5.0)
        assert runner.error is None
    for i, name in enumerate(names):
        single = client.read(ioc.prefix + name).data
        got = results[i]
        assert (got == single) if isinstance(single, list) else got.tolist() == single.tolist()
