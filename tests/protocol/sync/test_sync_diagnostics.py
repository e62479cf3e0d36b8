"""``Blocker.diagnostics()`` against real EPICS Base IOCs.

Circuits and their priorities are checked against the IOC's own ``casr`` report;
a PV served by two IOCs (same prefix, as in ``test_client_multi_ioc``) must be
recorded as a duplicate; a missing PV's searches must keep counting up.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from protocol.sync.blocker import Blocker
from protocol.sync.config import load_config
from protocol.sync.diagnostics import CONNECTED, SEARCHING, BlockerDiagnostics
from protocol.sync.search import MAX_DUPLICATES, Searcher
from protocol.sync.subscription import Subscription
from tests.protocol.sync.client_support import Recorder, Runner, wait_for
from tests.support.iocs import EpicsBaseIoc, IocProcess, free_port
from tests.support.iocs import two_iocs as start_two_iocs

pytestmark = pytest.mark.interop

PREFIX = f"catd{os.getpid()}:"
SECOND_DB = """\
record(ao, "$(P)ao") {
    field(VAL, "11")
    field(PINI, "YES")
}
"""


class Running:
    """A blocker running in a thread; interrupted and joined on exit."""

    def __init__(self, *subs: Subscription, **kwargs: object) -> None:
        kwargs.setdefault("repeater", False)
        self.blocker = Blocker(*subs, **kwargs)  # type: ignore[arg-type]
        self.runner: Runner | None = None

    def __enter__(self) -> Blocker:
        self.runner = Runner(self.blocker.run)
        return self.blocker

    def __exit__(self, *exc: object) -> None:
        self.blocker.interrupt()
        assert self.runner is not None
        self.runner.thread.join(5.0)
        assert not self.runner.thread.is_alive()
        assert self.runner.error is None, self.runner.error


def until(blocker: Blocker, check: Callable[[BlockerDiagnostics], bool], what: str,
          timeout: float = 5.0) -> BlockerDiagnostics:  # fmt: skip
    """Poll diagnostics until ``check`` holds; return the snapshot that passed."""
    found: list[BlockerDiagnostics] = []

    def passed() -> bool:
        found[:] = [blocker.diagnostics()]
        return check(found[0])

    wait_for(passed, timeout, what)
    return found[0]


def casr_circuits(ioc: EpicsBaseIoc) -> list[tuple[int, int]]:
    """(priority, channel count) of each CA client circuit, from the IOC's ``casr 1``."""
    report = ioc.shell("casr 1")
    found = re.findall(r"Priority = (\d+), (\d+) Channels?", report)
    return sorted((int(priority), int(count)) for priority, count in found)


def test_snapshot_before_and_after_run() -> None:
    blocker = Blocker(Subscription(PREFIX + "ao"), repeater=False)
    before = blocker.diagnostics()
    assert not before.running and before.config is None
    assert before.pvs == () and before.circuits == () and before.destinations == ()


def test_circuits_priorities_and_servers(epics_base_ioc: EpicsBaseIoc, ca_env) -> None:
    ca_env(epics_base_ioc)
    ioc = epics_base_ioc
    names = [ioc.prefix + "ao", ioc.prefix + "long", ioc.prefix + "tick"]
    subs = [Subscription(names[0]), Subscription(names[1]), Subscription(names[2], priority=10)]
    server = ("127.0.0.1", ioc.port)
    with Running(*subs, timeout=5.0) as blocker:
        snap = until(blocker, lambda d: all(p.state == CONNECTED for p in d.pvs) and
                     len(d.pvs) == 3, "three connected PVs")  # fmt: skip
        assert snap.running
        # Our view and the server's agree: two circuits, by priority.
        assert [(c.address, c.priority, c.channels) for c in snap.circuits] == [
            (server, 0, 2),
            (server, 10, 1),
        ]
        assert casr_circuits(ioc) == [(0, 2), (10, 1)]
        for name, priority in zip(names, (0, 0, 10), strict=True):
            entry = snap.pv(name)
            assert entry is not None and entry.priority == priority
            assert entry.server == server and entry.subscriptions == 1
            assert entry.searches >= 1 and entry.losses == 0
            assert entry.connected_since is not None and entry.next_search is None
            assert entry.search_started is not None
            assert entry.search_started <= entry.connected_since <= snap.taken_at
        for circuit in snap.circuits:
            assert circuit.connected_since <= snap.taken_at
            assert circuit.last_heard is not None
        assert snap.datagrams_sent >= 1
        # A PV removed while running leaves the snapshot, and its circuit count drops.
        blocker.remove(subs[1])
        until(blocker, lambda d: d.pv(names[1]) is None and d.circuits[0].channels == 1,
              "the removed PV gone")  # fmt: skip
    after = blocker.diagnostics()
    assert not after.running and after.pvs == () and after.circuits == ()


def test_config_facts_match_the_environment(
    epics_base_ioc: EpicsBaseIoc, monkeypatch: pytest.MonkeyPatch
) -> None:
    ioc = epics_base_ioc
    nowhere = free_port()  # nothing listens there: the name server is unreachable
    monkeypatch.setenv("EPICS_CA_ADDR_LIST", f"127.0.0.1 127.0.0.1:{nowhere}")
    monkeypatch.setenv("EPICS_CA_AUTO_ADDR_LIST", "NO")
    monkeypatch.setenv("EPICS_CA_SERVER_PORT", str(ioc.port))
    monkeypatch.setenv("EPICS_CA_REPEATER_PORT", str(ioc.beacon_port))
    monkeypatch.setenv("EPICS_CA_NAME_SERVERS", f"127.0.0.1:{nowhere}")
    with Running(Subscription(ioc.prefix + "ao"), timeout=5.0) as blocker:
        snap = until(blocker, lambda d: d.running and d.config is not None, "running")
        assert snap.config == load_config()
        assert snap.config is not None
        assert snap.config.addr_list == (("127.0.0.1", ioc.port), ("127.0.0.1", nowhere))
        assert not snap.config.auto_addr_list
        assert snap.config.server_port == ioc.port
        assert snap.config.repeater_port == ioc.beacon_port
        assert snap.config.name_servers == (("127.0.0.1", nowhere),)
        # No broadcasts with AUTO_ADDR_LIST=NO: exactly the list, in order.
        assert snap.destinations == (("127.0.0.1", ioc.port), ("127.0.0.1", nowhere))
        assert [(n.address, n.connected) for n in snap.name_servers] == [
            (("127.0.0.1", nowhere), False)
        ]


def test_missing_pv_counts_its_searches(epics_base_ioc: EpicsBaseIoc, ca_env) -> None:
    ca_env(epics_base_ioc)
    missing = epics_base_ioc.prefix + "no:such:pv"
    with Running(Subscription(missing), keep_searching=True) as blocker:
        first = until(blocker, lambda d: (p := d.pv(missing)) is not None and p.searches >= 2,
                      "two searches")  # fmt: skip
        entry = first.pv(missing)
        assert entry is not None
        later = until(blocker, lambda d: (p := d.pv(missing)) is not None and
                      p.searches > entry.searches + 1, "more searches")  # fmt: skip
        again = later.pv(missing)
        assert again is not None
        assert first.searching == (entry,) and again.state == SEARCHING
        assert again.server is None and again.connected_since is None
        assert again.retries == again.searches - 1 >= entry.retries + 2
        assert entry.last_search is not None and again.last_search is not None
        assert again.last_search > entry.last_search
        assert again.next_search is not None and again.next_search > again.last_search
        assert again.search_started == pytest.approx(entry.search_started, abs=0.01)
        assert later.circuits == ()


def test_lost_server_searches_again(ioc_factory: Callable[..., IocProcess], ca_env) -> None:
    ioc = ioc_factory()
    ca_env(ioc)
    name = ioc.prefix + "ao"
    sub = Subscription(name)
    with Running(sub, keep_searching=True, reconnect=True) as blocker:
        until(blocker, lambda d: (p := d.pv(name)) is not None and p.state == CONNECTED,
              "connected")  # fmt: skip
        ioc.kill()
        lost = until(blocker, lambda d: (p := d.pv(name)) is not None and p.losses == 1 and
                     p.searches >= 2, "searching again after the kill", timeout=10.0)  # fmt: skip
        assert lost.circuits == ()
        entry = lost.pv(name)
        assert entry is not None and entry.state == SEARCHING and entry.server is None
        ioc.start()
        back = until(blocker, lambda d: (p := d.pv(name)) is not None and p.state == CONNECTED,
                     "reconnected", timeout=15.0)  # fmt: skip
        entry = back.pv(name)
        assert entry is not None and entry.losses == 1 and entry.server == ("127.0.0.1", ioc.port)
        assert [(c.priority, c.channels) for c in back.circuits] == [(0, 1)]


def test_snapshot_while_subscriptions_churn(epics_base_ioc: EpicsBaseIoc, ca_env) -> None:
    """Snapshots from another thread while PVs come and go: never an error."""
    ca_env(epics_base_ioc)
    names = [epics_base_ioc.prefix + n for n in ("ao", "long", "str", "tick", "mbbo")]
    errors: list[BaseException] = []
    stop = threading.Event()
    taken = [0]
    with Running(keep_searching=True, reconnect=True) as blocker:

        def snapshots() -> None:
            try:
                while not stop.is_set():
                    snap = blocker.diagnostics()
                    assert all(c.channels >= 0 for c in snap.circuits)
                    taken[0] += 1
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=snapshots, daemon=True)
        thread.start()
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            subs = [Subscription(name, priority=i % 2) for i, name in enumerate(names)]
            blocker.add(*subs)
            time.sleep(0.05)
            blocker.remove(*subs)
        stop.set()
        thread.join(5.0)
    assert not errors, errors
    assert taken[0] > 10


# -- two IOCs serving the same PV ----------------------------------------------------


@pytest.fixture(scope="module")
def two_iocs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EpicsBaseIoc, EpicsBaseIoc]]:
    with start_two_iocs(PREFIX, SECOND_DB, tmp_path_factory.mktemp("diag")) as pair:
        yield pair


def test_pv_answered_by_two_iocs_is_recorded(
    two_iocs: tuple[EpicsBaseIoc, EpicsBaseIoc], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = (ioc.ensure_running() for ioc in two_iocs)
    for key, value in first.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("EPICS_CA_ADDR_LIST", f"127.0.0.1:{first.port} 127.0.0.1:{second.port}")
    servers = {("127.0.0.1", first.port), ("127.0.0.1", second.port)}
    sub = Subscription(PREFIX + "ao")
    recorder = Recorder().attach(sub)
    began = time.time()
    with Running(sub, timeout=5.0) as blocker:
        snap = until(blocker, lambda d: d.duplicate_count >= 1, "the duplicate")
        wait_for(lambda: recorder.count >= 1, 5.0, "the first update")
        assert snap.duplicate_count == 1 and len(snap.duplicates) == 1
        duplicate = snap.duplicates[0]
        assert duplicate.name == PREFIX + "ao"
        assert {duplicate.first, duplicate.other} == servers
        # The first answer is the one used: the circuit, the data and the entry agree.
        assert duplicate.first == sub.server_address
        entry = blocker.diagnostics().pv(PREFIX + "ao")
        assert entry is not None and entry.server == duplicate.first
        assert began <= duplicate.when <= time.time()
        text = duplicate.describe()
        assert repr(PREFIX + "ao") in text
        assert (
            "{}:{}".format(*duplicate.first) in text and "{}:{}".format(*duplicate.other) in text
        )
    expected = 3.5 if duplicate.first == ("127.0.0.1", first.port) else 11.0
    assert recorder.values()[0] == expected


def test_searcher_keeps_a_bounded_record_of_duplicates() -> None:
    seen = []
    searcher = Searcher([], on_duplicate=seen.append)
    try:
        searcher._record("a", ("127.0.0.1", 1))
        for port in range(2, MAX_DUPLICATES + 12):
            searcher._record("a", ("127.0.0.1", port))
    finally:
        searcher.close()
    assert searcher.duplicate_count == len(seen) == MAX_DUPLICATES + 10
    assert len(searcher.duplicates) == MAX_DUPLICATES
    assert searcher.duplicates[-1][:3] == (
        "a",
        ("127.0.0.1", 1),
        ("127.0.0.1", MAX_DUPLICATES + 11),
    )
    assert searcher.found["a"] == ("127.0.0.1", 1)
