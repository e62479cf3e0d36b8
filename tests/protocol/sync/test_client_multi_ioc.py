"""Two IOCs at once, searched through ``EPICS_CA_ADDR_LIST="127.0.0.1:P1 127.0.0.1:P2"``.

Both use the same prefix.  The first serves ``records.db``; the second a small
database of its own whose ``$(P)ao`` collides with the first's, beside
``$(P)second:*`` records only it has.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator

import pytest

from protocol.sync import client
from protocol.sync.client import Blocker
from tests.protocol.sync.client_support import Recorder, Runner, wait_for
from tests.support.iocs import EpicsBaseIoc
from tests.support.iocs import two_iocs as start_two_iocs

pytestmark = pytest.mark.interop

PREFIX = f"catm{os.getpid()}:"
SECOND_DB = """\
record(ao, "$(P)ao") {
    field(VAL, "11")
    field(PINI, "YES")
}
record(calc, "$(P)second:tick") {
    field(SCAN, ".1 second")
    field(CALC, "VAL+1")
}
record(stringout, "$(P)second:str") {
    field(VAL, "second")
    field(PINI, "YES")
}
"""


@pytest.fixture(scope="module")
def iocs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EpicsBaseIoc, EpicsBaseIoc]]:
    with start_two_iocs(PREFIX, SECOND_DB, tmp_path_factory.mktemp("multi")) as pair:
        yield pair


@pytest.fixture
def both(
    iocs: tuple[EpicsBaseIoc, EpicsBaseIoc], monkeypatch: pytest.MonkeyPatch
) -> tuple[EpicsBaseIoc, EpicsBaseIoc]:
    first, second = (ioc.ensure_running() for ioc in iocs)
    for key, value in first.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("EPICS_CA_ADDR_LIST", f"127.0.0.1:{first.port} 127.0.0.1:{second.port}")
    return first, second


def _circuits(ioc: EpicsBaseIoc) -> list[int]:
    """Channel counts of the CA clients connected to ``ioc`` (one entry per circuit)."""
    report = ioc.shell("casr 1")
    assert report.count("TCP client at") == len(re.findall(r"(\d+) Channels", report))
    return [int(n) for n in re.findall(r"(\d+) Channels", report)]


def test_one_block_watches_pvs_of_both_iocs(both: tuple[EpicsBaseIoc, EpicsBaseIoc]) -> None:
    first, second = both
    on_first = [client.subscribe(PREFIX + n) for n in ("tick", "long", "str")]
    on_second = [client.subscribe(PREFIX + n) for n in ("second:tick", "second:str")]
    recorders = [Recorder().attach(sub) for sub in on_first + on_second]
    blocker = Blocker(*on_first, *on_second, timeout=2.0)
    runner = Runner(blocker.run)
    try:
        wait_for(lambda: all(r.count >= 1 for r in recorders), 5.0, "updates from both IOCs")
        wait_for(lambda: recorders[0].count >= 2 and recorders[3].count >= 2, 2.0, "ticks")
        # One circuit to each IOC, carrying all of that IOC's channels.
        assert _circuits(first) == [3]
        assert _circuits(second) == [2]
    finally:
        blocker.interrupt()
        runner.join(2.0)
    assert runner.error is None
    assert {sub.server_address for sub in on_first} == {("127.0.0.1", first.port)}
    assert {sub.server_address for sub in on_second} == {("127.0.0.1", second.port)}
    assert recorders[2].responses[0].data == [b"hello"]
    assert recorders[4].responses[0].data == [b"second"]
    # block() closed its circuits when it returned.
    wait_for(lambda: _circuits(first) == [] and _circuits(second) == [], 2.0, "closed circuits")


def test_pv_served_by_both_is_reported_as_a_duplicate(
    both: tuple[EpicsBaseIoc, EpicsBaseIoc], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = both
    caplog.set_level(logging.WARNING, logger="protocol.sync.search")
    sub = client.subscribe(PREFIX + "ao")
    recorder = Recorder().attach(sub)
    client.block(sub, duration=0.5)
    duplicates = [r.getMessage() for r in caplog.records if r.name == "protocol.sync.search"]
    assert len(duplicates) == 1, duplicates
    message = duplicates[0]
    assert repr(PREFIX + "ao") in message and "served by both" in message
    assert f"127.0.0.1:{first.port}" in message and f"127.0.0.1:{second.port}" in message
    # The first answer won, and the data came from that IOC.
    assert recorder.count == 1
    expected = 3.5 if sub.server_address == ("127.0.0.1", first.port) else 11.0
    assert recorder.values() == [expected]


def test_read_finds_a_pv_through_the_second_address(
    both: tuple[EpicsBaseIoc, EpicsBaseIoc],
) -> None:
    assert client.read(PREFIX + "second:str").data == [b"second"]
    assert client.read(PREFIX + "str").data == [b"hello"]
    assert client.read(PREFIX + "ao").data.tolist()[0] in (3.5, 11.0)
