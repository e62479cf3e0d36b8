"""The ``Message`` base class shared by every command, and the command registry."""

from __future__ import annotations

import enum
from typing import Any, ClassVar, overload

from ..channel_types import ChannelType, native_type
from ..dbr import DBR_TYPES, DbrMetadata, metadata_size
from ..errors import CAValueError
from ..header import EXTENDED_HEADER_SIZE, ExtendedMessageHeader, MessageHeader, pack_header
from ..status import CAStatusCode, ensure_status
from ..values import current_decoders, encode_values, value_count, value_decoders

__all__ = [
    "CHANNEL_TYPES",
    "CLIENT",
    "REQUESTS",
    "RESPONSES",
    "SERVER",
    "DataMessage",
    "Message",
    "Role",
    "commands_sent_by",
]


class Role(enum.Enum):
    """Which side of a circuit sends a message."""

    CLIENT = "client"
    SERVER = "server"


CLIENT = Role.CLIENT
SERVER = Role.SERVER

#: Command classes by id, for messages that clients send (requests).
REQUESTS: dict[int, type[Message]] = {}
#: Command classes by id, for messages that servers (and repeaters) send.
RESPONSES: dict[int, type[Message]] = {}

# Indexing a tuple is several times faster than calling ChannelType(...).
CHANNEL_TYPES: tuple[ChannelType, ...] = tuple(ChannelType(code) for code in range(39))
_U32 = 0xFFFFFFFF
_U16 = 0xFFFF


def commands_sent_by(role: Role) -> dict[int, type[Message]]:
    """The id → class table for messages that ``role`` sends."""
    return REQUESTS if role is CLIENT else RESPONSES


def check_u16(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _U16:
        raise CAValueError(f"{name} must be an integer 0..65535, not {value!r}")
    return value


def check_priority(priority: int) -> int:
    """A circuit priority, 0 (lowest) .. 99; the IOC closes the circuit on 100 or more."""
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 99:
        raise CAValueError(f"priority must be an integer 0..99, not {priority!r}")
    return priority


def check_u32(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _U32:
        raise CAValueError(f"{name} must be an integer 0..4294967295, not {value!r}")
    return value


def check_data_type(value: Any) -> ChannelType:
    try:
        return CHANNEL_TYPES[value] if not isinstance(value, bool) and value >= 0 else _bad(value)
    except (TypeError, IndexError):
        raise CAValueError(f"data_type must be a DBR type 0..38, not {value!r}") from None


def _bad(value: Any) -> ChannelType:
    raise CAValueError(f"data_type must be a DBR type 0..38, not {value!r}")


_DIGITS = frozenset("0123456789")


def parse_ipv4(text: str) -> int | None:
    """A dotted quad as its 32-bit value, or None if ``text`` is not one.

    As strict as ``ipaddress.IPv4Address``: four decimal octets 0..255, ASCII
    digits only, no leading zeros. Written out because ``ipaddress`` takes ~1 ms
    to import, a noticeable part of a command-line tool's start-up.
    """
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not 0 < len(part) <= 3 or not _DIGITS.issuperset(part):
            return None
        if len(part) > 1 and part[0] == "0":
            return None
        octet = int(part)
        if octet > 255:
            return None
        value = value << 8 | octet
    return value


def ip_to_int(address: str | int) -> int:
    """An IPv4 address (dotted text or int) as the 32-bit wire value."""
    if isinstance(address, int):
        return check_u32("address", address)
    if not isinstance(address, str):
        import ipaddress  # whatever else it accepts (packed bytes), as before

        try:
            return int(ipaddress.IPv4Address(address))
        except ValueError:
            raise CAValueError(f"not an IPv4 address: {address!r}") from None
    value = parse_ipv4(address)
    if value is None:
        raise CAValueError(f"not an IPv4 address: {address!r}")
    return value


def int_to_ip(value: int) -> str:
    """The 32-bit wire value as a dotted quad."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _U32:
        import ipaddress  # its error for anything else, as before

        return str(ipaddress.IPv4Address(value))
    return f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


def pad8(raw: bytes) -> bytes:
    return raw + b"\0" * (-len(raw) & 7)


def string_payload(text: str | bytes, what: str) -> bytes:
    """A NUL-terminated, 8-byte padded string payload."""
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if b"\0" in raw:
        raise CAValueError(f"{what} {text!r} contains a NUL byte")
    return pad8(raw + b"\0")


def payload_string(payload: Any) -> str:
    """The text of a string payload, cut at the first NUL (pad bytes may be junk)."""
    raw = bytes(payload)
    end = raw.find(b"\0")
    return (raw if end < 0 else raw[:end]).decode("latin-1")


class HeaderField:
    """A header field, by its index in the decoded header, as a read-only attribute.

    ``sid = HeaderField(4)`` reads parameter1; the subclasses convert the value.
    """

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def convert(self, value: int) -> Any:
        return value

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> HeaderField: ...
    @overload
    def __get__(self, obj: Message, owner: type | None = None) -> int: ...
    def __get__(self, obj: Message | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return self.convert(obj._h[self.index])


class DbrTypeField(HeaderField):
    """A header field holding a DBR type, as a ``ChannelType``."""

    __slots__ = ()

    def convert(self, value: int) -> ChannelType:
        return CHANNEL_TYPES[value]

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> HeaderField: ...
    @overload
    def __get__(self, obj: Message, owner: type | None = None) -> ChannelType: ...
    def __get__(self, obj: Message | None, owner: type | None = None) -> Any:
        return super().__get__(obj, owner)


class StatusField(HeaderField):
    """A header field holding an ECA status, as a ``CAStatusCode``."""

    __slots__ = ()

    def convert(self, value: int) -> CAStatusCode:
        return ensure_status(value)

    @overload  # type: ignore[override]
    def __get__(self, obj: None, owner: type | None = None) -> HeaderField: ...
    @overload
    def __get__(self, obj: Message, owner: type | None = None) -> CAStatusCode: ...
    def __get__(self, obj: Message | None, owner: type | None = None) -> Any:
        return super().__get__(obj, owner)


class AddressField(HeaderField):
    """A header field holding an IPv4 address, as dotted text."""

    __slots__ = ()

    def convert(self, value: int) -> str:
        return int_to_ip(value)

    @overload  # type: ignore[override]
    def __get__(self, obj: None, owner: type | None = None) -> HeaderField: ...
    @overload
    def __get__(self, obj: Message, owner: type | None = None) -> str: ...
    def __get__(self, obj: Message | None, owner: type | None = None) -> Any:
        return super().__get__(obj, owner)


class Message:
    """One Channel Access message: a header and an optional payload.

    Instances are built either from their fields (the constructor of each
    command class, validated) or from received bytes (by the decoders, which
    keep the original bytes so that ``bytes(msg)`` is exactly what arrived).

    Attributes
    ----------
    header_values : tuple of int
        The header as decoded: (command, payload size, data type, data count,
        parameter 1, parameter 2).  Read-only; the named fields (``sid``,
        ``subscriptionid``, ...) read from it.  For loops over many messages.
    """

    # ``_raw`` is the whole message (header and payload) as one buffer: the
    # decoder makes a single slice per message, and accessors work from it.
    __slots__ = ("_addr", "_h", "_raw")
    ID: ClassVar[int]
    SENDER: ClassVar[Role]
    HAS_DATA: ClassVar[bool] = False
    #: The decoder rejects a ``data_type`` above 38 (the field is a DBR type).
    HAS_DBR_TYPE: ClassVar[bool] = False
    #: The decoder rejects a shorter payload (the accessors need that much).
    MIN_PAYLOAD: ClassVar[int] = 0
    _fields: ClassVar[tuple[str, ...]] = ()

    _h: tuple[int, int, int, int, int, int]
    header_values: tuple[int, int, int, int, int, int]
    _raw: Any
    _addr: tuple[str, int] | None

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if register:
            table = REQUESTS if cls.SENDER is CLIENT else RESPONSES
            table.setdefault(cls.ID, cls)

    def _init(
        self,
        data_type: int = 0,
        data_count: int = 0,
        parameter1: int = 0,
        parameter2: int = 0,
        payload: bytes = b"",
    ) -> None:
        self._h = (self.ID, len(payload), data_type, data_count, parameter1, parameter2)
        self._raw = pack_header(*self._h) + payload

    @property
    def sender_address(self) -> tuple[str, int] | None:
        """Where a datagram came from (None for stream and constructed messages)."""
        return getattr(self, "_addr", None)

    @sender_address.setter
    def sender_address(self, address: tuple[str, int] | None) -> None:
        self._addr = address

    @property
    def _hdr(self) -> Any:
        """The header bytes (16, or 24 when extended)."""
        return self._raw[: len(self._raw) - self._h[1]]

    @property
    def _payload(self) -> Any:
        return self._raw[len(self._raw) - self._h[1] :] if self._h[1] else b""

    # -- header access ----------------------------------------------------
    @property
    def header(self) -> MessageHeader | ExtendedMessageHeader:
        """The header as a ctypes structure (the extended form when it was sent so)."""
        raw = bytes(self._hdr)
        if len(raw) == EXTENDED_HEADER_SIZE:
            return ExtendedMessageHeader.from_buffer_copy(raw)
        return MessageHeader.from_buffer_copy(raw)

    payload_size = HeaderField(1)

    @property
    def buffers(self) -> tuple[Any, ...]:
        """The payload as a tuple of buffers (empty when there is none)."""
        return (self._payload,) if self._h[1] else ()

    # -- bytes ------------------------------------------------------------
    def __bytes__(self) -> bytes:
        return bytes(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    @property
    def nbytes(self) -> int:
        return len(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return type(self) is type(other) and bytes(self) == bytes(other)

    def __hash__(self) -> int:
        return hash(bytes(self))

    def __repr__(self) -> str:
        parts = []
        for name in self._fields:
            try:
                parts.append(f"{name}={_value_repr(getattr(self, name))}")
            except Exception as exc:  # a repr must not raise on junk bytes
                parts.append(f"{name}=<{type(exc).__name__}: {exc}>")
        return f"{type(self).__name__}({', '.join(parts)})"


# The same slot under its public name: reading it costs what reading ``_h`` does,
# where a property would double the per-update cost of a monitor's dispatch.
setattr(Message, "header_values", Message.__dict__["_h"])  # noqa: B010


def _value_repr(value: Any) -> str:
    # Show big-endian views as numpy shows native arrays (array([3.])), as the
    # API document does; only the repr pays for the conversion.
    dtype = getattr(value, "dtype", None)
    if dtype is not None and dtype.byteorder == ">":
        value = value.astype(dtype.newbyteorder("="))
    return repr(value)


class DataMessage(Message, register=False):
    """A message whose payload is DBR metadata followed by values."""

    __slots__ = ()
    HAS_DATA = True

    def _init_data(
        self,
        data: Any,
        data_type: int,
        data_count: int | None,
        metadata: Any,
        parameter1: int,
        parameter2: int,
    ) -> None:
        dtype = check_data_type(data_type)
        values = encode_values(data, dtype)
        count = value_count(data, dtype)
        if data_count is None:
            data_count = count
        elif data_count != count:
            raise CAValueError(
                f"data_count {data_count} does not match the {count} value(s) given"
            )
        meta = _metadata_bytes(metadata, dtype)
        self._init(dtype, data_count, parameter1, parameter2, pad8(meta + values))

    data_type = DbrTypeField(2)
    data_count = HeaderField(3)

    @property
    def data(self) -> Any:
        """The values: a numpy view onto the payload, an array.array, or a list of bytes."""
        h = self._h
        if not h[1]:  # no payload at all (an EVENT_CANCEL acknowledgement)
            function, argument, _ = value_decoders()[native_type(h[2])]
            return function(b"", argument, 0, 0)
        raw = self._raw
        function, argument, offset = (current_decoders[0] or value_decoders())[h[2]]
        return function(raw, argument, h[3], len(raw) - h[1] + offset)

    @property
    def metadata(self) -> DbrMetadata | None:
        """The DBR metadata structure, or None for a native type."""
        h = self._h
        cls = _METADATA_CLASSES[h[2]]
        if cls is None or not h[1]:
            return None
        raw = self._raw
        # A copy of the few metadata bytes: ctypes' from_buffer on a memoryview
        # costs ten times more (about 1.4 us against 0.13 us here).
        meta: DbrMetadata = cls.from_buffer_copy(raw, len(raw) - h[1])
        return meta

    @property
    def alarm(self) -> tuple[int, int] | None:
        """``(status, severity)`` of a STS/TIME/GR/CTRL payload, None for other types.

        Read from the first four bytes of the metadata without building the
        structure: cheap enough to look at every monitor update (a console records
        each change of severity, even of updates it coalesces away).
        """
        h = self._h
        if not h[1] or h[2] < 7 or h[2] > 34:  # native and DBR_PUT_ACKT.. types: no alarm
            return None
        raw = self._raw
        offset = len(raw) - h[1]
        return (raw[offset] << 8 | raw[offset + 1], raw[offset + 2] << 8 | raw[offset + 3])

    @property
    def buffers(self) -> tuple[Any, ...]:
        """(metadata bytes, value bytes): views onto the received payload."""
        size = metadata_size(self._h[2])
        view = memoryview(self._raw)[len(self._raw) - self._h[1] :]
        return (view[:size] if size else b"", view[size:])


_METADATA_CLASSES: tuple[type[DbrMetadata] | None, ...] = tuple(
    DBR_TYPES.get(ChannelType(code)) for code in range(39)
)


def _metadata_bytes(metadata: Any, data_type: ChannelType) -> bytes:
    size = metadata_size(data_type)
    if size == 0:
        if metadata is not None and bytes(metadata) != b"":
            raise CAValueError(f"{data_type.name} carries no metadata, but metadata was given")
        return b""
    if metadata is None:
        return bytes(size)
    cls = DBR_TYPES[data_type]
    try:
        if isinstance(metadata, tuple):
            metadata = cls(*metadata)
        raw = bytes(metadata)
    except (TypeError, ValueError) as exc:
        raise CAValueError(
            f"metadata for {data_type.name} must be a {cls.__name__} or a tuple of its "
            f"fields: {exc}"
        ) from None
    if len(raw) != size:
        raise CAValueError(
            f"metadata for {data_type.name} must be {size} bytes ({cls.__name__}), "
            f"not {len(raw)} bytes of {type(metadata).__name__}"
        )
    return raw
