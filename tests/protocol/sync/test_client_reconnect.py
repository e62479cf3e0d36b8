"""The ``Blocker`` extensions: reconnecting, searching on, adding and removing while running.

IOCs that get killed or started late are private to their test; the others
use the session IOC.  ``Blocker.run()`` runs in a thread and its exception, if
any, is kept by ``Runner``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest

from protocol.errors import DisconnectedError
from protocol.sync import client
from protocol.sync.client import Blocker
from protocol.sync.subscription import ConnectionState
from tests.protocol.sync.client_support import Recorder, Runner, wait_for
from tests.support.iocs import EpicsBaseIoc, IocProcess

pytestmark = pytest.mark.interop

SEARCHING = ConnectionState.SEARCHING
CONNECTED = ConnectionState.CONNECTED
DISCONNECTED = ConnectionState.DISCONNECTED


@pytest.fixture
def ioc(epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]) -> EpicsBaseIoc:
    ca_env(epics_base_ioc)
    return epics_base_ioc


def _stop(blocker: Blocker, runner: Runner) -> None:
    blocker.interrupt()
    runner.join(2.0)


def test_reconnects_after_the_ioc_restarts(
    ioc_factory: Callable[..., IocProcess], ca_env: Callable[[IocProcess], None]
) -> None:
    server = ioc_factory("epics-base", fill_bigwf=False)
    ca_env(server)
    tick = client.subscribe(server.prefix + "tick")
    static = client.subscribe(server.prefix + "ao")
    ticks = Recorder().attach(tick, connection=True)
    statics = Recorder().attach(static, connection=True)
    blocker = Blocker(tick, static, keep_searching=True, reconnect=True, timeout=1.0)
    runner = Runner(blocker.run)
    try:
        wait_for(lambda: ticks.count >= 2 and statics.count == 1, 5.0, "the first updates")
        server.kill()
        wait_for(lambda: DISCONNECTED in ticks.states, 2.0, "DISCONNECTED")
        assert DISCONNECTED in statics.states
        assert runner.error is None and runner.thread.is_alive()
        before = ticks.count
        server.start()
        wait_for(lambda: ticks.states.count(CONNECTED) == 2, 8.0, "CONNECTED again")
        wait_for(lambda: ticks.count >= before + 3, 2.0, "updates after the restart")
        wait_for(lambda: statics.count == 2, 1.0, "the static PV's new first update")
    finally:
        _stop(blocker, runner)
    assert runner.error is None
    assert ticks.states == [SEARCHING, CONNECTED, DISCONNECTED, CONNECTED]
    assert statics.states == [SEARCHING, CONNECTED, DISCONNECTED, CONNECTED]
    assert statics.values() == [3.5, 3.5]
    assert tick.server_address == ("127.0.0.1", server.port)


def test_without_reconnect_a_killed_ioc_raises_disconnected(
    ioc_factory: Callable[..., IocProcess], ca_env: Callable[[IocProcess], None]
) -> None:
    server = ioc_factory("epics-base", fill_bigwf=False)
    ca_env(server)
    sub = client.subscribe(server.prefix + "tick")
    recorder = Recorder().attach(sub)
    runner = Runner(lambda: client.block(sub, duration=10))
    wait_for(lambda: recorder.count >= 1, 5.0, "a first update")
    killed = time.monotonic()
    server.kill()
    runner.join(3.0)
    assert isinstance(runner.error, DisconnectedError)
    assert isinstance(runner.error, ConnectionError)
    assert repr(server.prefix + "tick") in str(runner.error)
    assert runner.ended_at is not None and runner.ended_at - killed < 1.0


def test_added_subscription_gets_its_first_update_quickly(ioc: EpicsBaseIoc) -> None:
    first = client.subscribe(ioc.prefix + "tick")
    firsts = Recorder().attach(first)
    blocker = Blocker(first)
    runner = Runner(blocker.run)
    try:
        wait_for(lambda: firsts.count >= 1, 5.0, "the first subscription's update")
        # A new PV (searched for now) and a second subscription to a connected one.
        new_pv = client.subscribe(ioc.prefix + "wf:double")
        same_pv = client.subscribe(ioc.prefix + "tick")
        new_pvs, same_pvs = Recorder().attach(new_pv), Recorder().attach(same_pv)
        blocker.add(new_pv, same_pv)
        assert wait_for(lambda: new_pvs.count >= 1, 0.5, "the added PV's update") < 0.5
        assert wait_for(lambda: same_pvs.count >= 1, 0.5, "the added sub's update") < 0.5
        assert new_pvs.values()[0] == 1.5
    finally:
        _stop(blocker, runner)
    assert runner.error is None


def test_removed_subscription_stops_while_others_continue(ioc: EpicsBaseIoc) -> None:
    removed, kept = client.subscribe(ioc.prefix + "tick"), client.subscribe(ioc.prefix + "tick")
    other_pv = client.subscribe(ioc.prefix + "counter")
    gone, staying = Recorder().attach(removed), Recorder().attach(kept)
    Recorder().attach(other_pv)
    blocker = Blocker(removed, kept, other_pv)
    runner = Runner(blocker.run)
    try:
        wait_for(lambda: gone.count >= 2 and staying.count >= 2, 5.0, "updates of both")
        blocker.remove(removed)
        time.sleep(0.1)  # the blocker thread handles the removal
        frozen, before = gone.count, staying.count
        time.sleep(0.4)
        assert gone.count == frozen
        assert staying.count >= before + 3
        # and it can come back
        blocker.add(removed)
        wait_for(lambda: gone.count > frozen, 0.5, "updates after adding it back")
    finally:
        _stop(blocker, runner)
    assert runner.error is None


def test_missing_pv_keeps_searching_until_an_ioc_serves_it(
    ca_env: Callable[[IocProcess], None],
) -> None:
    late = EpicsBaseIoc(f"catlate{os.getpid()}:", fill_bigwf=False)  # not started yet
    ca_env(late)
    sub = client.subscribe(late.prefix + "ao")
    recorder = Recorder().attach(sub, connection=True)
    blocker = Blocker(sub, keep_searching=True, timeout=0.3)
    runner = Runner(blocker.run)
    try:
        time.sleep(0.8)  # well past the timeout: no CATimeoutError with keep_searching
        assert runner.thread.is_alive() and runner.error is None
        assert recorder.count == 0 and sub.state is SEARCHING
        late.start()
        wait_for(lambda: recorder.count >= 1, 8.0, "the update once the IOC runs")
    finally:
        _stop(blocker, runner)
        late.stop()
    assert runner.error is None
    assert recorder.values() == [3.5]
    assert recorder.states == [SEARCHING, CONNECTED]


def test_a_channel_the_server_refuses_is_retried_with_back_off(ioc: EpicsBaseIoc) -> None:
    """RSRV finds ``rec.TIME`` by name but refuses to create it: no search storm."""
    refused = client.subscribe(ioc.prefix + "ao.TIME")
    states: list[ConnectionState] = []

    def on_state(sub: object, state: ConnectionState, address: object) -> None:
        states.append(state)

    refused.add_connection_callback(on_state)
    good = Recorder()
    tick = client.subscribe(ioc.prefix + "tick")
    tick.add_callback(good)
    blocker = Blocker(refused, tick, keep_searching=True, reconnect=True, repeater=False)
    cpu = time.process_time()
    blocker.run(2.0)
    cpu = time.process_time() - cpu
    # Back-off 0, 0.05, 0.1, 0.2, 0.4, 0.8 s...: a handful of attempts, not thousands.
    assert 2 <= len(states) <= 20, len(states)
    assert blocker.searcher is not None and blocker.searcher.datagrams_sent < 40
    assert cpu < 0.5
    assert len(good.responses) >= 5  # the healthy PV is not starved
