"""ERROR: a server's report that a request failed, with the request's header."""

from __future__ import annotations

from typing import Any

from ..header import (
    EXTENDED_HEADER_SIZE,
    HEADER,
    HEADER_SIZE,
    ExtendedMessageHeader,
    MessageHeader,
)
from ..status import StatusSpec, ensure_eca_value
from .base import (
    SERVER,
    HeaderField,
    Message,
    StatusField,
    check_u32,
    payload_string,
    string_payload,
)

__all__ = ["ErrorResponse"]


class ErrorResponse(Message):
    """ERROR: ``cid`` of the channel (0xFFFFFFFF if none), status, and text.

    The payload starts with a copy of the offending request's header (16 bytes,
    or 24 when it was extended), followed by a NUL-terminated message.
    """

    __slots__ = ()
    ID = 11
    SENDER = SERVER
    MIN_PAYLOAD = HEADER_SIZE  # the copy of the rejected request's header
    _fields = ("original_request", "cid", "status", "error_message")

    def __init__(
        self,
        original_request: Any,
        cid: int,
        status: StatusSpec,
        error_message: str,
    ) -> None:
        if isinstance(original_request, Message):
            header = bytes(original_request._hdr)
        else:
            header = bytes(original_request)
        if len(header) not in (HEADER_SIZE, EXTENDED_HEADER_SIZE):
            raise ValueError("original_request must be a message or a 16/24-byte header")
        payload = header + string_payload(error_message, "error message")
        # The header copy is 16 or 24 bytes, so the text's padding keeps 8-alignment.
        self._init(0, 0, check_u32("cid", cid), ensure_eca_value(status), payload)

    def _header_size(self) -> int:
        fields = HEADER.unpack_from(self._payload)
        extended = fields[1] == 0xFFFF and fields[3] == 0 and self._h[1] >= EXTENDED_HEADER_SIZE
        return EXTENDED_HEADER_SIZE if extended else HEADER_SIZE

    @property
    def original_request(self) -> MessageHeader | ExtendedMessageHeader:
        """The header of the request the server rejected."""
        raw = bytes(self._payload[: self._header_size()])
        if len(raw) == EXTENDED_HEADER_SIZE:
            return ExtendedMessageHeader.from_buffer_copy(raw)
        return MessageHeader.from_buffer_copy(raw)

    cid = HeaderField(4)
    status = StatusField(5)

    @property
    def error_message(self) -> str:
        """The server's text (the PV name, or what was wrong)."""
        return payload_string(self._payload[self._header_size() :])
