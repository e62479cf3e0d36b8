"""Reads and writes on a ``Blocker``'s own channels (``protocol.sync.requests``), on a real IOC.

The IOC serves ``tests/support/requests.db``.  What the client sends is recorded at
the sans-I/O circuit (``VirtualCircuit.send``), so "nothing was written" is checked
on the wire as well as in the IOC's value.  Tests that kill or restart the IOC use a
private one; the rest share one for the module.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from protocol.channel_types import ChannelType
from protocol.circuit import VirtualCircuit
from protocol.commands import (
    EventAddRequest,
    Message,
    ReadNotifyRequest,
    WriteNotifyRequest,
    WriteNotifyResponse,
    WriteRequest,
)
from protocol.errors import (
    CATimeoutError,
    CAValueError,
    ChannelAccessDenied,
    ConnectTimeoutError,
    DisconnectedError,
    ErrorResponseReceived,
    NotConnectedError,
)
from protocol.sync import client
from protocol.sync.blocker import Blocker
from protocol.sync.connection import Connection
from protocol.sync.requests import Request
from protocol.sync.subscription import ConnectionState, Subscription
from tests.protocol.sync.client_support import Recorder, Runner, wait_for
from tests.support.iocs import SUPPORT_DIR, EpicsBaseIoc, IocProcess

pytestmark = pytest.mark.interop

REQUESTS_DB = SUPPORT_DIR / "requests.db"
CONNECTED = ConnectionState.CONNECTED
DISCONNECTED = ConnectionState.DISCONNECTED


@pytest.fixture(scope="module")
def _requests_ioc() -> Iterator[EpicsBaseIoc]:
    ioc = EpicsBaseIoc(f"catq{os.getpid()}:", db=REQUESTS_DB)
    ioc.start()
    yield ioc
    ioc.stop()


@pytest.fixture
def ioc(_requests_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]) -> EpicsBaseIoc:
    ca_env(_requests_ioc.ensure_running())
    return _requests_ioc


@pytest.fixture
def private_ioc(
    ioc_factory: Callable[..., IocProcess], ca_env: Callable[[IocProcess], None]
) -> EpicsBaseIoc:
    """An IOC of this test alone (to kill and restart)."""
    server = ioc_factory("epics-base", db=REQUESTS_DB)
    ca_env(server)
    assert isinstance(server, EpicsBaseIoc)
    return server


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Message]:
    """Every message this process queues or sends on a TCP circuit during the test."""
    messages: list[Message] = []
    original = VirtualCircuit.send

    def send(self: VirtualCircuit, *commands: Message) -> bytes:
        messages.extend(commands)
        return original(self, *commands)

    monkeypatch.setattr(VirtualCircuit, "send", send)
    return messages


def _writes(messages: list[Message]) -> list[Message]:
    return [m for m in list(messages) if isinstance(m, (WriteRequest, WriteNotifyRequest))]


class Watching:
    """A running ``Blocker`` (keep_searching, reconnect) on ``names``, all connected."""

    def __init__(self, ioc: EpicsBaseIoc, *suffixes: str) -> None:
        self.ioc = ioc
        self.subs = {suffix: client.subscribe(ioc.prefix + suffix) for suffix in suffixes}
        self.recorders = {
            suffix: Recorder().attach(sub, connection=True) for suffix, sub in self.subs.items()
        }
        self.blocker = Blocker(
            *self.subs.values(), keep_searching=True, reconnect=True, repeater=False
        )

    def __enter__(self) -> Watching:
        self.runner = Runner(self.blocker.run)
        self.wait_connected(1)
        return self

    def wait_connected(self, times: int) -> None:
        for suffix, recorder in self.recorders.items():
            wait_for(
                lambda r=recorder: r.states.count(CONNECTED) >= times and r.count >= times,
                10.0,
                f"{suffix} connected ({times})",
            )

    def name(self, suffix: str) -> str:
        return self.ioc.prefix + suffix

    def __exit__(self, *exc: object) -> None:
        self.blocker.interrupt()
        self.runner.join(5.0)
        assert self.runner.error is None, self.runner.error


def _data(response: Any) -> list[Any]:
    data = response.data
    return data if isinstance(data, list) else data.tolist()


def _value(name: str) -> list[Any]:
    """The value as a separate, stateless read sees it."""
    return _data(client.read(name, repeater=False))


# -- reads and writes over the Blocker's channels ------------------------------------


def test_reads_go_over_the_kept_channel(ioc: EpicsBaseIoc) -> None:
    ioc.dbpf("ao0", 1.25)
    ioc.dbpf("mode", 0)
    with Watching(ioc, "ao0", "mode") as w:
        made: list[Connection] = []
        original = Connection.__init__

        def counting(self: Connection, *args: Any, **kwargs: Any) -> None:
            made.append(self)
            original(self, *args, **kwargs)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Connection, "__init__", counting)
            plain = w.blocker.read(w.name("ao0")).wait(2.0)
            control = w.blocker.read(w.name("ao0"), data_type="control").wait(2.0)
            mode = w.blocker.read(w.name("mode")).wait(2.0)
        assert made == []  # no search, no connect: the Blocker's own circuit
    assert plain.data_type == ChannelType.TIME_DOUBLE and plain.data.tolist() == [1.25]
    assert control.data_type == ChannelType.CTRL_DOUBLE
    assert control.metadata.units == b"mm" and control.metadata.precision == 3
    # An ENUM as its subscription gets it by default: TIME_STRING.
    assert mode.data_type == ChannelType.TIME_STRING and _data(mode) == [b"Off"]
    assert _value(ioc.prefix + "ao0") == [1.25]


def test_write_notify_is_one_request_and_a_separate_read_sees_it(
    ioc: EpicsBaseIoc, sent: list[Message]
) -> None:
    with Watching(ioc, "ao1") as w:
        response = w.blocker.write(w.name("ao1"), 12.5).wait(2.0)
    assert isinstance(response, WriteNotifyResponse) and response.status.success
    assert [type(m) for m in _writes(sent)] == [WriteNotifyRequest]
    assert _value(ioc.prefix + "ao1") == [12.5]


def test_text_to_an_enum_reads_its_choices_on_the_channel_first(
    ioc: EpicsBaseIoc, sent: list[Message]
) -> None:
    ioc.dbpf("mode", 0)
    with Watching(ioc, "mode") as w:
        del sent[:]
        w.blocker.write(w.name("mode"), "Fault").wait(2.0)
        with pytest.raises(CAValueError, match="no choice 'Nope'"):
            w.blocker.write(w.name("mode"), "Nope").wait(2.0)
    reads = [m for m in sent if isinstance(m, ReadNotifyRequest)]
    assert [m.data_type for m in reads] == [ChannelType.CTRL_ENUM] * 2
    (write,) = _writes(sent)  # the unknown choice was never sent
    assert write.data_type == ChannelType.ENUM and write.data.tolist() == [2]
    assert _value(ioc.prefix + "mode") == [b"Fault"]


def test_plain_write_and_refusals(ioc: EpicsBaseIoc, sent: list[Message]) -> None:
    with Watching(ioc, "ao2", "ro", "disabled") as w:
        assert w.blocker.write(w.name("ao2"), 3.0, notify=False).wait(2.0) is None
        with pytest.raises(ChannelAccessDenied, match="no write access"):
            w.blocker.write(w.name("ro"), 1.0).wait(2.0)
        # The server refuses a plain WRITE with an ERROR: that request fails, the
        # Blocker goes on.
        with pytest.raises(ErrorResponseReceived, match="ECA_PUTFAIL"):
            w.blocker.write(w.name("disabled"), 1.0, notify=False).wait(2.0)
        refused = w.blocker.write(w.name("disabled"), 1.0).wait(2.0)
        assert not refused.status.success
        assert w.blocker.read(w.name("ao2")).wait(2.0).data.tolist() == [3.0]
    assert len(_writes(sent)) == 3  # ao2, disabled twice; nothing to the read-only PV
    assert _value(ioc.prefix + "ao2") == [3.0]
    assert _value(ioc.prefix + "ro") == [2.0]


def test_read_write_read_is_one_round_on_the_channel(ioc: EpicsBaseIoc) -> None:
    ioc.dbpf("ao3", -1)
    with Watching(ioc, "ao3") as w:
        request = w.blocker.read_write_read(w.name("ao3"), 4.0)
        initial, response, final = request.wait(2.0)
    assert initial.data.tolist() == [-1.0]
    assert response.status.success
    assert final.data.tolist() == [4.0]
    assert request.wrote and not request.circuit_reset


def test_requests_from_many_threads_at_once(ioc: EpicsBaseIoc, sent: list[Message]) -> None:
    """Eight threads write and read back their own PV, 20 times each, all at once."""
    threads_n, rounds = 8, 20
    suffixes = [f"ao{i}" for i in range(threads_n)]
    with Watching(ioc, *suffixes, "mode") as w:
        del sent[:]
        problems: list[str] = []
        start = threading.Barrier(threads_n + 1)

        def work(i: int) -> None:
            name = w.name(suffixes[i])
            start.wait()
            for k in range(rounds):
                value = float(i * 100 + k)
                try:
                    assert w.blocker.write(name, value).wait(5.0).status.success
                    back = w.blocker.read(name).wait(5.0).data.tolist()
                    mode = w.blocker.read(w.name("mode"), data_type="native").wait(5.0)
                except Exception as exc:
                    problems.append(f"{name} round {k}: {type(exc).__name__}: {exc}")
                    return
                if back != [value] or mode.data_type != ChannelType.ENUM:
                    problems.append(f"{name} round {k}: read back {back}, mode {mode!r}")

        threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
        for thread in threads:
            thread.start()
        start.wait()
        for thread in threads:
            thread.join(30.0)
    assert problems == []
    assert len(_writes(sent)) == threads_n * rounds  # each sent exactly once
    for i, suffix in enumerate(suffixes):
        assert _value(ioc.prefix + suffix) == [float(i * 100 + rounds - 1)]


# -- write safety ---------------------------------------------------------------------


def test_a_pv_that_is_not_connected_fails_at_once_and_nothing_is_sent_later(
    private_ioc: EpicsBaseIoc, sent: list[Message]
) -> None:
    with Watching(private_ioc, "ao0") as w:
        never = w.blocker.write(w.name("ao1"), 5.0)  # not one of its PVs
        with pytest.raises(NotConnectedError, match="nothing was sent"):
            never.wait(2.0)
        private_ioc.kill()
        wait_for(lambda: DISCONNECTED in w.recorders["ao0"].states, 5.0, "disconnected")
        start = time.monotonic()
        request = w.blocker.write(w.name("ao0"), 42.0, timeout=10.0)
        with pytest.raises(NotConnectedError, match="is not connected: nothing was sent"):
            request.wait()
        assert time.monotonic() - start < 2.0  # at once, not at its deadline
        assert not request.sent
        private_ioc.start()
        w.wait_connected(2)
        time.sleep(1.0)  # a write kept for the reconnect would have arrived by now
        assert w.blocker.read(w.name("ao0")).wait(2.0).data.tolist() == [0.0]
    assert _writes(sent) == []
    assert private_ioc.dbgf("ao0") == "0"


class Gate:
    """A subscription callback that holds the Blocker's thread while armed."""

    def __init__(self) -> None:
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, sub: Subscription, response: Any) -> None:
        if self.armed:
            self.entered.set()
            self.release.wait(10.0)


def test_cancelled_or_out_of_time_before_sending_is_never_sent(
    ioc: EpicsBaseIoc, sent: list[Message]
) -> None:
    for suffix in ("ao4", "ao5", "ao6", "ao7"):
        ioc.dbpf(suffix, 0)
    with Watching(ioc, "ao4", "ao5", "ao6", "ao7") as w:
        gate = Gate()
        w.subs["ao4"].add_callback(gate)
        gate.armed = True
        ioc.dbpf("ao4", 1)  # its update holds the Blocker's thread in the gate
        assert gate.entered.wait(5.0)
        try:
            cancelled = w.blocker.write(w.name("ao5"), 55.0)
            assert cancelled.cancel() is True
            waited = w.blocker.write(w.name("ao6"), 66.0, timeout=None)
            with pytest.raises(ConnectTimeoutError, match="before it was sent: nothing was sent"):
                waited.wait(0.2)
            expired = w.blocker.write(w.name("ao7"), 77.0, timeout=0.2)
            time.sleep(0.3)
        finally:
            gate.armed = False
            gate.release.set()
        with pytest.raises(
            ConnectTimeoutError, match=r"timed out after 0\.2 s before it was sent"
        ):
            expired.wait(2.0)
        with pytest.raises(ConnectTimeoutError, match="cancelled before it was sent"):
            cancelled.wait(0)
        assert cancelled.cancelled() and not cancelled.sent and not waited.sent
        time.sleep(0.5)
        assert w.blocker.read(w.name("ao7")).wait(2.0).data.tolist() == [0.0]
    assert _writes(sent) == []
    assert [_value(ioc.prefix + s) for s in ("ao5", "ao6", "ao7")] == [[0.0]] * 3


def test_out_of_time_after_sending_with_everything_acknowledged_keeps_the_circuit(
    ioc: EpicsBaseIoc,
) -> None:
    """The IOC has the write (its put completes 3 s later): outcome unknown, circuit kept."""

    def circuits() -> list[tuple[Any, float]]:
        return [(c.address, c.connected_since) for c in w.blocker.diagnostics().circuits]

    with Watching(ioc, "slow", "ao0") as w:
        ((address, since),) = circuits()
        request = w.blocker.write(w.name("slow"), 8.0, timeout=1.0)
        with pytest.raises(CATimeoutError, match="the server's host has it: outcome unknown"):
            request.wait()
        assert request.wrote and not request.circuit_reset
        assert w.blocker.read(w.name("ao0")).wait(2.0).status.success
        ((address_after, since_after),) = circuits()  # the same circuit
        assert address_after == address and since_after == pytest.approx(since, abs=0.01)
        assert [w.blocker.diagnostics().pv(w.name(s)).losses for s in ("slow", "ao0")] == [0, 0]
        assert DISCONNECTED not in w.recorders["ao0"].states
        wait_for(lambda: _value(ioc.prefix + "slow") == [8.0], 5.0, "the write's effect")


def test_given_up_when_the_kernel_cannot_tell_resets_the_circuit(
    private_ioc: EpicsBaseIoc, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where unacknowledged bytes cannot be counted, some are assumed: RST, reconnect."""
    monkeypatch.setattr(Connection, "unacknowledged", lambda self: None)
    aborted: list[Connection] = []
    original = Connection.abort

    def abort(self: Connection) -> None:
        aborted.append(self)
        original(self)

    monkeypatch.setattr(Connection, "abort", abort)
    with Watching(private_ioc, "slow", "ao0") as w:
        slow = w.blocker.write(w.name("slow"), 9.0, timeout=None)
        other = w.blocker.write(w.name("slow"), 10.0, timeout=None)
        time.sleep(0.2)  # both sent, neither answered (the first put takes 3 s)
        assert slow.cancel() is False  # sent already
        with pytest.raises(CATimeoutError, match="the circuit was reset"):
            slow.wait(2.0)
        assert slow.circuit_reset and len(aborted) == 1
        with pytest.raises(DisconnectedError, match="after the write was sent"):
            other.wait(1.0)
        w.wait_connected(2)  # reconnect brings the PVs back on a new circuit
        assert w.blocker.read(w.name("ao0")).wait(2.0).status.success


def test_a_lost_circuit_fails_its_requests_at_once(private_ioc: EpicsBaseIoc) -> None:
    with Watching(private_ioc, "slow") as w:
        request = w.blocker.write(w.name("slow"), 3.0, timeout=20.0)
        time.sleep(0.3)
        private_ioc.kill()
        start = time.monotonic()
        with pytest.raises(DisconnectedError, match="after the write was sent: outcome unknown"):
            request.wait()
        assert time.monotonic() - start < 2.0
        assert request.wrote


def test_the_end_of_run_fails_pending_requests(ioc: EpicsBaseIoc) -> None:
    w = Watching(ioc, "slow2")
    with w:
        pending = w.blocker.write(w.name("slow2"), 4.0, timeout=20.0)
        time.sleep(0.3)
    with pytest.raises(DisconnectedError, match="the Blocker stopped after the write was sent"):
        pending.wait(1.0)
    later = w.blocker.read(w.name("slow2"))
    assert later.done()
    with pytest.raises(NotConnectedError, match="not running"):
        later.wait()


def test_done_callbacks_run_once_in_the_blockers_thread(ioc: EpicsBaseIoc) -> None:
    with Watching(ioc, "ao0") as w:
        seen: list[tuple[Request, str]] = []
        done = threading.Event()

        def callback(request: Request) -> None:
            seen.append((request, threading.current_thread().name))
            done.set()

        request = w.blocker.read(w.name("ao0"))
        request.add_done_callback(callback)
        assert done.wait(2.0)
        request.add_done_callback(callback)  # already done: at once, here
        blocker_thread = w.runner.thread.name
    assert seen == [
        (request, blocker_thread),
        (request, threading.current_thread().name),
    ]


# -- control metadata on connect -----------------------------------------------------


class Controls:
    """A control callback ``(sub, response, error)`` that keeps what it gets."""

    def __init__(self) -> None:
        self.got: list[tuple[str, Any, Any]] = []

    def __call__(self, sub: Subscription, response: Any, error: Any) -> None:
        self.got.append((sub.pv_name, response, error))

    def of(self, name: str) -> list[Any]:
        return [response for pv, response, _ in self.got if pv == name]


def test_control_metadata_arrives_after_connect_and_after_every_reconnect(
    private_ioc: EpicsBaseIoc, sent: list[Message], monkeypatch: pytest.MonkeyPatch
) -> None:
    flushes: list[int] = []
    original_flush = Connection.flush

    def flush(self: Connection) -> None:
        flushes.append(len(sent))  # what was queued before this write
        original_flush(self)

    monkeypatch.setattr(Connection, "flush", flush)
    controls = Controls()
    w = Watching(private_ioc, "ao0", "mode")
    for sub in w.subs.values():
        sub.add_control_callback(controls)
    with w:
        ao0, mode = w.name("ao0"), w.name("mode")
        wait_for(lambda: len(controls.got) == 2, 5.0, "control metadata")
        private_ioc.kill()
        private_ioc.start()
        w.wait_connected(2)
        wait_for(lambda: len(controls.got) == 4, 5.0, "control metadata again")
    assert all(error is None for _, _, error in controls.got)
    for response in controls.of(ao0):
        assert response.data_type == ChannelType.CTRL_DOUBLE
        assert response.metadata.units == b"mm" and response.metadata.precision == 3
    for response in controls.of(mode):
        assert response.data_type == ChannelType.CTRL_ENUM
        assert response.metadata.enum_strings == (b"Off", b"On", b"Fault")
    # Pipelined: each control read left in the same write as its EVENT_ADD, ahead of it.
    reads = [
        (i, m)
        for i, m in enumerate(sent)
        if isinstance(m, ReadNotifyRequest) and m.data_type >= ChannelType.CTRL_STRING
    ]
    assert len(reads) == 4
    for index, read in reads:
        event = next(
            i
            for i, m in enumerate(sent)
            if i > index and isinstance(m, EventAddRequest) and m.sid == read.sid
        )
        assert [f for f in flushes if index < f <= event] == [], "a write in between"
