"""The 8-byte pvAccess message header: magic, version, flags, command, payload size.

::

    byte 0     1        2      3        4..7
         0xCA  version  flags  command  payload size (in the byte order of flags)

Flags: bit 0 a control message (no payload; bytes 4..7 carry a value), bits 4-5
segmentation (00 whole, 01 first, 11 middle, 10 last), bit 6 sent by a server,
bit 7 most significant byte first.
"""

from __future__ import annotations

import enum
import struct

from .errors import PVARemoteProtocolError, PVAValueError

__all__ = [
    "HEADER_SIZE",
    "MAGIC",
    "PROTOCOL_VERSION",
    "Command",
    "ControlCommand",
    "Flags",
    "Header",
    "Segment",
    "decode_header",
]

MAGIC = 0xCA
#: The version pvxs sends (both roles), and ours.
PROTOCOL_VERSION = 2
HEADER_SIZE = 8
_BE = struct.Struct(">BBBBI")
_LE = struct.Struct("<BBBBI")


class Flags(enum.IntFlag):
    """Bits of the header's flags byte."""

    CONTROL = 0x01
    SEGMENT_FIRST = 0x10
    SEGMENT_LAST = 0x20
    SERVER = 0x40
    BIG_ENDIAN = 0x80


_SEGMENT_MASK = 0x30


class Segment(enum.IntEnum):
    """Where a message sits in a segmented sequence (bits 4-5 of the flags)."""

    NONE = 0x00
    FIRST = 0x10
    MIDDLE = 0x30
    LAST = 0x20


class Command(enum.IntEnum):
    """Application message commands."""

    BEACON = 0
    CONNECTION_VALIDATION = 1
    ECHO = 2
    SEARCH = 3
    SEARCH_RESPONSE = 4
    AUTHNZ = 5
    ACL_CHANGE = 6
    CREATE_CHANNEL = 7
    DESTROY_CHANNEL = 8
    CONNECTION_VALIDATED = 9
    GET = 10
    PUT = 11
    PUT_GET = 12
    MONITOR = 13
    ARRAY = 14
    DESTROY_REQUEST = 15
    PROCESS = 16
    GET_FIELD = 17
    MESSAGE = 18
    MULTIPLE_DATA = 19
    RPC = 20
    CANCEL_REQUEST = 21
    ORIGIN_TAG = 22


class ControlCommand(enum.IntEnum):
    """Control message commands (flag bit 0 set)."""

    SET_MARKER = 0
    ACK_MARKER = 1
    SET_BYTE_ORDER = 2


class Header:
    """One decoded or to-be-sent header (immutable).

    Parameters
    ----------
    command : int
        A :class:`Command` (or :class:`ControlCommand` when ``control``).
    payload_size : int
        Bytes after the header; for a control message, the value it carries.
    server : bool
        Sent by a server.
    big_endian : bool
        Byte order of the size field and of the payload.
    control : bool
    segment : Segment
    version : int
    """

    __slots__ = (
        "big_endian",
        "command",
        "control",
        "payload_size",
        "segment",
        "server",
        "version",
    )

    command: int
    payload_size: int
    server: bool
    big_endian: bool
    control: bool
    segment: Segment
    version: int

    def __init__(
        self,
        command: int,
        payload_size: int,
        *,
        server: bool,
        big_endian: bool,
        control: bool = False,
        segment: Segment = Segment.NONE,
        version: int = PROTOCOL_VERSION,
    ) -> None:
        if isinstance(command, bool) or not isinstance(command, int) or not 0 <= command <= 255:
            raise PVAValueError(f"command must be 0..255, not {command!r}")
        if not isinstance(payload_size, int) or not 0 <= payload_size <= 0xFFFFFFFF:
            raise PVAValueError(f"payload_size must be 0..4294967295, not {payload_size!r}")
        if not isinstance(version, int) or not 1 <= version <= 255:
            raise PVAValueError(f"version must be 1..255, not {version!r}")
        values = (command, payload_size, bool(server), bool(big_endian), bool(control))
        for name, value in zip(
            ("command", "payload_size", "server", "big_endian", "control"), values, strict=True
        ):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "segment", Segment(segment))
        object.__setattr__(self, "version", version)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    @property
    def flags(self) -> int:
        """The flags byte."""
        return (
            (Flags.CONTROL if self.control else 0)
            | self.segment
            | (Flags.SERVER if self.server else 0)
            | (Flags.BIG_ENDIAN if self.big_endian else 0)
        )

    def __bytes__(self) -> bytes:
        fmt = _BE if self.big_endian else _LE
        return fmt.pack(MAGIC, self.version, self.flags, self.command, self.payload_size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Header):
            return NotImplemented
        return bytes(self) == bytes(other)

    def __hash__(self) -> int:
        return hash(bytes(self))

    def __repr__(self) -> str:
        try:
            name = (ControlCommand if self.control else Command)(self.command).name
        except ValueError:
            name = str(self.command)
        return (
            f"Header({name}, payload_size={self.payload_size}, server={self.server}, "
            f"big_endian={self.big_endian}, control={self.control}, "
            f"segment={self.segment.name}, version={self.version})"
        )


def decode_header(data: bytes | bytearray | memoryview, offset: int = 0) -> Header:
    """The header at ``data[offset:offset + 8]``.

    Raises
    ------
    PVARemoteProtocolError
        Fewer than 8 bytes, a first byte that is not 0xCA, or version 0.
    """
    if len(data) - offset < HEADER_SIZE:
        raise PVARemoteProtocolError(
            f"a pvAccess header is 8 bytes, only {max(len(data) - offset, 0)} given"
        )
    magic, version, flags = data[offset], data[offset + 1], data[offset + 2]
    if magic != MAGIC:
        raise PVARemoteProtocolError(
            f"not a pvAccess message: first byte 0x{magic:02x}, expected 0xca"
        )
    if version == 0:
        raise PVARemoteProtocolError("pvAccess header with version 0")
    big = bool(flags & Flags.BIG_ENDIAN)
    size: int = (_BE if big else _LE).unpack_from(data, offset)[4]
    return Header(
        data[offset + 3],
        size,
        server=bool(flags & Flags.SERVER),
        big_endian=big,
        control=bool(flags & Flags.CONTROL),
        segment=Segment(flags & _SEGMENT_MASK),
        version=version,
    )
