"""The 16-byte message header, its 24-byte extended form, and padding."""

from __future__ import annotations

import ctypes
import struct

__all__ = [
    "EXTENDED_HEADER_SIZE",
    "HEADER",
    "HEADER_SIZE",
    "ExtendedMessageHeader",
    "MessageHeader",
    "pack_header",
    "padded_len",
]

HEADER = struct.Struct(">HHHHII")
EXTENSION = struct.Struct(">II")
HEADER_SIZE = 16
EXTENDED_HEADER_SIZE = 24
_EXTENDED = struct.Struct(">HHHHIIII")
_MARKER = 0xFFFF


class MessageHeader(ctypes.BigEndianStructure):
    """A standard Channel Access header, field for field as on the wire."""

    _pack_ = 1
    _fields_ = [
        ("command", ctypes.c_uint16),
        ("payload_size", ctypes.c_uint16),
        ("data_type", ctypes.c_uint16),
        ("data_count", ctypes.c_uint16),
        ("parameter1", ctypes.c_uint32),
        ("parameter2", ctypes.c_uint32),
    ]

    def __repr__(self) -> str:
        names = [field[0] for field in self._fields_]
        args = ", ".join(f"{name}={getattr(self, name)}" for name in names)
        return f"{type(self).__name__}({args})"


class ExtendedMessageHeader(ctypes.BigEndianStructure):
    """The extended header for payloads or counts that do not fit 16 bits.

    ``marker1`` is 0xFFFF and ``marker2`` is 0 on the wire; the real sizes are
    the two trailing 32-bit words.
    """

    _pack_ = 1
    _fields_ = [
        ("command", ctypes.c_uint16),
        ("marker1", ctypes.c_uint16),
        ("data_type", ctypes.c_uint16),
        ("marker2", ctypes.c_uint16),
        ("parameter1", ctypes.c_uint32),
        ("parameter2", ctypes.c_uint32),
        ("payload_size", ctypes.c_uint32),
        ("data_count", ctypes.c_uint32),
    ]

    def __repr__(self) -> str:
        names = ("command", "payload_size", "data_type", "data_count", "parameter1", "parameter2")
        args = ", ".join(f"{name}={getattr(self, name)}" for name in names)
        return f"{type(self).__name__}({args})"


def padded_len(size: int) -> int:
    """Round ``size`` up to the next multiple of 8."""
    return (size + 7) & ~7


def pack_header(
    command: int,
    payload_size: int,
    data_type: int,
    data_count: int,
    parameter1: int,
    parameter2: int,
) -> bytes:
    """Encode a header, in the extended form when a size or count needs it.

    Like the IOC, the extended form is used as soon as the payload size or the
    element count reaches 0xFFFF, since 0xFFFF in the payload field is the
    extension marker.
    """
    if payload_size >= _MARKER or data_count >= _MARKER:
        return _EXTENDED.pack(
            command, _MARKER, data_type, 0, parameter1, parameter2, payload_size, data_count
        )
    return HEADER.pack(command, payload_size, data_type, data_count, parameter1, parameter2)
