"""Cancelling a channel's calls from another thread (``protocol.sync.cancel``).

A cancelled call returns at once, whatever it was blocked in (search, connect, a
reply that never comes), says whether its request had been sent, and resets its
socket: the peer sees a TCP RST, not a FIN after the data still queued.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from protocol.commands import WriteNotifyRequest
from protocol.sync.cancel import CACancelledError, Cancellation, CancelledBeforeSendingError
from protocol.sync.channels import open_channel
from protocol.sync.connection import Connection
from tests.faults.fake_server import FAULTS, FakeServer, Scenario
from tests.protocol.sync.test_sync_blocker_connect import BlackHole

#: A cancelled call must return within this (it does in milliseconds).
PROMPT = 0.5
LONG = 20.0  # the calls' own timeouts: far beyond anything the tests wait


class Call:
    """``function()`` in a thread; what it returned or raised, and when."""

    def __init__(self, function: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.ended: float | None = None
        self._thread = threading.Thread(target=self._run, args=(function,), daemon=True)
        self._thread.start()

    def _run(self, function: Callable[[], Any]) -> None:
        try:
            self.result = function()
        except BaseException as exc:
            self.error = exc
        self.ended = time.monotonic()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"still blocked {timeout} s after the cancel"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeServer]]:
    servers: list[FakeServer] = []

    def start(fault: str | None = None) -> FakeServer:
        scenario = Scenario(fault=FAULTS[fault] if fault else None)
        server = FakeServer(scenario).__enter__()
        servers.append(server)
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        return server

    yield start
    for server in servers:
        server.stop()


def cancel_after(cancel: Cancellation, call: Call, delay: float = 0.2) -> float:
    """Cancel ``delay`` s from now; seconds from the cancel until ``call`` returned."""
    time.sleep(delay)
    assert call.ended is None, f"the call returned before the cancel: {call.error!r}"
    cancelled = time.monotonic()
    cancel.cancel("the test cancelled it")
    call.join(5.0)
    assert call.ended is not None
    return call.ended - cancelled


def test_a_cancelled_search_returns_at_once_and_sent_nothing(fake):
    server = fake()
    cancel = Cancellation()
    call = Call(lambda: open_channel("no:such:pv", timeout=LONG, repeater=False, cancel=cancel))
    assert cancel_after(cancel, call) < PROMPT
    assert isinstance(call.error, CancelledBeforeSendingError), call.error
    assert "the test cancelled it" in str(call.error) and "no:such:pv" in str(call.error)
    searched = len(server.searches)
    assert searched >= 2  # it was searching, retrying
    time.sleep(1.2)  # longer than the longest retry interval (1 s)
    assert len(server.searches) == searched, "searched again after the cancel"


def test_a_cancelled_connect_returns_at_once():
    hole = BlackHole()
    try:
        cancel = Cancellation()
        call = Call(lambda: Connection(("127.0.0.1", hole.port), 0, 16384, LONG, cancel=cancel))
        assert cancel_after(cancel, call) < PROMPT
        assert isinstance(call.error, CancelledBeforeSendingError), call.error
    finally:
        hole.close()


def test_a_write_cancelled_while_waiting_was_sent(fake):
    server = fake("silence")  # the server takes the write and never answers it
    cancel = Cancellation()
    channel = open_channel("fake:pv", timeout=5.0, repeater=False, cancel=cancel)
    try:
        call = Call(lambda: channel.write(3.0, notify=True, timeout=LONG))
        assert cancel_after(cancel, call) < PROMPT
    finally:
        channel.close()
    assert type(call.error) is CACancelledError, call.error
    assert "the test cancelled it" in str(call.error) and "fake:pv" in str(call.error)
    assert len(server.sent_requests(WriteNotifyRequest)) == 1


def test_nothing_is_sent_once_cancelled(fake):
    server = fake()
    cancel = Cancellation()
    channel = open_channel("fake:pv", timeout=5.0, repeater=False, cancel=cancel)
    cancel.cancel("quit")
    with pytest.raises(CancelledBeforeSendingError, match="quit"):
        channel.write(3.0, notify=True)
    with pytest.raises(CancelledBeforeSendingError):
        channel.read()
    channel.close()
    assert server.sent_requests(WriteNotifyRequest) == []
    # Nor is anything searched or connected again with it.
    with pytest.raises(CancelledBeforeSendingError):
        open_channel("fake:pv", timeout=5.0, repeater=False, cancel=cancel)


def _queued_then_closed(cancelled: bool) -> tuple[int, int, BaseException | None]:
    """Bytes queued towards a peer that does not read, then the connection closed.

    Returns (bytes sent, bytes the peer then received, the peer's error).
    """
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # inherited
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        cancel = Cancellation()
        conn = Connection(listener.getsockname(), 0, 16384, 2.0, cancel=cancel)
        peer, _ = listener.accept()
        with peer:
            # Fill the peer's window and our send buffer: what is left there is
            # what a partition leaves unacknowledged.
            conn.sock.setblocking(False)
            sent = 0
            try:
                while True:
                    sent += conn.sock.send(b"x" * 65536)
            except BlockingIOError:
                pass
            if cancelled:
                cancel.cancel()
            conn.close()
            received, error = 0, None
            peer.settimeout(2.0)
            try:
                while chunk := peer.recv(65536):
                    received += len(chunk)
            except OSError as exc:
                error = exc
    return sent, received, error


def test_a_cancelled_connection_is_reset_and_its_queue_dropped():
    """Closed, the kernel delivers what is queued; cancelled, it drops it (RST)."""
    sent, received, error = _queued_then_closed(cancelled=False)
    assert (received, error) == (sent, None)  # everything, then an orderly FIN
    sent, received, error = _queued_then_closed(cancelled=True)
    assert isinstance(error, ConnectionResetError), error
    assert received < sent
