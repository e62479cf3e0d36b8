"""Failures before any request is sent: the TCP connect, and a refused CREATE_CHAN.

Against the loopback fake server of :mod:`tests.faults.fake_server` (it answers the
search; the TCP connect is made to fail by replacing ``connect_tcp``, or for a
``Blocker``, whose connects do not block, by sending them to a port that never
answers or refuses):

* a TCP connect that times out is a :class:`ConnectTimeoutError` (nothing was sent)
  from ``read``, ``write``, ``read_write_read``, ``open_channel`` and
  ``open_channels``; a refused one a :class:`DisconnectedError`; both name the PV;
  a ``Blocker`` searches again (and keeps ``CATimeoutError`` for its deadline);
* EPICS Base's rsrv answers a CREATE_CHAN it cannot serve with an ERROR whose cid
  is 0xFFFFFFFF (the cid is in the request it quotes): a reconnecting ``Blocker``
  treats it as a refusal of that PV, and keeps one channel per circuit however
  often it asks again.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from protocol.commands import CreateChanRequest, ErrorResponse
from protocol.errors import (
    CAError,
    CATimeoutError,
    ConnectTimeoutError,
    DisconnectedError,
    ErrorResponseReceived,
)
from protocol.sync import blocker as blocker_module
from protocol.sync import client, connection
from protocol.sync.blocker import Blocker
from protocol.sync.channels import open_channel, open_channels
from protocol.sync.subscription import ConnectionState, Subscription
from tests.faults.fake_server import FAULTS, Context, FakeServer, Scenario
from tests.protocol.sync.test_sync_blocker_connect import HOST as HOLE_HOST
from tests.protocol.sync.test_sync_blocker_connect import BlackHole

PV = "fake:pv"
TIMEOUT = 0.5


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeServer]]:
    servers: list[FakeServer] = []

    def start(scenario: Scenario | None = None) -> FakeServer:
        server = FakeServer(scenario or Scenario())
        servers.append(server.__enter__())
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        return server

    yield start
    for server in servers:
        server.stop()
        assert not server.errors, server.errors


def _failing_connect(monkeypatch: pytest.MonkeyPatch, error: OSError) -> None:
    def connect_tcp(address: tuple[str, int], timeout: float) -> Any:
        raise error

    monkeypatch.setattr(connection, "connect_tcp", connect_tcp)


CALLS: dict[str, Callable[[], Any]] = {
    "read": lambda: client.read(PV, timeout=TIMEOUT, repeater=False),
    "write": lambda: client.write(PV, 1.0, timeout=TIMEOUT, repeater=False),
    "write_notify": lambda: client.write(PV, 1.0, notify=True, timeout=TIMEOUT, repeater=False),
    "read_write_read": lambda: client.read_write_read(PV, 1.0, timeout=TIMEOUT, repeater=False),
    "open_channel": lambda: open_channel(PV, timeout=TIMEOUT, repeater=False),
}


def _open_channels_failure() -> CAError:
    with open_channels([PV], timeout=TIMEOUT, repeater=False) as channels:
        assert PV not in channels
        return channels.failures[PV]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (TimeoutError("timed out"), ConnectTimeoutError),
        (ConnectionRefusedError(111, "refused"), DisconnectedError),
    ],
    ids=["timeout", "refused"],
)
def test_a_failed_tcp_connect_names_the_pv(
    serve: Callable[..., FakeServer],
    monkeypatch: pytest.MonkeyPatch,
    error: OSError,
    expected: type[CAError],
) -> None:
    serve()
    _failing_connect(monkeypatch, error)
    problems = []
    for op, call in CALLS.items():
        try:
            call()
        except CAError as exc:
            if type(exc) is not expected or repr(PV) not in str(exc):
                problems.append(f"{op}: {type(exc).__name__}: {exc}")
        else:
            problems.append(f"{op}: no error")
    failure = _open_channels_failure()
    if type(failure) is not expected or repr(PV) not in str(failure):
        problems.append(f"open_channels: {type(failure).__name__}: {failure}")
    assert not problems, "\n".join(problems)


def _blocker_connects_to(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    """A Blocker's (non-blocking) connects go to ``port`` of loopback instead."""
    begin = connection.Connection.begin

    def begin_elsewhere(address: tuple[str, int], priority: int, max_bytes: int) -> Any:
        return begin((HOLE_HOST, port), priority, max_bytes)

    monkeypatch.setattr(connection.Connection, "begin", staticmethod(begin_elsewhere))
    monkeypatch.setattr(blocker_module, "_CONNECT_TIMEOUT", 0.1)


def test_a_blocker_searches_again_after_a_refused_tcp_connect(
    serve: Callable[..., FakeServer],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = serve()
    with socket.socket() as closed:  # bound, not listening: connects are refused
        closed.bind((HOLE_HOST, 0))
        _blocker_connects_to(monkeypatch, closed.getsockname()[1])
        states: list[ConnectionState] = []
        sub = client.subscribe(PV)

        def on_connection(sub: Subscription, state: ConnectionState, address: Any) -> None:
            states.append(state)

        sub.add_connection_callback(on_connection)  # held weakly: keep on_connection
        Blocker(sub, timeout=TIMEOUT, repeater=False, keep_searching=True, reconnect=True).run(0.3)
    assert server.searches.count(PV) >= 2
    assert "refused" in caplog.text and repr(PV) in caplog.text
    assert set(states) == {ConnectionState.SEARCHING}  # never connected, so never lost


def test_a_blocker_searches_again_after_a_tcp_connect_timeout(
    serve: Callable[..., FakeServer],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = serve()
    hole = BlackHole()
    _blocker_connects_to(monkeypatch, hole.port)
    try:
        # Reconnecting: it never raises.
        Blocker(
            client.subscribe(PV),
            timeout=TIMEOUT,
            repeater=False,
            keep_searching=True,
            reconnect=True,
        ).run(0.3)
        assert server.searches.count(PV) >= 2
        assert "timed out" in caplog.text and repr(PV) in caplog.text
        # Otherwise its deadline is a CATimeoutError (not the subclass: requests were sent).
        with pytest.raises(CATimeoutError) as info:
            Blocker(client.subscribe(PV), timeout=0.3, repeater=False).run(2.0)
    finally:
        hole.close()
    assert type(info.value) is CATimeoutError
    assert repr(PV) in str(info.value)


def _rsrv_create_error(ctx: Context) -> list[Any]:
    """As rsrv's send_err(): cid 0xFFFFFFFF, the CREATE_CHAN quoted."""
    return [bytes(ErrorResponse(ctx.request, 0xFFFFFFFF, "ECA_ALLOCMEM", "no room"))]


def test_an_rsrv_error_to_create_chan_is_a_refusal_of_that_pv(
    serve: Callable[..., FakeServer],
) -> None:
    server = serve(Scenario(fault=("create", _rsrv_create_error)))
    states: list[ConnectionState] = []

    def on_connection(sub: Subscription, state: ConnectionState, address: Any) -> None:
        states.append(state)

    sub = client.subscribe(PV)
    sub.add_connection_callback(on_connection)
    blocker = Blocker(sub, timeout=TIMEOUT, repeater=False, keep_searching=True, reconnect=True)
    blocker.run(0.5)
    assert ConnectionState.DISCONNECTED in states
    assert len(server.sent_requests(CreateChanRequest)) >= 2
    # Without reconnect the error is raised, naming the PV.
    with pytest.raises(ErrorResponseReceived) as info:
        client.block(client.subscribe(PV), duration=1.0, timeout=TIMEOUT, repeater=False)
    assert repr(PV) in str(info.value)


@pytest.mark.parametrize("fault", ["create_error", "create_ch_fail"])
def test_refused_creates_leave_no_channels_behind(
    serve: Callable[..., FakeServer], monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    """Each new attempt makes a channel on the same circuit: the refused ones go."""
    server = serve(Scenario(fault=FAULTS[fault]))
    monkeypatch.setattr(blocker_module, "_MAX_RETRY", 0.05)  # many attempts, quickly
    blocker = Blocker(
        client.subscribe(PV), timeout=TIMEOUT, repeater=False, keep_searching=True, reconnect=True
    )
    counts: list[int] = []

    def peek() -> None:
        time.sleep(1.0)
        counts.extend(len(c.circuit.channels) for c in list(blocker._circuits.by_key.values()))

    thread = threading.Thread(target=peek)
    thread.start()
    blocker.run(1.3)
    thread.join()
    assert len(server.sent_requests(CreateChanRequest)) >= 5
    assert counts and max(counts) <= 1, counts
