"""DBR type codes (``ChannelType``) and how request classes map onto them."""

from __future__ import annotations

import enum
from typing import Union

from .errors import CAValueError

__all__ = [
    "MAX_ENUM_STATES",
    "MAX_ENUM_STRING_SIZE",
    "MAX_STRING_SIZE",
    "MAX_UNITS_SIZE",
    "ChannelType",
    "DataTypeSpec",
    "field_types",
    "native_type",
    "native_types",
    "promote_type",
    "resolve_data_type",
]

MAX_STRING_SIZE = 40
MAX_UNITS_SIZE = 8
MAX_ENUM_STRING_SIZE = 26
MAX_ENUM_STATES = 16


class ChannelType(enum.IntEnum):
    """The 39 DBR types of Channel Access (``INT`` is EPICS's SHORT)."""

    STRING = 0
    INT = 1
    FLOAT = 2
    ENUM = 3
    CHAR = 4
    LONG = 5
    DOUBLE = 6

    STS_STRING = 7
    STS_INT = 8
    STS_FLOAT = 9
    STS_ENUM = 10
    STS_CHAR = 11
    STS_LONG = 12
    STS_DOUBLE = 13

    TIME_STRING = 14
    TIME_INT = 15
    TIME_FLOAT = 16
    TIME_ENUM = 17
    TIME_CHAR = 18
    TIME_LONG = 19
    TIME_DOUBLE = 20

    GR_STRING = 21
    GR_INT = 22
    GR_FLOAT = 23
    GR_ENUM = 24
    GR_CHAR = 25
    GR_LONG = 26
    GR_DOUBLE = 27

    CTRL_STRING = 28
    CTRL_INT = 29
    CTRL_FLOAT = 30
    CTRL_ENUM = 31
    CTRL_CHAR = 32
    CTRL_LONG = 33
    CTRL_DOUBLE = 34

    PUT_ACKT = 35
    PUT_ACKS = 36
    STSACK_STRING = 37
    CLASS_NAME = 38

    # EPICS spells the 16-bit integer SHORT; caproto spells it INT.
    SHORT = 1
    STS_SHORT = 8
    TIME_SHORT = 15
    GR_SHORT = 22
    CTRL_SHORT = 29


DataTypeSpec = Union[str, ChannelType, int, None]  # noqa: UP007 (a runtime alias on 3.10)

native_types = (
    ChannelType.STRING,
    ChannelType.INT,
    ChannelType.FLOAT,
    ChannelType.ENUM,
    ChannelType.CHAR,
    ChannelType.LONG,
    ChannelType.DOUBLE,
)

_SPECIAL_NATIVE = {
    ChannelType.PUT_ACKT: ChannelType.PUT_ACKT,
    ChannelType.PUT_ACKS: ChannelType.PUT_ACKS,
    ChannelType.STSACK_STRING: ChannelType.STSACK_STRING,
    ChannelType.CLASS_NAME: ChannelType.CLASS_NAME,
}

# Native type of every DBR type, indexed by its code: the families repeat the
# seven natives in order, 7 codes apart.
_NATIVE_OF: tuple[ChannelType, ...] = tuple(
    native_types[code % 7] if code < 35 else _SPECIAL_NATIVE[ChannelType(code)]
    for code in range(39)
)

_CLASS_OFFSET = {"native": 0, "status": 7, "time": 14, "graphic": 21, "control": 28}


def native_type(data_type: int) -> ChannelType:
    """Return the type of the elements carried by ``data_type``.

    ``DOUBLE`` for ``TIME_DOUBLE``, ``STRING`` for ``CTRL_STRING``; the four
    special types (35..38) are their own native type.
    """
    return _NATIVE_OF[data_type]


def _promoted(native: ChannelType, cls: str) -> ChannelType:
    if native in _SPECIAL_NATIVE:
        return native
    if native == ChannelType.STRING:
        # caproto never asks for GR_STRING/CTRL_STRING; keep its mapping so a
        # 'control' read of a string channel gets a timestamp, as users expect.
        return ChannelType({"graphic": 7, "control": 14}.get(cls, _CLASS_OFFSET[cls]))
    return ChannelType(int(native) + _CLASS_OFFSET[cls])


#: ``field_types[class][native]``: the DBR type a request class means for a channel.
field_types: dict[str, dict[ChannelType, ChannelType]] = {
    cls: {nat: _promoted(nat, cls) for nat in (*native_types, *_SPECIAL_NATIVE)}
    for cls in _CLASS_OFFSET
}


def promote_type(
    native: int,
    *,
    use_status: bool = False,
    use_time: bool = False,
    use_gr: bool = False,
    use_ctrl: bool = False,
) -> ChannelType:
    """Promote a native type to its STS, TIME, GR or CTRL form (caproto's spelling)."""
    for flag, cls in (
        (use_ctrl, "control"),
        (use_gr, "graphic"),
        (use_time, "time"),
        (use_status, "status"),
    ):
        if flag:
            return field_types[cls][ChannelType(native)]
    return ChannelType(native)


def resolve_data_type(requested: DataTypeSpec, native: int) -> ChannelType:
    """Resolve a request (class name, ``ChannelType``, int or None) for a channel.

    Parameters
    ----------
    requested : {'native', 'status', 'time', 'graphic', 'control'} or ChannelType or int or None
        What the caller asked for; None means the native type.
    native : int
        The channel's native type.

    Returns
    -------
    ChannelType

    Raises
    ------
    CAValueError
        For an unknown class name or a type code outside 0..38.
    """
    if requested is None:
        return ChannelType(native)
    if isinstance(requested, str):
        try:
            return field_types[requested.lower()][ChannelType(native)]
        except KeyError:
            raise CAValueError(
                f"unknown data_type {requested!r}: expected one of "
                f"{', '.join(map(repr, _CLASS_OFFSET))}, a ChannelType or an int 0..38"
            ) from None
    if isinstance(requested, bool) or not isinstance(requested, int):
        raise CAValueError(
            f"data_type must be a class name, ChannelType or int, not {requested!r}"
        )
    try:
        return ChannelType(requested)
    except ValueError:
        raise CAValueError(f"data_type {requested} is not a DBR type (0..38)") from None
