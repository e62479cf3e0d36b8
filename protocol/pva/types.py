"""pvData type descriptors ("introspection data") and their serialization.

A descriptor is a type code, and for a structure or union its id and its named
members; a structure or union array carries the descriptor of its element.
On the wire, a descriptor may instead be one of three cache codes:

``0xFF``
    null: no type (an RPC that returns nothing, no credentials).
``0xFD key descriptor``
    define: decode the descriptor that follows and remember it under the 16-bit
    ``key`` for the rest of the connection (pvAccessCPP and pvAccessJava send these).
``0xFE key``
    use: the descriptor defined earlier under ``key``.

pvxs decodes all three but never sends the first two; neither do we by default
(:func:`encode_type` takes an optional cache for peers and tests that do).
Fixed and bounded arrays and bounded strings are deprecated, and pvxs rejects
them; so do we, with an error that says so.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from .errors import PVAValueError
from .wire import Reader, encode_size, encode_string, pack

__all__ = [
    "CACHE_DEFINE",
    "CACHE_USE",
    "MAX_DEPTH",
    "NULL_TYPE",
    "FieldDesc",
    "TypeCode",
    "decode_type",
    "encode_type",
]

NULL_TYPE = 0xFF
CACHE_DEFINE = 0xFD
CACHE_USE = 0xFE
#: Nesting limit when decoding (pvxs's).
MAX_DEPTH = 20


class TypeCode(enum.IntEnum):
    """Type codes: kind in bits 7-5, array in bit 3, size in bits 2-0."""

    BOOL = 0x00
    BOOL_ARRAY = 0x08
    INT8 = 0x20
    INT16 = 0x21
    INT32 = 0x22
    INT64 = 0x23
    UINT8 = 0x24
    UINT16 = 0x25
    UINT32 = 0x26
    UINT64 = 0x27
    INT8_ARRAY = 0x28
    INT16_ARRAY = 0x29
    INT32_ARRAY = 0x2A
    INT64_ARRAY = 0x2B
    UINT8_ARRAY = 0x2C
    UINT16_ARRAY = 0x2D
    UINT32_ARRAY = 0x2E
    UINT64_ARRAY = 0x2F
    FLOAT32 = 0x42
    FLOAT64 = 0x43
    FLOAT32_ARRAY = 0x4A
    FLOAT64_ARRAY = 0x4B
    STRING = 0x60
    STRING_ARRAY = 0x68
    STRUCT = 0x80
    UNION = 0x81
    ANY = 0x82
    STRUCT_ARRAY = 0x88
    UNION_ARRAY = 0x89
    ANY_ARRAY = 0x8A

    @property
    def is_array(self) -> bool:
        return bool(self & 0x08)

    @property
    def scalar(self) -> TypeCode:
        """The element type of an array (the type itself for a scalar)."""
        return TypeCode(self & ~0x08)

    @property
    def short_name(self) -> str:
        """As pvxs prints it: ``int32_t``, ``double[]``, ``struct``..."""
        name = _NAMES[self.scalar]
        return name + "[]" if self.is_array else name


_NAMES = {
    TypeCode.BOOL: "bool",
    TypeCode.INT8: "int8_t",
    TypeCode.INT16: "int16_t",
    TypeCode.INT32: "int32_t",
    TypeCode.INT64: "int64_t",
    TypeCode.UINT8: "uint8_t",
    TypeCode.UINT16: "uint16_t",
    TypeCode.UINT32: "uint32_t",
    TypeCode.UINT64: "uint64_t",
    TypeCode.FLOAT32: "float",
    TypeCode.FLOAT64: "double",
    TypeCode.STRING: "string",
    TypeCode.STRUCT: "struct",
    TypeCode.UNION: "union",
    TypeCode.ANY: "any",
}
_CODES = frozenset(int(code) for code in TypeCode)
_COMPOUND = frozenset((TypeCode.STRUCT, TypeCode.UNION))


class FieldDesc:
    """One type descriptor (immutable, compared and hashed by value).

    Parameters
    ----------
    code : TypeCode
    type_id : str
        A structure's or union's id (``"epics:nt/NTScalar:1.0"``, often ``""``).
    fields : iterable of (str, FieldDesc)
        A structure's or union's members, in wire order; names must be unique.
    element : FieldDesc, optional
        The structure or union of a structure or union array.
    """

    __slots__ = ("_hash", "code", "element", "fields", "type_id")

    code: TypeCode
    type_id: str
    fields: tuple[tuple[str, FieldDesc], ...]
    element: FieldDesc | None
    _hash: int

    def __init__(
        self,
        code: TypeCode | int,
        type_id: str = "",
        fields: Iterable[tuple[str, FieldDesc]] = (),
        element: FieldDesc | None = None,
    ) -> None:
        if isinstance(code, bool) or code not in _CODES:
            raise PVAValueError(f"not a pvData type code: {code!r}")
        code = TypeCode(code)
        members = tuple(fields)
        if code in _COMPOUND:
            names = [name for name, _ in members]
            for name, desc in members:
                if not isinstance(name, str) or not isinstance(desc, FieldDesc):
                    raise PVAValueError(f"a member must be (str, FieldDesc), not {name!r}")
            if len(set(names)) != len(names):
                raise PVAValueError(f"duplicate member names in {names}")
            if not isinstance(type_id, str):
                raise PVAValueError(f"type_id must be a str, not {type_id!r}")
        elif members or type_id:
            raise PVAValueError(f"{code.name} has no id and no members")
        if code in (TypeCode.STRUCT_ARRAY, TypeCode.UNION_ARRAY):
            if element is None or element.code != code.scalar:
                raise PVAValueError(f"{code.name} needs a {code.scalar.name} element")
        elif element is not None:
            raise PVAValueError(f"{code.name} has no element type")
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "type_id", type_id)
        object.__setattr__(self, "fields", members)
        object.__setattr__(self, "element", element)
        object.__setattr__(self, "_hash", hash((code, type_id, members, element)))

    @classmethod
    def struct(cls, type_id: str = "", **fields: FieldDesc | TypeCode) -> FieldDesc:
        """A structure from keyword members (a bare code is a scalar/array member)."""
        return cls(TypeCode.STRUCT, type_id, _members(fields))

    @classmethod
    def union(cls, type_id: str = "", **fields: FieldDesc | TypeCode) -> FieldDesc:
        """A union from keyword members."""
        return cls(TypeCode.UNION, type_id, _members(fields))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldDesc):
            return NotImplemented
        return (
            self._hash == other._hash
            and self.code == other.code
            and self.type_id == other.type_id
            and self.fields == other.fields
            and self.element == other.element
        )

    def __hash__(self) -> int:
        return self._hash

    def __getitem__(self, name: str) -> FieldDesc:
        """A member by name; ``"a.b"`` walks into sub-structures."""
        desc: FieldDesc = self
        for part in name.split("."):
            for member, sub in desc.fields:
                if member == part:
                    desc = sub
                    break
            else:
                raise KeyError(name)
        return desc

    @property
    def names(self) -> tuple[str, ...]:
        """The member names, in order."""
        return tuple(name for name, _ in self.fields)

    def __repr__(self) -> str:
        if self.code in _COMPOUND:
            inner = ", ".join(f"{name}: {desc!r}" for name, desc in self.fields)
            label = f" {self.type_id!r}" if self.type_id else ""
            return f"{self.code.short_name}{label} {{{inner}}}"
        if self.element is not None:
            return f"{self.element!r}[]"
        return self.code.short_name


def _members(fields: Mapping[str, FieldDesc | TypeCode]) -> list[tuple[str, FieldDesc]]:
    return [
        (name, desc if isinstance(desc, FieldDesc) else FieldDesc(desc))
        for name, desc in fields.items()
    ]


def encode_type(
    desc: FieldDesc | None,
    big_endian: bool,
    cache: dict[FieldDesc, int] | None = None,
) -> bytes:
    """The wire form of ``desc`` (``0xFF`` for None).

    Parameters
    ----------
    desc : FieldDesc or None
    big_endian : bool
        For the cache keys and long sizes.
    cache : dict, optional
        Descriptors this connection has defined, and their keys. When given,
        a known ``desc`` is sent as ``0xFE key``; a new one is added with the
        next key (from 1, as pvAccessCPP numbers them) and sent as ``0xFD key``
        and its descriptor.
    """
    if desc is None:
        return bytes((NULL_TYPE,))
    if cache is None:
        return _plain(desc, big_endian)
    key = cache.get(desc)
    if key is not None:
        return bytes((CACHE_USE,)) + pack(big_endian, "H", key)
    key = len(cache) + 1  # as pvAccessCPP: keys from 1
    if key > 0xFFFF:
        raise PVAValueError("the type cache is full (65536 descriptors)")
    cache[desc] = key
    return bytes((CACHE_DEFINE,)) + pack(big_endian, "H", key) + _plain(desc, big_endian)


def _plain(desc: FieldDesc, big_endian: bool) -> bytes:
    code = desc.code
    if code in _COMPOUND:
        parts = [bytes((code,)), encode_string(desc.type_id, big_endian)]
        parts.append(encode_size(len(desc.fields), big_endian))
        for name, member in desc.fields:
            parts.append(encode_string(name, big_endian))
            parts.append(_plain(member, big_endian))
        return b"".join(parts)
    if desc.element is not None:
        return bytes((code,)) + _plain(desc.element, big_endian)
    return bytes((code,))


def decode_type(reader: Reader, cache: dict[int, FieldDesc], depth: int = 0) -> FieldDesc | None:
    """The descriptor at the reader's position; None for ``0xFF``.

    Parameters
    ----------
    reader : Reader
    cache : dict
        Key to descriptor, for this connection: ``0xFD`` adds to it, ``0xFE``
        reads from it.
    depth : int
        Nesting so far (deeper than :data:`MAX_DEPTH` is refused).

    Raises
    ------
    PVARemoteProtocolError
        Truncated data, an unknown or deprecated type code, an unknown cache
        key, a null member, or nesting deeper than :data:`MAX_DEPTH`.
    """
    if depth > MAX_DEPTH:
        raise reader.fail(f"type descriptors nested deeper than {MAX_DEPTH}")
    code = reader.u8("type code")
    if code == NULL_TYPE:
        return None
    if code == CACHE_DEFINE:
        key = reader.u16("type cache key")
        desc = decode_type(reader, cache, depth + 1)
        if desc is None:
            raise reader.fail(f"type cache key {key} defined as null")
        cache[key] = desc
        return desc
    if code == CACHE_USE:
        key = reader.u16("type cache key")
        try:
            return cache[key]
        except KeyError:
            raise reader.fail(f"type cache key {key} was never defined") from None
    if code not in _CODES:
        if code & 0x10:
            raise reader.fail(f"type code 0x{code:02x}: fixed or bounded arrays are not supported")
        raise reader.fail(f"unknown type code 0x{code:02x}")
    tc = TypeCode(code)
    if tc in _COMPOUND:
        type_id = reader.string("type id")
        count = reader.count("member count", 2)
        members = []
        for _ in range(count):
            name = reader.string("member name")
            member = decode_type(reader, cache, depth + 1)
            if member is None:
                raise reader.fail(f"member {name!r} has the null type")
            members.append((name, member))
        try:
            return FieldDesc(tc, type_id, members)
        except PVAValueError as exc:
            raise reader.fail(str(exc)) from None
    if tc in (TypeCode.STRUCT_ARRAY, TypeCode.UNION_ARRAY):
        element = decode_type(reader, cache, depth + 1)
        if element is None or element.code != tc.scalar:
            raise reader.fail(f"{tc.name} whose element is not a {tc.scalar.name}")
        return FieldDesc(tc, element=element)
    return FieldDesc(tc)
