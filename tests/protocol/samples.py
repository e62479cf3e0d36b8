"""Sample commands and DBR payloads shared by the protocol-core tests.

Every DBR type gets values and, where it has metadata, a metadata structure
filled with non-trivial values (alarm state, timestamp, units, limits,
precision, enum strings, acknowledge fields), so that a field swapped or
misplaced by an encoder or decoder shows up as a difference.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import numpy as np

from protocol import ChannelType
from protocol.channel_types import native_type
from protocol.commands import (
    AccessRightsResponse,
    Beacon,
    ClearChannelRequest,
    ClearChannelResponse,
    ClientNameRequest,
    CreateChanRequest,
    CreateChanResponse,
    CreateChFailResponse,
    EchoRequest,
    EchoResponse,
    ErrorResponse,
    EventAddRequest,
    EventAddResponse,
    EventCancelRequest,
    EventsOffRequest,
    EventsOnRequest,
    HostNameRequest,
    Message,
    NotFoundResponse,
    ReadNotifyRequest,
    ReadNotifyResponse,
    ReadRequest,
    ReadResponse,
    ReadSyncRequest,
    ReadSyncResponse,
    RepeaterConfirmResponse,
    RepeaterRegisterRequest,
    SearchRequest,
    SearchResponse,
    ServerDisconnResponse,
    VersionRequest,
    VersionResponse,
    WriteNotifyRequest,
    WriteNotifyResponse,
    WriteRequest,
)
from protocol.dbr import DBR_TYPES, DbrMetadata

ALL_TYPES = list(range(39))

#: Values of each element type, chosen to survive the wire exactly (FLOAT
#: values are exact in 32 bits) and to exercise signs and extremes.
NATIVE_VALUES: dict[ChannelType, list[Any]] = {
    ChannelType.STRING: [b"hello", b"", b"x" * 39],
    ChannelType.INT: [1, -2, 32767, -32768],
    ChannelType.FLOAT: [1.5, -2.25, 2.0**34, 0.0],
    ChannelType.ENUM: [0, 2, 65535],
    ChannelType.CHAR: [72, 0, 255, 7],
    ChannelType.LONG: [42, -7, 2**31 - 1, -(2**31)],
    ChannelType.DOUBLE: [3.5, -1e300, 0.1, 1e-310],
    ChannelType.PUT_ACKT: [1, 0],
    ChannelType.PUT_ACKS: [2, 65535],
    ChannelType.STSACK_STRING: [b"3.500", b"alarm!"],
    ChannelType.CLASS_NAME: [b"ao"],
}

STRING_TYPES = {
    t
    for t in ALL_TYPES
    if native_type(t) in (0, ChannelType.STSACK_STRING, ChannelType.CLASS_NAME)
}

#: EPICS seconds and nanoseconds of the stamps in the samples.
STAMP = (1164463352, 8014925)

#: Limits in the order upper_disp, lower_disp, upper_alarm, upper_warning,
#: lower_warning, lower_alarm, upper_ctrl, lower_ctrl, per ctypes type.
_LIMIT_VALUES = {  # by the ctypes type code of the limit fields
    "h": (1000, -1000, 900, 800, -800, -900, 500, -500),
    "i": (100000, -100000, 90000, 80000, -80000, -90000, 50000, -50000),
    "f": (100.0, -100.0, 90.0, 80.0, -80.0, -90.0, 50.0, -50.0),
    "d": (1e3, -1e3, 9.5e2, 8.25e2, -8.25e2, -9.5e2, 5e2, -5e2),
    "B": (250, 1, 240, 200, 20, 10, 230, 5),
}
_LIMIT_NAMES = (
    "upper_disp_limit",
    "lower_disp_limit",
    "upper_alarm_limit",
    "upper_warning_limit",
    "lower_warning_limit",
    "lower_alarm_limit",
    "upper_ctrl_limit",
    "lower_ctrl_limit",
)
ENUM_STRINGS = (b"Off", b"On", b"Fault", b"x" * 25)


def sample_metadata(data_type: int) -> DbrMetadata | None:
    """A metadata structure for ``data_type`` with every field set, or None."""
    cls = DBR_TYPES.get(ChannelType(data_type))
    if cls is None:
        return None
    meta = cls()
    fields = dict(cls._fields_)
    if "status" in fields:
        meta.status = 4  # HIGH
        meta.severity = 1  # MINOR
    if "stamp" in fields:
        meta.stamp.secondsSinceEpoch, meta.stamp.nanoSeconds = STAMP
    if "units" in fields:
        meta.units = b"mm/s"
    if "precision" in fields:
        meta.precision = 3
    if "no_str" in fields:
        meta.enum_strings = ENUM_STRINGS
    if "ackt" in fields:
        meta.ackt, meta.acks = 1, 2
    limits = [name for name in _LIMIT_NAMES if name in fields]
    if limits:
        values = _LIMIT_VALUES[fields[limits[0]]._type_]
        for name in limits:
            setattr(meta, name, values[_LIMIT_NAMES.index(name)])
    return meta


def sample_values(data_type: int) -> list[Any]:
    """Values of the element type of ``data_type``."""
    return list(NATIVE_VALUES[native_type(data_type)])


def plain(value: Any) -> Any:
    """Data as plain Python, comparable with ``==`` (NaN-safe via ``same``)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "tolist"):  # array.array
        return value.tolist()
    if isinstance(value, ctypes.Structure):  # metadata and headers
        return bytes(value)
    if isinstance(value, (memoryview, bytearray)):
        return bytes(value)
    return value


def same(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to NaN, elementwise for lists."""
    a, b = plain(a), plain(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def assert_same_fields(decoded: Message, original: Message) -> None:
    """Every field named in the class's ``_fields`` is equal in both."""
    assert type(decoded) is type(original)
    names = type(original)._fields
    for name in names:
        got, want = getattr(decoded, name), getattr(original, name)
        assert same(got, want), f"{type(original).__name__}.{name}: {got!r} != {want!r}"


DATA_COMMANDS = (
    ReadNotifyResponse,
    ReadResponse,
    EventAddResponse,
    WriteRequest,
    WriteNotifyRequest,
)


def data_message(cls: type[Message], data_type: int, values: Any = None) -> Message:
    """A data message of ``cls`` carrying sample values and metadata."""
    if values is None:
        values = sample_values(data_type)
    meta = sample_metadata(data_type)
    if cls is ReadNotifyResponse:
        return ReadNotifyResponse(values, data_type, len(values), 1, 116, metadata=meta)
    if cls is EventAddResponse:
        return EventAddResponse(values, data_type, len(values), 1, 17, metadata=meta)
    if cls is ReadResponse:
        return ReadResponse(values, data_type, len(values), 300, 148, metadata=meta)
    if cls in (WriteRequest, WriteNotifyRequest):
        return cls(values, data_type, len(values), 47, 201, metadata=meta)  # type: ignore[call-arg]
    raise AssertionError(cls)


def request_samples() -> list[Message]:
    """One or more instances of every command a client sends."""
    return [
        VersionRequest(0, 13),
        VersionRequest(99, 13),
        SearchRequest("VEC:ao", 0x1234),
        SearchRequest("VEC:nosuch", 77, 13, reply=10),
        HostNameRequest("vectorhost"),
        ClientNameRequest("vectoruser"),
        CreateChanRequest("VEC:ao", 1, 13),
        CreateChanRequest("VEC:lstr.VAL$", 0xFFFFFFFF, 13),
        ReadNotifyRequest(ChannelType.CTRL_DOUBLE, 0, 0, 116),
        ReadNotifyRequest(ChannelType.DOUBLE, 0x10000, 11, 204),
        ReadRequest(ChannelType.STRING, 1, 28, 150),
        EventAddRequest(ChannelType.TIME_DOUBLE, 0, 0, 11, mask=5),
        EventAddRequest(ChannelType.CTRL_ENUM, 1, 3, 14, 1.5, -2.0, 0.25, mask=13),
        EventCancelRequest(ChannelType.TIME_DOUBLE, 0, 11),
        EventCancelRequest(ChannelType.ENUM, 3, 13, data_count=1),
        ClearChannelRequest(5, 6),
        EchoRequest(),
        EventsOffRequest(),
        EventsOnRequest(),
        ReadSyncRequest(),
        RepeaterRegisterRequest("127.0.0.1"),
        RepeaterRegisterRequest(),
        WriteRequest([4.25], ChannelType.DOUBLE, 1, 0, 151),
        WriteNotifyRequest([b"On"], ChannelType.STRING, 1, 3, 162),
    ]


def response_samples() -> list[Message]:
    """One or more instances of every command a server (or repeater) sends."""
    return [
        VersionResponse(13),
        SearchResponse(17064, "255.255.255.255", 0x1234, 13),
        SearchResponse(5064, "10.0.0.7", 77, None),
        NotFoundResponse(13, 78),
        CreateChanResponse(ChannelType.DOUBLE, 1, 1, 0),
        CreateChanResponse(ChannelType.CHAR, 100, 19, 18),
        CreateChFailResponse(999),
        ServerDisconnResponse(7),
        AccessRightsResponse(1, 3),
        AccessRightsResponse(16, 1),
        ClearChannelResponse(5, 6),
        EchoResponse(),
        ReadSyncResponse(),
        ErrorResponse(ReadNotifyRequest(0, 0, 5, 206), 0xFFFFFFFF, 142, "Bad Resource ID"),
        ErrorResponse(
            WriteNotifyRequest([0.5] * 10000, ChannelType.DOUBLE, 10000, 11, 203),
            12,
            "ECA_TOLARGE",
            "too large",
        ),
        Beacon(13, 5064, 77, "127.0.0.1"),
        RepeaterConfirmResponse("127.0.0.1"),
        WriteNotifyResponse(ChannelType.DOUBLE, 1, 1, 153),
        WriteNotifyResponse(ChannelType.STRING, 1, "ECA_PUTFAIL", 164),
        ReadNotifyResponse([3.0], ChannelType.DOUBLE, 1, 1, 0),
        EventAddResponse([1, 2], ChannelType.TIME_LONG, 2, 1, 19, metadata=sample_metadata(19)),
        ReadResponse([3.5], ChannelType.DOUBLE, 1, 300, 149),
    ]
