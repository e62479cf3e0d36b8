"""Bad input from the user gets a clear ``CAValueError`` before anything is sent.

Against the well-behaved fake server, which records every request: a bad PV name,
priority or timeout sends nothing at all (not even a search); a bad data type,
count or value may open the channel (its native type is needed to judge) but
sends no READ, WRITE or EVENT_ADD.  Complements ``tests/protocol/sync/
test_client_write.py`` (values out of range for the IOC's records, too many
elements, unknown enum choices).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from protocol.commands import (
    EventAddRequest,
    ReadNotifyRequest,
    ReadRequest,
    WriteNotifyRequest,
    WriteRequest,
)
from protocol.errors import CAValueError
from protocol.sync import client
from tests.faults.fake_server import FakeServer

DATA_REQUESTS = (ReadNotifyRequest, ReadRequest, WriteNotifyRequest, WriteRequest, EventAddRequest)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    with FakeServer() as fake:
        for key, value in fake.env().items():
            monkeypatch.setenv(key, value)
        yield fake
    assert not fake.errors


def _calls(name: str = "fake:pv", **kwargs: Any) -> dict[str, Callable[[], Any]]:
    common = {"timeout": 0.5, "repeater": False, **kwargs}
    return {
        "read": lambda: client.read(name, **common),
        "write": lambda: client.write(name, 1.0, **common),
        "write_notify": lambda: client.write(name, 1.0, notify=True, **common),
        "read_write_read": lambda: client.read_write_read(name, 1.0, **common),
    }


BAD_NAMES = {
    "empty": "",
    "too_long": "x" * 992,
    "non_ascii": "fäke:pv",
    "space": "fake pv",
    "tab": "fake:\tpv",
    "newline": "fake:pv\n",
    "nul": "fake:pv\0",
    "bytes": b"fake:pv",
    "none": None,
    "int": 5,
}


@pytest.mark.parametrize("name", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_bad_pv_name(server: FakeServer, name: Any) -> None:
    for call in _calls(name).values():
        with pytest.raises(CAValueError, match=r"PV name|name must"):
            call()
    with pytest.raises(CAValueError):
        client.subscribe(name)
    assert server.searches == []
    assert server.requests == []


@pytest.mark.parametrize("priority", [100, -1, True, False, 1.5, "1", None])
def test_bad_priority(server: FakeServer, priority: Any) -> None:
    for call in _calls(priority=priority).values():
        with pytest.raises(CAValueError, match=r"priority must be an integer 0\.\.99"):
            call()
    with pytest.raises(CAValueError, match="priority"):
        client.subscribe("fake:pv", priority=priority)
    assert server.searches == []
    assert server.requests == []


@pytest.mark.parametrize("timeout", [0, -1, math.nan, math.inf, "1", True, None])
def test_bad_timeout(server: FakeServer, timeout: Any) -> None:
    for call in _calls(timeout=timeout).values():
        with pytest.raises(CAValueError, match="timeout must be"):
            call()
    assert server.searches == []
    assert server.requests == []


@pytest.mark.parametrize("data_type", ["bogus", "time_double", "", 39, 99, -1, 1.5, True])
def test_unknown_data_type(server: FakeServer, data_type: Any) -> None:
    calls = {
        "read": lambda: client.read("fake:pv", data_type=data_type, timeout=0.5, repeater=False),
        "write": lambda: client.write(
            "fake:pv", 1.0, data_type=data_type, timeout=0.5, repeater=False
        ),
        "read_write_read": lambda: client.read_write_read(
            "fake:pv", 1.0, read_data_type=data_type, timeout=0.5, repeater=False
        ),
        "block": lambda: client.block(
            client.subscribe("fake:pv", data_type=data_type),
            duration=0.5,
            timeout=0.5,
            repeater=False,
        ),
    }
    for call in calls.values():
        with pytest.raises(CAValueError, match="data_type"):
            call()
    assert server.sent_requests(*DATA_REQUESTS) == []


@pytest.mark.parametrize("data_count", [-1, 2**32, "x", 1.5])
def test_bad_data_count(server: FakeServer, data_count: Any) -> None:
    with pytest.raises(CAValueError, match="data_count"):
        client.read("fake:pv", data_count=data_count, timeout=0.5, repeater=False)
    with pytest.raises(CAValueError, match="data_count"):
        client.block(
            client.subscribe("fake:pv", data_count=data_count),
            duration=0.5,
            timeout=0.5,
            repeater=False,
        )
    assert server.sent_requests(*DATA_REQUESTS) == []


def test_subscription_mask_selecting_nothing(server: FakeServer) -> None:
    with pytest.raises(CAValueError, match="selects no events"):
        client.subscribe("fake:pv", mask=0)
    assert server.requests == []


BAD_VALUES = [
    # NaN and infinities where they matter: integer channels.
    ("fake:long", math.nan),
    ("fake:long", math.inf),
    ("fake:long", -math.inf),
    ("fake:long", [1, math.nan]),
    ("fake:long", np.float64("nan")),
    ("fake:short", np.array([np.inf])),
    ("fake:short", 1.5),
    # Out of range.
    ("fake:long", 2**40),
    ("fake:short", 70000),
    # Wrong type.
    ("fake:pv", None),
    ("fake:pv", object()),
    ("fake:pv", {"a": 1}),
    ("fake:pv", 1j),
    ("fake:wf", [1.0, "a"]),
    ("fake:str", "x" * 41),
    # Wrong shape.
    ("fake:wf", [[1.0, 2.0], [3.0, 4.0]]),
    ("fake:wf", np.zeros((2, 2))),
    ("fake:wf", [0.0] * 5),
    ("fake:pv", [1.0, 2.0]),
    # Nothing at all to a scalar (an empty array is a value: it empties a waveform).
    ("fake:pv", []),
    ("fake:pv", ()),
]


@pytest.mark.parametrize("notify", [False, True], ids=["plain", "notify"])
@pytest.mark.parametrize(
    ("name", "value"), BAD_VALUES, ids=[f"{n}={v!r:.20}" for n, v in BAD_VALUES]
)
def test_bad_value(server: FakeServer, name: str, value: Any, notify: bool) -> None:
    with pytest.raises(CAValueError):
        client.write(name, value, notify=notify, timeout=0.5, repeater=False)
    with pytest.raises(CAValueError):
        client.read_write_read(name, value, notify=notify, timeout=0.5, repeater=False)
    assert server.sent_requests(WriteRequest, WriteNotifyRequest) == []


def test_nan_and_inf_to_a_double_are_values(server: FakeServer) -> None:
    """Where they do not matter (floating-point channels) they are written as given."""
    for value in (math.nan, math.inf, -math.inf):
        assert client.write("fake:pv", value, timeout=0.5, repeater=False) is None
    assert len(server.sent_requests(WriteRequest)) == 3


def test_metadata_that_does_not_fit_is_a_value_error() -> None:
    from protocol.commands import WriteNotifyRequest

    with pytest.raises(CAValueError, match="metadata for TIME_DOUBLE"):
        WriteNotifyRequest([1.0], 20, 1, 0, 0, metadata=(1, 2, 3, 4, 5, 6, 7))
