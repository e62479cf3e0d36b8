"""How numbers, times and ages read on screen: pure functions, no Textual, no clock.

A scalar in the table keeps the PV's precision (``PREC``), as its designer meant; an
array element, a statistic or anything that must not hide a value uses
:func:`format_item`, which never shows a non-zero as ``0``.  A row can be switched
(key ``f``) to another :data:`FORMATS` entry: every digit, hex, exponential, or a CHAR
array's numbers instead of its text.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

import numpy as np

__all__ = [
    "DEC",
    "DEFAULT",
    "EPICS_EPOCH",
    "EXP",
    "FORMATS",
    "FORMAT_NAMES",
    "FORMAT_TAGS",
    "FULL",
    "HEX",
    "TEXT",
    "Day",
    "format_age",
    "format_exact",
    "format_exp",
    "format_hex",
    "format_item",
    "format_number",
    "format_stamp",
    "is_epoch",
]

#: The EPICS epoch (1990-01-01 00:00:00 UTC) as a POSIX timestamp: the time of a record
#: never processed (``secondsSinceEpoch`` and ``nanoSeconds`` both 0).
EPICS_EPOCH = 631152000.0

# -- the formats a row can be shown in -------------------------------------------
#: PREC for a scalar, :func:`format_item` for arrays, text for a CHAR string, labels.
DEFAULT = "default"
#: Every digit: the shortest text that reads back as the same number.
FULL = "full"
#: Integers in hexadecimal (two's complement in the PV's own width).
HEX = "hex"
#: Exponential, with PREC digits (6 when PREC is 0 or unknown).
EXP = "exp"
#: A CHAR array (or an enum read as its index) as numbers.
DEC = "dec"
#: A CHAR array as text even where it does not look like text.
TEXT = "text"
FORMATS = (DEFAULT, FULL, HEX, EXP, DEC, TEXT)
#: What ``f`` says it switched to.
FORMAT_NAMES = {DEFAULT: "default (precision, text, labels)", FULL: "every digit",
                HEX: "hex", EXP: "exponential", DEC: "numbers", TEXT: "text"}  # fmt: skip
#: What a row (and the pane) says before a value not shown in the default format.
FORMAT_TAGS = {FULL: "full: ", HEX: "hex: ", EXP: "exp: ", DEC: "dec: ", TEXT: "text: "}
#: Bits of each integer type, for hex.
_BITS = {"CHAR": 8, "SHORT": 16, "ENUM": 16, "LONG": 32}

#: Beyond this a fixed-point number is digits no double holds (2**53 ≈ 9e15).
_FIXED_LIMIT = 1e15


def format_number(value: Any, precision: int | None) -> str:
    """A scalar with the PV's precision (``PREC``); integers as integers.

    A magnitude of 1e15 and beyond is written like :func:`format_item`
    (``-1e+300``, not three hundred digits).
    """
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return str(number)
    if precision is not None and 0 <= precision <= 17 and abs(number) < _FIXED_LIMIT:
        return f"{number:.{precision}f}"
    return format_item(number, precision)


def format_item(value: Any, precision: int | None) -> str:
    """An array element (or a limit, a statistic) that is never shown as 0 when it is not.

    ``%g`` with at least 6 significant digits, or ``PREC`` when it asks for more:
    ``0.1 0.2 1e-07`` where ``PREC=0`` would show ``0 0 0``.
    """
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    digits = 6 if precision is None or precision < 6 else min(precision, 17)
    return f"{float(value):.{digits}g}"


def format_exact(value: Any, type_name: str = "DOUBLE") -> str:
    """Every digit: the shortest text that reads back as the same value.

    A FLOAT is written as a 32-bit float (``0.1``, not ``0.10000000149011612``).
    """
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if type_name == "FLOAT":
        return str(np.float32(value))
    number = float(value)
    return repr(number) if math.isfinite(number) else str(number)


def format_exp(value: Any, precision: int | None) -> str:
    """Exponential with ``PREC`` digits after the point (6 when PREC is 0 or unknown)."""
    digits = precision if precision is not None and 0 < precision <= 17 else 6
    return f"{float(value):.{digits}e}"


def format_hex(value: Any, type_name: str) -> str:
    """An integer in hex, a negative one in two's complement of its type (``0xFFFF``)."""
    number = int(value)
    if number < 0:
        number &= (1 << _BITS.get(type_name, 32)) - 1
    return f"0x{number:X}"


# -- times -------------------------------------------------------------------------
class Day:
    """The bounds of the day and year of ``now`` in ``tz``, to tell "today" at a glance.

    The table asks for each row whether its timestamp is today; comparing two floats
    costs less than building a date for each.
    """

    __slots__ = ("end", "start", "year_end", "year_start")

    def __init__(self, now: float, tz: datetime.tzinfo | None = None) -> None:
        today = datetime.datetime.fromtimestamp(now, tz).date()
        self.start = _midnight(today, tz)
        self.end = _midnight(today + datetime.timedelta(days=1), tz)
        self.year_start = _midnight(datetime.date(today.year, 1, 1), tz)
        self.year_end = _midnight(datetime.date(today.year + 1, 1, 1), tz)

    def __contains__(self, timestamp: float) -> bool:
        return self.start <= timestamp < self.end


def _midnight(day: datetime.date, tz: datetime.tzinfo | None) -> float:
    return datetime.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


def is_epoch(timestamp: float | None) -> bool:
    """Whether ``timestamp`` is the EPICS epoch: the record was never processed."""
    return timestamp == EPICS_EPOCH


def format_stamp(
    timestamp: float | None,
    day: Day | None,
    width: int,
    tz: datetime.tzinfo | None = None,
) -> str:
    """A timestamp in at most ``width`` cells, the date when it is not ``day``.

    Today ``08:30:01.250`` (or ``08:30:01``); another day of the year ``11-30 08:30:01``
    (or ``11-30 08:30``, ``11-30``); another year ``2025-11-30 08:30:01`` (or
    ``2025-11-30``, ``2025-11``); the EPICS epoch ``never processed`` (or ``never``).
    """
    if timestamp is None:
        return ""
    if timestamp == EPICS_EPOCH:
        return "never processed" if width >= 15 else "never"
    try:
        when = datetime.datetime.fromtimestamp(timestamp, tz)
    except (OverflowError, OSError, ValueError):
        return "?"
    if day is None or day.start <= timestamp < day.end:
        return when.strftime("%H:%M:%S.%f")[:-3] if width >= 12 else when.strftime("%H:%M:%S")
    if day.year_start <= timestamp < day.year_end:
        for pattern in ("%m-%d %H:%M:%S", "%m-%d %H:%M", "%m-%d"):
            text = when.strftime(pattern)
            if len(text) <= width:
                return text
        return text
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m"):
        text = when.strftime(pattern)
        if len(text) <= width:
            return text
    return text


def format_age(seconds: float) -> str:
    """``42s``, ``5m12s``, ``3h05m``, ``2d07h``: how old a timestamp is."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"
    return f"{seconds // 86400}d{seconds // 3600 % 24:02d}h"
