"""Requests on a ``Blocker``'s channels against a misbehaving server (every fault).

A subscription with a control callback makes the control read (DBR_CTRL) the first
request on each circuit, so the fault of :data:`tests.faults.fake_server.FAULTS`
lands on it; a read, a notify write and a plain write follow once the PV has
connected (or after a while, if it never does).  Whatever the fault, the Blocker
(``keep_searching``, ``reconnect``) never raises, every request ends within its
timeout, either answered or with one of the documented errors naming the PV, and
each control callback gets a response or an error, never both.  The faults run
at once, each with its own server and Blocker.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from protocol.errors import (
    CATimeoutError,
    ConnectTimeoutError,
    DisconnectedError,
    ErrorResponseReceived,
    NotConnectedError,
)
from protocol.sync import client
from protocol.sync.blocker import Blocker
from protocol.sync.config import load_config
from protocol.sync.requests import Request
from protocol.sync.subscription import ConnectionState, Subscription
from tests.faults.fake_server import FAULTS, FakeServer, Scenario

PV = "fake:pv"
TIMEOUT = 0.4
SLACK = 1.0  # the faults run at once, on two cores
RUN_FOR = 2.0
#: What a request may end with, besides its answer.
DOCUMENTED = (
    NotConnectedError,  # not connected (yet, or again): nothing was sent
    ConnectTimeoutError,
    CATimeoutError,  # sent, not answered in time
    DisconnectedError,  # the circuit or channel went while it was out
    ErrorResponseReceived,  # the server's refusal
)


class Case:
    """One fault: its server, Blocker, requests and what came back."""

    def __init__(self, fault: str) -> None:
        self.fault = fault
        self.problems: list[str] = []
        self.controls: list[tuple[Any, Any]] = []
        self.connected = threading.Event()

    def on_control(self, sub: Subscription, response: Any, error: Any) -> None:
        self.controls.append((response, error))

    def on_connection(self, sub: Subscription, state: ConnectionState, address: Any) -> None:
        if state is ConnectionState.CONNECTED:
            self.connected.set()

    def run(self) -> None:
        try:
            with FakeServer(Scenario(fault=FAULTS[self.fault])) as server:
                self._run(server)
                if server.errors:
                    self.problems.append(f"the fake server failed: {server.errors}")
        except BaseException as exc:
            self.problems.append(f"raised {type(exc).__name__}: {exc}")

    def _run(self, server: FakeServer) -> None:
        config = load_config({**server.env(), "EPICS_CA_MAX_ARRAY_BYTES": "16384"})
        sub = client.subscribe(PV)
        sub.add_control_callback(self.on_control)
        sub.add_connection_callback(self.on_connection)
        blocker = Blocker(
            sub,
            timeout=TIMEOUT,
            repeater=False,
            keep_searching=True,
            reconnect=True,
            config=config,
        )
        errors: list[BaseException] = []

        def run() -> None:
            try:
                blocker.run(RUN_FOR)
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.connected.wait(0.5)
        requests = {
            "read": blocker.read(PV, timeout=TIMEOUT),
            "write_notify": blocker.write(PV, 2.5, timeout=TIMEOUT),
            "write": blocker.write(PV, 2.5, notify=False, timeout=TIMEOUT),
        }
        posted = time.monotonic()
        for what, request in requests.items():
            self._judge(what, request, posted)
        thread.join(RUN_FOR + 2.0)
        if thread.is_alive():
            self.problems.append("the Blocker did not end")
        if errors:
            self.problems.append(f"the Blocker raised {type(errors[0]).__name__}: {errors[0]}")
        for response, error in self.controls:
            if (response is None) == (error is None):
                self.problems.append(f"control callback got {response!r} and {error!r}")
            elif error is not None and not isinstance(error, DOCUMENTED):
                self.problems.append(f"control read: {type(error).__name__}: {error}")

    def _judge(self, what: str, request: Request, posted: float) -> None:
        try:
            request.wait(TIMEOUT + SLACK)
        except DOCUMENTED as exc:
            if repr(PV) not in str(exc):
                self.problems.append(f"{what}: the message does not name the PV: {exc}")
        except BaseException as exc:
            self.problems.append(f"{what}: {type(exc).__name__}: {exc}")
        if time.monotonic() - posted > TIMEOUT + SLACK:
            self.problems.append(f"{what}: took {time.monotonic() - posted:.2f} s")


def test_requests_against_every_fault() -> None:
    cases = [Case(fault) for fault in FAULTS]
    threads = [threading.Thread(target=case.run, daemon=True) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RUN_FOR + 10.0)
    problems = [f"{case.fault}: {problem}" for case in cases for problem in case.problems]
    assert not problems, "\n".join(problems)
    # The control read (the circuit's first request) met the fault: an error, or
    # nothing for the faults before a channel exists; a benign one, a response.
    by_fault = {case.fault: case.controls for case in cases}
    assert [r for r, _ in by_fault["unsolicited_benign"]][:1] != [None]
    assert any(isinstance(e, ErrorResponseReceived) for _, e in by_fault["error_response"])


def test_an_error_answering_the_control_read_does_not_end_a_plain_blocker() -> None:
    """Without keep_searching or reconnect an ERROR ends ``run()``, unless it answers a request."""
    controls: list[tuple[Any, Any]] = []

    def on_control(sub: Subscription, response: Any, error: Any) -> None:
        controls.append((response, error))

    with FakeServer(Scenario(fault=FAULTS["error_response"])) as server:
        config = load_config(server.env())
        sub = client.subscribe(PV)
        sub.add_control_callback(on_control)
        Blocker(sub, timeout=TIMEOUT, repeater=False, config=config).run(0.5)
    ((response, error),) = controls
    assert response is None
    assert isinstance(error, ErrorResponseReceived) and "ECA_INTERNAL" in str(error)


class _NoReadAfterWrite(FakeServer):
    """A server that answers no READ_NOTIFY once it has answered a WRITE_NOTIFY."""

    wrote = False

    def _normal(self, circuit: Any, msg: Any) -> list[bytes]:
        from protocol.commands import ReadNotifyRequest, WriteNotifyRequest

        if isinstance(msg, WriteNotifyRequest):
            self.wrote = True
        elif isinstance(msg, ReadNotifyRequest) and self.wrote:
            return []
        return super()._normal(circuit, msg)


def test_a_round_whose_write_was_answered_is_not_in_doubt(
    monkeypatch: Any,
) -> None:
    """Its last read unanswered: the request fails, but no circuit is reset for a read,
    even where unacknowledged bytes cannot be counted (which would reset for a write)."""
    from protocol.sync.connection import Connection

    monkeypatch.setattr(Connection, "unacknowledged", lambda self: None)
    with _NoReadAfterWrite() as server:
        config = load_config(server.env())
        sub = client.subscribe(PV)
        connected = threading.Event()

        def on_connection(sub: Subscription, state: ConnectionState, address: Any) -> None:
            if state is ConnectionState.CONNECTED:
                connected.set()

        sub.add_connection_callback(on_connection)  # held weakly: kept by this frame
        blocker = Blocker(sub, timeout=TIMEOUT, repeater=False, reconnect=True, config=config)
        thread = threading.Thread(target=blocker.run, daemon=True)
        thread.start()
        try:
            assert connected.wait(2.0)
            request = blocker.read_write_read(PV, 2.5, timeout=TIMEOUT)
            try:
                request.wait()
                raise AssertionError("the last read was answered")
            except CATimeoutError as exc:
                assert "the write was answered" in str(exc)
            assert request.wrote and not request.circuit_reset
            assert server.connections == 1
        finally:
            blocker.interrupt()
            thread.join(2.0)
