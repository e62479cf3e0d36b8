"""Turning payload bytes into values and Python values into payload bytes."""

from __future__ import annotations

import array
import math
import re
import struct
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import backends
from .channel_types import MAX_STRING_SIZE, ChannelType, native_type
from .dbr import metadata_size
from .errors import CAValueError

__all__ = [
    "STRING_ENCODING",
    "decode_strings",
    "decode_values",
    "element_size",
    "encode_values",
    "parse_number",
    "value_count",
]

#: Encoding of DBR_STRING text, as caproto's default.
STRING_ENCODING = "latin-1"

_STRING_TYPES = frozenset({ChannelType.STRING, ChannelType.STSACK_STRING, ChannelType.CLASS_NAME})
# struct/numpy formats of the numeric element types, by native type.
_FORMAT = {
    ChannelType.INT: "h",
    ChannelType.FLOAT: "f",
    ChannelType.ENUM: "H",
    ChannelType.CHAR: "B",
    ChannelType.LONG: "i",
    ChannelType.DOUBLE: "d",
    ChannelType.PUT_ACKT: "H",
    ChannelType.PUT_ACKS: "H",
}
_NUMPY_DTYPE = {
    ChannelType.INT: ">i2",
    ChannelType.FLOAT: ">f4",
    ChannelType.ENUM: ">u2",
    ChannelType.CHAR: "u1",
    ChannelType.LONG: ">i4",
    ChannelType.DOUBLE: ">f8",
    ChannelType.PUT_ACKT: ">u2",
    ChannelType.PUT_ACKS: ">u2",
}
_INT_RANGE = {
    ChannelType.INT: (-(2**15), 2**15 - 1),
    ChannelType.ENUM: (0, 2**16 - 1),
    ChannelType.CHAR: (0, 255),
    ChannelType.LONG: (-(2**31), 2**31 - 1),
    ChannelType.PUT_ACKT: (0, 2**16 - 1),
    ChannelType.PUT_ACKS: (0, 2**16 - 1),
}
_FLOAT32_MAX = 3.4028234663852886e38
_FLOAT32_MIN_NORMAL = 1.1754943508222875e-38
# The largest integers below which every integer is exact in a FLOAT / a DOUBLE.
_EXACT_INTS = {ChannelType.FLOAT: 2**24, ChannelType.DOUBLE: 2**53}
# A decimal or 0x-hex integer, or a decimal float; ASCII digits only, no underscores.
_NUMBER = re.compile(
    r"\s*([+-]?)(?:0x([0-9a-f]+)|([0-9]+)|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)"
    r"|(inf|infinity|nan))\s*",
    re.ASCII | re.IGNORECASE,
)

_ELEMENT_SIZE = tuple(
    MAX_STRING_SIZE
    if native_type(c) in _STRING_TYPES
    else struct.calcsize(_FORMAT[native_type(c)])
    for c in range(39)
)
_ELEMENT_INFO = tuple((metadata_size(c), _ELEMENT_SIZE[c], native_type(c)) for c in range(39))
_SWAP = sys.byteorder == "little"


def element_size(data_type: int) -> int:
    """Bytes per value for ``data_type`` (40 for strings)."""
    return _ELEMENT_SIZE[data_type]


def decode_strings(payload: Any, offset: int, count: int) -> list[bytes]:
    """Split ``count`` 40-byte string slots, each cut at its first NUL.

    A payload shorter than the slots (the IOC trims a single string in some
    replies, and accepts short writes) yields what is there.
    """
    raw = bytes(payload[offset : offset + count * MAX_STRING_SIZE])
    out = []
    for start in range(0, min(len(raw), count * MAX_STRING_SIZE), MAX_STRING_SIZE):
        slot = raw[start : start + MAX_STRING_SIZE]
        end = slot.find(b"\0")
        out.append(slot if end < 0 else slot[:end])
    return out


def decode_values(payload: Any, data_type: int, data_count: int, start: int = 0) -> Any:
    """Values of a data payload: a view when the backend allows it.

    Parameters
    ----------
    payload : bytes-like
        The payload (metadata first), or a buffer holding it from ``start``.
    data_type : int
        DBR type of the payload.
    data_count : int
        Number of values announced by the header.
    start : int, optional
        Offset of the payload in ``payload`` (a whole message: the header size).

    Returns
    -------
    numpy.ndarray, array.array or list of bytes
        A read-only big-endian numpy view onto ``payload`` (no copy) with the
        numpy backend; an ``array.array`` (one copy) with the array backend;
        a list of bytes for string types.
    """
    function, argument, offset = value_decoders()[data_type]
    return function(payload, argument, data_count, start + offset)


# A decoder is (function, argument, metadata size) and is called as
# ``function(buffer, argument, count, start + metadata size)``: numpy's own
# ``frombuffer(buffer, dtype, count, offset)`` has that shape, so the numpy
# backend decodes with no Python frame of ours in between.
Decoder = tuple[Callable[[Any, Any, int, int], Any], Any, int]
_tables: dict[str, list[Decoder]] = {}

#: The decoders of the current backend; None until first use or after a change.
current_decoders: list[list[Decoder] | None] = [None]
backends._listeners.append(lambda: current_decoders.__setitem__(0, None))


def value_decoders() -> list[Decoder]:
    """One decoder per DBR type, for the current backend (see ``Decoder``).

    Built once per backend, so the per-message cost is a list index and a call.
    """
    name = backends.backend_name()
    table = _tables.get(name)
    if table is None:
        table = _tables[name] = [_make_decoder(code, name) for code in range(39)]
    current_decoders[0] = table
    return table


def _strings(buf: Any, _: Any, count: int, offset: int) -> list[bytes]:
    return decode_strings(buf, offset, count)


def _array_copy(buf: Any, spec: tuple[str, int, bool], count: int, offset: int) -> Any:
    typecode, size, swap = spec
    values = array.array(typecode)
    values.frombytes(buf[offset : offset + size * count])
    if swap:
        values.byteswap()
    return values


def _make_decoder(data_type: int, backend: str) -> Decoder:
    offset, size, native = _ELEMENT_INFO[data_type]
    if native in _STRING_TYPES:
        return (_strings, None, offset)
    if backend == "numpy":
        import numpy

        return (numpy.frombuffer, numpy.dtype(_NUMPY_DTYPE[native]), offset)
    return (_array_copy, (_FORMAT[native], size, _SWAP and size > 1), offset)


def _as_sequence(data: Any) -> Sequence[Any]:
    if isinstance(data, (str, bytes, bytearray, memoryview)):
        return [data]
    if isinstance(data, Iterable):
        return data if isinstance(data, Sequence) else list(data)
    return [data]


def value_count(data: Any, data_type: int) -> int:
    """How many elements ``data`` makes when written as ``data_type``."""
    native = native_type(data_type)
    if native == ChannelType.CHAR and isinstance(data, (bytes, bytearray, memoryview)):
        return len(data)
    np = backends.numpy_or_none()
    if np is not None and isinstance(data, np.ndarray):
        return int(data.size)
    return len(_as_sequence(data))


def _encode_string(item: Any, data_type: int) -> bytes:
    if isinstance(item, str):
        try:
            raw = item.encode(STRING_ENCODING)
        except UnicodeEncodeError:
            raise CAValueError(
                f"{item!r} has characters that {STRING_ENCODING} cannot encode"
            ) from None
    elif isinstance(item, (bytes, bytearray, memoryview)):
        raw = bytes(item)
    else:
        np = backends.numpy_or_none()
        if np is not None and isinstance(item, np.bytes_):
            raw = bytes(item)
        elif np is not None and isinstance(item, np.str_):
            raw = str(item).encode(STRING_ENCODING)
        else:
            raise CAValueError(
                f"{ChannelType(data_type).name} needs text, not {type(item).__name__} {item!r}"
            )
    if b"\0" in raw:
        raw = raw[: raw.index(b"\0")]
    if len(raw) >= MAX_STRING_SIZE:
        raise CAValueError(
            f"string of {len(raw)} bytes does not fit a DBR_STRING "
            f"(at most {MAX_STRING_SIZE - 1} bytes and the terminating NUL): {item!r}"
        )
    return raw.ljust(MAX_STRING_SIZE, b"\0")


def parse_number(text: str) -> int | float:
    """The number ``text`` spells, exactly as written; it is never evaluated.

    Accepted: a decimal or ``0x`` hexadecimal integer (``42``, ``-7``, ``0x1F``), or a
    decimal float (``1.5``, ``-2e-3``, ``.5``, ``inf``, ``nan``), with an optional sign
    and surrounding spaces.  Integers stay ``int``, so that a fraction is never lost.

    Raises
    ------
    CAValueError
        For anything else: empty text, words, underscores (``1_000``), trailing text
        (``12abc``), digits other than ASCII, and a float too large or too small for a
        DOUBLE (``1e999`` is not infinity, ``1e-999`` not zero).  EPICS's own string
        conversion would write ``1.5`` to an integer as 1, ``12abc`` as 12 and ``""``
        as 0: parsing here, before sending, keeps such text from changing silently.
    """
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise CAValueError(f"{text!r} is not a number")
    sign, hexadecimal, whole, real, special = match.groups()
    number: int | float
    if special is not None:
        number = float(special)
    elif real is None:
        try:
            number = int(hexadecimal, 16) if hexadecimal is not None else int(whole)
        except ValueError:  # more digits than int() converts
            raise CAValueError(f"{text.strip()!r} has too many digits") from None
    else:
        number = float(real)
        if math.isinf(number):
            raise CAValueError(f"{text.strip()} is out of range for a DOUBLE")
        mantissa = real.lower().partition("e")[0]
        if number == 0 and mantissa.strip("0.") != "":
            raise CAValueError(f"{text.strip()} is too small for a DOUBLE: it would be 0")
    return -number if sign == "-" else number


def _float32(value: float) -> float:
    """``value`` rounded to a FLOAT (IEEE single precision)."""
    rounded: float = struct.unpack("f", struct.pack("f", value))[0]
    return rounded


def _check_float(item: int | float, native: ChannelType) -> None:
    """Refuse a number a FLOAT or DOUBLE would not hold as given."""
    name = native.name
    if isinstance(item, int):
        # An integer is exact as typed: refuse one the type would round.
        if abs(item) > _EXACT_INTS[native]:
            try:
                rounded = float(item) if native == ChannelType.DOUBLE else _float32(float(item))
            except OverflowError:
                rounded = math.inf
            if math.isinf(rounded):
                raise CAValueError(f"{item} is out of range for {name}")
            if rounded != item:
                raise CAValueError(
                    f"{item} cannot be held exactly by {name}: "
                    f"it would be written as {rounded:.17g}"
                )
        return
    if native != ChannelType.FLOAT or not math.isfinite(item):
        return
    if abs(item) > _FLOAT32_MAX:
        raise CAValueError(f"{item!r} is out of range for FLOAT (32-bit)")
    if item != 0 and abs(item) < _FLOAT32_MIN_NORMAL:
        # Below FLOAT's normal range a value keeps fewer digits, down to none (0).
        rounded = _float32(item)
        if abs(rounded - item) > abs(item) * 2**-24:
            raise CAValueError(
                f"{item!r} is too small for FLOAT (32-bit): it would be written as {rounded!r}"
            )


def _check_number(item: Any, native: ChannelType) -> int | float:
    """One numeric element, checked to fit ``native`` without silent change."""
    np = backends.numpy_or_none()
    if np is not None and isinstance(item, np.generic):
        item = item.item()
    if isinstance(item, bool):
        item = int(item)
    name = native.name
    if isinstance(item, (str, bytes, bytearray)):
        raise CAValueError(f"{name} needs a number, not text {item!r}")
    if not isinstance(item, (int, float)):
        raise CAValueError(f"{name} needs a number, not {type(item).__name__} {item!r}")
    if native in _INT_RANGE:
        if isinstance(item, float):
            if native == ChannelType.ENUM:
                raise CAValueError(f"an ENUM index must be an integer, not the float {item!r}")
            if not math.isfinite(item) or item != int(item):
                raise CAValueError(
                    f"{item!r} is not a whole number; writing it to {name} would change it"
                )
            item = int(item)
        low, high = _INT_RANGE[native]
        if not low <= item <= high:
            raise CAValueError(f"{item} is out of range for {name} ({low}..{high})")
        whole: int = item
        return whole
    _check_float(item, native)
    number: int | float = item
    return number


def encode_values(data: Any, data_type: int) -> bytes:
    """Encode Python values as the value part of a ``data_type`` payload.

    Parameters
    ----------
    data : str, bytes, int, float, bool, sequence of these, or numpy array
        The value or values.
    data_type : int
        DBR type to encode for; only its native element type matters here.

    Returns
    -------
    bytes
        The values, unpadded.

    Raises
    ------
    CAValueError
        For a value that does not fit: a string of 40 bytes or more, text for a
        number, a float with a fraction (or any float) for an integer or enum
        type, a number out of the type's range.
    """
    native = native_type(data_type)
    if native in _STRING_TYPES:
        return b"".join(_encode_string(item, data_type) for item in _as_sequence(data))
    if native == ChannelType.CHAR and isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    np = backends.numpy_or_none()
    if np is not None and isinstance(data, np.ndarray):
        return _encode_ndarray(np, data, native)
    items = [_check_number(item, native) for item in _as_sequence(data)]
    try:
        return struct.pack(f">{len(items)}{_FORMAT[native]}", *items)
    except (struct.error, OverflowError) as exc:
        raise CAValueError(f"cannot encode {data!r} as {native.name}: {exc}") from None


def _encode_ndarray(np: Any, data: Any, native: ChannelType) -> bytes:
    flat = data.reshape(-1)
    kind = flat.dtype.kind
    if kind in "USO":
        if kind == "O":
            return encode_values(flat.tolist(), native)
        raise CAValueError(f"{native.name} needs numbers, not an array of text")
    if native in _INT_RANGE:
        if kind == "f":
            if native == ChannelType.ENUM:
                raise CAValueError("ENUM indices must be integers, not floats")
            if not bool(np.all(np.isfinite(flat))) or bool(np.any(flat != np.trunc(flat))):
                raise CAValueError(
                    f"the array holds values that are not whole numbers; writing them to "
                    f"{native.name} would change them"
                )
        elif kind == "c":
            raise CAValueError(f"{native.name} cannot hold complex numbers")
        if flat.size:
            low, high = _INT_RANGE[native]
            lowest, highest = flat.min(), flat.max()
            if lowest < low or highest > high:
                raise CAValueError(
                    f"array values {lowest}..{highest} are out of range for "
                    f"{native.name} ({low}..{high})"
                )
    elif kind == "c":
        raise CAValueError(f"{native.name} cannot hold complex numbers")
    elif kind in "iu" and flat.size:
        limit = _EXACT_INTS[native]
        for item in flat[(flat > limit) | (flat < -limit)].tolist():
            _check_float(int(item), native)  # the few that may round: one by one
    elif native == ChannelType.FLOAT and flat.size:
        finite = flat[np.isfinite(flat)]
        if finite.size and float(np.max(np.abs(finite))) > _FLOAT32_MAX:
            raise CAValueError("array values are out of range for FLOAT (32-bit)")
        tiny = finite[(finite != 0) & (np.abs(finite) < _FLOAT32_MIN_NORMAL)]
        for item in tiny.tolist():
            _check_float(float(item), native)
    return bytes(flat.astype(_NUMPY_DTYPE[native], copy=False).tobytes())
