"""Setting up a TCP connection: byte order, the validation handshake, echo, server notes."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from ..errors import PVAValueError
from ..header import Command, ControlCommand, Header
from ..types import FieldDesc, TypeCode, decode_type, encode_type
from ..values import decode_value, encode_value
from ..wire import OK, Reader, Status, encode_size, encode_status, encode_string, pack
from .base import PVAMessage, check_u16, check_u32

__all__ = [
    "CA_CREDENTIALS_TYPE",
    "DEFAULT_BUFFER_SIZE",
    "DEFAULT_REGISTRY_SIZE",
    "ConnectionValidated",
    "ConnectionValidationRequest",
    "ConnectionValidationResponse",
    "ControlMessage",
    "EchoRequest",
    "EchoResponse",
    "MessageLevel",
    "ServerMessage",
    "ca_credentials",
]

#: What pvxs announces (and ignores): receive buffer and type-registry sizes.
DEFAULT_BUFFER_SIZE = 0x10000
DEFAULT_REGISTRY_SIZE = 0x7FFF
#: The type of "ca" credentials.
CA_CREDENTIALS_TYPE = FieldDesc.struct(user=TypeCode.STRING, host=TypeCode.STRING)


def ca_credentials(user: str, host: str) -> tuple[FieldDesc, dict[str, str]]:
    """``(type, value)`` of "ca" authentication: a user and a host name, as CA sends."""
    return CA_CREDENTIALS_TYPE, {"user": user, "host": host}


class ControlMessage:
    """A control message: a header only, whose size field carries ``value``.

    A server sends ``SET_BYTE_ORDER`` first: the byte order of that header is the
    one it wants to receive (pvxs, pvAccessCPP and pvAccessJava all assume so).
    """

    __slots__ = ("big_endian", "command", "server", "value")

    command: int
    value: int
    server: bool
    big_endian: bool

    def __init__(
        self,
        command: int = ControlCommand.SET_BYTE_ORDER,
        value: int = 0,
        *,
        server: bool = True,
        big_endian: bool = False,
    ) -> None:
        if isinstance(command, bool) or not isinstance(command, int) or not 0 <= command <= 255:
            raise PVAValueError(f"command must be 0..255, not {command!r}")
        for name, item in (
            ("command", command),
            ("value", check_u32("value", value)),
            ("server", bool(server)),
            ("big_endian", bool(big_endian)),
        ):
            object.__setattr__(self, name, item)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    @property
    def header(self) -> Header:
        return Header(
            self.command, self.value, server=self.server, big_endian=self.big_endian, control=True
        )

    def __bytes__(self) -> bytes:
        return bytes(self.header)

    to_bytes = __bytes__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ControlMessage):
            return NotImplemented
        return bytes(self) == bytes(other)

    def __hash__(self) -> int:
        return hash(bytes(self))

    def __repr__(self) -> str:
        try:
            name = ControlCommand(self.command).name
        except ValueError:
            name = str(self.command)
        return (
            f"ControlMessage({name}, value={self.value}, server={self.server}, "
            f"big_endian={self.big_endian})"
        )


class ConnectionValidationRequest(PVAMessage):
    """The server's first message: its buffer sizes and the authentication methods it offers.

    pvxs lists the methods in reverse order of preference: ``("anonymous", "ca")``.
    """

    __slots__ = ("auth_methods", "buffer_size", "registry_size")
    COMMAND = Command.CONNECTION_VALIDATION
    SERVER = True
    _fields = ("buffer_size", "registry_size", "auth_methods")

    buffer_size: int
    registry_size: int
    auth_methods: tuple[str, ...]

    def __init__(
        self,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
        registry_size: int = DEFAULT_REGISTRY_SIZE,
        auth_methods: Iterable[str] = ("anonymous", "ca"),
        *,
        big_endian: bool = False,
    ) -> None:
        methods = tuple(auth_methods)
        if not all(isinstance(m, str) for m in methods):
            raise PVAValueError(f"auth methods must be strings: {methods!r}")
        self._set(
            big_endian,
            buffer_size=check_u32("buffer_size", buffer_size),
            registry_size=check_u16("registry_size", registry_size),
            auth_methods=methods,
        )

    def payload(self) -> bytes:
        be = self.big_endian
        parts = [pack(be, "I", self.buffer_size), pack(be, "H", self.registry_size)]
        parts.append(encode_size(len(self.auth_methods), be))
        parts.extend(encode_string(m, be) for m in self.auth_methods)
        return b"".join(parts)

    @classmethod
    def decode(
        cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]
    ) -> ConnectionValidationRequest:
        buffer_size = reader.u32("buffer size")
        registry_size = reader.u16("registry size")
        count = reader.count("auth method count")
        methods = [reader.string("auth method") for _ in range(count)]
        return cls(buffer_size, registry_size, methods, big_endian=header.big_endian)


class ConnectionValidationResponse(PVAMessage):
    """The client's answer: its buffer sizes, quality of service, chosen method, credentials.

    ``credentials`` is ``(type, value)``; ``(None, None)`` sends none ("anonymous").
    """

    __slots__ = ("auth_method", "buffer_size", "credentials", "qos", "registry_size")
    COMMAND = Command.CONNECTION_VALIDATION
    SERVER = False
    _fields = ("buffer_size", "registry_size", "qos", "auth_method", "credentials")

    buffer_size: int
    registry_size: int
    qos: int
    auth_method: str
    credentials: tuple[FieldDesc | None, Any]

    def __init__(
        self,
        auth_method: str = "anonymous",
        credentials: tuple[FieldDesc | None, Any] = (None, None),
        buffer_size: int = DEFAULT_BUFFER_SIZE,
        registry_size: int = DEFAULT_REGISTRY_SIZE,
        qos: int = 0,
        *,
        big_endian: bool = False,
    ) -> None:
        if not isinstance(auth_method, str):
            raise PVAValueError(f"auth_method must be a str, not {auth_method!r}")
        desc, value = credentials
        if desc is not None:
            encode_value(desc, value, big_endian)  # validates now, not when sent
        self._set(
            big_endian,
            buffer_size=check_u32("buffer_size", buffer_size),
            registry_size=check_u16("registry_size", registry_size),
            qos=check_u16("qos", qos),
            auth_method=auth_method,
            credentials=(desc, value),
        )

    def payload(self) -> bytes:
        be = self.big_endian
        desc, value = self.credentials
        parts = [
            pack(be, "I", self.buffer_size),
            pack(be, "H", self.registry_size),
            pack(be, "H", self.qos),
            encode_string(self.auth_method, be),
            encode_type(desc, be),
        ]
        if desc is not None:
            parts.append(encode_value(desc, value, be))
        return b"".join(parts)

    @classmethod
    def decode(
        cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]
    ) -> ConnectionValidationResponse:
        buffer_size = reader.u32("buffer size")
        registry_size = reader.u16("registry size")
        qos = reader.u16("qos")
        method = reader.string("auth method")
        # pvAccessCPP before 7.0 sent nothing after the method.
        desc = decode_type(reader, cache) if reader.remaining else None
        value = decode_value(reader, desc, cache) if desc is not None else None
        return cls(
            method, (desc, value), buffer_size, registry_size, qos, big_endian=header.big_endian
        )


class ConnectionValidated(PVAMessage):
    """The server's verdict on the client's validation: a status."""

    __slots__ = ("status",)
    COMMAND = Command.CONNECTION_VALIDATED
    SERVER = True
    _fields = ("status",)

    status: Status

    def __init__(self, status: Status = OK, *, big_endian: bool = False) -> None:
        if not isinstance(status, Status):
            raise PVAValueError(f"status must be a Status, not {status!r}")
        self._set(big_endian, status=status)

    def payload(self) -> bytes:
        return encode_status(self.status, self.big_endian)

    @classmethod
    def decode(
        cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]
    ) -> ConnectionValidated:
        return cls(reader.status(), big_endian=header.big_endian)


class EchoRequest(PVAMessage):
    """ECHO from a client: any bytes, which the server sends back."""

    __slots__ = ("data",)
    COMMAND = Command.ECHO
    SERVER = False
    _fields = ("data",)

    data: bytes

    def __init__(self, data: bytes = b"", *, big_endian: bool = False) -> None:
        self._set(big_endian, data=bytes(data))

    def payload(self) -> bytes:
        return self.data

    @classmethod
    def decode(cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]) -> PVAMessage:
        return cls(reader.rest(), big_endian=header.big_endian)


class EchoResponse(EchoRequest):
    """ECHO from a server."""

    __slots__ = ()
    SERVER = True


class MessageLevel(enum.IntEnum):
    """Severity of a server's CMD_MESSAGE."""

    INFO = 0
    WARNING = 1
    ERROR = 2
    FATAL = 3


class ServerMessage(PVAMessage):
    """A note from the server about request ``ioid`` (pvxs's "remote log")."""

    __slots__ = ("ioid", "level", "text")
    COMMAND = Command.MESSAGE
    SERVER = True
    _fields = ("ioid", "level", "text")

    ioid: int
    level: int
    text: str

    def __init__(self, ioid: int, level: int, text: str, *, big_endian: bool = False) -> None:
        if not isinstance(text, str):
            raise PVAValueError(f"text must be a str, not {text!r}")
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 255:
            raise PVAValueError(f"level must be 0..255, not {level!r}")
        self._set(big_endian, ioid=check_u32("ioid", ioid), level=level, text=text)

    def payload(self) -> bytes:
        be = self.big_endian
        return pack(be, "I", self.ioid) + bytes((self.level,)) + encode_string(self.text, be)

    @classmethod
    def decode(cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]) -> ServerMessage:
        ioid = reader.u32("ioid")
        level = reader.u8("level")
        return cls(ioid, level, reader.string("text"), big_endian=header.big_endian)
