"""Decoders: one message, a UDP datagram, or a TCP byte stream into messages.

The stream decoder reassembles segmented messages, hands control messages out
as :class:`~protocol.pva.messages.ControlMessage`, checks that every message comes
from the role it expects, and keeps the connection's type cache (the ``0xFD`` /
``0xFE`` codes of :mod:`protocol.pva.types`). Anything malformed raises
:class:`~protocol.pva.errors.PVARemoteProtocolError` naming the message.
"""

from __future__ import annotations

from .errors import PVARemoteProtocolError
from .header import HEADER_SIZE, Command, Header, Segment, decode_header
from .messages.base import MESSAGE_CLASSES, PVAMessage
from .messages.connection import ControlMessage
from .types import FieldDesc
from .wire import Reader

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "StreamDecoder",
    "UnknownMessage",
    "decode_datagram",
    "decode_message",
]

#: Refuse (reassembled) messages larger than this: 256 MiB, some 8 million PV names.
DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 * 1024


class UnknownMessage(PVAMessage, register=False):
    """A message this package does not decode (a beacon, a monitor...): header and payload."""

    __slots__ = ("command", "payload_bytes", "server")
    _fields = ("command", "server", "payload_bytes")

    command: int
    server: bool
    payload_bytes: bytes

    def __init__(
        self, command: int, server: bool, payload_bytes: bytes, *, big_endian: bool = False
    ) -> None:
        self._set(big_endian, command=command, server=server, payload_bytes=bytes(payload_bytes))

    @property
    def header(self) -> Header:
        return Header(
            self.command, len(self.payload_bytes), server=self.server, big_endian=self.big_endian
        )

    def payload(self) -> bytes:
        return self.payload_bytes

    def to_bytes(self) -> bytes:
        return bytes(self.header) + self.payload_bytes


def _name(header: Header) -> str:
    try:
        command = Command(header.command).name
    except ValueError:
        command = f"command {header.command}"
    return f"{command} from a {'server' if header.server else 'client'}"


def decode_message(
    header: Header,
    payload: bytes | bytearray | memoryview,
    cache: dict[int, FieldDesc] | None = None,
) -> PVAMessage:
    """The application message with this header and payload.

    Parameters
    ----------
    header : Header
        Not a control message (those have no payload; see :class:`StreamDecoder`).
    payload : bytes-like
        Exactly ``header.payload_size`` bytes. Bytes beyond what the message
        needs are ignored, as pvxs does (room for later protocol versions).
    cache : dict, optional
        The connection's type cache; a fresh one by default.
    """
    if header.control:
        raise PVARemoteProtocolError("a control message has no payload to decode")
    body = bytes(payload)
    if len(body) != header.payload_size:
        raise PVARemoteProtocolError(
            f"{_name(header)}: header announces {header.payload_size} payload bytes, "
            f"{len(body)} given"
        )
    cls = MESSAGE_CLASSES.get((header.command, header.server))
    if cls is None:
        return UnknownMessage(header.command, header.server, body, big_endian=header.big_endian)
    reader = Reader(body, header.big_endian, _name(header))
    message = cls.decode(header, reader, {} if cache is None else cache)
    return message._keep(bytes(header) + body)


def decode_datagram(data: bytes | bytearray | memoryview) -> list[PVAMessage]:
    """Every message of one UDP datagram (several may share one).

    Control and segmented messages cannot travel over UDP; they, a truncated
    message and bytes that are not pvAccess raise ``PVARemoteProtocolError``.
    """
    raw = bytes(data)
    messages = []
    offset = 0
    while offset < len(raw):
        header = decode_header(raw, offset)
        if header.control or header.segment is not Segment.NONE:
            raise PVARemoteProtocolError(f"{_name(header)}: control or segmented message in UDP")
        start = offset + HEADER_SIZE
        end = start + header.payload_size
        if end > len(raw):
            raise PVARemoteProtocolError(
                f"{_name(header)}: {header.payload_size} payload bytes announced, "
                f"{len(raw) - start} in the datagram"
            )
        messages.append(decode_message(header, raw[start:end]))
        offset = end
    return messages


class StreamDecoder:
    """Turns the bytes of one TCP connection into messages, as they arrive.

    Parameters
    ----------
    from_server : bool
        The peer is a server (we are the client): every message must carry the
        server flag. False for the server's side of a connection.
    max_message_size : int
        Larger (reassembled) payloads are refused.

    Attributes
    ----------
    type_cache : dict
        The peer's cached type descriptors, by key.
    big_endian : bool or None
        Byte order of the last message the peer sent.
    """

    def __init__(
        self, *, from_server: bool = True, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    ) -> None:
        self.from_server = from_server
        self.max_message_size = max_message_size
        self.type_cache: dict[int, FieldDesc] = {}
        self.big_endian: bool | None = None
        self._buffer = bytearray()
        self._segments: list[bytes] = []
        self._segment_header: Header | None = None
        self._segment_size = 0

    @property
    def buffered(self) -> int:
        """Bytes received that do not yet make a whole message."""
        return len(self._buffer) + self._segment_size

    def feed(self, data: bytes | bytearray | memoryview) -> list[PVAMessage | ControlMessage]:
        """The messages that ``data`` completes (possibly none)."""
        self._buffer += data
        out: list[PVAMessage | ControlMessage] = []
        buf = self._buffer
        offset = 0
        try:
            while len(buf) - offset >= HEADER_SIZE:
                header = decode_header(buf, offset)
                if header.server != self.from_server:
                    who = "server" if self.from_server else "client"
                    raise PVARemoteProtocolError(
                        f"{_name(header)} where a {who} was expected to speak "
                        f"(flags 0x{header.flags:02x})"
                    )
                if header.control:
                    out.append(
                        ControlMessage(
                            header.command,
                            header.payload_size,
                            server=header.server,
                            big_endian=header.big_endian,
                        )
                    )
                    offset += HEADER_SIZE
                    continue
                self._check_size(header, header.payload_size + self._segment_size)
                end = offset + HEADER_SIZE + header.payload_size
                if end > len(buf):
                    break
                payload = bytes(buf[offset + HEADER_SIZE : end])
                offset = end
                self.big_endian = header.big_endian
                message = self._assemble(header, payload)
                if message is not None:
                    out.append(message)
        finally:
            del buf[:offset]
        return out

    def _check_size(self, header: Header, total: int) -> None:
        if total > self.max_message_size:
            raise PVARemoteProtocolError(
                f"{_name(header)} of {total} bytes, more than the limit of {self.max_message_size}"
            )

    def _assemble(self, header: Header, payload: bytes) -> PVAMessage | None:
        segment = header.segment
        pending = self._segment_header
        if segment in (Segment.MIDDLE, Segment.LAST):
            if pending is None:
                raise PVARemoteProtocolError(f"{_name(header)}: a continuation segment first")
            if header.command != pending.command:
                raise PVARemoteProtocolError(
                    f"{_name(header)}: segment of another command inside {_name(pending)}"
                )
        elif pending is not None:
            raise PVARemoteProtocolError(
                f"{_name(header)} before the last segment of {_name(pending)}"
            )
        if segment is Segment.NONE:
            return decode_message(header, payload, self.type_cache)
        self._segments.append(payload)
        self._segment_size += len(payload)
        if segment is Segment.FIRST:
            self._segment_header = header
            return None
        if segment is Segment.MIDDLE:
            return None
        assert pending is not None
        body = b"".join(self._segments)
        self._segments, self._segment_header, self._segment_size = [], None, 0
        whole = Header(
            pending.command,
            len(body),
            server=pending.server,
            big_endian=pending.big_endian,
            version=pending.version,
        )
        return decode_message(whole, body, self.type_cache)
