"""pvAccess primitives: sizes, strings, status, socket addresses, in either byte order.

pvData serializes a *size* in one byte when it is below 254, else as 254 followed by
a 32-bit count; 255 stands for "null" (an empty string from pvAccessJava). A string
is a size and that many UTF-8 bytes. A *status* is 255 for "OK, nothing to say",
else a type byte, a message and a call-stack string. Socket addresses are 16 bytes,
IPv4 mapped into IPv6 (``::ffff:a.b.c.d``); any address (all zeros, or the mapped
0.0.0.0) means "the address this came from". Everything multi-byte follows the
byte order of the message that holds it.
"""

from __future__ import annotations

import enum
import struct
from typing import NamedTuple

from .errors import PVARemoteProtocolError, PVAValueError

__all__ = [
    "ANY_ADDRESSES",
    "MAX_SIZE",
    "NULL_SIZE",
    "OK",
    "Reader",
    "Status",
    "StatusType",
    "decode_address",
    "encode_address",
    "encode_size",
    "encode_status",
    "encode_string",
    "parse_ipv4",
]

#: The byte that stands for a null size or string.
NULL_SIZE = 0xFF
_LONG_SIZE = 0xFE
#: The largest size this package encodes (pvDataCPP's limit for the 32-bit form).
MAX_SIZE = 0x7FFFFFFE

_FORMATS = {
    True: {c: struct.Struct(">" + c) for c in "bBhHiIqQfd"},
    False: {c: struct.Struct("<" + c) for c in "bBhHiIqQfd"},
}
_MAPPED_V4 = b"\0" * 10 + b"\xff\xff"


class StatusType(enum.IntEnum):
    """The type byte of a status."""

    OK = 0
    WARNING = 1
    ERROR = 2
    FATAL = 3


class Status(NamedTuple):
    """A request's outcome as a server reports it.

    Attributes
    ----------
    type : StatusType
    message : str
    stack : str
        The call stack (pvxs: a short tag such as ``pvx:serv:refusechan:``).
    """

    type: StatusType = StatusType.OK
    message: str = ""
    stack: str = ""

    @property
    def ok(self) -> bool:
        """Success (OK or a warning), as pvAccess defines it."""
        return self.type in (StatusType.OK, StatusType.WARNING)

    def __str__(self) -> str:
        return self.message or self.type.name


#: The plain success status (what a single 255 byte encodes).
OK = Status()


def pack(big_endian: bool, code: str, value: float) -> bytes:
    """One fixed-size number (``code`` as in :mod:`struct`) in the given byte order."""
    return _FORMATS[big_endian][code].pack(value)


def encode_size(size: int, big_endian: bool) -> bytes:
    """A count or length: one byte below 254, else 254 and a 32-bit count."""
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_SIZE:
        raise PVAValueError(f"a size must be an integer 0..{MAX_SIZE}, not {size!r}")
    if size < _LONG_SIZE:
        return bytes((size,))
    return bytes((_LONG_SIZE,)) + _FORMATS[big_endian]["I"].pack(size)


def encode_string(text: str, big_endian: bool) -> bytes:
    """A size and the UTF-8 bytes of ``text``."""
    if not isinstance(text, str):
        raise PVAValueError(f"expected a str, not {type(text).__name__} {text!r}")
    raw = text.encode("utf-8")
    return encode_size(len(raw), big_endian) + raw


def encode_status(status: Status, big_endian: bool) -> bytes:
    """255 for a plain OK, else the type byte, message and stack."""
    if status.type is StatusType.OK and not status.message and not status.stack:
        return bytes((NULL_SIZE,))
    return (
        bytes((StatusType(status.type),))
        + encode_string(status.message, big_endian)
        + encode_string(status.stack, big_endian)
    )


#: The two spellings of "the address this came from": IPv6 any (all zero bytes,
#: what pvxs's client puts in a SEARCH) and IPv4 any (``::ffff:0.0.0.0``, what
#: pvxs's server puts in a reply).
ANY_ADDRESSES = frozenset(("::", "0.0.0.0"))


def encode_address(host: str) -> bytes:
    """An address as pvAccess's 16 bytes: ``'::'`` is all zeros, a dotted IPv4
    address (``'0.0.0.0'`` included) is mapped (``::ffff:a.b.c.d``)."""
    if host == "::":
        return b"\0" * 16
    octets = parse_ipv4(host)
    if octets is None:
        raise PVAValueError(f"not '::' or a dotted IPv4 address: {host!r}")
    return _MAPPED_V4 + octets


def parse_ipv4(text: str) -> bytes | None:
    """The 4 bytes of a dotted quad (decimal, no leading zeros), or None if ``text``
    is not one. (``ipaddress`` would do, at ~1 ms of a command-line tool's start.)"""
    if not isinstance(text, str):
        return None
    parts = text.split(".")
    if len(parts) != 4:
        return None
    out = bytearray()
    for part in parts:
        if not part.isascii() or not part.isdigit() or len(part) > 3:
            return None
        if (len(part) > 1 and part[0] == "0") or int(part) > 255:
            return None
        out.append(int(part))
    return bytes(out)


def decode_address(raw: bytes) -> str:
    """The text form of 16 address bytes: dotted IPv4 for a mapped address,
    ``'::'`` for all zeros, else the IPv6 text."""
    if len(raw) != 16:
        raise PVARemoteProtocolError(f"an address is 16 bytes, not {len(raw)}")
    if raw[:12] == _MAPPED_V4:
        return ".".join(str(b) for b in raw[12:])
    import ipaddress

    return str(ipaddress.IPv6Address(raw))


class Reader:
    """A cursor over received bytes, in the byte order of the message being read.

    Every read checks the remaining length and raises
    :class:`~protocol.pva.errors.PVARemoteProtocolError` naming ``what`` (the
    message being decoded) instead of reading past the end.

    Parameters
    ----------
    data : bytes-like
    big_endian : bool
    what : str
        Names the message in errors, e.g. ``"SEARCH_RESPONSE"``.
    """

    __slots__ = ("_data", "_end", "big_endian", "offset", "what")

    def __init__(self, data: bytes | bytearray | memoryview, big_endian: bool, what: str) -> None:
        self._data = bytes(data)
        self._end = len(self._data)
        self.offset = 0
        self.big_endian = big_endian
        self.what = what

    @property
    def remaining(self) -> int:
        """Bytes not read yet."""
        return self._end - self.offset

    def fail(self, why: str) -> PVARemoteProtocolError:
        """The error for a malformed ``what``: raise the result."""
        return PVARemoteProtocolError(f"malformed {self.what}: {why} (at byte {self.offset})")

    def take(self, count: int, field: str = "data") -> bytes:
        """The next ``count`` bytes."""
        if count > self.remaining:
            raise self.fail(f"{field} needs {count} bytes, {self.remaining} left")
        start = self.offset
        self.offset += count
        return self._data[start : self.offset]

    def number(self, code: str, field: str = "number") -> int | float:
        """One fixed-size number; ``code`` as in :mod:`struct` (``'I'``, ``'d'``, ...)."""
        fmt = _FORMATS[self.big_endian][code]
        if fmt.size > self.remaining:
            raise self.fail(f"{field} needs {fmt.size} bytes, {self.remaining} left")
        value: int | float = fmt.unpack_from(self._data, self.offset)[0]
        self.offset += fmt.size
        return value

    def u8(self, field: str = "byte") -> int:
        if self.offset >= self._end:
            raise self.fail(f"{field} needs 1 byte, 0 left")
        value = self._data[self.offset]
        self.offset += 1
        return value

    def u16(self, field: str = "uint16") -> int:
        return int(self.number("H", field))

    def u32(self, field: str = "uint32") -> int:
        return int(self.number("I", field))

    def size(self, field: str = "size", *, allow_null: bool = False) -> int | None:
        """A size; None for the null size when ``allow_null``."""
        first = self.u8(field)
        if first < _LONG_SIZE:
            return first
        if first == _LONG_SIZE:
            return self.u32(field)
        if allow_null:
            return None
        raise self.fail(f"{field} is the null size (255)")

    def count(self, field: str, item_size: int = 1) -> int:
        """A size that must be plausible: ``count * item_size`` bytes must remain."""
        value = self.size(field)
        assert value is not None
        if value * max(item_size, 1) > self.remaining:
            raise self.fail(f"{field} {value} exceeds the {self.remaining} bytes left")
        return value

    def string(self, field: str = "string") -> str:
        """A string; the null string reads as ``''``."""
        length = self.size(field, allow_null=True)
        if length is None:
            return ""
        raw = self.take(length, field)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            # Servers send bytes they were given; keep them, visibly.
            return raw.decode("utf-8", errors="backslashreplace")

    def status(self, field: str = "status") -> Status:
        """A status (255 alone for plain OK)."""
        first = self.u8(field)
        if first == NULL_SIZE:
            return Status()
        if first > StatusType.FATAL:
            raise self.fail(f"{field} type {first} is not 0..3")
        message = self.string(f"{field} message")
        stack = self.string(f"{field} stack")
        return Status(StatusType(first), message, stack)

    def address(self, field: str = "address") -> str:
        """16 address bytes as text (see :func:`decode_address`)."""
        return decode_address(self.take(16, field))

    def rest(self) -> bytes:
        """Every byte not read yet."""
        return self.take(self.remaining)
