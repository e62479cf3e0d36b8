"""Channels on a connection: CREATE_CHANNEL, DESTROY_CHANNEL, and DESTROY_REQUEST."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import PVAValueError
from ..header import Command, Header
from ..types import FieldDesc
from ..wire import OK, Reader, Status, encode_status, encode_string, pack
from .base import PVAMessage, check_u32

__all__ = [
    "CreateChannelRequest",
    "CreateChannelResponse",
    "DestroyChannelRequest",
    "DestroyChannelResponse",
    "DestroyRequest",
]


class CreateChannelRequest(PVAMessage):
    """CREATE_CHANNEL from a client: ``(cid, name)`` pairs; the server answers each."""

    __slots__ = ("channels",)
    COMMAND = Command.CREATE_CHANNEL
    SERVER = False
    _fields = ("channels",)

    channels: tuple[tuple[int, str], ...]

    def __init__(self, channels: Iterable[tuple[int, str]], *, big_endian: bool = False) -> None:
        pairs = []
        for cid, name in channels:
            if not isinstance(name, str) or not name:
                raise PVAValueError(f"a channel name is a non-empty str, not {name!r}")
            pairs.append((check_u32("cid", cid), name))
        if not 1 <= len(pairs) <= 0xFFFF:
            raise PVAValueError(f"CREATE_CHANNEL takes 1..65535 channels, not {len(pairs)}")
        self._set(big_endian, channels=tuple(pairs))

    def payload(self) -> bytes:
        be = self.big_endian
        parts = [pack(be, "H", len(self.channels))]
        for cid, name in self.channels:
            parts.append(pack(be, "I", cid))
            parts.append(encode_string(name, be))
        return b"".join(parts)

    @classmethod
    def decode(
        cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]
    ) -> CreateChannelRequest:
        count = reader.u16("channel count")
        pairs = []
        for _ in range(count):
            cid = reader.u32("cid")
            pairs.append((cid, reader.string("channel name")))
        try:
            return cls(pairs, big_endian=header.big_endian)
        except PVAValueError as exc:
            raise reader.fail(str(exc)) from None


class CreateChannelResponse(PVAMessage):
    """CREATE_CHANNEL from a server: the channel's sid, or why it refused (``status``).

    pvxs sends sid 0xFFFFFFFF with a refusal. The access-rights word that the
    specification mentions is sent by no implementation; trailing bytes are ignored.
    """

    __slots__ = ("cid", "sid", "status")
    COMMAND = Command.CREATE_CHANNEL
    SERVER = True
    _fields = ("cid", "sid", "status")

    cid: int
    sid: int
    status: Status

    def __init__(
        self, cid: int, sid: int, status: Status = OK, *, big_endian: bool = False
    ) -> None:
        if not isinstance(status, Status):
            raise PVAValueError(f"status must be a Status, not {status!r}")
        self._set(big_endian, cid=check_u32("cid", cid), sid=check_u32("sid", sid), status=status)

    def payload(self) -> bytes:
        be = self.big_endian
        return pack(be, "I", self.cid) + pack(be, "I", self.sid) + encode_status(self.status, be)

    @classmethod
    def decode(
        cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]
    ) -> CreateChannelResponse:
        cid = reader.u32("cid")
        sid = reader.u32("sid")
        return cls(cid, sid, reader.status(), big_endian=header.big_endian)


class DestroyChannelRequest(PVAMessage):
    """DESTROY_CHANNEL from a client: close channel ``sid`` (``cid`` is the client's id)."""

    __slots__ = ("cid", "sid")
    COMMAND = Command.DESTROY_CHANNEL
    SERVER = False
    _fields = ("sid", "cid")

    sid: int
    cid: int

    def __init__(self, sid: int, cid: int, *, big_endian: bool = False) -> None:
        self._set(big_endian, sid=check_u32("sid", sid), cid=check_u32("cid", cid))

    def payload(self) -> bytes:
        return pack(self.big_endian, "I", self.sid) + pack(self.big_endian, "I", self.cid)

    @classmethod
    def decode(cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]) -> PVAMessage:
        sid = reader.u32("sid")
        return cls(sid, reader.u32("cid"), big_endian=header.big_endian)


class DestroyChannelResponse(DestroyChannelRequest):
    """DESTROY_CHANNEL from a server: the channel is gone (its confirmation, or a
    channel the server closed on its own)."""

    __slots__ = ()
    SERVER = True


class DestroyRequest(PVAMessage):
    """DESTROY_REQUEST from a client: end operation ``ioid`` on channel ``sid`` (not answered)."""

    __slots__ = ("ioid", "sid")
    COMMAND = Command.DESTROY_REQUEST
    SERVER = False
    _fields = ("sid", "ioid")

    sid: int
    ioid: int

    def __init__(self, sid: int, ioid: int, *, big_endian: bool = False) -> None:
        self._set(big_endian, sid=check_u32("sid", sid), ioid=check_u32("ioid", ioid))

    def payload(self) -> bytes:
        return pack(self.big_endian, "I", self.sid) + pack(self.big_endian, "I", self.ioid)

    @classmethod
    def decode(cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]) -> DestroyRequest:
        sid = reader.u32("sid")
        return cls(sid, reader.u32("ioid"), big_endian=header.big_endian)
