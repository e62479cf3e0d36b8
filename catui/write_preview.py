"""What an armed write will do, in words: old → new, what is sent, which limits it crosses.

Pure: :class:`WriteTarget` (what a write knows of its PV) and what follows from it,
used by the write dialog's confirm step, by undo and by the write worker (the
outcome and the journal), tested on its own.  Values are shown exactly as they are,
with their units: ``0.75 mm`` stays ``0.75 mm`` whatever the PV's precision (PREC is
for the table's display only); enum values as their label and index.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from catui.data.write_value import DISPLAY, DRIVE, format_limit, limit_warnings
from catui.feeds.base import CHAR_RANGE, ControlInfo, ValueLimits
from catui.feeds.names import default_limits
from catui.model import PVState, decode_data

__all__ = [
    "WritePreview",
    "WriteTarget",
    "enum_choice",
    "enum_index",
    "exact_number",
    "exact_text",
    "preview",
    "same_value",
    "writable_value",
]

#: Elements of an array shown in a confirm step or an outcome (the rest is "…").
MAX_ITEMS = 8
#: Bytes of a CHAR text shown in hex in a confirm step.
MAX_BYTES_SHOWN = 24
#: Characters of a text shown (a long string is up to thousands): the rest is "…".
MAX_TEXT_SHOWN = 100


@dataclass(frozen=True)
class WritePreview:
    """The lines of a confirm step."""

    old: str  # the value now, exactly
    new: str  # the value asked for, exactly, with units or the enum label
    sent: str  # exactly what goes on the wire: type and value(s)
    warnings: tuple[str, ...]  # limits crossed, a change since the dialog opened


@dataclass(frozen=True)
class WriteTarget:
    """What the dialog needs to know of a PV, copied when it opens.

    ``current`` is the value as the dialog shows it (exactly, with units) and
    ``value`` the value itself (what a fresh read is compared with when arming).
    ``limit_source`` says where the control limits come from
    (:data:`~catui.data.write_value.DRIVE`, :data:`~catui.data.write_value.DISPLAY`,
    None: not known).
    """

    name: str
    type_name: str
    count: int
    current: str
    writable: bool
    enum_strings: tuple[str, ...] = ()
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    precision: int | None = None
    units: str = ""
    as_text: bool = False
    value: Any = None
    limit_source: str | None = None
    #: What the channel holds (its ChannelInfo's; None: the default protocol's).
    holds: ValueLimits | None = None

    @classmethod
    def from_state(cls, state: PVState) -> WriteTarget:
        control = state.control
        target = cls(
            name=state.name,
            type_name=state.type_name,
            count=state.count or 1,
            current="",
            writable=state.writable,
            enum_strings=control.enum_strings if control else (),
            limits=dict(control.limits) if control else {},
            precision=control.precision if control else None,
            units=control.units if control else "",
            # A CHAR array takes text, whatever it holds now (empty, zeros…).
            as_text=state.type_name == "CHAR" and (state.count or 1) > 1,
            value=state.value,
            holds=state.info.limits if state.info is not None else None,
        )
        return target.with_value(state.value)

    def with_value(self, value: Any) -> WriteTarget:
        """This target showing ``value`` (a read's data) as its current value."""
        shown = exact_text(value, self) if value is not None else ""
        return dataclasses.replace(self, value=value, current=shown)

    def with_control(self, control: ControlInfo) -> WriteTarget:
        """This target with fresh control metadata (limits, units, choices)."""
        return dataclasses.replace(
            self,
            enum_strings=control.enum_strings or self.enum_strings,
            limits=dict(control.limits),
            precision=control.precision,
            units=control.units,
        )

    @property
    def value_limits(self) -> ValueLimits:
        return self.holds if self.holds is not None else default_limits(self.type_name)

    @property
    def is_enum(self) -> bool:
        return self.type_name == "ENUM" and bool(self.enum_strings)

    @property
    def is_char_array(self) -> bool:
        return self.type_name == "CHAR" and self.count > 1

    def describe_limits(self) -> str:
        if self.is_enum:
            return "Choices: " + " | ".join(self.enum_strings) + "  (type a label to find it)"
        if "control" in self.limits:
            low, high = self.limits["control"]
            unit = f" {self.units}" if self.units else ""
            where = f"{format_limit(low)} … {format_limit(high)}{unit}"
            if self.limit_source == DRIVE:
                return f"Drive limits (DRVL/DRVH): {where}; the IOC clips to them"
            if self.limit_source == DISPLAY:
                return f"Display range (LOPR/HOPR): {where}; not enforced by the IOC"
            return f"Control limits: {where}"
        if self.type_name == "STRING":
            each = " each, comma-separated" if self.count > 1 else ""
            most = self.value_limits.max_string_bytes
            return f"Text, at most {most} bytes (latin-1){each}"
        if self.as_text:
            return f"Text, at most {self.count - 1} bytes in UTF-8 (ctrl+t: numbers)"
        if self.is_char_array:
            low, high = self.value_limits.int_range or CHAR_RANGE
            return f"Up to {self.count} comma-separated numbers {low} … {high} (ctrl+t: text)"
        if self.count > 1:
            return f"Up to {self.count} comma-separated values"
        return "No control limits"


def exact_number(value: Any) -> str:
    """A number as it is: ``60``, ``0.75``, ``1e+300``; a FLOAT as its shortest repr."""
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, np.floating) and value.dtype != np.float64:
        text = str(value)  # the shortest text that reads back as this float32
        return text[:-2] if text.endswith(".0") else text
    return format_limit(float(value))


def enum_choice(index: int, strings: Sequence[str]) -> str:
    """``'On' (choice 1)``; ``choice 7`` when the PV has no label for it."""
    if 0 <= index < len(strings):
        return f"{strings[index]!r} (choice {index})"
    return f"choice {index}"


def _units(target: WriteTarget) -> str:
    return f" {target.units}" if target.units else ""


def _items(values: Sequence[str], count: int, array: bool) -> str:
    shown = list(values[:MAX_ITEMS]) + (["…"] if len(values) > MAX_ITEMS else [])
    return (f"[{len(values)}] " if array or count > 1 else "") + " ".join(shown)


def quoted(text: str) -> str:
    """``repr(text)``, a long one cut (``'abc…'…``, and how long it is)."""
    if len(text) <= MAX_TEXT_SHOWN:
        return repr(text)
    return f"{text[:MAX_TEXT_SHOWN]!r}… ({len(text)} characters)"


def _text_of(values: Any) -> str:
    raw = bytes(int(v) & 0xFF for v in values).split(b"\0", 1)[0]
    return raw.decode("utf-8", "replace")


def _values(data: Any) -> Any:
    """``data`` as a list of str (strings) or a 1-D numpy array (numbers, bytes of text)."""
    if isinstance(data, (bytes, bytearray)):
        return np.frombuffer(bytes(data), dtype=np.uint8)
    if isinstance(data, str):
        return [data]
    if isinstance(data, (list, tuple)) and any(isinstance(v, (bytes, str)) for v in data):
        return decode_data(list(data), None)
    return np.atleast_1d(np.asarray(data))


def enum_index(data: Any, target: WriteTarget) -> int | None:
    """The choice an enum's value (a read's data, a label or an index) is; else None."""
    if data is None or not target.is_enum:
        return None
    values = _values(data)
    if len(values) != 1:
        return None
    first = values[0]
    if isinstance(first, str):
        if first in target.enum_strings:
            return target.enum_strings.index(first)
        return int(first) if first.isdigit() else None
    return int(first)


def exact_text(data: Any, target: WriteTarget, *, plain: bool = False) -> str:
    """A value of ``target`` (a read's data, decoded or not), exactly, with units.

    ``?`` when not known (None).  ``plain``: an enum as its label only, one string or
    a CHAR text as it is, unquoted (the journal's form: its index is kept apart).
    """
    if data is None:
        return "?"
    index = enum_index(data, target)
    if index is not None:
        if plain:
            label = target.enum_strings[index] if index < len(target.enum_strings) else ""
            return label or str(index)
        return enum_choice(index, target.enum_strings)
    values = _values(data)
    if isinstance(values, list):
        if plain and len(values) == 1 and target.count <= 1:
            return str(values[0])
        strings = [quoted(v) for v in values]
        return _items(strings, target.count, len(strings) > 1) if strings else "''"
    if target.as_text:
        text = _text_of(values)
        return text if plain else quoted(text)
    if len(values) == 0:
        return "[0]"
    numbers = [exact_number(v) for v in values]
    return _items(numbers, target.count, len(values) > 1) + _units(target)


def same_value(a: Any, b: Any, target: WriteTarget | None = None) -> bool:
    """Whether two reads of a PV hold the same value (NaN equal to NaN).

    With ``target``, an enum's value is its choice, whether read as its label (as
    the monitor has it) or as its index.
    """
    if a is None or b is None:
        return a is b
    if target is not None and target.is_enum:
        index = enum_index(a, target)
        if index is not None:
            return index == enum_index(b, target)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return _strings(a) == _strings(b)
    x, y = np.atleast_1d(np.asarray(a)), np.atleast_1d(np.asarray(b))
    if x.shape != y.shape:
        return False
    try:
        return bool(np.array_equal(x, y, equal_nan=True))
    except TypeError:  # not numbers after all
        return bool(np.array_equal(x, y))


def _strings(data: Any) -> list[str] | None:
    if not isinstance(data, (list, tuple)):
        return None
    return [v.decode("latin-1", "replace") if isinstance(v, bytes) else str(v) for v in data]


def _hex(raw: bytes) -> str:
    shown = " ".join(f"{b:02x}" for b in raw[:MAX_BYTES_SHOWN])
    return shown + (" …" if len(raw) > MAX_BYTES_SHOWN else "")


def preview(
    target: WriteTarget, value: Any, *, old: str | None = None, notice: str = ""
) -> WritePreview:
    """How ``value`` (from :func:`~catui.data.write_value.parse_value`) reads for ``target``.

    Parameters
    ----------
    target : WriteTarget
    value : Any
        What the dialog parsed (or undo's value read back).
    old : str, optional
        The value now (a fresh read's :func:`exact_text`); ``target.current`` by default.
    notice : str, optional
        Said first among the warnings (e.g. that the value changed since the dialog
        opened).
    """
    old = target.current if old is None else old
    first = (notice,) if notice else ()
    if target.is_enum:
        if isinstance(value, str):
            index = target.enum_strings.index(value)
        else:
            index = int(value)
        label = target.enum_strings[index] if index < len(target.enum_strings) else "?"
        return WritePreview(old, enum_choice(index, target.enum_strings),
                            f"ENUM choice {index} ({label!r})", first)  # fmt: skip
    if target.as_text:
        if isinstance(value, str):
            raw = value.encode("utf-8") + b"\0"
            sent = f"CHAR[{len(raw)}] {quoted(value)} in UTF-8 and its NUL: {_hex(raw)}"
            return WritePreview(old, quoted(value), sent, first)
        # Bytes read back (undo): written as they are.
        raw = bytes(int(v) & 0xFF for v in value)
        sent = f"CHAR[{len(raw)}] the bytes read before, as they were: {_hex(raw)}"
        return WritePreview(old, quoted(_text_of(raw)), sent, first)
    values = value if isinstance(value, list) else [value]
    kind = f"{target.type_name}[{len(values)}]" if target.count > 1 else target.type_name
    if target.type_name == "STRING":
        shown = ", ".join(repr(v) for v in values)
        return WritePreview(old, shown, f"{kind} {shown}", first)
    numbers = [exact_number(v) for v in values]
    new = _items(numbers, target.count, False) + _units(target)
    exact = ", ".join(repr(v) for v in values)
    warnings = limit_warnings(value, target.limits, target.limit_source)
    return WritePreview(old, new, f"{kind} {exact}", (*first, *warnings))


def writable_value(data: Any, count: int) -> Any:
    """What to hand to ``write()`` to put back ``data`` (a read's values): undo's value.

    Strings (a list of str or bytes) stay strings; numbers become Python numbers; a
    one-element value becomes a scalar unless the PV is an array.
    """
    if data is None:
        raise ValueError("the old value is not known")
    items = [
        item.decode("latin-1") if isinstance(item, bytes) else item.item()
        if hasattr(item, "item") else item
        for item in list(data)
    ]  # fmt: skip
    if not items:
        raise ValueError("the old value was empty")
    return items if count > 1 else items[0]
