"""Channel life cycle: create, access rights, clear, failure and disconnect."""

from __future__ import annotations

import enum

from .base import (
    CLIENT,
    SERVER,
    DbrTypeField,
    HeaderField,
    Message,
    check_data_type,
    check_u32,
    payload_string,
    string_payload,
)
from .circuit import DEFAULT_PROTOCOL_VERSION
from .search import check_pv_name

__all__ = [
    "AccessRights",
    "AccessRightsResponse",
    "ClearChannelRequest",
    "ClearChannelResponse",
    "CreateChFailResponse",
    "CreateChanRequest",
    "CreateChanResponse",
    "ServerDisconnResponse",
]


class AccessRights(enum.IntFlag):
    """The bits of ACCESS_RIGHTS."""

    NO_ACCESS = 0
    READ = 1
    WRITE = 2
    READ_WRITE = 3


class CreateChanRequest(Message):
    """CREATE_CHAN: open a channel to ``name`` on this circuit."""

    __slots__ = ()
    ID = 18
    SENDER = CLIENT
    _fields = ("name", "cid", "version")

    def __init__(self, name: str, cid: int, version: int = DEFAULT_PROTOCOL_VERSION) -> None:
        check_pv_name(name)
        self._init(
            0,
            0,
            check_u32("cid", cid),
            check_u32("version", version),
            string_payload(name, "name"),
        )

    @property
    def name(self) -> str:
        return payload_string(self._payload)

    cid = HeaderField(4)
    version = HeaderField(5)


class CreateChanResponse(Message):
    """The channel exists: its native type and count, and the server's sid."""

    __slots__ = ()
    ID = 18
    SENDER = SERVER
    HAS_DBR_TYPE = True
    _fields = ("data_type", "data_count", "cid", "sid")

    def __init__(self, data_type: int, data_count: int, cid: int, sid: int) -> None:
        self._init(
            check_data_type(data_type),
            check_u32("data_count", data_count),
            check_u32("cid", cid),
            check_u32("sid", sid),
        )

    data_type = DbrTypeField(2)
    data_count = HeaderField(3)
    cid = HeaderField(4)
    sid = HeaderField(5)


class _CidOnly(Message, register=False):
    __slots__ = ()
    SENDER = SERVER
    _fields = ("cid",)

    def __init__(self, cid: int) -> None:
        self._init(0, 0, check_u32("cid", cid))

    cid = HeaderField(4)


class CreateChFailResponse(_CidOnly):
    """CREATE_CH_FAIL: the server has no such name."""

    __slots__ = ()
    ID = 26


class ServerDisconnResponse(_CidOnly):
    """SERVER_DISCONN: the server dropped the channel; search for it again."""

    __slots__ = ()
    ID = 27


class AccessRightsResponse(Message):
    """ACCESS_RIGHTS: what the client may do with a channel (sent again on change)."""

    __slots__ = ()
    ID = 22
    SENDER = SERVER
    _fields = ("cid", "access_rights")

    def __init__(self, cid: int, access_rights: int) -> None:
        self._init(0, 0, check_u32("cid", cid), check_u32("access_rights", int(access_rights)))

    cid = HeaderField(4)

    @property
    def access_rights(self) -> AccessRights:
        return AccessRights(self._h[5] & 3)


class _Clear(Message, register=False):
    __slots__ = ()
    ID = 12
    _fields = ("sid", "cid")

    def __init__(self, sid: int, cid: int) -> None:
        self._init(0, 0, check_u32("sid", sid), check_u32("cid", cid))

    sid = HeaderField(4)
    cid = HeaderField(5)


class ClearChannelRequest(_Clear):
    """CLEAR_CHANNEL: close a channel (its subscriptions go with it)."""

    __slots__ = ()
    SENDER = CLIENT


class ClearChannelResponse(_Clear):
    """The server's echo of CLEAR_CHANNEL."""

    __slots__ = ()
    SENDER = SERVER
