"""DBR metadata structures: sizes, layouts and timestamps (ca-protocol.md §7)."""

from __future__ import annotations

import ctypes

import pytest

from protocol import AlarmSeverity, AlarmStatus, ChannelType, TimeStamp
from protocol.dbr import (
    DBR_TYPES,
    EPICS_EPOCH_OFFSET,
    epics_timestamp_to_unix,
    metadata_size,
    timestamp_to_epics,
)
from protocol.values import element_size

# id: (metadata bytes, element bytes), the table of ca-protocol.md §7.
SIZES = {
    0: (0, 40), 1: (0, 2), 2: (0, 4), 3: (0, 2), 4: (0, 1), 5: (0, 4), 6: (0, 8),
    7: (4, 40), 8: (4, 2), 9: (4, 4), 10: (4, 2), 11: (5, 1), 12: (4, 4), 13: (8, 8),
    14: (12, 40), 15: (14, 2), 16: (12, 4), 17: (14, 2), 18: (15, 1), 19: (12, 4), 20: (16, 8),
    21: (4, 40), 22: (24, 2), 23: (40, 4), 24: (422, 2), 25: (19, 1), 26: (36, 4), 27: (64, 8),
    28: (4, 40), 29: (28, 2), 30: (48, 4), 31: (422, 2), 32: (21, 1), 33: (44, 4), 34: (80, 8),
    35: (0, 2), 36: (0, 2), 37: (8, 40), 38: (0, 40),
}  # fmt: skip


@pytest.mark.parametrize("data_type", range(39))
def test_metadata_and_element_sizes(data_type: int) -> None:
    meta, elem = SIZES[data_type]
    assert metadata_size(data_type) == meta
    assert element_size(data_type) == elem
    cls = DBR_TYPES.get(ChannelType(data_type))
    assert (cls is None) == (meta == 0)
    if cls is not None:
        assert ctypes.sizeof(cls) == meta
        assert data_type == cls.DBR_ID


def _offsets(cls: type) -> dict[str, int]:
    return {name: getattr(cls, name).offset for name, _ in cls._fields_}  # type: ignore[attr-defined]


def test_ctrl_double_layout() -> None:
    """Offsets of the worked example (ca-protocol.md §17)."""
    offsets = _offsets(DBR_TYPES[ChannelType.CTRL_DOUBLE])
    assert offsets == {
        "status": 0, "severity": 2, "precision": 4, "RISC_pad0": 6, "units": 8,
        "upper_disp_limit": 16, "lower_disp_limit": 24, "upper_alarm_limit": 32,
        "upper_warning_limit": 40, "lower_warning_limit": 48, "lower_alarm_limit": 56,
        "upper_ctrl_limit": 64, "lower_ctrl_limit": 72,
    }  # fmt: skip


def test_char_and_enum_layouts() -> None:
    ctrl_char = _offsets(DBR_TYPES[ChannelType.CTRL_CHAR])
    assert ctrl_char["units"] == 4
    assert ctrl_char["upper_disp_limit"] == 12
    assert ctrl_char["lower_ctrl_limit"] == 19
    assert ctrl_char["RISC_pad"] == 20
    assert _offsets(DBR_TYPES[ChannelType.GR_ENUM]) == {
        "status": 0, "severity": 2, "no_str": 4, "strs": 6
    }  # fmt: skip
    assert _offsets(DBR_TYPES[ChannelType.STSACK_STRING]) == {
        "status": 0, "severity": 2, "ackt": 4, "acks": 6
    }  # fmt: skip
    time_char = _offsets(DBR_TYPES[ChannelType.TIME_CHAR])
    assert (time_char["stamp"], time_char["RISC_pad0"], time_char["RISC_pad1"]) == (4, 12, 14)


def test_ctrl_double_decodes_the_worked_example() -> None:
    raw = bytes.fromhex(
        "00000000" "00034cf8" "6d6d000000000000"
        "4059000000000000" "c059000000000000" "4056800000000000" "4054000000000000"
        "c054000000000000" "c056800000000000" "4049000000000000" "c049000000000000"
    )  # fmt: skip
    meta = DBR_TYPES[ChannelType.CTRL_DOUBLE].from_buffer_copy(raw)
    assert meta.to_dict() == {
        "status": AlarmStatus.NO_ALARM, "severity": AlarmSeverity.NO_ALARM,
        "upper_disp_limit": 100.0, "lower_disp_limit": -100.0, "upper_alarm_limit": 90.0,
        "upper_warning_limit": 80.0, "lower_warning_limit": -80.0, "lower_alarm_limit": -90.0,
        "upper_ctrl_limit": 50.0, "lower_ctrl_limit": -50.0, "precision": 3, "units": b"mm",
    }  # fmt: skip
    assert bytes(meta) == raw


def test_enum_strings() -> None:
    meta = DBR_TYPES[ChannelType.CTRL_ENUM]()
    meta.enum_strings = ["Off", b"On", "Fault"]
    assert meta.no_str == 3
    assert meta.enum_strings == (b"Off", b"On", b"Fault")
    meta.no_str = 99  # junk from a server: clamp to the 16 slots
    assert len(meta.enum_strings) == 16
    meta.no_str = -4
    assert meta.enum_strings == ()
    with pytest.raises(ValueError):
        meta.enum_strings = ["x" * 26]
    with pytest.raises(ValueError):
        meta.enum_strings = ["s"] * 17


def test_unknown_alarm_values_stay_ints() -> None:
    meta = DBR_TYPES[ChannelType.STS_DOUBLE]()
    meta.status, meta.severity = 99, -1
    assert meta.to_dict() == {"status": 99, "severity": -1}
    meta.status, meta.severity = 17, 3
    assert meta.to_dict() == {"status": AlarmStatus.UDF, "severity": AlarmSeverity.INVALID_ALARM}


def test_metadata_equality_is_by_bytes() -> None:
    a, b = DBR_TYPES[ChannelType.TIME_LONG](), DBR_TYPES[ChannelType.TIME_LONG]()
    assert a == b
    b.status = 1
    assert a != b
    assert a != DBR_TYPES[ChannelType.TIME_FLOAT]()


def test_timestamps() -> None:
    assert EPICS_EPOCH_OFFSET == 631152000
    assert epics_timestamp_to_unix(0, 0) == 631152000.0
    assert epics_timestamp_to_unix(1164463352, 8014925) == pytest.approx(1795615352.008014925)
    assert timestamp_to_epics(1795615352.5) == (1164463352, 500000000)
    assert timestamp_to_epics(631152000.9999999999) == (1, 0)
    stamp = TimeStamp.from_unix_timestamp(1735004749.760707)
    assert stamp.secondsSinceEpoch == 1735004749 - 631152000
    # A double near 1.7e9 resolves about 0.24 us: the nanoseconds are that close.
    assert abs(stamp.nanoSeconds - 760707000) < 1000
    assert stamp.timestamp == pytest.approx(1735004749.760707, abs=1e-6)
    # The core reads no clock: "now" is passed in (caproto's TimeStamp.now()).
    now = __import__("time").time()
    assert TimeStamp.from_unix_timestamp(now).timestamp == pytest.approx(now, abs=1e-6)
    assert repr(stamp) == "TimeStamp(timestamp=1735004749.760707)"


def test_never_processed_record_time() -> None:
    """UDF records report a zero stamp: the EPICS epoch, 1990-01-01 UTC."""
    meta = DBR_TYPES[ChannelType.TIME_DOUBLE].from_buffer_copy(
        bytes.fromhex("00110003") + bytes(12)
    )
    assert meta.timestamp == EPICS_EPOCH_OFFSET
    assert meta.stamp.as_datetime().year in (1989, 1990)  # local time of 1990-01-01 00:00 UTC
