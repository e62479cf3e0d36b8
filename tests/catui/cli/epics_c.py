"""The C functions behind the EPICS tools' output, called through ctypes: test oracles.

caget, caput and camonitor print with C's ``printf`` (the format strings of their
sources), escape text with libCom's ``epicsStrnEscapedFromRaw`` and print time stamps
with libCom's ``epicsTimeToStrftime``.  The tests compare our text with what these
very functions give: ``printf`` from the C library, the others from epicscorelibs'
libCom (the same library the test IOC runs on).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Any

import epicscorelibs.path

__all__ = ["TIME_FORMAT", "c_stamp", "escaped_from_raw", "printf", "raw_from_escaped"]

#: caget's and camonitor's time format (tool_lib.c's timeFormatStr).
TIME_FORMAT = b"%Y-%m-%d %H:%M:%S.%06f"

_libc = ctypes.CDLL(ctypes.util.find_library("c"))
_libc.snprintf.restype = ctypes.c_int
_libcom = ctypes.CDLL(os.path.join(epicscorelibs.path.lib_path, "libCom.so"))
_libcom.epicsStrnEscapedFromRaw.restype = ctypes.c_int
_libcom.epicsStrnEscapedFromRaw.argtypes = [
    ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t
]  # fmt: skip
_libcom.epicsStrnRawFromEscaped.restype = ctypes.c_int
_libcom.epicsStrnRawFromEscaped.argtypes = [
    ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t
]  # fmt: skip
_libcom.epicsTimeToStrftime.restype = ctypes.c_size_t


class _EpicsTimeStamp(ctypes.Structure):
    _fields_ = [("secPastEpoch", ctypes.c_uint32), ("nsec", ctypes.c_uint32)]


def _c_arg(value: Any) -> Any:
    if isinstance(value, float):
        return ctypes.c_double(value)
    if isinstance(value, str):
        return value.encode("latin-1")
    if isinstance(value, bytes):
        return value
    return ctypes.c_long(value)  # %d reads the low 32 bits, %ld and %lu all 64


def printf(fmt: str, *args: Any) -> str:
    """``sprintf(fmt, args...)`` by the C library: floats as double, ints as long."""
    size = 4096
    buf = ctypes.create_string_buffer(size)
    length = _libc.snprintf(buf, size, fmt.encode("latin-1"), *map(_c_arg, args))
    assert 0 <= length < size
    return buf.raw[:length].decode("latin-1")


def escaped_from_raw(raw: bytes) -> str:
    """libCom's ``epicsStrnEscapedFromRaw``: bytes as the tools print a string."""
    size = 4 * len(raw) + 1
    buf = ctypes.create_string_buffer(size)
    length = _libcom.epicsStrnEscapedFromRaw(buf, size, raw, len(raw))
    return buf.raw[:length].decode("latin-1")


def raw_from_escaped(text: str) -> bytes:
    """libCom's ``epicsStrnRawFromEscaped``: what caput -S writes for ``text``."""
    src = text.encode("latin-1")
    size = len(src) + 1
    buf = ctypes.create_string_buffer(size)
    length = _libcom.epicsStrnRawFromEscaped(buf, size, src, len(src))
    return buf.raw[:length]


def c_stamp(seconds: int, nanoseconds: int, fmt: bytes = TIME_FORMAT) -> str:
    """libCom's ``epicsTimeToStrftime`` of an EPICS stamp with caget's format."""
    buf = ctypes.create_string_buffer(64)
    stamp = _EpicsTimeStamp(seconds, nanoseconds)
    length = _libcom.epicsTimeToStrftime(buf, 64, fmt, ctypes.byref(stamp))
    return buf.raw[:length].decode("latin-1")
