"""The CA repeater: its logic on a fake socket, then the real process on loopback.

Every datagram in these tests goes to 127.0.0.1, on ports from ``free_port``
(never 5065); every repeater process started here is ended by a fixture.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from protocol.commands import (
    Beacon,
    RepeaterConfirmResponse,
    RepeaterRegisterRequest,
    VersionResponse,
)
from protocol.sync import repeater as repeater_module
from protocol.sync.repeater import (
    Repeater,
    ensure_repeater,
    is_local_address,
    register_with_repeater,
    udp_port_in_use,
)
from tests.support.iocs import free_port
from tests.support.processes import end_processes, repeater_pids

ROOT = Path(__file__).resolve().parents[3]
LOOPBACK = "127.0.0.1"
PROBE = bytes(16)  # the all-zero VERSION header
CONFIRM_LOOPBACK = bytes.fromhex("0011000000000000000000007f000001")
REGISTER = bytes.fromhex("00180000000000000000000000000000")
REPEATER_COMMAND = (sys.executable, "-m", "protocol.sync.repeater")
CHILD_ENV = {
    **os.environ,
    "EPICS_CA_AUTO_ADDR_LIST": "NO",
    "EPICS_CA_ADDR_LIST": LOOPBACK,
    "PYTHONPATH": str(ROOT),
}


def test_core_encoders_give_the_observed_bytes() -> None:
    """Facts sheet §14.2: the bytes the EPICS Base repeater was seen to use."""
    assert bytes(RepeaterRegisterRequest()) == REGISTER
    assert bytes(RepeaterConfirmResponse(LOOPBACK)) == CONFIRM_LOOPBACK
    assert bytes(VersionResponse(0)) == PROBE
    beacon = Beacon(13, 5064, 77, LOOPBACK)
    assert bytes(beacon) == bytes.fromhex("000d0000000d13c80000004d7f000001")


# -- the logic, on a fake socket (nothing is sent at all) ----------------------


class FakeSocket:
    """Records ``sendto``; raises for addresses listed in ``refuse``."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, tuple[str, int]]] = []
        self.refuse: set[tuple[str, int]] = set()

    def sendto(self, data: bytes, address: tuple[str, int]) -> int:
        if address in self.refuse:
            raise ConnectionRefusedError(111, "Connection refused")
        self.sent.append((bytes(data), address))
        return len(data)

    def take(self) -> list[tuple[bytes, tuple[str, int]]]:
        sent, self.sent = self.sent, []
        return sent


A = (LOOPBACK, 40001)
B = (LOOPBACK, 40002)
C = (LOOPBACK, 40003)
IOC = ("10.0.0.7", 5065)


@pytest.fixture
def fake() -> FakeSocket:
    return FakeSocket()


@pytest.fixture
def live_ports() -> set[int]:
    return {A[1], B[1], C[1]}


@pytest.fixture
def rep(fake: FakeSocket, live_ports: set[int]) -> Repeater:
    return Repeater(
        fake,  # type: ignore[arg-type]
        port_in_use=live_ports.__contains__,
        is_local=lambda ip: ip.startswith("127."),
    )


def beacon(address: str = "0.0.0.0", beacon_id: int = 77) -> bytes:
    return bytes(Beacon(13, 5064, beacon_id, address))


def test_register_confirms_with_the_address_seen(rep: Repeater, fake: FakeSocket) -> None:
    rep.handle(REGISTER, A)
    assert fake.take() == [(CONFIRM_LOOPBACK, A)]
    assert rep.clients == [A]


def test_empty_datagram_registers(rep: Repeater, fake: FakeSocket) -> None:
    rep.handle(b"", A)
    assert fake.take() == [(CONFIRM_LOOPBACK, A)]
    assert rep.clients == [A]


def test_registration_probes_the_other_clients(rep: Repeater, fake: FakeSocket) -> None:
    rep.handle(REGISTER, A)
    rep.handle(REGISTER, B)
    fake.take()
    rep.handle(REGISTER, C)
    assert fake.take() == [(CONFIRM_LOOPBACK, C), (PROBE, A), (PROBE, B)]


def test_reregistration_keeps_one_entry(rep: Repeater, fake: FakeSocket) -> None:
    rep.handle(REGISTER, A)
    rep.handle(REGISTER, B)
    fake.take()
    rep.handle(REGISTER, A)
    assert rep.clients == [A, B]
    assert fake.take() == [(CONFIRM_LOOPBACK, A), (PROBE, B)]


def test_beacon_gets_the_sender_address_and_skips_the_sender(
    rep: Repeater, fake: FakeSocket
) -> None:
    rep.handle(REGISTER, A)
    rep.handle(REGISTER, B)
    fake.take()
    rep.handle(beacon(), IOC)
    assert fake.take() == [(beacon("10.0.0.7"), A), (beacon("10.0.0.7"), B)]
    rep.handle(beacon("10.0.0.99"), IOC)  # an address already set is kept
    assert fake.take() == [(beacon("10.0.0.99"), A), (beacon("10.0.0.99"), B)]
    rep.handle(beacon(), A)  # never reflected to its sender
    assert fake.take() == [(beacon(LOOPBACK), B)]


def test_other_datagrams_are_forwarded_untouched(rep: Repeater, fake: FakeSocket) -> None:
    rep.handle(REGISTER, A)
    fake.take()
    odd = [b"\x01\x02\x03", bytes(range(40)), bytes(VersionResponse(13)) + beacon()]
    for data in odd:
        rep.handle(data, IOC)
    assert fake.take() == [(data, A) for data in odd]


def test_register_then_more_forwards_the_rest(rep: Repeater, fake: FakeSocket) -> None:
    rep.handle(REGISTER, A)
    fake.take()
    rep.handle(REGISTER + beacon(LOOPBACK), B)
    assert fake.take() == [(CONFIRM_LOOPBACK, B), (PROBE, A), (beacon(LOOPBACK), A)]


def test_registration_from_another_host_is_refused(rep: Repeater, fake: FakeSocket) -> None:
    rep.handle(REGISTER, A)
    fake.take()
    rep.handle(REGISTER, ("192.0.2.50", 5000))
    assert fake.take() == []
    assert rep.clients == [A]


def test_new_registration_drops_clients_that_are_gone(
    rep: Repeater, fake: FakeSocket, live_ports: set[int]
) -> None:
    rep.handle(REGISTER, A)
    rep.handle(REGISTER, B)
    live_ports.discard(A[1])
    rep.handle(REGISTER, C)
    assert rep.clients == [B, C]


def test_failed_send_drops_a_gone_client_only(
    rep: Repeater, fake: FakeSocket, live_ports: set[int]
) -> None:
    rep.handle(REGISTER, A)
    rep.handle(REGISTER, B)
    fake.take()
    fake.refuse = {A, B}
    live_ports.discard(A[1])
    rep.handle(beacon(), IOC)
    assert rep.clients == [B]  # B's port is still bound: a passing error, kept


def test_periodic_verification(rep: Repeater, live_ports: set[int]) -> None:
    rep.handle(REGISTER, A)
    rep.handle(REGISTER, B)
    live_ports.clear()
    rep.verify_clients()
    assert rep.clients == []


def test_unconfirmable_client_is_not_kept(rep: Repeater, fake: FakeSocket) -> None:
    fake.refuse = {A}
    rep.handle(REGISTER, A)
    assert rep.clients == []


# -- the real helpers, on loopback --------------------------------------------


def udp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOOPBACK, 0))
    sock.settimeout(5.0)
    return sock


def test_udp_port_in_use() -> None:
    with udp_socket() as sock:
        port = sock.getsockname()[1]
        assert udp_port_in_use(port)
    assert not udp_port_in_use(port)


def test_is_local_address() -> None:
    assert is_local_address("127.0.0.1")
    assert is_local_address("127.1.2.3")
    assert not is_local_address("192.0.2.200")  # TEST-NET-1: never ours


def test_register_with_repeater_sends_register_to_loopback() -> None:
    with udp_socket() as fake_repeater, udp_socket() as client:
        assert register_with_repeater(client, fake_repeater.getsockname()[1])
        data, source = fake_repeater.recvfrom(100)
        assert data == REGISTER
        assert source == client.getsockname()
    assert not register_with_repeater(client, 9)  # closed socket: reported, not raised


# -- the repeater process -----------------------------------------------------


class RepeaterProcess:
    def __init__(
        self, port: int, log_path: Path, *extra: str, pass_fds: tuple[int, ...] = ()
    ) -> None:
        self.port = port
        self.log_path = log_path
        self._log = log_path.open("w")
        self.proc = subprocess.Popen(
            [*REPEATER_COMMAND, "--bind", LOOPBACK, "--port", str(port), "--verbose", *extra],
            env=CHILD_ENV,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            pass_fds=pass_fds,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def wait_bound(self, timeout: float = 10.0) -> None:
        """Wait until the port is taken (checked by binding, nothing is sent)."""
        deadline = time.monotonic() + timeout
        while not udp_port_in_use(self.port):
            if self.proc.poll() is not None:
                raise AssertionError(f"repeater exited early: {self.log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"repeater did not bind port {self.port}: {self.log}")
            time.sleep(0.02)

    def stop(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
        finally:
            self._log.close()


@pytest.fixture
def start_repeater(tmp_path: Path) -> Iterator[Callable[..., RepeaterProcess]]:
    started: list[RepeaterProcess] = []

    def start(
        port: int | None = None, *extra: str, pass_fds: tuple[int, ...] = ()
    ) -> RepeaterProcess:
        for _ in range(5):
            log_path = tmp_path / f"repeater{len(started)}.log"
            proc = RepeaterProcess(port or free_port(), log_path, *extra, pass_fds=pass_fds)
            started.append(proc)
            if port is not None or extra:
                return proc
            # A port picked free here can be taken by another process (another test
            # run on the machine) before the repeater binds it: then pick another.
            try:
                proc.wait_bound()
            except AssertionError:
                if "is in use" not in proc.log:
                    raise
                continue
            return proc
        raise AssertionError("no free port for a repeater after 5 tries")

    yield start
    for proc in started:
        proc.stop()


def receive(sock: socket.socket) -> bytes:
    data, source = sock.recvfrom(65536)
    assert source[0] == LOOPBACK
    return data


def assert_quiet(*socks: socket.socket, wait: float = 0.2) -> None:
    time.sleep(wait)
    for sock in socks:
        sock.setblocking(False)
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            pass
        else:
            raise AssertionError(f"unexpected datagram {data.hex()} on {sock.getsockname()}")
        finally:
            sock.settimeout(5.0)


def test_repeater_end_to_end(start_repeater: Callable[..., RepeaterProcess]) -> None:
    rep = start_repeater()
    rep.wait_bound()
    target = (LOOPBACK, rep.port)
    with udp_socket() as a, udp_socket() as b, udp_socket() as ioc:
        assert register_with_repeater(a, rep.port)
        assert receive(a) == CONFIRM_LOOPBACK

        assert register_with_repeater(b, rep.port)
        assert receive(b) == CONFIRM_LOOPBACK
        assert receive(a) == PROBE  # liveness probe to the earlier client

        ioc.sendto(beacon(), target)
        assert receive(a) == receive(b) == beacon(LOOPBACK)

        ioc.sendto(beacon("10.1.2.3", beacon_id=78), target)  # a field, not a destination
        assert receive(a) == receive(b) == beacon("10.1.2.3", beacon_id=78)

        a.sendto(beacon(beacon_id=79), target)  # not reflected to its sender
        assert receive(b) == beacon(LOOPBACK, beacon_id=79)

        ioc.sendto(b"", target)  # the legacy empty registration
        assert receive(ioc) == CONFIRM_LOOPBACK
        assert receive(a) == receive(b) == PROBE

        assert_quiet(a, b, ioc)
    assert rep.proc.poll() is None


def test_second_repeater_on_the_port_exits_quietly(
    start_repeater: Callable[..., RepeaterProcess],
) -> None:
    first = start_repeater()
    first.wait_bound()
    second = start_repeater(first.port)
    assert second.proc.wait(10) == 0
    assert "already running" in second.log
    with udp_socket() as client:  # the first one still serves
        register_with_repeater(client, first.port)
        assert receive(client) == CONFIRM_LOOPBACK


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_repeater_exits_cleanly_on_signal(
    sig: signal.Signals, start_repeater: Callable[..., RepeaterProcess]
) -> None:
    rep = start_repeater()
    rep.wait_bound()
    rep.proc.send_signal(sig)
    assert rep.proc.wait(5) == 0
    assert f"exiting on {sig.name}" in rep.log
    assert "Traceback" not in rep.log
    assert not udp_port_in_use(rep.port)


def test_bad_bind_address_exits_with_an_error(
    start_repeater: Callable[..., RepeaterProcess],
) -> None:
    rep = start_repeater(None, "--bind", "192.0.2.200")  # not an address of this host
    assert rep.proc.wait(10) == 1
    assert "cannot bind" in rep.log


# -- ensure_repeater ----------------------------------------------------------


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Record (and finally end) the processes ``ensure_repeater`` starts."""
    children: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen  # what the module imported

    def recording_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        child: subprocess.Popen[bytes] = real_popen(*args, **kwargs)
        children.append(child)
        return child

    monkeypatch.setattr(repeater_module, "Popen", recording_popen)
    yield children
    for child in children:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(5)


def test_ensure_repeater_spawns_once(spawned: list[subprocess.Popen[bytes]]) -> None:
    port = free_port()
    env = {k: v for k, v in CHILD_ENV.items() if k != "PYTHONPATH"}  # it must add its own
    assert ensure_repeater(port, env, bind=LOOPBACK) is True
    assert len(spawned) == 1
    # Taken the moment ensure_repeater returns, long before the child has started:
    # the next client does not start a second repeater.
    assert udp_port_in_use(port)
    assert ensure_repeater(port, env, bind=LOOPBACK) is False
    assert len(spawned) == 1
    with udp_socket() as client:
        register_with_repeater(client, port)
        assert receive(client) == CONFIRM_LOOPBACK
    assert spawned[0].poll() is None


# Each of WORKERS processes runs THREADS threads that call ensure_repeater CALLS
# times back to back, all from the same moment: clients of several scripts and
# threads starting at once, the pattern that started five repeaters under load.
WORKERS, THREADS, CALLS = 4, 4, 25
RACE_WORKER = """
import sys, threading, time
from protocol.sync.repeater import ensure_repeater
port, start, threads, calls = int(sys.argv[1]), float(sys.argv[2]), *map(int, sys.argv[3:])
started = []
def client():
    for _ in range(calls):
        started.append(ensure_repeater(port, bind="127.0.0.1"))
time.sleep(max(0.0, start - time.time()))
workers = [threading.Thread(target=client) for _ in range(threads)]
for w in workers: w.start()
for w in workers: w.join()
print(sum(started), len(started))
"""


@pytest.fixture
def race_port() -> Iterator[int]:
    """A fresh repeater port; every repeater process on it is ended afterwards."""
    port = free_port()
    yield port
    end_processes(repeater_pids(port))


def test_concurrent_clients_start_one_repeater(race_port: int) -> None:
    start = time.time() + 2.0  # after every worker's imports, on a loaded machine too
    argv = [sys.executable, "-c", RACE_WORKER, *map(str, (race_port, start, THREADS, CALLS))]
    workers = [
        subprocess.Popen(argv, env=CHILD_ENV, stdout=subprocess.PIPE, text=True)
        for _ in range(WORKERS)
    ]
    counts = [worker.communicate(timeout=60)[0].split() for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), counts
    assert [int(calls) for _, calls in counts] == [THREADS * CALLS] * WORKERS
    assert sum(int(started) for started, _ in counts) == 1, counts
    pids = repeater_pids(race_port)
    assert len(pids) == 1, pids
    with udp_socket() as client:
        register_with_repeater(client, race_port)
        assert receive(client) == CONFIRM_LOOPBACK


def test_repeater_serves_on_an_inherited_socket(
    start_repeater: Callable[..., RepeaterProcess],
) -> None:
    port = free_port()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOOPBACK, port))
    with sock:
        fd = sock.fileno()
        rep = start_repeater(port, "--fd", str(fd), pass_fds=(fd,))
    with udp_socket() as client:
        register_with_repeater(client, port)
        assert receive(client) == CONFIRM_LOOPBACK
    assert f"listening on {LOOPBACK}:{port}" in rep.log
    rep.proc.send_signal(signal.SIGTERM)
    assert rep.proc.wait(5) == 0
    assert not udp_port_in_use(port)


@pytest.mark.parametrize("kind", ["closed", "tcp", "unbound", "other port"])
def test_repeater_refuses_a_descriptor_that_is_not_its_socket(
    kind: str, start_repeater: Callable[..., RepeaterProcess]
) -> None:
    port = free_port()
    if kind == "closed":
        rep = start_repeater(port, "--fd", "999")
    else:
        family_type = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, family_type)
        if kind != "unbound":
            sock.bind((LOOPBACK, port if kind == "tcp" else free_port()))
        with sock:
            fd = sock.fileno()
            rep = start_repeater(port, "--fd", str(fd), pass_fds=(fd,))
    assert rep.proc.wait(10) == 1
    assert "cannot serve on descriptor" in rep.log
    assert "Traceback" not in rep.log


class ExitedChild:
    """Stands in for a Popen whose process has already exited."""

    def poll(self) -> int:
        return 0


def test_ensure_repeater_reads_the_port_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_popen(argv: list[str], **kwargs: Any) -> ExitedChild:
        calls.append(argv)
        return ExitedChild()

    monkeypatch.setattr(repeater_module, "Popen", fake_popen)
    port = free_port()
    assert ensure_repeater(env={"EPICS_CA_REPEATER_PORT": str(port)}) is True
    ((*argv, fd_option, fd),) = calls
    assert argv == [sys.executable, "-m", "protocol.sync.repeater", "--port", str(port)]
    assert fd_option == "--fd" and fd.isdigit()
    assert not udp_port_in_use(port)  # the parent's copy is closed: the child holds it


def test_without_descriptor_passing_the_repeater_binds_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where a socket cannot be inherited (Windows), the child binds the port."""
    calls: list[tuple[list[str], bool]] = []

    def fake_popen(argv: list[str], **kwargs: Any) -> ExitedChild:
        calls.append((argv, udp_port_in_use(port)))
        return ExitedChild()

    monkeypatch.setattr(repeater_module, "Popen", fake_popen)
    monkeypatch.setattr(repeater_module, "_PASS_SOCKET", False)
    port = free_port()
    assert ensure_repeater(port, {}, bind=LOOPBACK) is True
    argv = [sys.executable, "-m", "protocol.sync.repeater", "--port", str(port)]
    assert calls == [([*argv, "--bind", LOOPBACK], False)]  # the port was free for the child


def test_ensure_repeater_never_raises(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("no processes for you")

    monkeypatch.setattr(repeater_module, "Popen", broken)
    assert ensure_repeater(free_port(), {}) is False
    assert "could not start a CA repeater" in caplog.text
