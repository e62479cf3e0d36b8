"""Text for the command-line tools: values, alarms, timestamps and type names as EPICS prints them.

Nothing here does I/O or imports numpy: values arrive as ``array.array``, lists of
``bytes`` or plain numbers (the CLI selects the ``'array'`` backend).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from protocol.alarms import AlarmSeverity, AlarmStatus
from protocol.channel_types import ChannelType, native_type

__all__ = [
    "DEFAULT_FORMAT",
    "NAME_WIDTH",
    "NumberFormat",
    "access_text",
    "char_string",
    "dbf_name",
    "dbr_name",
    "detail_lines",
    "escape",
    "format_element",
    "format_stamp",
    "format_values",
    "json_number",
    "json_value",
    "metadata_dict",
    "numbered_blanks",
    "pad_name",
    "severity_text",
    "status_text",
    "text_field",
    "unescape",
    "values_list",
]

#: caget pads a scalar's name to this width.
NAME_WIDTH = 30

_SEVERITY_TEXT = {
    AlarmSeverity.NO_ALARM: "NO_ALARM",
    AlarmSeverity.MINOR_ALARM: "MINOR",
    AlarmSeverity.MAJOR_ALARM: "MAJOR",
    AlarmSeverity.INVALID_ALARM: "INVALID",
}
_STRING_TYPES = (ChannelType.STRING, ChannelType.CLASS_NAME, ChannelType.STSACK_STRING)
_FLOAT_TYPES = (ChannelType.FLOAT, ChannelType.DOUBLE)
ENCODING = "latin-1"


class NumberFormat:
    """How floating-point values are printed: caget's ``%g`` or ``-e/-f/-g N``.

    Parameters
    ----------
    style : {'g', 'e', 'f'}
    digits : int or None
        Digits after the point (``e``, ``f``) or significant digits (``g``);
        None is C's ``%g`` default (6 significant digits).

    Immutable, compared and hashed by value, as a frozen dataclass would be; it is
    written out because dataclasses imports inspect (~5 ms of a tool's start-up).
    """

    __slots__ = ("digits", "style")
    style: str
    digits: int | None

    def __init__(self, style: str = "g", digits: int | None = None) -> None:
        object.__setattr__(self, "style", style)
        object.__setattr__(self, "digits", digits)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NumberFormat) or other.__class__ is not self.__class__:
            return NotImplemented
        return (self.style, self.digits) == (other.style, other.digits)

    def __hash__(self) -> int:
        return hash((self.style, self.digits))

    def __repr__(self) -> str:
        return f"NumberFormat(style={self.style!r}, digits={self.digits!r})"

    def format(self, value: float) -> str:
        """``value`` as caget prints it (``nan``, ``inf``, ``-inf`` as C does)."""
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if self.digits is None:
            return f"%{self.style}" % value
        return f"%-.{self.digits}{self.style}" % value


DEFAULT_FORMAT = NumberFormat()


def pad_name(name: str) -> str:
    """The name as caget prints it before a scalar: left-justified to 30 columns."""
    return f"{name:<{NAME_WIDTH}}"


def status_text(status: int) -> str:
    """Alarm status name (``HIGH``), or the number if EPICS has no name for it."""
    try:
        return AlarmStatus(status).name
    except ValueError:
        return str(status)


def severity_text(severity: int) -> str:
    """Alarm severity as EPICS prints it: ``NO_ALARM``, ``MINOR``, ``MAJOR``, ``INVALID``."""
    try:
        return _SEVERITY_TEXT[AlarmSeverity(severity)]
    except ValueError:
        return str(severity)


def _type_suffix(code: int) -> str:
    name = ChannelType(code).name
    # ChannelType spells EPICS's SHORT as INT (caproto's name); print EPICS's.
    return name[:-3] + "SHORT" if name.endswith("INT") else name


def dbr_name(code: int) -> str:
    """``DBR_TIME_DOUBLE`` for 20; EPICS's SHORT spelling, not caproto's INT."""
    return "DBR_" + _type_suffix(code)


def dbf_name(code: int) -> str:
    """The field type of a native DBR type: ``DBF_DOUBLE`` for 6."""
    return "DBF_" + _type_suffix(native_type(code))


def access_text(rights: int) -> str:
    """cainfo's access column: ``read, write``, ``read, no write``, ..."""
    read = "read" if rights & 1 else "no read"
    write = "write" if rights & 2 else "no write"
    return f"{read}, {write}"


def format_stamp(seconds: float, nanoseconds: int | None = None) -> str:
    """``YYYY-MM-DD HH:MM:SS.nnnnnnnnn`` in local time, from UNIX seconds.

    ``nanoseconds`` overrides the fraction of ``seconds`` (EPICS time stamps
    carry exact nanoseconds that a float cannot hold).
    """
    whole = math.floor(seconds)
    if nanoseconds is None:
        nanoseconds = round((seconds - whole) * 1e9)
        if nanoseconds >= 1_000_000_000:
            whole, nanoseconds = whole + 1, nanoseconds - 1_000_000_000
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(whole)) + f".{nanoseconds:09d}"


def escape(text: bytes) -> str:
    """Bytes as printable text, as EPICS's ``epicsStrnEscapedFromRaw`` writes them."""
    out = []
    for byte in text:
        char = chr(byte)
        if char == "\\":
            out.append("\\\\")
        elif 32 <= byte < 127 or byte >= 160:
            out.append(char)
        else:
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char, f"\\x{byte:02x}"))
    return "".join(out)


_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "0": 0}
_HEX = "0123456789abcdefABCDEF"


def unescape(text: str) -> bytes:
    """Text as the bytes it stands for, read as EPICS's ``epicsStrnRawFromEscaped`` reads it.

    ``\\n``, ``\\t`` and the other C escapes, ``\\0`` (NUL) and ``\\xhh`` (one or
    two hex digits) are the bytes they name; a backslash before any other character
    stands for that character.  What :func:`escape` writes reads back as the same bytes.

    Raises
    ------
    ValueError
        A character outside Latin-1 (CA strings are bytes, read as Latin-1 here).
    """
    out = bytearray()
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        i += 1
        if char == "\\":
            if i == end:
                break  # a backslash at the end stands for nothing
            char = text[i]
            i += 1
            if char in _ESCAPES:
                out.append(_ESCAPES[char])
                continue
            if char == "x":
                digits = ""
                while i < end and len(digits) < 2 and text[i] in _HEX:
                    digits += text[i]
                    i += 1
                if digits:
                    out.append(int(digits, 16))
                continue  # "\\x" without a digit stands for nothing
        out += _latin1(char)
    return bytes(out)


def _latin1(char: str) -> bytes:
    try:
        return char.encode(ENCODING)
    except UnicodeEncodeError:
        raise ValueError(f"{char!r} is not a {ENCODING} character") from None


def numbered_blanks(texts: Sequence[Any], indices: Sequence[int]) -> list[Any]:
    """An enum's labels with each blank one replaced by its index, as text.

    A choice without a label reads as an empty string; caget's reader wants the number.
    """
    out = list(texts)
    for position, (text, index) in enumerate(zip(texts, indices, strict=False)):
        if text in (b"", ""):
            out[position] = str(int(index)).encode(ENCODING)
    return out


def values_list(data: Any) -> list[Any]:
    """The elements of ``response.data`` as a list (a scalar becomes one element)."""
    if isinstance(data, (bytes, str, int, float)):
        return [data]
    return list(data)


def format_element(value: Any, data_type: int, fmt: NumberFormat = DEFAULT_FORMAT) -> str:
    """One element: ``%g``-style floats, integers, strings as text."""
    native = native_type(data_type)
    if isinstance(value, bytes):
        return value.decode(ENCODING)
    if isinstance(value, str):
        return value
    if native in _FLOAT_TYPES or isinstance(value, float):
        return fmt.format(float(value))
    return str(int(value))


def char_string(values: Sequence[int]) -> str:
    """A CHAR array as the text it holds, cut at the first NUL and escaped."""
    raw = bytes(int(v) & 0xFF for v in values)
    end = raw.find(b"\0")
    return escape(raw if end < 0 else raw[:end])


def format_values(
    data: Any,
    data_type: int,
    *,
    fmt: NumberFormat = DEFAULT_FORMAT,
    show_count: bool | None = None,
    char_as_string: bool = False,
) -> str:
    """Values as caget prints them after the name.

    A scalar is its value; an array is its element count then each element,
    separated by spaces. ``show_count`` forces the count on (caget ``-#``) or
    off (``-d``). With ``char_as_string`` a CHAR array prints as the text it holds.
    """
    items = values_list(data)
    native = native_type(data_type)
    counted = len(items) != 1 if show_count is None else show_count
    if char_as_string and native == ChannelType.CHAR and (show_count or len(items) > 1):
        return char_string(items)
    text = [format_element(item, data_type, fmt) for item in items]
    return " ".join([str(len(items)), *text] if counted else text)


def json_value(data: Any, data_type: int, *, char_as_string: bool = False) -> Any:
    """Values for JSON: a scalar alone, an array as a list; text decoded; NaN as None."""
    items = values_list(data)
    native = native_type(data_type)
    if char_as_string and native == ChannelType.CHAR:
        raw = bytes(int(v) & 0xFF for v in items)
        end = raw.find(b"\0")
        return (raw if end < 0 else raw[:end]).decode(ENCODING)
    out = [json_number(item) for item in items]
    return out[0] if len(out) == 1 else out


def json_number(value: Any) -> Any:
    """A JSON-safe element: bytes decoded, non-finite floats as None."""
    if isinstance(value, bytes):
        return value.decode(ENCODING)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_LIMIT_LABELS = (
    ("lower_disp_limit", "Lo disp limit"),
    ("upper_disp_limit", "Hi disp limit"),
    ("lower_alarm_limit", "Lo alarm limit"),
    ("lower_warning_limit", "Lo warn limit"),
    ("upper_warning_limit", "Hi warn limit"),
    ("upper_alarm_limit", "Hi alarm limit"),
    ("lower_ctrl_limit", "Lo ctrl limit"),
    ("upper_ctrl_limit", "Hi ctrl limit"),
)


def detail_lines(metadata: Any, data_type: int, fmt: NumberFormat = DEFAULT_FORMAT) -> list[str]:
    """The metadata of a STS/TIME/GR/CTRL reply as caget ``-d`` lists it.

    Each line is ``Label:`` padded to 18 columns, then the value; the caller
    indents them.
    """
    if metadata is None:
        return []
    names = {name for name, *_ in type(metadata)._fields_}
    lines = []
    if "stamp" in names:
        stamp = metadata.stamp
        unix = stamp.timestamp
        lines.append(_line("Timestamp", format_stamp(unix, stamp.nanoSeconds)))
    if "status" in names:
        lines.append(_line("Status", status_text(metadata.status)))
        lines.append(_line("Severity", severity_text(metadata.severity)))
    if "precision" in names:
        lines.append(_line("Precision", str(metadata.precision)))
    if "units" in names:
        lines.append(_line("Units", text_field(metadata.units)))
    for field, label in _LIMIT_LABELS:
        if field in names:
            lines.append(_line(label, format_element(getattr(metadata, field), data_type, fmt)))
    if "no_str" in names:
        choices = [raw.decode(ENCODING) for raw in metadata.enum_strings]
        lines.append(_line("Enums", f"({len(choices):2d})"))
        # A choice without a label is its number alone, with no trailing space.
        lines.extend(
            (" " * 18 + f"[{index:2d}] {choice}").rstrip() for index, choice in enumerate(choices)
        )
    if "ackt" in names:
        lines.append(_line("Ack transient", str(metadata.ackt)))
        lines.append(_line("Ack severity", severity_text(metadata.acks)))
    return lines


def _line(label: str, value: str) -> str:
    return f"{label + ':':<18}{value}".rstrip()


def text_field(raw: Any) -> str:
    """A fixed-size char field (units) as text."""
    if isinstance(raw, bytes):
        return raw.split(b"\0", 1)[0].decode(ENCODING)
    return str(raw)


def metadata_dict(metadata: Any) -> dict[str, Any]:
    """Control metadata for JSON: units, precision, limits, enum choices."""
    if metadata is None:
        return {}
    names = {name for name, *_ in type(metadata)._fields_}
    out: dict[str, Any] = {}
    if "units" in names:
        out["units"] = text_field(metadata.units)
    if "precision" in names:
        out["precision"] = int(metadata.precision)
    for field, _ in _LIMIT_LABELS:
        if field in names:
            out[field] = json_number(getattr(metadata, field))
    if "no_str" in names:
        out["enum_strings"] = [raw.decode(ENCODING) for raw in metadata.enum_strings]
    return out
