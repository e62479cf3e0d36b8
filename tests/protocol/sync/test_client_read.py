"""``read()`` against a real EPICS Base IOC, with caproto's sync client as the reference.

For every native type and every request class both clients read the same
unprocessed record back to back; data, type, count, status and every metadata
field (timestamps included) must agree.  Then the response objects: ``bytes()``
is the wire form and ``data`` views the received buffer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import caproto
import numpy as np
import pytest
from caproto.sync import client as caproto_client

from protocol.channel_types import ChannelType
from protocol.commands import ReadNotifyResponse, ReadResponse
from protocol.decoder import StreamDecoder
from protocol.sync import client
from tests.support.iocs import EpicsBaseIoc, IocProcess

pytestmark = pytest.mark.interop

# Unprocessed records of records.db: one per native type, scalars and arrays.
PVS = [
    "ao",  # DOUBLE, full metadata
    "alarm",  # DOUBLE in MINOR/HIGH alarm
    "float",
    "long",
    "short",
    "char",
    "mbbo",  # ENUM
    "bo",  # ENUM, two states
    "str",  # STRING
    "i64",
    "wf:double",
    "wf:float",
    "wf:short",
    "wf:long",
    "wf:char",
    "wf:string",
    "wf:empty",
    "lstr",
    "lstr.VAL$",
]
CLASSES = [None, "native", "status", "time", "graphic", "control"]


@pytest.fixture
def ioc(epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]) -> EpicsBaseIoc:
    ca_env(epics_base_ioc)
    return epics_base_ioc


def _same(mine: Any, other: Any) -> bool:
    """Equal, with NaN equal to NaN (unset alarm limits are NaN)."""
    if isinstance(mine, float) and isinstance(other, float) and math.isnan(other):
        return math.isnan(mine)
    return bool(mine == other)


def assert_same_metadata(ours: Any, theirs: Any) -> None:
    if theirs is None:
        assert ours is None
        return
    assert ours is not None
    assert type(ours).__name__ == type(theirs).__name__
    names = [name for name, _ in theirs._fields_]
    assert [name for name, _ in ours._fields_] == names
    for name in names:
        if name.startswith("RISC_pad"):
            continue
        mine, other = getattr(ours, name), getattr(theirs, name)
        if name == "stamp":
            assert (mine.secondsSinceEpoch, mine.nanoSeconds) == (
                other.secondsSinceEpoch,
                other.nanoSeconds,
            )
        elif name == "strs":
            continue  # compared as enum_strings below
        elif isinstance(other, bytes) and not isinstance(mine, bytes):
            # caproto types DBR_*_CHAR limits as c_char (one byte); ours as uint8.
            assert mine == int.from_bytes(other, "big"), name
        else:
            assert _same(mine, other), f"{name}: {mine!r} != {other!r}"
    # The convenience attributes the GUI uses.
    for attr in ("status", "severity", "units", "precision", "enum_strings"):
        if hasattr(theirs, attr):
            assert getattr(ours, attr) == getattr(theirs, attr), attr
    for attr in ("upper_disp_limit", "lower_ctrl_limit", "upper_alarm_limit"):
        if hasattr(theirs, attr) and not isinstance(getattr(theirs, attr), bytes):
            assert _same(getattr(ours, attr), getattr(theirs, attr)), attr
    if hasattr(theirs, "timestamp"):
        # caproto truncates to microseconds; we keep the nanoseconds (raw stamps are equal).
        assert ours.timestamp == pytest.approx(theirs.timestamp, abs=2e-6)
        assert ours.timestamp != 0


def assert_same_data(ours: Any, theirs: Any) -> None:
    if not isinstance(theirs, np.ndarray):  # strings: caproto's DbrStringArray of bytes
        assert isinstance(ours, list)
        assert ours == list(theirs)
        return
    assert isinstance(ours, np.ndarray)
    assert ours.dtype.kind == theirs.dtype.kind
    assert ours.dtype.itemsize == theirs.dtype.itemsize
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def assert_same_response(ours: Any, theirs: Any) -> None:
    assert type(ours).__name__ == type(theirs).__name__
    assert int(ours.data_type) == int(theirs.data_type)
    assert ours.data_type.name == caproto.ChannelType(int(theirs.data_type)).name
    assert ours.data_count == theirs.data_count
    if hasattr(theirs, "status"):  # the deprecated ReadResponse has none
        assert ours.status.name == theirs.status.name == "ECA_NORMAL"
    else:
        assert not hasattr(ours, "status")
    assert_same_data(ours.data, theirs.data)
    assert_same_metadata(ours.metadata, theirs.metadata)


@pytest.mark.parametrize("data_type", CLASSES, ids=lambda c: str(c))
@pytest.mark.parametrize("suffix", PVS)
def test_read_agrees_with_caproto(ioc: EpicsBaseIoc, suffix: str, data_type: str | None) -> None:
    name = ioc.prefix + suffix
    ours = client.read(name, data_type=data_type, timeout=2, repeater=False)
    theirs = caproto_client.read(name, data_type=data_type, timeout=2, repeater=False)
    assert isinstance(ours, ReadNotifyResponse)
    assert_same_response(ours, theirs)
    if data_type in ("time", "status", "graphic", "control"):
        assert ours.metadata is not None


@pytest.mark.parametrize(
    ("suffix", "kwargs"),
    [
        ("mbbo", {"force_int_enums": True}),
        ("mbbo", {"data_type": ChannelType.STRING}),
        ("mbbo", {"data_type": "control", "force_int_enums": True}),
        ("ao", {"data_type": ChannelType.STRING}),
        ("ao", {"data_type": ChannelType.CTRL_LONG}),
        ("long", {"data_type": ChannelType.TIME_DOUBLE}),
        ("wf:double", {"data_count": 2}),
        ("wf:double", {"data_type": "time", "data_count": 1}),
        ("wf:long", {"data_type": ChannelType.INT}),
        ("wf:char", {"data_type": ChannelType.STRING}),
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(f"{k}={v[k]}" for k in v),
)
@pytest.mark.filterwarnings("ignore:ReadResponse was deprecated")
def test_read_options_agree_with_caproto(
    ioc: EpicsBaseIoc, suffix: str, kwargs: dict[str, Any]
) -> None:
    name = ioc.prefix + suffix
    ours = client.read(name, timeout=2, repeater=False, **kwargs)
    theirs_kwargs = {
        k: (caproto.ChannelType(int(v)) if isinstance(v, ChannelType) else v)
        for k, v in kwargs.items()
    }
    theirs = caproto_client.read(name, timeout=2, repeater=False, **theirs_kwargs)
    assert_same_response(ours, theirs)


def test_plain_read_of_a_waveform_returns_its_elements(ioc: EpicsBaseIoc) -> None:
    """The deprecated READ asks for the native count: RSRV answers a count of 0 with
    no elements. caproto sends 0 and silently gets an empty array (a known deviation)."""
    name = ioc.prefix + "wf:double"
    ours = client.read(name, notify=False, data_type="control", repeater=False)
    assert isinstance(ours, ReadResponse)
    assert ours.data_count == 8
    assert list(ours.data[:3]) == [1.5, 2.5, 3.5]
    theirs = caproto_client.read(name, notify=False, data_type="control", repeater=False)
    assert theirs.data_count == 0
    scalar = client.read(ioc.prefix + "str", notify=False, repeater=False)
    assert isinstance(scalar, ReadResponse)
    assert scalar.data == [b"hello"]


def test_enum_reads_as_string_by_default(ioc: EpicsBaseIoc) -> None:
    res = client.read(ioc.prefix + "mbbo", repeater=False)
    assert res.data_type == ChannelType.STRING
    assert res.data == [b"On"]
    res = client.read(ioc.prefix + "mbbo", force_int_enums=True, repeater=False)
    assert res.data_type == ChannelType.ENUM
    assert list(res.data) == [1]


def test_large_waveform_agrees_with_caproto(
    ioc: EpicsBaseIoc, monkeypatch: pytest.MonkeyPatch
) -> None:
    # caproto refuses arrays over EPICS_CA_MAX_ARRAY_BYTES (16 kB by default).
    monkeypatch.setenv("EPICS_CA_MAX_ARRAY_BYTES", str(10_000_000))
    name = ioc.prefix + "bigwf"
    ours = client.read(name, data_type="control", timeout=5, repeater=False)
    theirs = caproto_client.read(name, data_type="control", timeout=5, repeater=False)
    assert ours.data_count == 1_000_000
    assert ours.data[-1] == 0.5 * 999_999
    assert_same_response(ours, theirs)


# -- the response objects ------------------------------------------------------


def _redecode(raw: bytes) -> Any:
    messages = StreamDecoder(max_array_bytes=64 * 1024 * 1024).feed(raw)
    assert len(messages) == 1
    return messages[0]


@pytest.mark.parametrize(
    ("suffix", "data_type"),
    [
        ("ao", None),
        ("ao", "control"),
        ("mbbo", None),
        ("mbbo", "control"),
        ("wf:string", "time"),
        ("wf:char", None),
        ("wf:double", "graphic"),
        ("bigwf", None),
    ],
)
def test_bytes_is_the_wire_form(ioc: EpicsBaseIoc, suffix: str, data_type: str | None) -> None:
    res = client.read(ioc.prefix + suffix, data_type=data_type, timeout=5, repeater=False)
    raw = bytes(res)
    header = bytes(res.header)
    assert raw[: len(header)] == header
    assert len(raw) == len(header) + res.header.payload_size
    assert len(header) == (24 if suffix == "bigwf" else 16)  # the extended header for 8 MB
    again = _redecode(raw)
    assert type(again) is type(res)
    assert bytes(again) == raw
    assert again.data_type == res.data_type and again.data_count == res.data_count
    assert again.ioid == res.ioid and again.status == res.status
    if isinstance(res.data, list):
        assert again.data == res.data
    else:
        np.testing.assert_array_equal(again.data, res.data)
    if res.metadata is not None:
        assert bytes(again.metadata) == bytes(res.metadata)


def test_bytes_equal_caproto_bytes(ioc: EpicsBaseIoc) -> None:
    """Both clients' first request on a fresh circuit has ioid 0: the server's bytes match."""
    for suffix, data_type in [("ao", "control"), ("wf:string", None), ("mbbo", "time")]:
        name = ioc.prefix + suffix
        ours = client.read(name, data_type=data_type, repeater=False)
        theirs = caproto_client.read(name, data_type=data_type, repeater=False)
        assert ours.ioid == theirs.ioid
        assert bytes(ours) == bytes(theirs)


@pytest.mark.parametrize(
    ("suffix", "data_type"),
    [("ao", None), ("ao", "time"), ("wf:double", "control"), ("wf:char", None), ("bigwf", None)],
)
def test_data_shares_memory_with_the_received_buffer(
    ioc: EpicsBaseIoc, suffix: str, data_type: str | None
) -> None:
    res = client.read(ioc.prefix + suffix, data_type=data_type, timeout=5, repeater=False)
    metadata_buffer, value_buffer = res.buffers
    assert isinstance(res.data, np.ndarray)
    assert np.shares_memory(res.data, np.asarray(value_buffer))
    assert res.data.nbytes <= len(value_buffer)
    if res.metadata is not None:
        assert bytes(metadata_buffer) == bytes(res.metadata)
