"""Check a value typed for a write against the PV's native type; warn outside limits.

The text is parsed (numbers, a choice from a list, strings, comma-separated arrays),
never evaluated.  :func:`parse_value` returns what to hand to ``write()``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["INT_RANGES", "MAX_STRING_BYTES", "limit_warning", "limit_warnings", "parse_value"]

#: A DBR_STRING holds 40 bytes, the terminating NUL included.
MAX_STRING_BYTES = 39
INT_RANGES = {"SHORT": (-(2**15), 2**15 - 1), "LONG": (-(2**31), 2**31 - 1), "CHAR": (0, 255)}
_FLOAT32_MAX = 3.4028234663852886e38


def _number(text: str, type_name: str) -> int | float:
    text = text.strip()
    if not text:
        raise ValueError("a number is needed")
    if type_name in INT_RANGES:
        try:
            value = int(text, 0) if text.lower().startswith(("0x", "-0x")) else int(text)
        except ValueError:
            raise ValueError(f"not a whole number: {text!r}") from None
        low, high = INT_RANGES[type_name]
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


def _string(text: str) -> str:
    size = len(text.encode("latin-1", "replace"))
    if size > MAX_STRING_BYTES:
        raise ValueError(
            f"a string holds at most {MAX_STRING_BYTES} bytes (40 with its NUL); this is {size}"
        )
    return text


def parse_value(
    text: str,
    type_name: str,
    count: int = 1,
    enum_strings: Sequence[str] = (),
    *,
    as_text: bool = False,
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

    Raises
    ------
    ValueError
        With a message for the operator.
    """
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
            return [_string(item) for item in items]
        try:
            return [_number(item, type_name) for item in items]
        except ValueError as exc:
            raise ValueError(f"{exc} (values are comma-separated)") from None
    if type_name == "STRING":
        return _string(text)
    return _number(text, type_name)


def limit_warning(value: Any, limits: dict[str, tuple[float, float]]) -> str | None:
    """A warning when a number lies outside the control (drive) limits, else None."""
    warnings = limit_warnings(value, limits)
    return warnings[0] if warnings and "control" in limits else None


_LIMIT_WORDS = {
    "control": ("control limits", "DRVL/DRVH", "the IOC will clip or refuse it"),
    "display": ("display range", "LOPR/HOPR", "check it is meant"),
}


def limit_warnings(value: Any, limits: dict[str, tuple[float, float]]) -> list[str]:
    """A warning for each of the control and display limits a number lies outside."""
    values = value if isinstance(value, list) else [value]
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    warnings = []
    for kind, (words, fields, advice) in _LIMIT_WORDS.items():
        if kind not in limits or not numbers:
            continue
        low, high = limits[kind]
        outside = [v for v in numbers if not low <= v <= high]
        if outside:
            warnings.append(
                f"{outside[0]:g} is outside the {words} {low:g} … {high:g} ({fields}); {advice}"
            )
    return warnings
