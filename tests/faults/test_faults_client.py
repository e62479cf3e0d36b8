"""The synchronous client against a misbehaving server (issue 7, robustness).

Every fault of :data:`tests.faults.fake_server.FAULTS` is played against
``read``, ``write(notify=True)``, ``write(notify=False)``, ``read_write_read``,
``block``, ``open_channels`` (then ``Channel.read``, as ``catui get`` does) and a
``Blocker(keep_searching=True, reconnect=True)``; the calls run at once, in
threads, so that the matrix takes about 0.6 s per fault.  Each call
must end within its timeout (plus 0.5 s) either as expected for a harmless
fault or with the documented :class:`~protocol.errors.CAError` subclass whose
message names the PV; never another exception type, never a hang.

What ``block()`` does, by fault (the :data:`EXPECTED` table):

* not found, silence before the channel exists: ``CATimeoutError`` after ``timeout``
  (its subclass ``ConnectTimeoutError`` from read/write: nothing was sent);
* ERROR from the server: ``ErrorResponseReceived``;
* a broken stream (malformed, truncated-then-closed, wrong ids, oversized ...),
  CREATE_CH_FAIL or SERVER_DISCONN: ``DisconnectedError`` (the circuit is closed);
* silence or a truncated message *after* the subscription started: nothing to
  report yet, so ``block`` returns after ``duration`` with no update (only the
  ECHO liveness check, after EPICS_CA_CONN_TMO + 5 s, would notice).

A ``Blocker`` with ``keep_searching`` and ``reconnect`` never raises: a broken
stream closes the circuit and the PV is searched again, with a back-off
(a handful of reconnects per second, not thousands).
"""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from protocol.errors import (
    CAError,
    CATimeoutError,
    ConnectTimeoutError,
    DisconnectedError,
    ErrorResponseReceived,
    RemoteProtocolError,
)
from protocol.sync import client
from protocol.sync.blocker import Blocker
from protocol.sync.config import load_config
from protocol.sync.subscription import Subscription
from tests.faults.fake_server import FAULTS, FakeServer, Scenario

PV = "fake:pv"
TIMEOUT = 0.5
SLACK = 0.5
BLOCK_DURATION = 0.6
BLOCKER_DURATION = 0.5

OK = None
TO, DIS, RPE, ERR = CATimeoutError, DisconnectedError, RemoteProtocolError, ErrorResponseReceived
CTO = ConnectTimeoutError  # a CATimeoutError before anything was sent

OPS = ("read", "write_notify", "write", "read_write_read", "block")

# fault -> outcome per op (read, write_notify, write, read_write_read, block);
# OK: the call succeeds (block: returns after its duration with an update).
# "quiet": block returns after its duration without an update.
EXPECTED: dict[str, tuple[Any, ...]] = {
    "search_garbage": (CTO, CTO, CTO, CTO, TO),
    "search_wrong_cid": (CTO, CTO, CTO, CTO, TO),
    "silence_after_accept": (CTO, CTO, CTO, CTO, TO),
    "close_after_accept": (DIS, DIS, DIS, DIS, DIS),
    "garbage_after_accept": (RPE, RPE, RPE, RPE, DIS),
    "create_silence": (CTO, CTO, CTO, CTO, TO),
    "create_ch_fail": (ERR, ERR, ERR, ERR, DIS),
    "create_error": (ERR, ERR, ERR, ERR, ERR),
    "create_wrong_cid": (RPE, RPE, RPE, RPE, DIS),
    "create_truncated": (CTO, CTO, CTO, CTO, TO),
    "create_close_mid_message": (DIS, DIS, DIS, DIS, DIS),
    "create_reply_before_create": (RPE, RPE, RPE, RPE, DIS),
    "create_swapped": (OK, OK, OK, OK, OK),
    "create_compound_type": (RPE, RPE, RPE, RPE, DIS),
    "malformed": (RPE, RPE, RPE, RPE, DIS),
    "bad_command_id": (RPE, RPE, RPE, RPE, DIS),
    "misaligned": (RPE, RPE, RPE, RPE, DIS),
    # A WRITE_NOTIFY reply carries no data: type and count are not checked.
    "short_payload": (RPE, OK, RPE, RPE, DIS),
    "bad_dbr_type": (RPE, OK, RPE, RPE, DIS),
    "gigantic_header": (RPE, RPE, RPE, RPE, DIS),
    "oversized": (RPE, RPE, RPE, RPE, DIS),
    "truncated": (TO, TO, TO, TO, "quiet"),
    "close_mid_message": (DIS, DIS, DIS, DIS, DIS),
    "silence": (TO, TO, TO, TO, "quiet"),
    "close": (DIS, DIS, DIS, DIS, DIS),
    "wrong_id": (RPE, RPE, RPE, RPE, DIS),
    "unsolicited_update": (RPE, RPE, RPE, RPE, DIS),
    "unsolicited_benign": (OK, OK, OK, OK, OK),
    "out_of_order": (RPE, RPE, RPE, RPE, DIS),
    "error_response": (ERR, ERR, ERR, ERR, ERR),
    "server_disconn": (DIS, DIS, DIS, DIS, DIS),
}

# Faults after which the circuit is unusable: a Blocker must reconnect.
BREAKS_CIRCUIT = {
    name
    for name, outcome in EXPECTED.items()
    if outcome[0] in (DIS, RPE) and name != "server_disconn"
}


def test_every_fault_has_an_expectation() -> None:
    assert set(EXPECTED) == set(FAULTS)


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeServer]]:
    """``serve(fault)``: a running fake server the client's environment points at."""
    servers: list[FakeServer] = []

    def start(fault: str | None = None, **kwargs: Any) -> FakeServer:
        server = FakeServer(Scenario(fault=FAULTS[fault] if fault else None, **kwargs))
        servers.append(server.__enter__())
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("EPICS_CA_MAX_ARRAY_BYTES", "16384")
        return server

    yield start
    for server in servers:
        server.stop()
        assert not server.errors, server.errors


def _call(op: str) -> Any:
    common = {"timeout": TIMEOUT, "repeater": False}
    if op == "read":
        return client.read(PV, **common)
    if op == "write_notify":
        return client.write(PV, 2.5, notify=True, **common)
    if op == "write":
        return client.write(PV, 2.5, **common)
    if op == "read_write_read":
        return client.read_write_read(PV, 2.5, **common)
    if op == "open_channels":
        # The extension behind ``catui get``: failures are collected, not raised.
        with client.open_channels([PV], **common) as channels:
            if PV in channels.failures:
                raise channels.failures[PV]
            return channels[PV].read()
    if op == "block":
        updates: list[Any] = []

        def callback(sub: Subscription, response: Any) -> None:
            updates.append(response)

        sub = client.subscribe(PV)
        sub.add_callback(callback)
        client.block(sub, duration=BLOCK_DURATION, timeout=TIMEOUT, repeater=False)
        return updates
    raise AssertionError(op)


def _limit(op: str) -> float:
    return (max(TIMEOUT, BLOCK_DURATION) if op == "block" else TIMEOUT) + SLACK


def _run(op: str, outcomes: dict[str, Any]) -> None:
    start = time.monotonic()
    try:
        result: Any = _call(op)
    except BaseException as exc:  # judged by the test, in the main thread
        result = exc
    outcomes[op] = (result, time.monotonic() - start)


def _judge(op: str, expected: Any, result: Any, elapsed: float) -> list[str]:
    problems = []
    if elapsed >= _limit(op):
        problems.append(f"{op}: took {elapsed:.2f} s")
    if expected is OK or expected == "quiet":
        if isinstance(result, BaseException):
            problems.append(f"{op}: expected success, got {type(result).__name__}: {result}")
        elif op == "block" and bool(result) != (expected is OK):
            problems.append(f"{op}: {len(result)} update(s), expected {expected or 'some'}")
    elif not isinstance(result, BaseException):
        problems.append(f"{op}: expected {expected.__name__}, got {result!r}")
    elif type(result) is not expected:
        problems.append(
            f"{op}: expected {expected.__name__}, got {type(result).__name__}: {result}"
        )
    elif repr(PV) not in str(result):
        problems.append(f"{op}: the message does not name the PV: {result}")
    return problems


def _run_blocker(fault: str, outcomes: dict[str, Any]) -> None:
    """A Blocker with keep_searching and reconnect, on a fake server of its own."""
    start = time.monotonic()
    try:
        with FakeServer(Scenario(fault=FAULTS[fault])) as server:
            config = load_config({**server.env(), "EPICS_CA_MAX_ARRAY_BYTES": "16384"})
            blocker = Blocker(
                client.subscribe(PV),
                timeout=TIMEOUT,
                repeater=False,
                keep_searching=True,
                reconnect=True,
                config=config,
            )
            blocker.run(BLOCKER_DURATION)
            elapsed = time.monotonic() - start
        outcomes["blocker"] = (server, elapsed)
    except BaseException as exc:
        outcomes["blocker"] = (exc, time.monotonic() - start)


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_calls_against_fault(serve: Callable[..., FakeServer], fault: str) -> None:
    """read, write (notify and not), read_write_read, block and open_channels, at once.

    Each call has its own circuit, and the fault is injected into every circuit.
    Meanwhile a ``Blocker(keep_searching=True, reconnect=True)`` runs against a
    second server with the same fault: it never raises, and re-searches a broken
    circuit with a back-off (a few reconnects, not a tight loop).
    """
    serve(fault)
    outcomes: dict[str, Any] = {}
    ops = (*OPS, "open_channels")
    threads = [threading.Thread(target=_run, args=(op, outcomes), daemon=True) for op in ops]
    threads.append(threading.Thread(target=_run_blocker, args=(fault, outcomes), daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(_limit("block") + 2.0)
    assert set(outcomes) == {*ops, "blocker"}, f"hung: {sorted({*ops, 'blocker'} - set(outcomes))}"
    problems = []
    for op, expected in zip(OPS, EXPECTED[fault], strict=True):
        problems += _judge(op, expected, *outcomes[op])
    # open_channels + Channel.read fails exactly as read() does.
    problems += _judge("open_channels", EXPECTED[fault][0], *outcomes["open_channels"])
    server, elapsed = outcomes["blocker"]
    if isinstance(server, BaseException):
        problems.append(f"blocker: raised {type(server).__name__}: {server}")
    else:
        if elapsed >= BLOCKER_DURATION + SLACK:
            problems.append(f"blocker: took {elapsed:.2f} s")
        if server.errors:
            problems.append(f"blocker: the fake server failed: {server.errors}")
        low, high = (2, 20) if fault in BREAKS_CIRCUIT else (0, 2)
        if not low <= server.connections <= high:
            problems.append(f"blocker: {server.connections} circuits, expected {low}..{high}")
    assert not problems, "\n".join(problems)


def test_blocker_recovers_when_the_fault_was_once(serve: Callable[..., FakeServer]) -> None:
    """A malformed stream on the first circuit only: the Blocker reconnects and gets data."""
    server = serve("malformed", repeat=False)
    updates: list[Any] = []

    def callback(sub: Subscription, response: Any) -> None:
        updates.append(response)

    sub = client.subscribe(PV)
    sub.add_callback(callback)
    blocker = Blocker(sub, timeout=TIMEOUT, repeater=False, keep_searching=True, reconnect=True)
    blocker.run(BLOCKER_DURATION)
    assert server.connections == 2
    assert [u.data.tolist() for u in updates] == [[1.5]]


@pytest.mark.parametrize("fault", ["gigantic_header", "oversized"])
@pytest.mark.parametrize("op", ["read", "block"])
def test_huge_header_allocates_nothing(
    serve: Callable[..., FakeServer], fault: str, op: str
) -> None:
    serve(fault)
    tracemalloc.start()
    try:
        with pytest.raises(CAError) as info:
            if op == "read":
                client.read(PV, timeout=TIMEOUT, repeater=False)
            else:
                client.block(client.subscribe(PV), duration=1.0, timeout=TIMEOUT, repeater=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "announces a payload of" in str(info.value)
    assert peak < 4 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_a_well_behaved_fake_server_serves_every_call(serve: Callable[..., FakeServer]) -> None:
    """The baseline the faults deviate from."""
    server = serve()
    assert client.read(PV, timeout=TIMEOUT, repeater=False).data.tolist() == [1.5]
    assert client.write(PV, 2.5, notify=True, timeout=TIMEOUT, repeater=False).status.success
    assert client.write(PV, 2.5, timeout=TIMEOUT, repeater=False) is None
    initial, middle, final = client.read_write_read(PV, 2.5, timeout=TIMEOUT, repeater=False)
    assert initial.data.tolist() == final.data.tolist() == [1.5]
    assert middle is None
    assert server.connections == 4


def test_blocker_reports_a_refused_create_and_asks_again(
    serve: Callable[..., FakeServer],
) -> None:
    """An ERROR in reply to CREATE_CHAN is a refusal, as CREATE_CH_FAIL: the watcher is
    told "disconnected" (not left "searching") and the channel is asked for again later."""
    from protocol.commands import CreateChanRequest
    from protocol.sync.subscription import ConnectionState

    server = serve("create_error")
    states: list[ConnectionState] = []

    def on_connection(sub: Subscription, state: ConnectionState, address: Any) -> None:
        states.append(state)

    sub = client.subscribe(PV)
    sub.add_connection_callback(on_connection)
    blocker = Blocker(sub, timeout=TIMEOUT, repeater=False, keep_searching=True, reconnect=True)
    blocker.run(BLOCKER_DURATION)
    assert ConnectionState.DISCONNECTED in states
    assert ConnectionState.CONNECTED not in states
    assert 2 <= len(server.sent_requests(CreateChanRequest)) <= 10
    assert server.connections == 1  # the circuit itself is fine
