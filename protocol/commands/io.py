"""Reads and writes: READ, READ_NOTIFY, WRITE, WRITE_NOTIFY."""

from __future__ import annotations

from typing import Any

from ..channel_types import ChannelType
from ..status import StatusSpec, ensure_eca_value
from .base import (
    CHANNEL_TYPES,
    CLIENT,
    SERVER,
    DataMessage,
    DbrTypeField,
    HeaderField,
    Message,
    StatusField,
    check_data_type,
    check_u32,
)

__all__ = [
    "ReadNotifyRequest",
    "ReadNotifyResponse",
    "ReadRequest",
    "ReadResponse",
    "WriteNotifyRequest",
    "WriteNotifyResponse",
    "WriteRequest",
]


class _ReadRequest(Message, register=False):
    __slots__ = ()
    SENDER = CLIENT
    HAS_DBR_TYPE = True
    _fields = ("data_type", "data_count", "sid", "ioid")

    def __init__(self, data_type: int, data_count: int, sid: int, ioid: int) -> None:
        self._init(
            check_data_type(data_type),
            check_u32("data_count", data_count),
            check_u32("sid", sid),
            check_u32("ioid", ioid),
        )

    data_type = DbrTypeField(2)
    data_count = HeaderField(3)
    sid = HeaderField(4)
    ioid = HeaderField(5)


class ReadRequest(_ReadRequest):
    """READ (deprecated): read without a status in the reply."""

    __slots__ = ()
    ID = 3


class ReadNotifyRequest(_ReadRequest):
    """READ_NOTIFY: read ``data_count`` values (0: as many as the server has)."""

    __slots__ = ()
    ID = 15


class ReadResponse(DataMessage):
    """The reply to READ. The IOC puts the channel's cid where caproto says ``sid``."""

    __slots__ = ()
    ID = 3
    SENDER = SERVER
    _fields = ("data", "data_type", "data_count", "sid", "ioid", "metadata")

    def __init__(
        self,
        data: Any,
        data_type: int,
        data_count: int | None,
        sid: int,
        ioid: int,
        *,
        metadata: Any = None,
    ) -> None:
        self._init_data(
            data, data_type, data_count, metadata, check_u32("sid", sid), check_u32("ioid", ioid)
        )

    sid = HeaderField(4)
    ioid = HeaderField(5)


class ReadNotifyResponse(DataMessage):
    """The reply to READ_NOTIFY: status, values and metadata."""

    __slots__ = ()
    ID = 15
    SENDER = SERVER
    _fields = ("data", "data_type", "data_count", "status", "ioid", "metadata")

    def __init__(
        self,
        data: Any,
        data_type: int,
        data_count: int | None = None,
        status: StatusSpec = 1,
        ioid: int = 0,
        *,
        metadata: Any = None,
    ) -> None:
        self._init_data(
            data,
            data_type,
            data_count,
            metadata,
            ensure_eca_value(status),
            check_u32("ioid", ioid),
        )

    status = StatusField(4)
    ioid = HeaderField(5)


class _WriteRequest(DataMessage, register=False):
    __slots__ = ()
    SENDER = CLIENT
    _fields = ("data", "data_type", "data_count", "sid", "ioid", "metadata")

    def __init__(
        self,
        data: Any,
        data_type: int,
        data_count: int | None,
        sid: int,
        ioid: int,
        *,
        metadata: Any = None,
    ) -> None:
        self._init_data(
            data, data_type, data_count, metadata, check_u32("sid", sid), check_u32("ioid", ioid)
        )

    sid = HeaderField(4)
    ioid = HeaderField(5)


class WriteRequest(_WriteRequest):
    """WRITE: no reply unless it fails (then an ERROR)."""

    __slots__ = ()
    ID = 4


class WriteNotifyRequest(_WriteRequest):
    """WRITE_NOTIFY: write and be told when processing completes."""

    __slots__ = ()
    ID = 19


class WriteNotifyResponse(Message):
    """The completion of a WRITE_NOTIFY; its status tells success or failure."""

    __slots__ = ()
    ID = 19
    SENDER = SERVER
    _fields = ("data_type", "data_count", "status", "ioid")

    def __init__(self, data_type: int, data_count: int, status: StatusSpec, ioid: int) -> None:
        self._init(
            check_data_type(data_type),
            check_u32("data_count", data_count),
            ensure_eca_value(status),
            check_u32("ioid", ioid),
        )

    @property
    def data_type(self) -> ChannelType | int:
        # The IOC echoes an invalid type (e.g. 40) with ECA_BADTYPE: keep the int.
        return CHANNEL_TYPES[self._h[2]] if self._h[2] < 39 else self._h[2]

    data_count = HeaderField(3)
    status = StatusField(4)
    ioid = HeaderField(5)
