"""A ``Blocker`` connecting to a server host that drops SYNs must not stall the others.

The black hole is a loopback listener with backlog 0 whose accept queue is filled
first: Linux drops SYNs beyond a full accept queue, so a connect to it neither
succeeds nor fails.  A fake search responder (UDP on 127.0.0.1, in
``EPICS_CA_ADDR_LIST`` beside the session EPICS Base IOC) points the black-hole
PVs at it, while ``$(P)tick`` (10 Hz) comes from the real IOC.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from protocol.commands import SearchRequest, SearchResponse, VersionResponse
from protocol.commands.base import CLIENT
from protocol.decoder import read_datagram
from protocol.errors import RemoteProtocolError
from protocol.sync import client
from protocol.sync.blocker import Blocker
from protocol.sync.diagnostics import CONNECTING
from tests.protocol.sync.client_support import Recorder, Runner, wait_for
from tests.support.iocs import EpicsBaseIoc, IocProcess

pytestmark = pytest.mark.interop

HOST = "127.0.0.1"
HOLES = ("blackhole:a", "blackhole:b")
CONNECT_TIMEOUT = 2.0  # the Blocker's, for one TCP connect
MAX_GAP = 0.5


class BlackHole:
    """A loopback TCP port whose connects hang: its accept queue is full and never drained."""

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind((HOST, 0))
        self.listener.listen(0)
        self.port: int = self.listener.getsockname()[1]
        self.fillers: list[socket.socket] = []
        for _ in range(16):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.settimeout(0.3)
            try:
                probe.connect((HOST, self.port))
            except TimeoutError:
                probe.close()
                return  # full: this SYN was dropped
            self.fillers.append(probe)
        self.close()
        # Linux drops SYNs beyond a full backlog; if that ever changes, these tests
        # must say so rather than pass without a black hole.
        pytest.fail("could not fill the accept queue of a loopback listener")

    def syn_sent(self) -> set[int]:
        """Local ports of this host's sockets still connecting to the black hole."""
        ports = set()
        with open("/proc/net/tcp") as table:
            next(table)
            for line in table:
                fields = line.split()
                local, remote, state = fields[1], fields[2], fields[3]
                if state == "02" and int(remote.split(":")[1], 16) == self.port:
                    ports.add(int(local.split(":")[1], 16))
        return ports

    def close(self) -> None:
        for sock in self.fillers:
            sock.close()
        self.listener.close()


class Responder:
    """Answers UDP searches for ``names`` with the black hole's address."""

    def __init__(self, names: tuple[str, ...], tcp_port: int) -> None:
        self.names = names
        self.tcp_port = tcp_port
        self.searches: list[tuple[float, str]] = []
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((HOST, 0))
        self.udp.settimeout(0.05)
        self.port: int = self.udp.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="blackhole-search", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, source = self.udp.recvfrom(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                messages = read_datagram(data, source, CLIENT)
            except RemoteProtocolError:
                continue
            reply = []
            for msg in messages:
                if isinstance(msg, SearchRequest) and msg.name in self.names:
                    with self._lock:
                        self.searches.append((time.monotonic(), msg.name))
                    reply.append(bytes(SearchResponse(self.tcp_port, HOST, msg.cid, 13)))
            if reply:
                with contextlib.suppress(OSError):
                    self.udp.sendto(b"".join([bytes(VersionResponse(13)), *reply]), source)

    def searched_since(self, name: str, since: float) -> bool:
        with self._lock:
            return any(when >= since and what == name for when, what in self.searches)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        self.udp.close()


@pytest.fixture
def hole(
    epics_base_ioc: EpicsBaseIoc,
    ca_env: Callable[[IocProcess], None],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[BlackHole, Responder]]:
    ca_env(epics_base_ioc)
    black_hole = BlackHole()
    responder = Responder(HOLES, black_hole.port)
    # The IOC on EPICS_CA_SERVER_PORT, the responder on its own port; loopback only.
    monkeypatch.setenv("EPICS_CA_AUTO_ADDR_LIST", "NO")
    monkeypatch.setenv("EPICS_CA_ADDR_LIST", f"{HOST} {HOST}:{responder.port}")
    monkeypatch.setenv("EPICS_CA_NAME_SERVERS", "")
    yield black_hole, responder
    responder.close()
    black_hole.close()


def _socket_fds() -> set[str]:
    fds = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                fds.add(fd)
    return fds


def _state(blocker: Blocker, name: str) -> str | None:
    entry = blocker.diagnostics().pv(name)
    return None if entry is None else entry.state


def _max_gap(times: list[float]) -> float:
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


def _lost(blocker: Blocker, name: str) -> bool:
    entry = blocker.diagnostics().pv(name)
    return entry is not None and entry.losses >= 1


def test_a_connect_to_a_black_hole_does_not_stall_other_updates(
    hole: tuple[BlackHole, Responder], epics_base_ioc: EpicsBaseIoc
) -> None:
    tick = client.subscribe(epics_base_ioc.prefix + "tick")
    recorder = Recorder().attach(tick)
    subs = [tick, *(client.subscribe(name) for name in HOLES)]
    blocker = Blocker(*subs, repeater=False, keep_searching=True, reconnect=True)
    started = time.monotonic()
    runner = Runner(blocker.run)
    try:
        # Over a whole connect timeout, and into the next attempt.
        wait_for(
            lambda: all(_lost(blocker, name) for name in HOLES),
            3 * CONNECT_TIMEOUT,
            "the black-hole connects to time out",
        )
        time.sleep(0.5)
    finally:
        blocker.interrupt()
        runner.join(2 * CONNECT_TIMEOUT + 1.0)
    assert runner.error is None, runner.error
    with recorder.lock:
        times = [started, *recorder.times]
    gap = _max_gap(times)
    print(f"tick updates: {len(times) - 1} in {times[-1] - started:.1f} s, max gap {gap:.3f} s")
    assert gap < MAX_GAP, f"tick updates stalled for {gap:.2f} s"


def test_pvs_of_one_server_share_its_pending_connect_then_search_again(
    hole: tuple[BlackHole, Responder],
) -> None:
    black_hole, responder = hole
    hole_address = (HOST, black_hole.port)
    before = black_hole.syn_sent()
    subs = [client.subscribe(name) for name in HOLES]
    blocker = Blocker(*subs, repeater=False, keep_searching=True, reconnect=True)
    runner = Runner(blocker.run)
    try:
        wait_for(
            lambda: all(_state(blocker, name) == CONNECTING for name in HOLES),
            3.0,
            "both black-hole PVs to be connecting",
        )
        pending_since = time.monotonic()
        # Both PVs wait on one pending circuit, which is not listed as connected.
        assert len(black_hole.syn_sent() - before) == 1
        diagnostics = blocker.diagnostics()
        assert all(circuit.address != hole_address for circuit in diagnostics.circuits)
        assert {entry.server for entry in diagnostics.pvs if entry.name in HOLES} == {hole_address}
        # The connect times out and each PV goes back to searching (found again at
        # once, they may be connecting again before a snapshot sees them searching).
        wait_for(
            lambda: all(_lost(blocker, name) for name in HOLES),
            CONNECT_TIMEOUT + 1.5,
            "the black-hole connect to time out",
        )
        assert time.monotonic() - pending_since >= CONNECT_TIMEOUT - 0.5
        wait_for(
            lambda: all(responder.searched_since(name, pending_since + 1.0) for name in HOLES),
            2.0,
            "new searches for the black-hole PVs",
        )
        wait_for(lambda: _state(blocker, HOLES[0]) == CONNECTING, 2.0, "a second connect attempt")
    finally:
        blocker.interrupt()
        runner.join(2 * CONNECT_TIMEOUT + 1.0)
    assert runner.error is None, runner.error


def test_an_interrupt_during_a_pending_connect_ends_promptly_and_closes_it(
    hole: tuple[BlackHole, Responder],
) -> None:
    black_hole, _ = hole
    before_fds = _socket_fds()
    before = black_hole.syn_sent()
    blocker = Blocker(
        client.subscribe(HOLES[0]), repeater=False, keep_searching=True, reconnect=True
    )
    runner = Runner(blocker.run)
    try:
        wait_for(lambda: black_hole.syn_sent() - before, 3.0, "a connect to the black hole")
    finally:
        interrupted_at = time.monotonic()
        blocker.interrupt()
        runner.join(CONNECT_TIMEOUT + 1.0)
    assert runner.error is None, runner.error
    assert runner.ended_at is not None
    took = runner.ended_at - interrupted_at
    print(f"run() ended {took:.3f} s after interrupt()")
    assert took < 0.3, f"run() took {took:.2f} s to end"
    assert not black_hole.syn_sent() - before, "the pending connect was left open"
    assert _socket_fds() <= before_fds, "run() left sockets open"


def test_removing_the_last_pv_of_a_pending_circuit_abandons_its_connect(
    hole: tuple[BlackHole, Responder],
    epics_base_ioc: EpicsBaseIoc,
    caplog: pytest.LogCaptureFixture,
) -> None:
    black_hole, _ = hole
    before = black_hole.syn_sent()
    tick = client.subscribe(epics_base_ioc.prefix + "tick")
    recorder = Recorder().attach(tick)
    subs = [client.subscribe(name) for name in HOLES]
    blocker = Blocker(tick, *subs, repeater=False, keep_searching=True, reconnect=True)
    runner = Runner(blocker.run)
    try:
        wait_for(
            lambda: all(_state(blocker, name) == CONNECTING for name in HOLES),
            3.0,
            "both black-hole PVs to be connecting",
        )
        blocker.remove(subs[0])
        wait_for(lambda: blocker.diagnostics().pv(HOLES[0]) is None, 1.0, "the removal")
        # One PV still waits on it: the connect goes on.
        assert black_hole.syn_sent() - before
        blocker.remove(subs[1])
        wait_for(lambda: not black_hole.syn_sent() - before, 1.0, "the connect to be abandoned")
        count = recorder.count
        wait_for(lambda: recorder.count > count + 2, 2.0, "more ticks")
    finally:
        blocker.interrupt()
        runner.join(2.0)
    assert runner.error is None, runner.error
    # Abandoned, not failed: nothing was reported, nothing searched again.
    assert "cannot connect" not in caplog.text
