"""pvData values in their full serialization, and the few normative types the listing uses.

A structure is its members one after another; numbers are fixed size in the
message's byte order; a string or an array starts with its size. A union is a
selector (the member's index as a size; 255 for none) and that member's value; an
``any`` is a type descriptor and a value of that type. Elements of structure,
union and ``any`` arrays are each preceded by a byte: 0 for a null element.

Python forms: a structure is a ``dict`` (member order kept), a scalar array a
``tuple``, a union a :class:`UnionValue`, an ``any`` an :class:`AnyValue`.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .errors import PVAValueError
from .types import FieldDesc, TypeCode, decode_type, encode_type
from .wire import NULL_SIZE, Reader, encode_size, encode_string, pack

__all__ = [
    "NTSCALAR_ID",
    "NTURI_ID",
    "AnyValue",
    "UnionValue",
    "decode_value",
    "default_value",
    "encode_value",
    "nturi",
]

NTURI_ID = "epics:nt/NTURI:1.0"
NTSCALAR_ID = "epics:nt/NTScalar:1.0"


class UnionValue(NamedTuple):
    """A union's value: the selected member's name (None: nothing selected) and value."""

    member: str | None = None
    value: Any = None


class AnyValue(NamedTuple):
    """An ``any`` field: the type it holds (None: empty) and a value of that type."""

    type: FieldDesc | None = None
    value: Any = None


# struct codes and sizes for the fixed-size numbers
_NUMBERS: dict[TypeCode, str] = {
    TypeCode.INT8: "b",
    TypeCode.INT16: "h",
    TypeCode.INT32: "i",
    TypeCode.INT64: "q",
    TypeCode.UINT8: "B",
    TypeCode.UINT16: "H",
    TypeCode.UINT32: "I",
    TypeCode.UINT64: "Q",
    TypeCode.FLOAT32: "f",
    TypeCode.FLOAT64: "d",
}
_SIZES = {code: struct.calcsize(c) for code, c in _NUMBERS.items()}
_FLOATS = frozenset((TypeCode.FLOAT32, TypeCode.FLOAT64))


def default_value(desc: FieldDesc) -> Any:
    """What a freshly made value of ``desc`` holds: zeros, ``''``, empty arrays."""
    code = desc.code
    if code is TypeCode.STRUCT:
        return {name: default_value(member) for name, member in desc.fields}
    if code is TypeCode.UNION:
        return UnionValue()
    if code is TypeCode.ANY:
        return AnyValue()
    if code.is_array:
        return ()
    if code is TypeCode.STRING:
        return ""
    if code is TypeCode.BOOL:
        return False
    return 0.0 if code in _FLOATS else 0


# -- decoding ---------------------------------------------------------------------------


def decode_value(reader: Reader, desc: FieldDesc, cache: dict[int, FieldDesc]) -> Any:
    """The full value of ``desc`` at the reader's position.

    ``cache`` is the connection's type cache (an ``any`` carries a descriptor).

    Raises
    ------
    PVARemoteProtocolError
        Truncated or inconsistent data.
    """
    code = desc.code
    fmt = _NUMBERS.get(code)
    if fmt is not None:
        return reader.number(fmt, code.short_name)
    if code is TypeCode.STRING:
        return reader.string()
    if code is TypeCode.BOOL:
        return reader.u8("bool") != 0
    if code is TypeCode.STRUCT:
        return {name: decode_value(reader, member, cache) for name, member in desc.fields}
    if code is TypeCode.UNION:
        return _decode_union(reader, desc, cache)
    if code is TypeCode.ANY:
        held = decode_type(reader, cache)
        return AnyValue(held, None if held is None else decode_value(reader, held, cache))
    return _decode_array(reader, desc, cache)


def _decode_union(reader: Reader, desc: FieldDesc, cache: dict[int, FieldDesc]) -> UnionValue:
    index = reader.size("union selector", allow_null=True)
    if index is None:
        return UnionValue()
    if index >= len(desc.fields):
        raise reader.fail(f"union selector {index} beyond its {len(desc.fields)} members")
    name, member = desc.fields[index]
    return UnionValue(name, decode_value(reader, member, cache))


def _decode_array(reader: Reader, desc: FieldDesc, cache: dict[int, FieldDesc]) -> Any:
    element = desc.code.scalar
    fmt = _NUMBERS.get(element)
    if fmt is not None:
        count = reader.count("array length", _SIZES[element])
        order = ">" if reader.big_endian else "<"
        raw = reader.take(count * _SIZES[element], "array")
        return struct.unpack(f"{order}{count}{fmt}", raw)
    if element is TypeCode.BOOL:
        count = reader.count("array length")
        return tuple(b != 0 for b in reader.take(count, "bool array"))
    if element is TypeCode.STRING:
        count = reader.count("array length")
        return tuple(reader.string("array element") for _ in range(count))
    count = reader.count("array length")
    items: list[Any] = []
    for _ in range(count):
        present = reader.u8("array element flag")
        if present == 0:
            items.append(None)
        elif element is TypeCode.ANY:
            held = decode_type(reader, cache)
            items.append(
                AnyValue(held, None if held is None else decode_value(reader, held, cache))
            )
        else:
            assert desc.element is not None
            items.append(decode_value(reader, desc.element, cache))
    return tuple(items)


# -- encoding ---------------------------------------------------------------------------


def encode_value(desc: FieldDesc, value: Any, big_endian: bool) -> bytes:
    """The full serialization of ``value`` as a ``desc``.

    A structure takes a mapping; members it lacks get :func:`default_value`.

    Raises
    ------
    PVAValueError
        A value that does not fit the type (with the member's path).
    """
    out: list[bytes] = []
    _encode(desc, value, big_endian, out, "value")
    return b"".join(out)


def _encode(desc: FieldDesc, value: Any, be: bool, out: list[bytes], path: str) -> None:
    code = desc.code
    fmt = _NUMBERS.get(code)
    try:
        if fmt is not None:
            out.append(pack(be, fmt, value))
        elif code is TypeCode.STRING:
            out.append(encode_string(value, be))
        elif code is TypeCode.BOOL:
            out.append(b"\x01" if _bool(value) else b"\x00")
        elif code is TypeCode.STRUCT:
            _encode_struct(desc, value, be, out, path)
        elif code is TypeCode.UNION:
            _encode_union(desc, value, be, out, path)
        elif code is TypeCode.ANY:
            held, inner = _any(value)
            out.append(encode_type(held, be))
            if held is not None:
                _encode(held, inner, be, out, path)
        else:
            _encode_array(desc, value, be, out, path)
    except struct.error as exc:
        raise PVAValueError(f"{path}: {value!r} is not a {code.short_name}: {exc}") from None


def _bool(value: Any) -> bool:
    if not isinstance(value, (bool, int)):
        raise PVAValueError(f"{value!r} is not a bool")
    return bool(value)


def _any(value: Any) -> tuple[FieldDesc | None, Any]:
    if value is None:
        return None, None
    if not isinstance(value, AnyValue):
        raise PVAValueError(f"an any field takes an AnyValue(type, value), not {value!r}")
    return value.type, value.value


def _encode_struct(desc: FieldDesc, value: Any, be: bool, out: list[bytes], path: str) -> None:
    if not isinstance(value, Mapping):
        raise PVAValueError(f"{path}: a structure takes a mapping, not {value!r}")
    unknown = set(value) - set(desc.names)
    if unknown:
        raise PVAValueError(f"{path}: no member(s) {sorted(unknown)} in {desc!r}")
    for name, member in desc.fields:
        item = value[name] if name in value else default_value(member)
        _encode(member, item, be, out, f"{path}.{name}")


def _encode_union(desc: FieldDesc, value: Any, be: bool, out: list[bytes], path: str) -> None:
    if value is None or (isinstance(value, UnionValue) and value.member is None):
        out.append(bytes((NULL_SIZE,)))
        return
    if not isinstance(value, UnionValue):
        raise PVAValueError(f"{path}: a union takes a UnionValue(member, value), not {value!r}")
    names = desc.names
    if value.member not in names:
        raise PVAValueError(f"{path}: the union has no member {value.member!r}")
    index = names.index(value.member)
    out.append(encode_size(index, be))
    _encode(desc.fields[index][1], value.value, be, out, f"{path}.{value.member}")


def _encode_array(desc: FieldDesc, value: Any, be: bool, out: list[bytes], path: str) -> None:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise PVAValueError(f"{path}: an array takes a sequence, not {value!r}")
    element = desc.code.scalar
    out.append(encode_size(len(value), be))
    fmt = _NUMBERS.get(element)
    if fmt is not None:
        out.append(struct.pack(f"{'>' if be else '<'}{len(value)}{fmt}", *value))
    elif element is TypeCode.BOOL:
        out.append(bytes(1 if _bool(v) else 0 for v in value))
    elif element is TypeCode.STRING:
        out.extend(encode_string(v, be) for v in value)
    else:
        for i, item in enumerate(value):
            if item is None:
                out.append(b"\x00")
                continue
            out.append(b"\x01")
            if element is TypeCode.ANY:
                held, inner = _any(item)
                out.append(encode_type(held, be))
                if held is not None:
                    _encode(held, inner, be, out, f"{path}[{i}]")
            else:
                assert desc.element is not None
                _encode(desc.element, item, be, out, f"{path}[{i}]")


# -- normative types --------------------------------------------------------------------


def nturi(
    path: str, query: Mapping[str, str], *, scheme: str = "", authority: str = ""
) -> tuple[FieldDesc, dict[str, Any]]:
    """An NTURI ``(type, value)`` with string query arguments, as pvxs's ``.arg()`` builds.

    >>> desc, value = nturi("server", {"op": "channels"})
    >>> value["query"]
    {'op': 'channels'}
    """
    for name, arg in query.items():
        if not isinstance(name, str) or not name or not isinstance(arg, str):
            raise PVAValueError(f"query arguments are non-empty names with str values: {name!r}")
    desc = FieldDesc(
        TypeCode.STRUCT,
        NTURI_ID,
        [
            ("scheme", FieldDesc(TypeCode.STRING)),
            ("authority", FieldDesc(TypeCode.STRING)),
            ("path", FieldDesc(TypeCode.STRING)),
            (
                "query",
                FieldDesc(TypeCode.STRUCT, "", [(n, FieldDesc(TypeCode.STRING)) for n in query]),
            ),
        ],
    )
    return desc, {"scheme": scheme, "authority": authority, "path": path, "query": dict(query)}
