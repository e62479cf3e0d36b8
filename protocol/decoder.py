"""Decoders: a TCP byte stream or a UDP datagram into messages.

The stream decoder hands out messages whose payloads are views onto the
buffers the bytes arrived in: no copy when a message arrived in one piece, one
copy when it spanned receives. Buffers are never reused after a view of them
has been handed out, so a message stays valid for as long as it is kept.
"""

from __future__ import annotations

from typing import Any, NoReturn

from .channel_types import MAX_STRING_SIZE
from .commands.base import REQUESTS, RESPONSES, SERVER, Message, Role
from .dbr import metadata_size
from .errors import RemoteProtocolError
from .header import EXTENDED_HEADER_SIZE, EXTENSION, HEADER, HEADER_SIZE
from .values import element_size

__all__ = [
    "DEFAULT_MAX_ARRAY_BYTES",
    "StreamDecoder",
    "payload_limit",
    "read_datagram",
]

#: EPICS Base's default of EPICS_CA_MAX_ARRAY_BYTES.
DEFAULT_MAX_ARRAY_BYTES = 16384
# The largest metadata block (DBR_CTRL_ENUM, 422 bytes) rounded up to 8: an
# array of max_array_bytes plus its metadata must still fit.
_METADATA_ALLOWANCE = 424
_CHUNK = 65536
_MIN_FREE = 4096

_unpack_header = HEADER.unpack_from
_unpack_extension = EXTENSION.unpack_from
_META = tuple(metadata_size(code) for code in range(39))
_ELEM = tuple(element_size(code) for code in range(39))
_STRING_TYPES = frozenset(c for c in range(39) if _ELEM[c] == MAX_STRING_SIZE)
# Bytes a data payload needs: metadata, plus each value (strings may be trimmed).
_NEED = _META
_PER = tuple(0 if c in _STRING_TYPES else _ELEM[c] for c in range(39))


def payload_limit(max_array_bytes: int) -> int:
    """The largest payload accepted when arrays may have ``max_array_bytes``."""
    return max(max_array_bytes, DEFAULT_MAX_ARRAY_BYTES) + _METADATA_ALLOWANCE


def _check_data(cls: type[Message], fields: tuple[int, ...], payload_size: int) -> None:
    data_type, data_count = fields[2], fields[3]
    if data_type > 38:
        raise RemoteProtocolError(
            f"{cls.__name__} with DBR type {data_type}, which does not exist (0..38)"
        )
    if payload_size == 0 and cls.ID == 1:
        # The EVENT_CANCEL acknowledgement: an EVENT_ADD reply with no payload
        # at all (not even the metadata), echoing the subscription's type/count.
        return
    needed = _META[data_type]
    if data_type not in _STRING_TYPES:
        # Strings may be trimmed (the deprecated READ reply, short writes);
        # numbers must all be there.
        needed += _ELEM[data_type] * data_count
    if payload_size < needed:
        raise RemoteProtocolError(
            f"{cls.__name__} announces {data_count} element(s) of DBR type {data_type} "
            f"({needed} bytes) but carries a payload of only {payload_size} bytes"
        )


def _reject(
    cls: type[Message] | None, fields: tuple[int, ...], payload_size: int, limit: int
) -> NoReturn:
    if cls is None:
        raise RemoteProtocolError(
            f"unknown command id {fields[0]} in header {fields} (not a CA message?)"
        )
    if payload_size & 7:
        raise RemoteProtocolError(
            f"{cls.__name__} with a payload of {payload_size} bytes, not a multiple of 8"
        )
    raise RemoteProtocolError(
        f"{cls.__name__} announces a payload of {payload_size} bytes, over the limit "
        f"of {limit} (raise EPICS_CA_MAX_ARRAY_BYTES to accept larger arrays)"
    )


def _check_header(cls: type[Message], fields: tuple[int, ...], payload_size: int) -> None:
    """Checks of messages without DBR data whose accessors need them to hold."""
    if cls.HAS_DBR_TYPE and fields[2] > 38:
        raise RemoteProtocolError(
            f"{cls.__name__} with DBR type {fields[2]}, which does not exist (0..38)"
        )
    if payload_size < cls.MIN_PAYLOAD:
        raise RemoteProtocolError(
            f"{cls.__name__} needs a payload of at least {cls.MIN_PAYLOAD} bytes, "
            f"not {payload_size}"
        )


def _parse(
    view: memoryview,
    start: int,
    end: int,
    classes: dict[int, type[Message]],
    limit: int,
    out: list[Message],
    address: tuple[str, int] | None = None,
) -> int:
    """Decode whole messages from ``view[start:end]`` into ``out``.

    Returns the offset of the first byte not consumed (a partial message).
    """
    # Locals: this loop runs once per message, hundreds of thousands a second.
    new, unpack, get, append = object.__new__, _unpack_header, classes.get, out.append
    need, per = _NEED, _PER
    # struct reads the underlying bytes/bytearray faster than a memoryview of it.
    source = view.obj
    if not isinstance(source, (bytes, bytearray)) or len(source) != view.nbytes:
        source = view
    offset = start
    while end - offset >= HEADER_SIZE:
        fields = unpack(source, offset)
        payload_size = fields[1]
        header_size = HEADER_SIZE
        if payload_size == 0xFFFF and fields[3] == 0:
            if end - offset < EXTENDED_HEADER_SIZE:
                break
            payload_size, data_count = _unpack_extension(view, offset + HEADER_SIZE)
            fields = (fields[0], payload_size, fields[2], data_count, fields[4], fields[5])
            header_size = EXTENDED_HEADER_SIZE
        cls = get(fields[0])
        if cls is None or payload_size & 7 or payload_size > limit:
            _reject(cls, fields, payload_size, limit)
        stop = offset + header_size + payload_size
        if stop > end:
            break
        if cls.HAS_DATA:
            data_type = fields[2]
            # Inline the common case; _check_data explains (and allows) the rest.
            if data_type > 38 or payload_size < need[data_type] + per[data_type] * fields[3]:
                _check_data(cls, fields, payload_size)
        elif cls.HAS_DBR_TYPE or cls.MIN_PAYLOAD:
            _check_header(cls, fields, payload_size)
        msg = new(cls)
        msg._h = fields
        msg._raw = view[offset:stop]
        if address is not None:
            msg._addr = address
        append(msg)
        offset = stop
    return offset


def _needed(view: memoryview, start: int, end: int) -> int:
    """Total size of the message starting at ``start``, or 0 if not yet known."""
    if end - start < HEADER_SIZE:
        return 0
    fields = _unpack_header(view, start)
    if fields[1] == 0xFFFF and fields[3] == 0:
        if end - start < EXTENDED_HEADER_SIZE:
            return 0
        return EXTENDED_HEADER_SIZE + int(_unpack_extension(view, start + HEADER_SIZE)[0])
    return HEADER_SIZE + int(fields[1])


class StreamDecoder:
    """Decode a TCP byte stream into messages, however the bytes are split.

    Parameters
    ----------
    sender : Role
        Who sends the stream: ``SERVER`` (a client decoding replies) or
        ``CLIENT`` (a server decoding requests).
    max_array_bytes : int, optional
        EPICS_CA_MAX_ARRAY_BYTES: a header announcing a larger payload (plus
        room for metadata) is rejected before anything is allocated.

    Notes
    -----
    Two ways to feed it: ``feed(data)`` with bytes from anywhere, or, to avoid
    copies, ``recv_buffer()`` to get a writable view to receive into, then
    ``received(nbytes)``. Both return the complete messages decoded so far.
    A fault raises ``RemoteProtocolError`` whose ``messages`` attribute holds
    the messages decoded before it; the decoder is unusable afterwards.
    """

    def __init__(self, sender: Role = SERVER, max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES):
        self._classes = RESPONSES if sender is SERVER else REQUESTS
        self._limit = payload_limit(max_array_bytes)
        self._buf = bytearray(_CHUNK)
        self._view = memoryview(self._buf)
        self._start = 0
        self._end = 0
        self._broken: RemoteProtocolError | None = None

    @property
    def pending(self) -> int:
        """Bytes of an incomplete message held, waiting for the rest."""
        return self._end - self._start

    def _fail(self, exc: RemoteProtocolError, out: list[Message]) -> RemoteProtocolError:
        exc.messages = out  # type: ignore[attr-defined]
        self._broken = exc
        return exc

    def _check_usable(self) -> None:
        if self._broken is not None:
            raise RemoteProtocolError(f"the stream is broken by an earlier fault: {self._broken}")

    def recv_buffer(self) -> memoryview:
        """A writable view to receive the next bytes into (``sock.recv_into``).

        When a large message is pending, the buffer is sized to hold all of it,
        so it is received straight into place.
        """
        self._check_usable()
        pending = self._end - self._start
        needed = _needed(self._view, self._start, self._end) if pending else 0
        if needed > self._limit + EXTENDED_HEADER_SIZE:
            needed = 0  # let _parse report the oversize header
        free = len(self._buf) - self._end
        if free >= max(_MIN_FREE, needed - pending):
            return self._view[self._end :]
        size = max(_CHUNK, needed)
        buf = bytearray(size)
        buf[:pending] = self._view[self._start : self._end]
        # The old buffer stays alive as long as messages view it; never write it again.
        self._buf, self._view = buf, memoryview(buf)
        self._start, self._end = 0, pending
        return self._view[pending:]

    def received(self, nbytes: int) -> list[Message]:
        """Account for ``nbytes`` written into the last ``recv_buffer()``."""
        self._end += nbytes
        out: list[Message] = []
        try:
            self._start = _parse(
                self._view, self._start, self._end, self._classes, self._limit, out
            )
        except RemoteProtocolError as exc:
            raise self._fail(exc, out) from None
        # Never rewind to the start of the buffer: messages handed out view it.
        # recv_buffer() moves to a fresh buffer when this one is full.
        return out

    def feed(self, data: Any) -> list[Message]:
        """Decode ``data`` (any bytes-like), returning the complete messages.

        Messages wholly inside ``data`` view it without a copy (keep ``data``
        unchanged while they live); a message spanning calls is copied once.
        """
        self._check_usable()
        view = memoryview(data).cast("B")
        out: list[Message] = []
        offset, end = 0, len(view)
        try:
            while self._end > self._start and offset < end:
                # Complete the pending message from the front of ``data``.
                need = _needed(self._view, self._start, self._end)
                if need and need > self._limit + EXTENDED_HEADER_SIZE:
                    _parse(self._view, self._start, self._end, self._classes, self._limit, out)
                want = (need or EXTENDED_HEADER_SIZE) - (self._end - self._start)
                take = min(max(want, 0), end - offset)
                target = self._reserve(take, need)
                target[:take] = view[offset : offset + take]
                offset += take
                self.received_bytes(take, out)
                if need == 0 and take == 0:
                    break
            if self._end == self._start:
                offset = _parse(view, offset, end, self._classes, self._limit, out)
                rest = end - offset
                if rest:
                    target = self._reserve(rest)
                    target[:rest] = view[offset:end]
                    self._end += rest
        except RemoteProtocolError as exc:
            raise self._fail(exc, out) from None
        return out

    def _reserve(self, nbytes: int, total: int = 0) -> memoryview:
        """Room for ``nbytes`` more; a new buffer holds ``total`` (the whole pending
        message, when known) so that a big message is copied once, not per piece."""
        pending = self._end - self._start
        if len(self._buf) - self._end < nbytes:
            size = max(_CHUNK, pending + nbytes, total)
            buf = bytearray(size)
            buf[:pending] = self._view[self._start : self._end]
            self._buf, self._view = buf, memoryview(buf)
            self._start, self._end = 0, pending
        return self._view[self._end :]

    def received_bytes(self, nbytes: int, out: list[Message]) -> None:
        self._end += nbytes
        self._start = _parse(self._view, self._start, self._end, self._classes, self._limit, out)


def read_datagram(
    data: Any,
    address: tuple[str, int] | None = None,
    sender: Role = SERVER,
    max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES,
) -> list[Message]:
    """Decode every message of one UDP datagram.

    Parameters
    ----------
    data : bytes-like
        The datagram.
    address : (host, port), optional
        Where it came from; stored as each message's ``sender_address``.
    sender : Role
        Who sent it (``SERVER`` for search replies, ``CLIENT`` for searches).

    Raises
    ------
    RemoteProtocolError
        For an unknown command, a misaligned or truncated message.
    """
    view = memoryview(data).cast("B")
    out: list[Message] = []
    classes = RESPONSES if sender is SERVER else REQUESTS
    offset = _parse(view, 0, len(view), classes, payload_limit(max_array_bytes), out, address)
    if offset != len(view):
        raise RemoteProtocolError(
            f"datagram from {address} ends in a truncated message "
            f"({len(view) - offset} of {_needed(view, offset, len(view)) or 'unknown'} bytes)"
        )
    return out
