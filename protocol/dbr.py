"""Metadata structures of the DBR types, as big-endian ctypes structures.

Each structure holds the metadata that precedes the values in a payload (the
values themselves are decoded by :mod:`protocol.values`). Layouts follow the
real IOC: GR_STRING and CTRL_STRING use the 4-byte STS_STRING layout, and
STSACK_STRING's metadata is 8 bytes followed by string values.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import datetime

from .alarms import AlarmSeverity, AlarmStatus
from .channel_types import MAX_ENUM_STATES, MAX_ENUM_STRING_SIZE, MAX_UNITS_SIZE, ChannelType

__all__ = [
    "DBR_TYPES",
    "EPICS_EPOCH_OFFSET",
    "DbrMetadata",
    "TimeStamp",
    "epics_timestamp_to_unix",
    "metadata_size",
    "timestamp_to_epics",
]

#: Seconds from the POSIX epoch to the EPICS epoch (1990-01-01 UTC).
EPICS_EPOCH_OFFSET = 631152000

i16, u16, i32, u32 = ctypes.c_int16, ctypes.c_uint16, ctypes.c_int32, ctypes.c_uint32
f32, f64, u8 = ctypes.c_float, ctypes.c_double, ctypes.c_uint8
units_t = ctypes.c_char * MAX_UNITS_SIZE
enum_strs_t = (ctypes.c_char * MAX_ENUM_STRING_SIZE) * MAX_ENUM_STATES


def epics_timestamp_to_unix(seconds: int, nanoseconds: int) -> float:
    """Convert EPICS seconds and nanoseconds to a POSIX timestamp."""
    return seconds + EPICS_EPOCH_OFFSET + nanoseconds * 1e-9


def timestamp_to_epics(timestamp: float) -> tuple[int, int]:
    """Convert a POSIX timestamp to EPICS (seconds, nanoseconds)."""
    seconds = int(timestamp)
    nanoseconds = round((timestamp - seconds) * 1e9)
    if nanoseconds >= 1_000_000_000:
        seconds, nanoseconds = seconds + 1, nanoseconds - 1_000_000_000
    return seconds - EPICS_EPOCH_OFFSET, nanoseconds


class _Struct(ctypes.BigEndianStructure):
    _pack_ = 1
    info_fields: ClassVar[tuple[str, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        """The fields users care about, with status and severity as enums."""
        out = {name: getattr(self, name) for name in self.info_fields}
        if "status" in out:
            out["status"] = _as_enum(AlarmStatus, out["status"])
        if "severity" in out:
            out["severity"] = _as_enum(AlarmSeverity, out["severity"])
        return out

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bytes(self) == bytes(other)

    __hash__ = None  # type: ignore[assignment]


def _as_enum(kind: Any, value: int) -> Any:
    try:
        return kind(value)
    except ValueError:
        return value


class TimeStamp(_Struct):
    """An EPICS timestamp: seconds since 1990-01-01 UTC and nanoseconds."""

    _fields_ = [("secondsSinceEpoch", u32), ("nanoSeconds", u32)]
    info_fields = ("timestamp",)

    @property
    def timestamp(self) -> float:
        """POSIX timestamp (seconds)."""
        return epics_timestamp_to_unix(self.secondsSinceEpoch, self.nanoSeconds)

    def as_datetime(self) -> datetime.datetime:
        """The timestamp as a naive local ``datetime``, as caproto returns it."""
        import datetime  # here, not at the top: ~1 ms of a command-line tool's start-up

        return datetime.datetime.fromtimestamp(self.timestamp)

    @classmethod
    def from_unix_timestamp(cls, timestamp: float) -> TimeStamp:
        """Build a ``TimeStamp`` from a POSIX timestamp.

        The core reads no clock: for the current time, pass it,
        ``TimeStamp.from_unix_timestamp(time.time())`` (caproto's ``TimeStamp.now()``).
        """
        seconds, nanoseconds = timestamp_to_epics(timestamp)
        return cls(secondsSinceEpoch=seconds, nanoSeconds=nanoseconds)


class DbrMetadata(_Struct):
    """Base of every metadata structure; ``DBR_ID`` names its ChannelType."""

    DBR_ID: ClassVar[ChannelType]


class _Status(DbrMetadata):
    info_fields = ("status", "severity")


class _Time(DbrMetadata):
    _anonymous_ = ("stamp",)
    info_fields = ("status", "severity", "timestamp")

    @property
    def timestamp(self) -> float:
        """POSIX timestamp (seconds)."""
        # The anonymous fields, not self.stamp: building the nested struct costs more.
        seconds: int = self.secondsSinceEpoch
        nanoseconds: int = self.nanoSeconds
        return seconds + EPICS_EPOCH_OFFSET + nanoseconds * 1e-9


_LIMITS = (
    "upper_disp_limit",
    "lower_disp_limit",
    "upper_alarm_limit",
    "upper_warning_limit",
    "lower_warning_limit",
    "lower_alarm_limit",
)
_CTRL_LIMITS = ("upper_ctrl_limit", "lower_ctrl_limit")


class _Graphic(DbrMetadata):
    info_fields = ("status", "severity", *_LIMITS, "units")


class _GraphicPrec(DbrMetadata):
    info_fields = ("status", "severity", *_LIMITS, "precision", "units")


class _Control(DbrMetadata):
    info_fields = ("status", "severity", *_LIMITS, *_CTRL_LIMITS, "units")


class _ControlPrec(DbrMetadata):
    info_fields = ("status", "severity", *_LIMITS, *_CTRL_LIMITS, "precision", "units")


class _Enum(DbrMetadata):
    info_fields = ("status", "severity", "enum_strings")

    @property
    def enum_strings(self) -> tuple[bytes, ...]:
        """The state strings, as many as ``no_str`` says (at most 16)."""
        count = max(0, min(int(self.no_str), MAX_ENUM_STATES))
        return tuple(self.strs[i].value for i in range(count))

    @enum_strings.setter
    def enum_strings(self, strings: tuple[bytes | str, ...] | list[bytes | str]) -> None:
        if len(strings) > MAX_ENUM_STATES:
            raise ValueError(f"at most {MAX_ENUM_STATES} enum strings, got {len(strings)}")
        for i in range(MAX_ENUM_STATES):
            raw = strings[i] if i < len(strings) else b""
            data = raw.encode("latin-1") if isinstance(raw, str) else bytes(raw)
            if len(data) >= MAX_ENUM_STRING_SIZE:
                raise ValueError(f"enum string {raw!r} is over {MAX_ENUM_STRING_SIZE - 1} bytes")
            self.strs[i].value = data
        self.no_str = len(strings)


_ST = [("status", i16), ("severity", i16)]
_TS = [*_ST, ("stamp", TimeStamp)]


def _limits(ctype: Any, names: tuple[str, ...] = _LIMITS) -> list[tuple[str, Any]]:
    return [(name, ctype) for name in names]


# --- STS -------------------------------------------------------------------
class DBR_STS_STRING(_Status):
    DBR_ID = ChannelType.STS_STRING
    _fields_ = _ST


class DBR_STS_INT(_Status):
    DBR_ID = ChannelType.STS_INT
    _fields_ = _ST


class DBR_STS_FLOAT(_Status):
    DBR_ID = ChannelType.STS_FLOAT
    _fields_ = _ST


class DBR_STS_ENUM(_Status):
    DBR_ID = ChannelType.STS_ENUM
    _fields_ = _ST


class DBR_STS_CHAR(_Status):
    DBR_ID = ChannelType.STS_CHAR
    _fields_ = [*_ST, ("RISC_pad", u8)]


class DBR_STS_LONG(_Status):
    DBR_ID = ChannelType.STS_LONG
    _fields_ = _ST


class DBR_STS_DOUBLE(_Status):
    DBR_ID = ChannelType.STS_DOUBLE
    _fields_ = [*_ST, ("RISC_pad", i32)]


# --- TIME ------------------------------------------------------------------
class DBR_TIME_STRING(_Time):
    DBR_ID = ChannelType.TIME_STRING
    _fields_ = _TS


class DBR_TIME_INT(_Time):
    DBR_ID = ChannelType.TIME_INT
    _fields_ = [*_TS, ("RISC_pad", i16)]


class DBR_TIME_FLOAT(_Time):
    DBR_ID = ChannelType.TIME_FLOAT
    _fields_ = _TS


class DBR_TIME_ENUM(_Time):
    DBR_ID = ChannelType.TIME_ENUM
    _fields_ = [*_TS, ("RISC_pad", i16)]


class DBR_TIME_CHAR(_Time):
    DBR_ID = ChannelType.TIME_CHAR
    _fields_ = [*_TS, ("RISC_pad0", i16), ("RISC_pad1", u8)]


class DBR_TIME_LONG(_Time):
    DBR_ID = ChannelType.TIME_LONG
    _fields_ = _TS


class DBR_TIME_DOUBLE(_Time):
    DBR_ID = ChannelType.TIME_DOUBLE
    _fields_ = [*_TS, ("RISC_pad", i32)]


# --- GR --------------------------------------------------------------------
class DBR_GR_STRING(_Status):
    """The IOC answers GR_STRING with the STS_STRING layout."""

    DBR_ID = ChannelType.GR_STRING
    _fields_ = _ST


class DBR_GR_INT(_Graphic):
    DBR_ID = ChannelType.GR_INT
    _fields_ = [*_ST, ("units", units_t), *_limits(i16)]


class DBR_GR_FLOAT(_GraphicPrec):
    DBR_ID = ChannelType.GR_FLOAT
    _fields_ = [*_ST, ("precision", i16), ("RISC_pad0", i16), ("units", units_t), *_limits(f32)]


class DBR_GR_ENUM(_Enum):
    DBR_ID = ChannelType.GR_ENUM
    _fields_ = [*_ST, ("no_str", i16), ("strs", enum_strs_t)]


class DBR_GR_CHAR(_Graphic):
    DBR_ID = ChannelType.GR_CHAR
    _fields_ = [*_ST, ("units", units_t), *_limits(u8), ("RISC_pad", u8)]


class DBR_GR_LONG(_Graphic):
    DBR_ID = ChannelType.GR_LONG
    _fields_ = [*_ST, ("units", units_t), *_limits(i32)]


class DBR_GR_DOUBLE(_GraphicPrec):
    DBR_ID = ChannelType.GR_DOUBLE
    _fields_ = [*_ST, ("precision", i16), ("RISC_pad0", i16), ("units", units_t), *_limits(f64)]


# --- CTRL ------------------------------------------------------------------
class DBR_CTRL_STRING(_Status):
    """The IOC answers CTRL_STRING with the STS_STRING layout (caproto differs)."""

    DBR_ID = ChannelType.CTRL_STRING
    _fields_ = _ST


class DBR_CTRL_INT(_Control):
    DBR_ID = ChannelType.CTRL_INT
    _fields_ = [*_ST, ("units", units_t), *_limits(i16, _LIMITS + _CTRL_LIMITS)]


class DBR_CTRL_FLOAT(_ControlPrec):
    DBR_ID = ChannelType.CTRL_FLOAT
    _fields_ = [
        *_ST,
        ("precision", i16),
        ("RISC_pad0", i16),
        ("units", units_t),
        *_limits(f32, _LIMITS + _CTRL_LIMITS),
    ]


class DBR_CTRL_ENUM(_Enum):
    DBR_ID = ChannelType.CTRL_ENUM
    _fields_ = [*_ST, ("no_str", i16), ("strs", enum_strs_t)]


class DBR_CTRL_CHAR(_Control):
    DBR_ID = ChannelType.CTRL_CHAR
    _fields_ = [*_ST, ("units", units_t), *_limits(u8, _LIMITS + _CTRL_LIMITS), ("RISC_pad", u8)]


class DBR_CTRL_LONG(_Control):
    DBR_ID = ChannelType.CTRL_LONG
    _fields_ = [*_ST, ("units", units_t), *_limits(i32, _LIMITS + _CTRL_LIMITS)]


class DBR_CTRL_DOUBLE(_ControlPrec):
    DBR_ID = ChannelType.CTRL_DOUBLE
    _fields_ = [
        *_ST,
        ("precision", i16),
        ("RISC_pad0", i16),
        ("units", units_t),
        *_limits(f64, _LIMITS + _CTRL_LIMITS),
    ]


# --- special ---------------------------------------------------------------
class DBR_STSACK_STRING(DbrMetadata):
    """Status, severity and the acknowledge fields; string values follow."""

    DBR_ID = ChannelType.STSACK_STRING
    _fields_ = [*_ST, ("ackt", u16), ("acks", u16)]
    info_fields = ("status", "severity", "ackt", "acks")


#: Metadata structure of each DBR type that has metadata.
DBR_TYPES: dict[ChannelType, type[DbrMetadata]] = {
    cls.DBR_ID: cls
    for cls in (
        DBR_STS_STRING, DBR_STS_INT, DBR_STS_FLOAT, DBR_STS_ENUM, DBR_STS_CHAR,
        DBR_STS_LONG, DBR_STS_DOUBLE,
        DBR_TIME_STRING, DBR_TIME_INT, DBR_TIME_FLOAT, DBR_TIME_ENUM, DBR_TIME_CHAR,
        DBR_TIME_LONG, DBR_TIME_DOUBLE,
        DBR_GR_STRING, DBR_GR_INT, DBR_GR_FLOAT, DBR_GR_ENUM, DBR_GR_CHAR,
        DBR_GR_LONG, DBR_GR_DOUBLE,
        DBR_CTRL_STRING, DBR_CTRL_INT, DBR_CTRL_FLOAT, DBR_CTRL_ENUM, DBR_CTRL_CHAR,
        DBR_CTRL_LONG, DBR_CTRL_DOUBLE,
        DBR_STSACK_STRING,
    )
}  # fmt: skip

_META_SIZE = [ctypes.sizeof(DBR_TYPES[ChannelType(c)]) if c in DBR_TYPES else 0 for c in range(39)]


def metadata_size(data_type: int) -> int:
    """Bytes of metadata before the first value of a ``data_type`` payload."""
    return _META_SIZE[data_type]
