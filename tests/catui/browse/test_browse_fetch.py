"""Batched field reads against the real IOCs: values, and each failure said as users say it."""

from __future__ import annotations

import pytest

from catui.browse.fetch import (
    ALARM,
    ARRAY_LIMIT,
    DISCONNECTED,
    LONG,
    NO_READ_ACCESS,
    NOT_FOUND,
    REFUSED,
    Request,
    fetch,
    fetch_round,
)
from tests.faults.fake_server import serving

pytestmark = pytest.mark.interop


def test_one_round_reads_both_iocs_and_says_why_the_others_fail(browse):
    requests = [
        Request(browse.pv("sev:src")),
        Request(browse.pv("sev:src"), ALARM),
        Request(browse.far_pv("far:val.DESC")),
        Request(browse.pv("sev:src.DPVT")),  # DBF_NOACCESS: the IOC refuses the channel
        Request(browse.pv("secret")),
        Request(browse.pv("no:such:record")),
        Request(browse.pv("chain:calc.INPF$"), LONG),
    ]
    got = fetch_round(requests, timeout=0.5)
    assert list(got) == requests
    value, alarm, far, noaccess, secret, missing, long = got.values()
    assert (value.value, value.text, value.native, value.severity) == (10.0, "10", "DOUBLE", None)
    assert (alarm.value, alarm.severity, alarm.status) == (10.0, 2, 3)  # MAJOR, HIHI
    assert alarm.timestamp is not None and alarm.timestamp > 1e9
    assert far.text == "in the second IOC"
    assert far.host.endswith(f":{browse.far.port}") and value.host.endswith(f":{browse.near.port}")
    assert (noaccess.error, secret.error, missing.error) == (REFUSED, NO_READ_ACCESS, NOT_FOUND)
    assert browse.pv("no:such:record") in missing.detail
    assert browse.pv("secret") in secret.detail
    assert long.text == browse.pv("long:record:name:beyond:forty:chars") + " NPP MS"
    assert value.writable and not noaccess.writable


def test_a_missing_name_does_not_hold_up_the_others(browse):
    order = []
    requests = [Request(browse.pv(name)) for name in ("nothing:here", "sev:src", "flags:t")]
    got = fetch(requests, timeout=1.0, on_reading=lambda r: order.append(r.pv))
    # The names that exist are read after the quick first round; the missing one
    # only once its whole timeout is spent.
    assert order == [browse.pv("sev:src"), browse.pv("flags:t"), browse.pv("nothing:here")]
    assert list(got) == requests
    missing = got[requests[0]]
    assert missing.error == NOT_FOUND
    assert missing.detail.endswith("for 1 s")


def test_arrays_are_read_in_part_and_shown_short(browse):
    browse.near.fill(browse.pv("wave"), 1000, 0.0, 1.0)
    got = fetch_round([Request(browse.pv("wave"))], timeout=1.0)
    reading = got[Request(browse.pv("wave"))]
    assert reading.native_count == 1000
    assert reading.value == [float(i) for i in range(ARRAY_LIMIT)]
    assert reading.text == "[1000] 0 1 2 3 4 5 6 7 …"


def test_a_server_that_drops_the_circuit_is_disconnected(monkeypatch):
    with serving("close_after_accept") as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        got = fetch_round([Request("fake:pv"), Request("fake:pv", ALARM)], timeout=1.0)
    assert [r.error for r in got.values()] == [DISCONNECTED, DISCONNECTED]
    assert all("fake:pv" in r.detail for r in got.values())


def test_a_name_ca_refuses_fails_alone_without_a_search(browse):
    got = fetch_round([Request("bad name with spaces")], timeout=0.5)
    (reading,) = got.values()
    assert reading.error and "bad name with spaces" in reading.detail


def test_cancelled_reads_stop(browse):
    requests = [Request(browse.pv(n)) for n in ("sev:src", "flags:t", "sev:minor")]
    got = fetch_round(requests, timeout=1.0, cancelled=lambda: True)
    assert got == {}


def test_a_round_opens_every_name_at_once(browse, monkeypatch):
    """One open_channels for the whole round (await_created is no longer quadratic)."""
    import catui.browse.fetch as fetching

    opened = []
    real = fetching._open_and_read
    monkeypatch.setattr(
        fetching, "_open_and_read", lambda reqs, *a: (opened.append(len(reqs)), real(reqs, *a))
    )
    names = ["sev:src", "not:there", "flags:t", "sev:minor", "sev:other"]
    requests = [Request(browse.pv(n)) for n in names] + [Request(browse.pv("sev:src"), ALARM)]
    got = fetch_round(requests, timeout=0.5)
    assert list(got) == requests
    assert [r.error for r in got.values()] == ["", NOT_FOUND, "", "", "", ""]
    assert opened == [6]  # sev:src twice (two modes), opened once
