"""The checks a write makes before sending: text parsed for numbers, ENUM indices, empty arrays.

First without a network (``write_request`` on a channel of a sans-I/O circuit), then
against a private EPICS Base IOC: each refused value raises ``CAValueError`` naming
the PV, sends no WRITE, and leaves the PV as it was; each accepted one reads back as
given.  The IOC's own conversion of text would have written something else for most
of the refused values (``"1.5"`` to a LONG as 1, ``"12abc"`` as 12, ``"-1"`` to a
CHAR as 255, ``""`` as 0), and it stores any index in an mbbo, label or not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from protocol.channel_types import ChannelType
from protocol.circuit import ClientChannel, VirtualCircuit
from protocol.commands import (
    AccessRightsResponse,
    CreateChanResponse,
    WriteNotifyRequest,
    WriteRequest,
)
from protocol.errors import CAValueError
from protocol.sync import client
from protocol.sync.channels import open_channel
from protocol.sync.connection import Connection
from protocol.sync.write_request import write_request
from tests.support.iocs import EpicsBaseIoc, IocProcess

T = ChannelType
CHOICES = ["Off", "On", "Fault"]


def _channel(native: ChannelType, count: int = 1, name: str = "PV:x") -> ClientChannel:
    circuit = VirtualCircuit(("127.0.0.1", 5064), priority=0)
    channel = circuit.new_channel(name)
    circuit.send(channel.create())
    circuit.feed(bytes(AccessRightsResponse(channel.cid, 3)))
    circuit.feed(bytes(CreateChanResponse(native, count, channel.cid, 7)))
    return channel


class Asked:
    """The request, and how often its choices were asked for."""

    def __init__(self, native: ChannelType, data: Any, count: int, choices: Any) -> None:
        self.asked = 0

        def known() -> list[str]:
            self.asked += 1
            return list(CHOICES if choices is None else choices)

        self.request = write_request(_channel(native, count), data, None, None, True, known)
        self.data = self.request.data
        self.data_type = self.request.data_type
        self.data_count = self.request.data_count


def _request(native: ChannelType, data: Any, count: int = 1, choices: Any = None) -> Asked:
    return Asked(native, data, count, choices)


@pytest.mark.parametrize(
    ("native", "count", "text", "data_type", "values"),
    [
        (T.LONG, 1, "42", T.LONG, [42]),
        (T.LONG, 1, " -7 ", T.LONG, [-7]),
        (T.LONG, 1, "0x10", T.LONG, [16]),
        (T.INT, 1, "1e3", T.INT, [1000]),  # the IOC would store 1
        (T.LONG, 1, "2.0", T.LONG, [2]),
        (T.DOUBLE, 1, "-2.5e-3", T.DOUBLE, [-0.0025]),
        (T.FLOAT, 1, "0.5", T.FLOAT, [0.5]),
        (T.CHAR, 1, "66", T.CHAR, [66]),  # a one-element CHAR takes a number
        (T.DOUBLE, 4, ["1", "2.5", "3"], T.DOUBLE, [1.0, 2.5, 3.0]),
        (T.CHAR, 8, ["72", "105", "0"], T.CHAR, [72, 105, 0]),
        (T.DOUBLE, 4, [b"1.5", 2], T.DOUBLE, [1.5, 2.0]),
        (T.STRING, 1, "1.5", T.STRING, [b"1.5"]),  # text stays text for a STRING
    ],
)
def test_text_for_numbers_is_parsed_here(
    native: ChannelType, count: int, text: Any, data_type: ChannelType, values: list[Any]
) -> None:
    request = _request(native, text, count)
    assert request.data_type == data_type
    assert list(request.data) == values


@pytest.mark.parametrize(
    ("native", "count", "value", "message"),
    [
        (T.LONG, 1, "1.5", "1.5 is not a whole number"),
        (T.INT, 1, "1.5", "not a whole number"),
        (T.CHAR, 1, "1.5", "not a whole number"),
        (T.CHAR, 1, "-1", "out of range for CHAR"),
        (T.CHAR, 1, "A", "CHAR needs a number: 'A' is not a number"),
        (T.INT, 1, "70000", "out of range for INT"),
        (T.LONG, 1, "2147483648", "out of range for LONG"),
        (T.DOUBLE, 1, "12abc", "DOUBLE needs a number: '12abc' is not a number"),
        (T.DOUBLE, 1, "", "is not a number"),
        (T.LONG, 1, "1_000", "is not a number"),
        (T.DOUBLE, 1, "1e999", "out of range for a DOUBLE"),
        (T.FLOAT, 1, "1e-50", "too small for FLOAT"),
        (T.FLOAT, 1, "1e39", "out of range for FLOAT"),
        (T.LONG, 4, ["1", "2.5"], "2.5 is not a whole number"),
        (T.DOUBLE, 4, ["1", "x"], "'x' is not a number"),
        (T.DOUBLE, 1, 2**53 + 1, "cannot be held exactly by DOUBLE"),
        (T.FLOAT, 1, 16_777_217, "cannot be held exactly by FLOAT"),
        (T.FLOAT, 1, 1e-50, "too small for FLOAT"),
        (T.CHAR, 8, "caf\u20ac", "latin-1 cannot encode"),
        (T.CHAR, 8, "x" * 8, "holds at most 8 element"),  # 8 characters and the NUL
        (T.DOUBLE, 1, [], "nothing to write"),
        (T.STRING, 1, [], "nothing to write"),
    ],
)
def test_values_that_would_change_are_refused(
    native: ChannelType, count: int, value: Any, message: str
) -> None:
    with pytest.raises(CAValueError, match=message) as info:
        _request(native, value, count)
    assert "PV:x" in str(info.value)


@pytest.mark.parametrize(
    ("value", "indices"),
    [(0, [0]), (2, [2]), (np.uint16(1), [1]), ([2, 0], [2, 0]), (True, [1]), ("Fault", [2])],
)
def test_enum_indices_that_name_a_choice(value: Any, indices: list[int]) -> None:
    request = _request(T.ENUM, value, count=2)
    assert list(request.data) == indices
    assert request.asked == 1


@pytest.mark.parametrize("value", [3, 65535, [0, 3], np.uint16(9), "3", "\u00b2", "-1"])
def test_enum_indices_beyond_the_choices_are_refused(value: Any) -> None:
    with pytest.raises(
        CAValueError, match=r"has no choice .*'Off', 'On', 'Fault' \(indices 0\.\.2\)"
    ):
        _request(T.ENUM, value, count=2)


def test_enum_without_choices_takes_any_index() -> None:
    # A bo with neither ZNAM nor ONAM: nothing to judge an index by.
    assert list(_request(T.ENUM, 1, choices=[]).data) == [1]
    assert list(_request(T.ENUM, "1", choices=[]).data) == [1]
    with pytest.raises(CAValueError, match="out of range for ENUM"):
        _request(T.ENUM, 65536, choices=[])


def test_choices_are_read_only_for_an_enum_by_name_or_index() -> None:
    assert _request(T.DOUBLE, 1.5).asked == 0
    assert _request(T.STRING, "On").asked == 0
    assert _request(T.ENUM, 1).asked == 1
    with pytest.raises(CAValueError, match="ENUM index must be an integer"):
        _request(T.ENUM, 1.5)
    request = write_request(
        _channel(T.ENUM), 7, T.ENUM, None, False, lambda: pytest.fail("choices asked for")
    )
    assert isinstance(request, WriteRequest)  # an explicit type is sent as given


@pytest.mark.parametrize(
    ("native", "value"),
    [(T.DOUBLE, []), (T.DOUBLE, np.array([])), (T.STRING, []), (T.CHAR, b""), (T.ENUM, [])],
)
def test_an_empty_value_empties_an_array(native: ChannelType, value: Any) -> None:
    request = _request(native, value, count=5)
    assert isinstance(request.request, WriteNotifyRequest)
    assert request.data_count == 0
    assert request.data_type == native
    assert request.asked == 0


# -- against EPICS Base --------------------------------------------------------------


@pytest.fixture(scope="module")
def _checks_ioc() -> Iterator[EpicsBaseIoc]:
    ioc = EpicsBaseIoc(f"catc{os.getpid()}:", fill_bigwf=False)
    ioc.start()
    yield ioc
    ioc.stop()


@pytest.fixture
def ioc(_checks_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]) -> EpicsBaseIoc:
    ca_env(_checks_ioc.ensure_running())
    return _checks_ioc


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The WRITE and WRITE_NOTIFY requests our client sends during the test."""
    messages: list[Any] = []
    original = Connection.send

    def send(self: Connection, *commands: Any) -> None:
        messages.extend(c for c in commands if isinstance(c, (WriteRequest, WriteNotifyRequest)))
        original(self, *commands)

    monkeypatch.setattr(Connection, "send", send)
    return messages


def _read(name: str) -> list[Any]:
    data = client.read(name, force_int_enums=True).data
    return list(data) if isinstance(data, list) else data.tolist()


def _kept_channel_write(name: str, value: Any) -> Any:
    with open_channel(name) as channel:  # the console's kind of channel
        return channel.write(value, notify=True)


WRITES = {
    "write": lambda name, value: client.write(name, value, notify=True),
    "plain-write": lambda name, value: client.write(name, value),
    "read_write_read": lambda name, value: client.read_write_read(name, value, notify=True),
    "kept-channel": _kept_channel_write,
}

# (record, value, what the IOC's string conversion or its record would have stored)
REFUSED = [
    ("long", "1.5", [1]),
    ("short", "1.5", [1]),
    ("char", "-1", [255]),
    ("ao", "12abc", [12.0]),
    ("ao", "", [0.0]),
    ("short", "1_000", [1]),
    ("float", "1e-50", None),
    ("float", 1e-50, [0.0]),
    ("i64", 2**53 + 1, [float(2**53)]),
    ("wf:long", ["1", "2.5"], [1, 2]),
    ("mbbo", 3, [3]),  # an mbbo state without a label
    ("mbbo", [5], [5]),
    ("bo", 2, None),
    ("ao", [], None),
]


@pytest.mark.interop
@pytest.mark.parametrize("how", list(WRITES))
@pytest.mark.parametrize(
    ("suffix", "value", "would_be"), REFUSED, ids=[f"{r[0]}={r[1]!r}" for r in REFUSED]
)
def test_refused_writes_send_nothing_and_change_nothing(
    ioc: EpicsBaseIoc, sent: list[Any], how: str, suffix: str, value: Any, would_be: Any
) -> None:
    name = ioc.prefix + suffix
    before = _read(name)
    assert before != would_be  # the refusal keeps a change from happening
    with pytest.raises(CAValueError) as info:
        WRITES[how](name, value)
    assert name in str(info.value)
    assert sent == []
    assert _read(name) == before


@pytest.mark.interop
@pytest.mark.parametrize(
    ("suffix", "value", "expected"),
    [
        ("short", "1e3", [1000]),  # the IOC's conversion stores 1
        ("long", "0x10", [16]),
        ("ao", " 2.5 ", [2.5]),
        ("char", "66", [66]),
        ("wf:short", ["1", "-2", "3"], [1, -2, 3]),
        ("float", 1.401298464324817e-45, [1.401298464324817e-45]),  # FLOAT's least value
        ("i64", 2**53, [float(2**53)]),
        ("mbbo", 2, [2]),
    ],
)
def test_text_and_numbers_that_fit_are_written_as_given(
    ioc: EpicsBaseIoc, suffix: str, value: Any, expected: list[Any]
) -> None:
    name = ioc.prefix + suffix
    assert client.write(name, value, notify=True).status.success
    assert _read(name) == expected


@pytest.mark.interop
@pytest.mark.parametrize("notify", [False, True], ids=["plain", "notify"])
@pytest.mark.parametrize(
    ("suffix", "value", "refill"),
    [
        ("wf:double", [], [1.5, 2.5]),
        ("wf:double", np.array([], dtype=float), [1.5]),
        ("wf:string", [], ["a", "b"]),
        ("wf:char", b"", b"abc"),
    ],
)
def test_an_empty_array_is_written_as_zero_elements(
    ioc: EpicsBaseIoc, sent: list[Any], notify: bool, suffix: str, value: Any, refill: Any
) -> None:
    # EPICS Base takes a write of count 0: NORD becomes 0 (pyepics' caput of [] writes
    # NELM zeros instead; caproto's sends count 0, as we do).
    name = ioc.prefix + suffix
    client.write(name, refill, notify=True)
    assert len(_read(name)) == len(refill)
    client.write(name, value, notify=notify)
    assert [m.data_count for m in sent[-1:]] == [0]
    assert _read(name) == []
    assert ioc.dbgf(f"{suffix}.NORD") == "0"
