"""``subscribe()`` and ``block()`` against the session's EPICS Base IOC.

``tick`` updates at 10 Hz, so a block of a few tenths of a second sees several
updates; the other records are static and give just their initial update.
"""

from __future__ import annotations

import gc
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from protocol.alarms import SubscriptionType
from protocol.channel_types import ChannelType
from protocol.commands import EventAddResponse
from protocol.errors import CATimeoutError
from protocol.sync import client
from protocol.sync.subscription import ConnectionState, Subscription
from tests.protocol.sync.client_support import Recorder, Runner, wait_for
from tests.support.iocs import EpicsBaseIoc, IocProcess

pytestmark = pytest.mark.interop


@pytest.fixture
def ioc(epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]) -> EpicsBaseIoc:
    ca_env(epics_base_ioc)
    return epics_base_ioc


def _interrupt_when(recorder: Recorder, action: Callable[[], None]) -> Runner:
    """In a thread: once ``recorder`` has an update, note the time and run ``action``."""
    runner: Runner

    def go() -> None:
        wait_for(lambda: recorder.count >= 1, 5.0, "a first update")
        runner.fired_at = time.monotonic()  # type: ignore[attr-defined]
        action()

    runner = Runner(go)
    return runner


def test_block_several_subscriptions_for_a_duration(ioc: EpicsBaseIoc) -> None:
    names = ["tick", "ao", "mbbo", "wf:double", "str"]
    subs = [client.subscribe(ioc.prefix + n) for n in names]
    recorders = {n: Recorder() for n in names}
    for name, sub in zip(names, subs, strict=True):
        recorders[name].attach(sub)
    start = time.monotonic()
    client.block(*subs, duration=0.6)
    elapsed = time.monotonic() - start
    assert 0.6 <= elapsed < 1.2
    assert all(r.count >= 1 for r in recorders.values()), {
        n: r.count for n, r in recorders.items()
    }
    assert recorders["tick"].count >= 3
    for recorder in recorders.values():
        assert all(isinstance(r, EventAddResponse) for r in recorder.responses)
    first = {n: r.responses[0] for n, r in recorders.items()}
    assert first["ao"].data_type == ChannelType.TIME_DOUBLE
    assert first["ao"].data.tolist() == [3.5]
    assert first["mbbo"].data_type == ChannelType.TIME_STRING
    assert first["mbbo"].data == [b"On"]
    assert first["wf:double"].data.tolist() == [1.5, 2.5, 3.5]
    assert first["str"].data == [b"hello"]
    ticks = recorders["tick"].values()
    assert ticks == sorted(ticks) and len(set(ticks)) == len(ticks)
    assert recorders["tick"].subs[0] is subs[0]


def test_interrupt_from_a_thread_ends_block_promptly(ioc: EpicsBaseIoc) -> None:
    sub = client.subscribe(ioc.prefix + "tick")
    recorder = Recorder().attach(sub)
    runner = _interrupt_when(recorder, client.interrupt)
    start = time.monotonic()
    client.block(sub, duration=10)
    returned = time.monotonic()
    runner.join(1.0)
    assert runner.error is None
    assert returned - runner.fired_at < 0.5  # type: ignore[attr-defined]
    assert returned - start < 5


def test_sub_interrupt_from_a_thread_ends_block_promptly(ioc: EpicsBaseIoc) -> None:
    sub = client.subscribe(ioc.prefix + "tick")
    other = client.subscribe(ioc.prefix + "ao")
    recorder = Recorder()
    sub.add_callback(recorder)
    runner = _interrupt_when(recorder, sub.interrupt)
    client.block(sub, other, duration=10)
    returned = time.monotonic()
    runner.join(1.0)
    assert returned - runner.fired_at < 0.5  # type: ignore[attr-defined]


def test_sub_interrupt_before_block_ends_that_block_at_once(ioc: EpicsBaseIoc) -> None:
    sub = client.subscribe(ioc.prefix + "tick")
    recorder = Recorder()
    sub.add_callback(recorder)
    sub.interrupt()
    start = time.monotonic()
    sub.block(duration=5)
    assert time.monotonic() - start < 0.5
    # The pending interrupt was used up: the next block runs its full duration.
    start = time.monotonic()
    sub.block(duration=0.4)
    assert time.monotonic() - start >= 0.4
    assert recorder.count >= 2


def test_module_interrupt_before_block_ends_the_next_block(ioc: EpicsBaseIoc) -> None:
    sub = client.subscribe(ioc.prefix + "tick")
    client.interrupt()
    start = time.monotonic()
    client.block(sub, duration=5)
    assert time.monotonic() - start < 0.5
    start = time.monotonic()
    client.block(sub, duration=0.3)
    assert time.monotonic() - start >= 0.3


def test_clear_interrupts_a_running_block(ioc: EpicsBaseIoc) -> None:
    sub = client.subscribe(ioc.prefix + "tick")
    recorder = Recorder()
    sub.add_callback(recorder)
    runner = _interrupt_when(recorder, sub.clear)
    client.block(sub, duration=10)
    returned = time.monotonic()
    runner.join(1.0)
    assert returned - runner.fired_at < 0.5  # type: ignore[attr-defined]
    assert sub.callbacks == {}


def test_subscription_can_block_again(ioc: EpicsBaseIoc) -> None:
    sub = client.subscribe(ioc.prefix + "tick")
    recorder = Recorder()
    sub.add_callback(recorder)
    sub.block(duration=0.35)
    first = recorder.count
    assert first >= 2
    sub.block(duration=0.35)
    assert recorder.count >= first + 2
    # Each block starts with the current value again: no stale data in between.
    ticks = recorder.values()
    assert ticks[first] >= ticks[first - 1]


# -- callbacks are held weakly ---------------------------------------------------


class Holder:
    def __init__(self, sink: list[Any]) -> None:
        self.sink = sink

    def on_update(self, sub: Subscription, response: Any) -> None:
        self.sink.append(response)


def test_lambda_passed_directly_is_dropped(ioc: EpicsBaseIoc) -> None:
    sub = client.subscribe(ioc.prefix + "tick")
    hits: list[Any] = []
    sub.add_callback(lambda sub, response: hits.append(response))
    kept = Recorder()
    sub.add_callback(kept)
    gc.collect()
    sub.block(duration=0.3)
    assert kept.count >= 1  # updates did arrive
    assert hits == []
    assert len(sub.callbacks) == 1  # the dead reference was pruned


def test_kept_function_is_called(ioc: EpicsBaseIoc) -> None:
    sub = client.subscribe(ioc.prefix + "ao")
    got: list[tuple[Subscription, Any]] = []

    def callback(sub: Subscription, response: Any) -> None:
        got.append((sub, response))

    token = sub.add_callback(callback)
    sub.block(duration=0.2)
    assert len(got) == 1
    assert got[0][0] is sub and got[0][1].data.tolist() == [3.5]
    sub.remove_callback(token)
    sub.block(duration=0.2)
    assert len(got) == 1


def test_bound_method_lives_as_long_as_its_object(ioc: EpicsBaseIoc) -> None:
    sub = client.subscribe(ioc.prefix + "tick")
    kept_sink: list[Any] = []
    dropped_sink: list[Any] = []
    kept = Holder(kept_sink)
    sub.add_callback(kept.on_update)  # the bound method object itself dies at once
    dropped = Holder(dropped_sink)
    sub.add_callback(dropped.on_update)
    del dropped
    gc.collect()
    sub.block(duration=0.3)
    assert len(kept_sink) >= 1
    assert dropped_sink == []


def test_legacy_one_argument_callback_warns_and_is_called(ioc: EpicsBaseIoc) -> None:
    sub = client.subscribe(ioc.prefix + "ao")
    got: list[Any] = []

    def legacy(response: Any) -> None:
        got.append(response)

    def modern(sub: Subscription, response: Any) -> None:
        pass

    with pytest.warns(DeprecationWarning, match="func\\(sub, response\\)"):
        sub.add_callback(legacy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sub.add_callback(modern)
    sub.block(duration=0.2)
    assert len(got) == 1
    assert isinstance(got[0], EventAddResponse)
    assert got[0].data.tolist() == [3.5]


# -- what subscribe() asks for -------------------------------------------------------


def test_data_type_and_data_count_are_honored(ioc: EpicsBaseIoc) -> None:
    control = client.subscribe(ioc.prefix + "wf:double", data_type="control", data_count=2)
    native = client.subscribe(ioc.prefix + "ao", data_type="native")
    explicit = client.subscribe(ioc.prefix + "ao", data_type=ChannelType.GR_LONG)
    default = client.subscribe(ioc.prefix + "wf:double")
    recorders = [Recorder().attach(s) for s in (control, native, explicit, default)]
    client.block(control, native, explicit, default, duration=0.3)
    (c,), (n,), (e,), (d,) = (r.responses[:1] for r in recorders)
    assert c.data_type == ChannelType.CTRL_DOUBLE and c.data_count == 2
    assert c.data.tolist() == [1.5, 2.5] and c.metadata.units == b"mm"
    assert n.data_type == ChannelType.DOUBLE and n.metadata is None
    assert e.data_type == ChannelType.GR_LONG and e.data.tolist() == [3]  # 3.5 cut by the IOC
    assert e.metadata.upper_disp_limit == 100
    assert d.data_type == ChannelType.TIME_DOUBLE and d.data_count == 3


def test_mask_is_honored(ioc: EpicsBaseIoc) -> None:
    alarm_only = client.subscribe(ioc.prefix + "tick", mask=SubscriptionType.DBE_ALARM)
    values = client.subscribe(ioc.prefix + "tick")
    alarms, updates = Recorder().attach(alarm_only), Recorder().attach(values)
    client.block(alarm_only, values, duration=0.5)
    assert updates.count >= 4
    assert alarms.count == 1  # the initial update only: tick's alarm state never changes


def test_enum_subscriptions_give_strings_unless_forced(ioc: EpicsBaseIoc) -> None:
    sub = client.subscribe(ioc.prefix + "mbbo")
    recorder = Recorder().attach(sub)
    client.block(sub, duration=0.2)
    assert recorder.responses[0].data_type == ChannelType.TIME_STRING
    assert recorder.responses[0].data == [b"On"]
    client.block(sub, duration=0.2, force_int_enums=True)
    assert recorder.responses[1].data_type == ChannelType.TIME_ENUM
    assert recorder.responses[1].data.tolist() == [1]
    explicit = client.subscribe(ioc.prefix + "mbbo", data_type="control")
    other = Recorder().attach(explicit)
    client.block(explicit, duration=0.2)
    assert other.responses[0].data_type == ChannelType.CTRL_ENUM
    assert other.responses[0].metadata.enum_strings == (b"Off", b"On", b"Fault")


def test_block_raises_for_a_missing_pv_after_timeout(ioc: EpicsBaseIoc) -> None:
    missing = client.subscribe(ioc.prefix + "not:there")
    present = client.subscribe(ioc.prefix + "tick")
    recorder = Recorder().attach(present)
    start = time.monotonic()
    with pytest.raises(CATimeoutError) as info:
        client.block(missing, present, timeout=0.5)
    assert 0.4 <= time.monotonic() - start < 1.5
    message = str(info.value)
    assert repr(ioc.prefix + "not:there") in message
    assert repr(ioc.prefix + "tick") not in message
    assert f"127.0.0.1:{ioc.port}" in message
    assert recorder.count >= 1  # the PV that was found got its updates meanwhile


def test_connection_callbacks_and_subscription_state(ioc: EpicsBaseIoc) -> None:
    sub = client.subscribe(ioc.prefix + "ao")
    recorder = Recorder().attach(sub, connection=True)
    assert sub.state is ConnectionState.SEARCHING
    client.block(sub, duration=0.2)
    assert recorder.states == [ConnectionState.SEARCHING, ConnectionState.CONNECTED]
    assert sub.server_address == ("127.0.0.1", ioc.port)
    assert sub.native_data_type == ChannelType.DOUBLE and sub.native_data_count == 1


def test_two_blocks_in_two_threads_and_interrupt_ends_both(ioc: EpicsBaseIoc) -> None:
    first, second = client.subscribe(ioc.prefix + "tick"), client.subscribe(ioc.prefix + "tick")
    a, b = Recorder().attach(first), Recorder().attach(second)
    runners = [Runner(lambda s=s: client.block(s, duration=10)) for s in (first, second)]
    wait_for(lambda: a.count >= 2 and b.count >= 2, 5.0, "updates in both blocks")
    fired = time.monotonic()
    client.interrupt()
    for runner in runners:
        runner.join(2.0)
        assert runner.error is None
        assert runner.ended_at is not None and runner.ended_at - fired < 0.5
    # both saw the same stream of values, independently
    assert set(a.values()) & set(b.values())


def test_block_with_no_subscription_respects_duration_and_interrupt() -> None:
    start = time.monotonic()
    client.block(duration=0.2)
    assert 0.2 <= time.monotonic() - start < 0.7
    timer = threading.Timer(0.2, client.interrupt)
    timer.start()
    start = time.monotonic()
    client.block(duration=10)
    assert time.monotonic() - start < 0.7
    timer.join()


def test_a_pv_removed_and_added_again_connects_again(ioc: EpicsBaseIoc) -> None:
    """The console's ``d`` then ``ctrl+z`` (or ``a``): the search must be answered anew."""
    from protocol.sync.blocker import Blocker

    first = client.subscribe(ioc.prefix + "ao")
    recorder = Recorder().attach(first)
    blocker = Blocker(first, repeater=False, keep_searching=True, reconnect=True)
    runner = Runner(blocker.run)
    try:
        wait_for(lambda: recorder.count >= 1, 5.0, "the first update")
        blocker.remove(first)
        time.sleep(0.2)
        again = client.subscribe(ioc.prefix + "ao")
        second = Recorder().attach(again)
        blocker.add(again)
        wait_for(lambda: second.count >= 1, 5.0, "an update after the PV was added again")
    finally:
        blocker.interrupt()
        runner.join(5.0)
    assert runner.error is None, runner.error
