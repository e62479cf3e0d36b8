"""Check a value typed for a write against the PV's native type; warn outside limits.

The text is parsed (numbers, a choice from a list, strings, comma-separated arrays),
never evaluated.  :func:`parse_value` returns what to hand to ``write()``; what it
accepts the client library accepts too (the feed checks again with the library's own
encoder before anything is sent: :meth:`catui.feeds.base.Feed.check_value`).  What
a channel holds (string bytes, integer ranges) comes from its
:class:`~catui.feeds.base.ChannelInfo`.

Limits are worded from where they come from (:func:`limit_source`): an output record's
control limits are its drive limits DRVL/DRVH, which the IOC clips to; other records
(ai, calc, waveform…), and a longout without drive limits, report their display range
LOPR/HOPR as control limits, and accept any value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from catui.feeds.base import ValueLimits
from catui.feeds.names import default_limits

__all__ = [
    "DISPLAY",
    "DRIVE",
    "format_limit",
    "limit_fields",
    "limit_source",
    "limit_warning",
    "limit_warnings",
    "match_choice",
    "parse_value",
    "record_of",
]

_FLOAT32_MAX = 3.4028234663852886e38


def _number(text: str, type_name: str, limits: ValueLimits) -> int | float:
    text = text.strip()
    if not text:
        raise ValueError("a number is needed")
    if limits.int_range is not None:
        try:
            value = int(text, 0) if text.lower().startswith(("0x", "-0x")) else int(text)
        except ValueError:
            raise ValueError(f"not a whole number: {text!r}") from None
        low, high = limits.int_range
        if not low <= value <= high:
            raise ValueError(f"{value} does not fit a {type_name} ({low} … {high})")
        return value
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {text!r}")
    if type_name == "FLOAT" and abs(number) > _FLOAT32_MAX:
        raise ValueError(f"{text} does not fit a FLOAT")
    return number


def _string(text: str, limits: ValueLimits) -> str:
    # DBR_STRING text goes as latin-1, as the client library encodes it: a character
    # it cannot encode is refused here, not replaced.
    try:
        size = len(text.encode("latin-1"))
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise ValueError(f"a string holds latin-1 characters only; {bad!r} is not one") from None
    most = limits.max_string_bytes
    if most is not None and size > most:
        raise ValueError(
            f"a string holds at most {most} bytes ({most + 1} with its NUL); this is {size}"
        )
    return text


def parse_value(
    text: str,
    type_name: str,
    count: int = 1,
    enum_strings: Sequence[str] = (),
    *,
    as_text: bool = False,
    limits: ValueLimits | None = None,
) -> Any:
    """What to write, from what the operator typed.

    Parameters
    ----------
    text : str
        The typed text; for an ENUM, the choice's name (or its index).
    type_name : str
        Native type: ``STRING``, ``SHORT``, ``FLOAT``, ``ENUM``, ``CHAR``, ``LONG``, ``DOUBLE``.
    count : int
        Native element count; more than 1 means an array: comma-separated values.
    enum_strings : sequence of str
        The choices of an ENUM.
    as_text : bool
        A CHAR array holding a long string: the text is written as it is.
    limits : ValueLimits, optional
        What the channel holds (its ``ChannelInfo.limits``); by default, what a
        channel of ``type_name`` holds in the default protocol.

    Raises
    ------
    ValueError
        With a message for the operator.
    """
    if limits is None:
        limits = default_limits(type_name)
    if as_text:
        size = len(text.encode("utf-8"))
        if size >= count:
            raise ValueError(f"at most {count - 1} bytes fit; this is {size}")
        return text
    if type_name == "ENUM":
        choice = text.strip()
        if choice in enum_strings:
            if enum_strings.count(choice) > 1:
                numbers = [str(i) for i, s in enumerate(enum_strings) if s == choice]
                raise ValueError(f"{choice!r} is the label of choices {', '.join(numbers)}; "
                                 "give the number")  # fmt: skip
            return choice
        if choice.isdigit() and int(choice) < max(len(enum_strings), 1):
            index = int(choice)
            if not enum_strings or enum_strings.count(enum_strings[index]) > 1:
                return index  # a label shared by several choices would write the first
            return enum_strings[index]
        options = ", ".join(enum_strings) or "(none known)"
        raise ValueError(f"{choice!r} is not a choice; choose one of: {options}")
    if count > 1:
        items = [item.strip() for item in text.split(",")]
        if items and items[-1] == "":
            items.pop()
        if not items:
            raise ValueError("give at least one value (comma-separated)")
        if len(items) > count:
            raise ValueError(f"at most {count} values fit; {len(items)} given")
        if type_name == "STRING":
            return [_string(item, limits) for item in items]
        try:
            return [_number(item, type_name, limits) for item in items]
        except ValueError as exc:
            raise ValueError(f"{exc} (values are comma-separated)") from None
    if type_name == "STRING":
        return _string(text, limits)
    return _number(text, type_name, limits)


#: Where control limits come from: the drive limits (the IOC clips to them) or the
#: display range (the IOC accepts values beyond it).  None: not known.
DRIVE = "drive"
DISPLAY = "display"
#: Record types whose VAL has drive limits DRVL/DRVH (reported as its control limits
#: when set; a longout without them reports LOPR/HOPR instead).
_DRIVE_RECORDS = frozenset({"ao", "longout", "int64out"})


def record_of(pv: str) -> str | None:
    """The record of a PV naming a record's value (``rec``, ``rec.VAL``), else None."""
    record, dot, field = pv.partition(".")
    if dot and field != "VAL":
        return None  # another field: its limits are that field's own business
    return record or None


def limit_fields(record_type: str) -> tuple[str, ...]:
    """The fields of a record of ``record_type`` that tell where its limits come from."""
    if record_type in _DRIVE_RECORDS:
        return ("DRVL", "DRVH", "LOPR", "HOPR")
    return ("LOPR", "HOPR")


def limit_source(control: tuple[float, float], fields: Mapping[str, Any]) -> str | None:
    """:data:`DRIVE`, :data:`DISPLAY` or None: which fields the control limits are.

    Parameters
    ----------
    control : (low, high)
        The control limits the IOC reports (``DBR_CTRL``).
    fields : mapping
        What was read of the record's ``DRVL``, ``DRVH``, ``LOPR``, ``HOPR`` (numbers);
        a field missing from it is not known.
    """

    def pair(low: str, high: str) -> tuple[float, float] | None:
        try:
            return float(fields[low]), float(fields[high])
        except (KeyError, TypeError, ValueError):
            return None

    drive = pair("DRVL", "DRVH")
    if drive is not None and drive[1] > drive[0] and drive == tuple(control):
        return DRIVE
    display = pair("LOPR", "HOPR")
    if display is not None and display == tuple(control):
        return DISPLAY
    return None


def format_limit(value: float) -> str:
    """A limit as exactly as a value, never hundreds of digits: ``50``, ``0.75``, ``-1e+300``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    number = float(value)
    text = repr(number)
    return text[:-2] if text.endswith(".0") else text


def limit_warning(value: Any, limits: dict[str, tuple[float, float]]) -> str | None:
    """A warning when a number lies outside the control limits, else None."""
    warnings = limit_warnings(value, limits)
    return warnings[0] if warnings and "control" in limits else None


_CONTROL_WORDS = {
    DRIVE: "the drive limits {range} (DRVL/DRVH); the IOC will clip it",
    DISPLAY: "the display range {range} (LOPR/HOPR); the IOC accepts it; check it is meant",
    None: "the control limits {range} (from DRVL/DRVH or LOPR/HOPR: not known); "
    "the IOC may clip it",
}
_DISPLAY_WORDS = "the display range {range} (LOPR/HOPR); check it is meant"


def limit_warnings(
    value: Any, limits: dict[str, tuple[float, float]], source: str | None = None
) -> list[str]:
    """A warning for each of the control and display limits a number lies outside.

    Parameters
    ----------
    value : number, list of numbers, or anything else (no warning)
    limits : dict
        ``control`` and ``display`` limits, as :class:`catui.model.ControlInfo` has them.
    source : str, optional
        Where the control limits come from (:func:`limit_source`): the words say
        whether the IOC clips the value or accepts it.
    """
    values = value if isinstance(value, list) else [value]
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not numbers:
        return []
    warnings = []
    control = limits.get("control")
    display = limits.get("display")
    for kind, bounds in (("control", control), ("display", display)):
        if bounds is None:
            continue
        if kind == "display" and source == DISPLAY and bounds == control:
            continue  # the same limits, already said
        low, high = bounds
        outside = [v for v in numbers if not low <= v <= high]
        if not outside:
            continue
        where = f"{format_limit(low)} … {format_limit(high)}"
        words = _CONTROL_WORDS[source] if kind == "control" else _DISPLAY_WORDS
        warnings.append(f"{format_limit(outside[0])} is outside {words.format(range=where)}")
    return warnings


def match_choice(labels: Sequence[str], typed: str, current: int | None = None) -> int | None:
    """The choice type-ahead lands on: the first label starting with ``typed``.

    Case is ignored.  The same letter typed again and again (``"sss"``) steps through
    the labels starting with it, from the one after ``current``.  None: no label matches.
    """
    prefix = typed.casefold()
    if not prefix:
        return None
    folded = [label.casefold() for label in labels]
    for index, label in enumerate(folded):
        if label.startswith(prefix):
            return index
    if len(set(prefix)) == 1:
        letter = prefix[0]
        starts = [i for i, label in enumerate(folded) if label.startswith(letter)]
        if starts:
            after = [i for i in starts if current is None or i > current]
            return (after or starts)[0]
    return None
