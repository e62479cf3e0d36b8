"""Checks on a value typed for a record field, from the field's DBD type, before anything is sent.

:func:`check_field_write` answers what the write dialog needs: whether the
field can be written at all (``SPC_NOMOD``, ``DBF_NOACCESS``), what a
``DBF_MENU`` offers, whether a number fits the field's type, whether a string
fits its size, whether a link's text is one the IOC can parse, and whether the
text has to go through the field's ``$`` form (longer than a DBR_STRING).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from catui.browse.fields import LINK_TYPES, TABLE, FieldDef, RecordTable
from catui.browse.links import INVALID, JSON, MAX_STRING_SIZE, parse_link

__all__ = ["INTEGER_RANGES", "WriteCheck", "check_field_write", "field_choices"]

#: The values each integer DBF type holds.
INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "DBF_CHAR": (-(2**7), 2**7 - 1),
    "DBF_UCHAR": (0, 2**8 - 1),
    "DBF_SHORT": (-(2**15), 2**15 - 1),
    "DBF_USHORT": (0, 2**16 - 1),
    "DBF_ENUM": (0, 2**16 - 1),
    "DBF_LONG": (-(2**31), 2**31 - 1),
    "DBF_ULONG": (0, 2**32 - 1),
    "DBF_INT64": (-(2**63), 2**63 - 1),
    "DBF_UINT64": (0, 2**64 - 1),
}
# CA's DBR_CHAR carries DBF_CHAR and DBF_UCHAR alike: a run-time typed array takes either.
_RANGES = {**INTEGER_RANGES, "DBR_CHAR": (-(2**7), 2**8 - 1)}
FLOAT_MAX = 3.4028234663852886e38
#: The DBF type of a channel's native DBR type (for SPC_DBADDR fields, typed at run time).
_NATIVE_DBF = {
    "STRING": "DBF_STRING", "CHAR": "DBR_CHAR", "INT": "DBF_SHORT", "SHORT": "DBF_SHORT",
    "LONG": "DBF_LONG", "FLOAT": "DBF_FLOAT", "DOUBLE": "DBF_DOUBLE", "ENUM": "DBF_ENUM",
}  # fmt: skip


class WriteCheck(NamedTuple):
    """The verdict on a value for a field.

    Attributes
    ----------
    ok : bool
    value : object
        What to send: an ``int`` (integer types; a menu's index), a ``float``,
        a ``str`` (strings, links, DTYP), or a list of numbers for an array field.
    reason : str
        Why not (``ok`` False), naming the field and the limit.
    choice : str
        A menu's choice text for ``value``.
    long : bool
        The text is longer than a DBR_STRING: write it to ``FIELD$`` as a CHAR array.
    processes : bool
        Writing the field processes the record (the DBD's ``pp(TRUE)``).
    """

    ok: bool
    value: Any = None
    reason: str = ""
    choice: str = ""
    long: bool = False
    processes: bool = False


def field_choices(
    field: FieldDef, table: RecordTable = TABLE, choices: tuple[str, ...] | None = None
) -> tuple[str, ...]:
    """What a menu-like field offers: a DBF_MENU's choices, or ``choices`` (read from the
    IOC's DBR_CTRL_ENUM for DBF_DEVICE and DBF_ENUM fields); () for other fields."""
    if choices is not None:
        return tuple(choices)
    if field.dbf == "DBF_MENU":
        return table.menu(field.menu)
    return ()


def _refuse(field: FieldDef, why: str) -> WriteCheck:
    return WriteCheck(False, reason=f"{field.name}: {why}", processes=field.pp)


def _integer(text: str) -> int | None:
    word = text.strip().replace("_", "#")  # Python's digit separators are not EPICS's
    try:
        return int(word, 0) if word.lower().lstrip("+-").startswith("0x") else int(word, 10)
    except ValueError:
        pass
    try:
        number = float(word)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _check_number(field: FieldDef, dbf: str, text: str) -> WriteCheck:
    if dbf in _RANGES:
        low, high = _RANGES[dbf]
        value = _integer(text)
        if value is None:
            return _refuse(field, f"{text.strip()!r} is not an integer ({dbf})")
        if not low <= value <= high:
            return _refuse(field, f"{value} is outside {dbf}'s range {low}..{high}")
        return WriteCheck(True, value, processes=field.pp)
    try:
        number = float(text.strip().replace("_", "#"))
    except ValueError:
        return _refuse(field, f"{text.strip()!r} is not a number ({dbf})")
    if dbf == "DBF_FLOAT" and math.isfinite(number) and abs(number) > FLOAT_MAX:
        return _refuse(field, f"{number:g} is outside DBF_FLOAT's range ±{FLOAT_MAX:.7g}")
    return WriteCheck(True, number, processes=field.pp)


def _check_choice(field: FieldDef, text: str, choices: tuple[str, ...]) -> WriteCheck:
    word = text.strip()
    if word in choices:
        return WriteCheck(True, choices.index(word), choice=word, processes=field.pp)
    folded = [c for c in choices if c.lower() == word.lower()]
    if len(folded) == 1:
        return WriteCheck(True, choices.index(folded[0]), choice=folded[0], processes=field.pp)
    if word.isdigit() and int(word) < len(choices):
        index = int(word)
        return WriteCheck(True, index, choice=choices[index], processes=field.pp)
    offered = ", ".join(repr(c) for c in choices)
    return _refuse(field, f"{word!r} is not one of {offered}")


def _check_text(field: FieldDef, text: str) -> WriteCheck:
    size = len(text.encode("utf-8"))
    limit = (field.size or MAX_STRING_SIZE) - 1
    if field.dbf == "DBF_STRING" and size > limit:
        return _refuse(field, f"{size} bytes do not fit (at most {limit})")
    if field.dbf in LINK_TYPES:
        link = parse_link(text, field.dbf)
        if link.kind == INVALID or (link.kind == JSON and link.error):
            return _refuse(field, f"the IOC cannot parse this link: {link.error}")
    return WriteCheck(True, text, long=size > MAX_STRING_SIZE - 1, processes=field.pp)


def check_field_write(
    field: FieldDef,
    text: str,
    *,
    table: RecordTable = TABLE,
    choices: tuple[str, ...] | None = None,
    native: str = "",
    count: int = 1,
) -> WriteCheck:
    """Whether ``text`` can be written to ``field``, and what to send.

    Parameters
    ----------
    field : FieldDef
    text : str
        What the operator typed.
    table : RecordTable
        For a DBF_MENU's choices.
    choices : tuple of str, optional
        The IOC's choices (DBR_CTRL_ENUM) for a DBF_DEVICE or DBF_ENUM field.
    native : str, optional
        The channel's native DBR type (``DOUBLE``): how a DBF_NOACCESS field
        with ``SPC_DBADDR`` (a waveform's VAL) is typed at run time.
    count : int, optional
        That channel's element count: more than one accepts a list of numbers.

    Returns
    -------
    WriteCheck
    """
    dbf = field.dbf
    if dbf == "DBF_NOACCESS" and (field.special != "SPC_DBADDR" or native not in _NATIVE_DBF):
        return _refuse(field, "not accessible over CA (DBF_NOACCESS): read-only")
    if field.special == "SPC_NOMOD":
        return _refuse(field, "set by the record itself (SPC_NOMOD): read-only")
    if dbf == "DBF_NOACCESS":
        dbf = _NATIVE_DBF[native]
        if count > 1 and dbf not in ("DBF_STRING", "DBF_ENUM"):
            return _check_array(field, dbf, text, count)
    offered = field_choices(field, table, choices)
    if dbf == "DBF_MENU" and not offered:
        return _refuse(field, f"its menu {field.menu or '?'} is unknown")
    if offered:
        return _check_choice(field, text, offered)
    if dbf in _RANGES or dbf in ("DBF_FLOAT", "DBF_DOUBLE"):
        return _check_number(field, dbf, text)
    return _check_text(field, text)


def _check_array(field: FieldDef, dbf: str, text: str, count: int) -> WriteCheck:
    words = text.replace(",", " ").split()
    if not words:
        return _refuse(field, "no values given")
    if len(words) > count:
        return _refuse(field, f"{len(words)} values do not fit ({count} elements)")
    values = []
    for word in words:
        check = _check_number(field, dbf, word)
        if not check.ok:
            return check
        values.append(check.value)
    return WriteCheck(True, values, processes=field.pp)
