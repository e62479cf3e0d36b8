"""Finding servers and channels over UDP: SEARCH and SEARCH_RESPONSE.

A search with no names and the must-reply flag is a discovery ping: every server
that receives it answers with its GUID and TCP port, ``found`` false and no cids
(pvxs's ``pvlist`` does this; servers reply because of that flag alone).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from ..errors import PVAValueError
from ..header import Command, Header
from ..types import FieldDesc
from ..wire import ANY_ADDRESSES, Reader, encode_address, encode_size, encode_string, pack
from .base import PVAMessage, check_u16, check_u32

__all__ = [
    "GUID_SIZE",
    "SearchFlags",
    "SearchRequest",
    "SearchResponse",
]

GUID_SIZE = 12


class SearchFlags(enum.IntFlag):
    """Flags byte of a SEARCH."""

    MUST_REPLY = 0x01
    #: Sent to a unicast address: the receiving server passes it on to the others
    #: on its host (pvxs clears the bit when it does).
    UNICAST = 0x80


def _check_address(name: str, host: str) -> str:
    if not isinstance(host, str):
        raise PVAValueError(f"{name} must be a str, not {host!r}")
    try:
        encode_address(host)
    except Exception:
        raise PVAValueError(
            f"{name} must be '::' or a dotted IPv4 address, not {host!r}"
        ) from None
    return host


class SearchRequest(PVAMessage):
    """SEARCH: which servers have these channels (and, with must-reply, who is there).

    Parameters
    ----------
    sequence : int
        The search sequence id, echoed in the reply.
    channels : iterable of (int, str)
        ``(cid, name)`` pairs; empty for a discovery ping.
    must_reply : bool
        Servers answer even when they have none of the names.
    unicast : bool
        The datagram goes to a unicast address.
    reply_address, reply_port : str, int
        Where to answer; ``'::'`` (pvxs's choice) or ``'0.0.0.0'`` mean the address
        the search came from.
    protocols : iterable of str
        Transports the client accepts (``("tcp",)``; pvxs sends none for a ping).
    """

    __slots__ = (
        "channels",
        "must_reply",
        "protocols",
        "reply_address",
        "reply_port",
        "sequence",
        "unicast",
    )
    COMMAND = Command.SEARCH
    SERVER = False
    _fields = (
        "sequence",
        "channels",
        "must_reply",
        "unicast",
        "reply_address",
        "reply_port",
        "protocols",
    )

    sequence: int
    channels: tuple[tuple[int, str], ...]
    must_reply: bool
    unicast: bool
    reply_address: str
    reply_port: int
    protocols: tuple[str, ...]

    def __init__(
        self,
        sequence: int,
        channels: Iterable[tuple[int, str]] = (),
        *,
        must_reply: bool = False,
        unicast: bool = True,
        reply_address: str = "::",
        reply_port: int = 0,
        protocols: Iterable[str] = ("tcp",),
        big_endian: bool = True,
    ) -> None:
        pairs = tuple((check_u32("cid", cid), _name(name)) for cid, name in channels)
        if len(pairs) > 0xFFFF:
            raise PVAValueError(f"at most 65535 names in one SEARCH, not {len(pairs)}")
        protos = tuple(protocols)
        if not all(isinstance(p, str) for p in protos):
            raise PVAValueError(f"protocols must be strings: {protos!r}")
        self._set(
            big_endian,
            sequence=check_u32("sequence", sequence),
            channels=pairs,
            must_reply=bool(must_reply),
            unicast=bool(unicast),
            reply_address=_check_address("reply_address", reply_address),
            reply_port=check_u16("reply_port", reply_port),
            protocols=protos,
        )

    @property
    def flags(self) -> int:
        return (SearchFlags.MUST_REPLY if self.must_reply else 0) | (
            SearchFlags.UNICAST if self.unicast else 0
        )

    def payload(self) -> bytes:
        be = self.big_endian
        parts = [
            pack(be, "I", self.sequence),
            bytes((self.flags, 0, 0, 0)),
            encode_address(self.reply_address),
            pack(be, "H", self.reply_port),
            encode_size(len(self.protocols), be),
        ]
        parts.extend(encode_string(p, be) for p in self.protocols)
        parts.append(pack(be, "H", len(self.channels)))
        for cid, name in self.channels:
            parts.append(pack(be, "I", cid))
            parts.append(encode_string(name, be))
        return b"".join(parts)

    @classmethod
    def decode(cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]) -> SearchRequest:
        sequence = reader.u32("sequence")
        flags = reader.u8("flags")
        reader.take(3, "reserved bytes")
        address = reader.address("reply address")
        port = reader.u16("reply port")
        protocols = [reader.string("protocol") for _ in range(reader.count("protocol count"))]
        count = reader.u16("channel count")
        channels = []
        for _ in range(count):
            cid = reader.u32("cid")
            channels.append((cid, reader.string("channel name")))
        if "." not in address and address not in ANY_ADDRESSES:
            raise reader.fail(f"reply address {address} is not IPv4")
        return cls(
            sequence,
            channels,
            must_reply=bool(flags & SearchFlags.MUST_REPLY),
            unicast=bool(flags & SearchFlags.UNICAST),
            reply_address=address,
            reply_port=port,
            protocols=protocols,
            big_endian=header.big_endian,
        )


def _name(name: str) -> str:
    if not isinstance(name, str) or not name:
        raise PVAValueError(f"a channel name is a non-empty str, not {name!r}")
    return name


class SearchResponse(PVAMessage):
    """SEARCH_RESPONSE: a server, where to reach it, and which of the cids it has.

    Attributes
    ----------
    guid : bytes
        12 bytes that identify the server process (one per server, whatever
        interface or forwarding path its replies take).
    sequence : int
        The search's sequence id.
    server_address : str
        ``'0.0.0.0'`` (what pvxs sends) or ``'::'``: the address the reply came from.
    server_port : int
        The server's TCP port.
    protocol : str
        ``"tcp"``.
    found : bool
        Whether it has any of the names (false for a discovery pong).
    cids : tuple of int
        The cids it has.
    """

    __slots__ = ("cids", "found", "guid", "protocol", "sequence", "server_address", "server_port")
    COMMAND = Command.SEARCH_RESPONSE
    SERVER = True
    _fields = ("guid", "sequence", "server_address", "server_port", "protocol", "found", "cids")

    guid: bytes
    sequence: int
    server_address: str
    server_port: int
    protocol: str
    found: bool
    cids: tuple[int, ...]

    def __init__(
        self,
        guid: bytes,
        sequence: int,
        server_port: int,
        *,
        server_address: str = "0.0.0.0",
        protocol: str = "tcp",
        found: bool = False,
        cids: Iterable[int] = (),
        big_endian: bool = True,
    ) -> None:
        if not isinstance(guid, (bytes, bytearray)) or len(guid) != GUID_SIZE:
            raise PVAValueError(f"guid must be {GUID_SIZE} bytes, not {guid!r}")
        ids = tuple(check_u32("cid", cid) for cid in cids)
        if len(ids) > 0xFFFF:
            raise PVAValueError(f"at most 65535 cids in one SEARCH_RESPONSE, not {len(ids)}")
        if not isinstance(protocol, str):
            raise PVAValueError(f"protocol must be a str, not {protocol!r}")
        self._set(
            big_endian,
            guid=bytes(guid),
            sequence=check_u32("sequence", sequence),
            server_address=_check_address("server_address", server_address),
            server_port=check_u16("server_port", server_port),
            protocol=protocol,
            found=bool(found),
            cids=ids,
        )

    @property
    def guid_hex(self) -> str:
        """The GUID as pvxs prints it: ``0x`` and 24 hex digits."""
        return "0x" + self.guid.hex().upper()

    def payload(self) -> bytes:
        be = self.big_endian
        parts = [
            self.guid,
            pack(be, "I", self.sequence),
            encode_address(self.server_address),
            pack(be, "H", self.server_port),
            encode_string(self.protocol, be),
            b"\x01" if self.found else b"\x00",
            pack(be, "H", len(self.cids)),
        ]
        parts.extend(pack(be, "I", cid) for cid in self.cids)
        return b"".join(parts)

    @classmethod
    def decode(cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]) -> SearchResponse:
        guid = reader.take(GUID_SIZE, "guid")
        sequence = reader.u32("sequence")
        address = reader.address("server address")
        if "." not in address and address not in ANY_ADDRESSES:
            raise reader.fail(f"server address {address} is not IPv4")
        port = reader.u16("server port")
        protocol = reader.string("protocol")
        found = reader.u8("found flag") != 0
        count = reader.u16("cid count")
        if count * 4 > reader.remaining:
            raise reader.fail(f"{count} cids announced, {reader.remaining} bytes left")
        cids = [reader.u32("cid") for _ in range(count)]
        return cls(
            guid,
            sequence,
            port,
            server_address=address,
            protocol=protocol,
            found=found,
            cids=cids,
            big_endian=header.big_endian,
        )
