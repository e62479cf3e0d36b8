"""``write()`` and ``read_write_read()`` against a real EPICS Base IOC, and their failures.

The writes go to a private IOC of this module, so the session IOC keeps the
initial values other tests expect.  Values written are read back with our
client and with caproto's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from caproto.sync import client as caproto_client

from protocol.channel_types import ChannelType
from protocol.commands import (
    ReadNotifyResponse,
    WriteNotifyRequest,
    WriteNotifyResponse,
    WriteRequest,
)
from protocol.errors import (
    CATimeoutError,
    CAValueError,
    ChannelAccessDenied,
    ErrorResponseReceived,
)
from protocol.sync import client
from protocol.sync.connection import Connection
from tests.support.iocs import EpicsBaseIoc, IocProcess

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def _write_ioc() -> Iterator[EpicsBaseIoc]:
    ioc = EpicsBaseIoc(f"catw{os.getpid()}:", fill_bigwf=False)
    ioc.start()
    yield ioc
    ioc.stop()


@pytest.fixture
def ioc(_write_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]) -> EpicsBaseIoc:
    ca_env(_write_ioc.ensure_running())
    return _write_ioc


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every message our client sends on a TCP circuit during the test."""
    messages: list[Any] = []
    original = Connection.send

    def send(self: Connection, *commands: Any) -> None:
        messages.extend(commands)
        original(self, *commands)

    monkeypatch.setattr(Connection, "send", send)
    return messages


def _writes(messages: list[Any]) -> list[Any]:
    return [m for m in messages if isinstance(m, (WriteRequest, WriteNotifyRequest))]


def _values(data: Any) -> list[Any]:
    return list(data) if isinstance(data, list) else data.tolist()


def _caproto_values(name: str) -> list[Any]:
    data = caproto_client.read(name, repeater=False).data
    return list(data) if not isinstance(data, np.ndarray) else data.tolist()


# (record, value written, what a read gives back)
SCALARS = [
    ("ao", 12.5, [12.5]),
    ("ao", -3, [-3.0]),
    ("float", 2.25, [2.25]),
    ("long", -17, [-17]),
    ("long", 2.0, [2]),  # a whole float is fine for a LONG
    ("short", 123, [123]),
    ("short", np.int16(-5), [-5]),
    ("char", 66, [66]),
    ("char", "67", [67]),  # text to a one-element CHAR is parsed as a number
    ("str", "world", [b"world"]),
    ("str", b"bytes", [b"bytes"]),
    ("mbbo", "Fault", [b"Fault"]),  # by name
    ("mbbo", 0, [b"Off"]),  # by index
    ("mbbo", "2", [b"Fault"]),  # an index given as text
    ("bo", "High", [b"High"]),
    ("bo", 0, [b"Low"]),
]


@pytest.mark.parametrize("notify", [False, True], ids=["plain", "notify"])
@pytest.mark.parametrize(
    ("suffix", "value", "expected"), SCALARS, ids=[f"{s[0]}={s[1]!r}" for s in SCALARS]
)
def test_write_scalar_and_read_back(
    ioc: EpicsBaseIoc, sent: list[Any], suffix: str, value: Any, expected: Any, notify: bool
) -> None:
    name = ioc.prefix + suffix
    result = client.write(name, value, notify=notify)
    if notify:
        assert isinstance(result, WriteNotifyResponse)
        assert result.status.name == "ECA_NORMAL"
        assert result.status.success
        assert isinstance(_writes(sent)[0], WriteNotifyRequest)
    else:
        assert result is None
        assert isinstance(_writes(sent)[0], WriteRequest)
    assert len(_writes(sent)) == 1
    assert _values(client.read(name).data) == expected
    assert _caproto_values(name) == expected


ARRAYS = [
    ("wf:double", [1.0, 2.0, 3.5, 4.0], [1.0, 2.0, 3.5, 4.0]),
    ("wf:double", np.arange(8, dtype=float), list(np.arange(8.0))),
    ("wf:float", [0.25, -0.5], [0.25, -0.5]),
    ("wf:short", [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]),
    ("wf:long", np.array([7, -8, 2**31 - 1], dtype=np.int32), [7, -8, 2**31 - 1]),
    ("wf:char", "hi there", list(b"hi there\0")),  # a str to a CHAR array: text + NUL
    ("wf:char", b"raw", list(b"raw")),
    ("wf:char", [1, 2, 255], [1, 2, 255]),
    ("wf:string", ["a", "bb", "ccc", "dddd"], [b"a", b"bb", b"ccc", b"dddd"]),
    ("wf:string", [b"one"], [b"one"]),
    ("lstr.VAL$", "a long string " * 5, list(("a long string " * 5).encode() + b"\0")),
]


@pytest.mark.parametrize("notify", [False, True], ids=["plain", "notify"])
@pytest.mark.parametrize(
    ("suffix", "value", "expected"), ARRAYS, ids=[f"{a[0]}-{i}" for i, a in enumerate(ARRAYS)]
)
def test_write_array_and_read_back(
    ioc: EpicsBaseIoc, suffix: str, value: Any, expected: list[Any], notify: bool
) -> None:
    name = ioc.prefix + suffix
    result = client.write(name, value, notify=notify)
    assert (result.status.name if notify else result) == ("ECA_NORMAL" if notify else None)
    response = client.read(name)
    assert response.data_count == len(expected)
    assert _values(response.data) == expected
    assert _caproto_values(name) == expected


def test_write_with_explicit_data_type(ioc: EpicsBaseIoc) -> None:
    name = ioc.prefix + "ao"
    client.write(name, "42.5", data_type=ChannelType.STRING, notify=True)
    assert _values(client.read(name).data) == [42.5]
    client.write(name, [7], data_type=ChannelType.LONG, notify=True)
    assert _values(client.read(name).data) == [7.0]
    client.write(ioc.prefix + "mbbo", [2], data_type=ChannelType.ENUM)
    assert client.read(ioc.prefix + "mbbo", force_int_enums=True).data.tolist() == [2]


@pytest.mark.parametrize("notify", [False, True], ids=["plain", "notify"])
def test_read_write_read(ioc: EpicsBaseIoc, notify: bool) -> None:
    name = ioc.prefix + "long"
    client.write(name, 5, notify=True)
    initial, response, final = client.read_write_read(name, 6, notify=notify)
    assert isinstance(initial, ReadNotifyResponse) and isinstance(final, ReadNotifyResponse)
    assert initial.data.tolist() == [5]
    assert final.data.tolist() == [6]
    if notify:
        assert isinstance(response, WriteNotifyResponse)
        assert response.status.name == "ECA_NORMAL"
    else:
        assert response is None


def test_read_write_read_types_and_enums(ioc: EpicsBaseIoc) -> None:
    name = ioc.prefix + "mbbo"
    client.write(name, "Off", notify=True)
    initial, _, final = client.read_write_read(name, "On", notify=True, read_data_type="time")
    assert initial.data_type == final.data_type == ChannelType.TIME_ENUM
    assert (initial.data.tolist(), final.data.tolist()) == ([0], [1])
    initial, _, final = client.read_write_read(name, "Fault")
    assert (initial.data, final.data) == ([b"On"], [b"Fault"])
    initial, _, final = client.read_write_read(name, 0, force_int_enums=True)
    assert (initial.data.tolist(), final.data.tolist()) == ([2], [0])


# -- refusals --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Bogus", ["On", "Nope"], "on", "3", "-1"])
def test_bad_enum_name_raises_before_sending(
    ioc: EpicsBaseIoc, sent: list[Any], value: Any
) -> None:
    name = ioc.prefix + "mbbo"
    client.write(name, "On", notify=True)
    sent.clear()
    with pytest.raises(CAValueError, match=r"Off.*On.*Fault"):
        client.write(name, value, notify=True)
    assert _writes(sent) == []
    assert client.read(name).data == [b"On"]
    with pytest.raises(CAValueError):
        client.read_write_read(name, value)
    assert _writes(sent) == []


def test_refused_write_with_notify_returns_putfail(ioc: EpicsBaseIoc) -> None:
    name = ioc.prefix + "disabled"
    response = client.write(name, 3, notify=True)
    assert isinstance(response, WriteNotifyResponse)
    assert response.status.name == "ECA_PUTFAIL"
    assert not response.status.success
    assert client.read(name).data.tolist() == [7.0]
    _, middle, final = client.read_write_read(name, 4, notify=True)
    assert middle.status.name == "ECA_PUTFAIL"
    assert final.data.tolist() == [7.0]


def test_refused_write_without_notify_raises(ioc: EpicsBaseIoc) -> None:
    name = ioc.prefix + "disabled"
    with pytest.raises(ErrorResponseReceived, match="ECA_PUTFAIL") as info:
        client.write(name, 3)
    assert name in str(info.value)
    with pytest.raises(ErrorResponseReceived):
        client.read_write_read(name, 3)
    assert client.read(name).data.tolist() == [7.0]


@pytest.mark.parametrize("notify", [False, True], ids=["plain", "notify"])
def test_read_only_record_raises_access_denied(
    ioc: EpicsBaseIoc, sent: list[Any], notify: bool
) -> None:
    name = ioc.prefix + "ro"
    with pytest.raises(ChannelAccessDenied, match="no write access") as info:
        client.write(name, 5, notify=notify)
    assert isinstance(info.value, PermissionError)
    assert name in str(info.value)
    assert _writes(sent) == []
    assert client.read(name).data.tolist() == [2.0]  # reading is allowed


@pytest.mark.parametrize(
    "call",
    [
        lambda name, timeout: client.read(name, timeout=timeout),
        lambda name, timeout: client.write(name, 1, timeout=timeout),
        lambda name, timeout: client.read_write_read(name, 1, timeout=timeout),
    ],
    ids=["read", "write", "read_write_read"],
)
def test_missing_pv_times_out(ioc: EpicsBaseIoc, call: Callable[[str, float], Any]) -> None:
    name = ioc.prefix + "no:such:pv"
    timeout = 1.0
    start = time.monotonic()
    with pytest.raises(CATimeoutError) as info:
        call(name, timeout)
    elapsed = time.monotonic() - start
    assert timeout - 0.5 <= elapsed <= timeout + 0.5
    assert isinstance(info.value, TimeoutError)
    message = str(info.value)
    assert repr(name) in message
    assert f"127.0.0.1:{ioc.port}" in message


def test_timeout_message_names_every_address(
    ioc: EpicsBaseIoc, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = ioc.port + 1
    monkeypatch.setenv("EPICS_CA_ADDR_LIST", f"127.0.0.1 127.0.0.1:{other}")
    with pytest.raises(CATimeoutError) as info:
        client.read(ioc.prefix + "missing", timeout=0.5)
    assert f"127.0.0.1:{ioc.port}" in str(info.value)
    assert f"127.0.0.1:{other}" in str(info.value)


@pytest.mark.parametrize(
    ("suffix", "value"),
    [
        ("long", 1.5),
        ("long", [1, 2.25]),
        ("wf:long", [1.0, 2.5]),
        ("short", 70000),
        ("char", 256),
        ("char", -1),
        ("float", 1e40),
        ("str", "x" * 41),
    ],
)
def test_value_that_does_not_fit_raises(
    ioc: EpicsBaseIoc, sent: list[Any], suffix: str, value: Any
) -> None:
    name = ioc.prefix + suffix
    before = _values(client.read(name).data)
    with pytest.raises(CAValueError):
        client.write(name, value)
    assert _writes(sent) == []
    assert _values(client.read(name).data) == before


@pytest.mark.parametrize(
    ("suffix", "value"),
    [
        ("wf:double", list(range(9))),
        ("wf:string", ["a", "b", "c", "d", "e"]),
        ("wf:char", "x" * 64),  # 64 characters and the NUL: 65 > NELM
        ("ao", [1.0, 2.0]),
        ("str", ["a", "b"]),
    ],
)
def test_too_many_elements_raise(
    ioc: EpicsBaseIoc, sent: list[Any], suffix: str, value: Any
) -> None:
    with pytest.raises(CAValueError, match="at most"):
        client.write(ioc.prefix + suffix, value)
    assert _writes(sent) == []
