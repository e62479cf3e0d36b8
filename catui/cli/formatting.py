"""Text for the command-line tools: values, alarms, time stamps and type names as EPICS has them.

The rules are those of EPICS Base's ``tool_lib.c`` (``val2str``, ``sprint_long``,
``epicsStrnEscapedFromRaw``, ``epicsTimeToStrftime``), which caget, caput and
camonitor share.  :mod:`catui.cli.layout` puts these pieces into their lines.

Nothing here does I/O or imports numpy: values arrive as ``array.array``, lists of
``bytes`` or plain numbers (the CLI selects the ``'array'`` backend).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from protocol.alarms import AlarmSeverity, AlarmStatus
from protocol.channel_types import MAX_ENUM_STATES, ChannelType, native_type

__all__ = [
    "DEFAULT_FORMAT",
    "DEFAULT_VALUES",
    "ENCODING",
    "INT_BASES",
    "LIMIT_LABELS",
    "NAME_WIDTH",
    "NumberFormat",
    "ValueFormat",
    "access_text",
    "char_string",
    "dbf_name",
    "dbr_name",
    "element_text",
    "escape",
    "int_text",
    "is_char",
    "json_number",
    "json_value",
    "metadata_dict",
    "now_stamp",
    "numbered_blanks",
    "severity_text",
    "stamp_text",
    "status_text",
    "text_field",
    "unescape",
    "values_list",
]

#: caget pads the name of a PV with at most one element to this width.
NAME_WIDTH = 30
ENCODING = "latin-1"
#: ``-0x`` / ``-lx`` letters: hexadecimal, octal, binary; ``d`` is the default, decimal.
INT_BASES = ("d", "x", "o", "b")

_SEVERITY_TEXT = {
    AlarmSeverity.NO_ALARM: "NO_ALARM",
    AlarmSeverity.MINOR_ALARM: "MINOR",
    AlarmSeverity.MAJOR_ALARM: "MAJOR",
    AlarmSeverity.INVALID_ALARM: "INVALID",
}
_STRING_TYPES = (ChannelType.STRING, ChannelType.CLASS_NAME, ChannelType.STSACK_STRING)
_FLOAT_TYPES = (ChannelType.FLOAT, ChannelType.DOUBLE)
_INT_TYPES = (ChannelType.INT, ChannelType.LONG)
# Seconds from the POSIX epoch to the EPICS epoch (1990-01-01 UTC).
_EPICS_EPOCH = 631152000


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
        """``value`` as C's printf does with caget's format (``-nan``, ``inf`` as glibc)."""
        if math.isnan(value):
            return "-nan" if math.copysign(1.0, value) < 0 else "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if self.digits is None:
            return f"%{self.style}" % value
        return f"%-.{self.digits}{self.style}" % value


DEFAULT_FORMAT = NumberFormat()


class ValueFormat:
    """The options that change how values print, shared by get, put and monitor.

    Parameters
    ----------
    number : NumberFormat
        Floating-point values (``-e/-f/-g``).
    int_base : {'d', 'x', 'o', 'b'}
        SHORT and LONG values (``-0x``, ``-0o``, ``-0b``).
    float_base : {'d', 'x', 'o', 'b'}
        FLOAT and DOUBLE values rounded to an integer first (``-lx``, ``-lo``, ``-lb``);
        ``'d'`` prints them with ``number``.
    separator : str
        Between fields (``-F``); a name is padded only when it is a space.
    char_as_string : bool
        A CHAR array prints as the text it holds (``-S``).
    enum_numbers : bool
        ENUM values print as numbers, never as their labels (``-n``).

    A plain class with slots: dataclasses imports inspect (~5 ms of a tool's start-up).
    """

    __slots__ = (
        "char_as_string", "enum_numbers", "float_base", "int_base", "number", "separator"
    )  # fmt: skip

    def __init__(
        self,
        number: NumberFormat = DEFAULT_FORMAT,
        int_base: str = "d",
        float_base: str = "d",
        separator: str = " ",
        char_as_string: bool = False,
        enum_numbers: bool = False,
    ) -> None:
        self.number = number
        self.int_base = int_base
        self.float_base = float_base
        self.separator = separator
        self.char_as_string = char_as_string
        self.enum_numbers = enum_numbers

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"ValueFormat({fields})"


DEFAULT_VALUES = ValueFormat()


def int_text(value: int, base: str = "d") -> str:
    """An integer as caget's ``sprint_long`` prints it.

    Decimal as it is; ``x`` as ``0x`` and upper-case digits, ``o`` as ``0o``, ``b``
    as bare binary digits without leading zeros (``0`` for zero).  A negative value
    prints as its 32-bit two's complement, as C's ``%X`` of an ``int`` does.  A value
    that no 32-bit integer holds (a rounded DOUBLE; C's conversion is undefined
    there) prints exactly, with its sign.
    """
    if base == "d":
        return str(value)
    if -(2**31) <= value < 2**31:
        magnitude, sign = value & 0xFFFFFFFF, ""
    else:
        magnitude, sign = abs(value), "-" if value < 0 else ""
    if base == "x":
        return f"{sign}0x{magnitude:X}"
    if base == "o":
        return f"{sign}0o{magnitude:o}"
    return f"{sign}{magnitude:b}"


def _rounded_text(value: float, base: str) -> str:
    """``-lx``: a FLOAT/DOUBLE rounded half away from zero, then as :func:`int_text`."""
    if not math.isfinite(value):
        return DEFAULT_FORMAT.format(value)  # C's conversion is undefined: say what it is
    return int_text(int(value + 0.5) if value > 0.0 else int(value - 0.5), base)


def element_text(
    value: Any,
    data_type: int,
    vf: ValueFormat = DEFAULT_VALUES,
    labels: Sequence[bytes] | None = None,
) -> str:
    """One element as caget's ``val2str`` prints it.

    Parameters
    ----------
    value : bytes, str, int or float
    data_type : int
        The DBR type of the reply the value came in.
    vf : ValueFormat
    labels : sequence of bytes, optional
        An ENUM's labels, for a GR/CTRL_ENUM reply: the value prints as its label
        (unless ``vf.enum_numbers``), as ``Enum Index Overflow (n)`` beyond them, as
        ``Illegal Value (n)`` from 16 on; a blank label prints as the index.

    Strings are escaped as EPICS escapes them; a CHAR is its number, unsigned (the
    DBR_CHAR of Channel Access is a byte; caget prints C's ``char``, signed on x86),
    and, as with caget, in decimal whatever ``-0x`` says.
    """
    native = native_type(data_type)
    if native in _STRING_TYPES or isinstance(value, (bytes, str)):
        raw = value.encode(ENCODING, "replace") if isinstance(value, str) else bytes(value)
        end = raw.find(b"\0")
        return escape(raw if end < 0 else raw[:end])
    if native in _FLOAT_TYPES:
        if vf.float_base == "d":
            return vf.number.format(float(value))
        return _rounded_text(float(value), vf.float_base)
    if native in _INT_TYPES:
        return int_text(int(value), vf.int_base)
    index = int(value)
    if native == ChannelType.ENUM and labels is not None and not vf.enum_numbers:
        if index >= MAX_ENUM_STATES:
            return f"Illegal Value ({index})"
        if index >= len(labels):
            return f"Enum Index Overflow ({index})"
        return escape(labels[index]) or str(index)
    return str(index)


def is_char(data_type: int) -> bool:
    """Whether a reply of ``data_type`` carries CHARs (``-S`` applies to it)."""
    return native_type(data_type) == ChannelType.CHAR


def char_string(values: Sequence[int]) -> str:
    """A CHAR array as the text it holds, cut at the first NUL and escaped (``-S``)."""
    raw = bytes(int(v) & 0xFF for v in values)
    end = raw.find(b"\0")
    return escape(raw if end < 0 else raw[:end])


_RAW_ESCAPES = {
    7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v",
    92: "\\\\", 39: "\\'", 34: '\\"', 0: "\\0",
}  # fmt: skip
# Every byte as epicsStrnEscapedFromRaw writes it: C's escapes, what the C locale's
# isprint() takes (space to ~) as it is, every other byte as \xhh.
_ESCAPED = tuple(
    _RAW_ESCAPES.get(byte, chr(byte) if 32 <= byte < 127 else f"\\x{byte:02x}")
    for byte in range(256)
)


def escape(text: bytes) -> str:
    """Bytes as printable text, as EPICS's ``epicsStrnEscapedFromRaw`` writes them.

    What the tools print of a string value: ``\\n``, ``\\t``, ``\\"``, ``\\\\`` and the
    other C escapes; a byte beyond ASCII (UTF-8 text too) or a control character as
    ``\\xhh``.  :func:`unescape` reads it back as the same bytes.
    """
    if text.isascii() and text.isalnum():  # the usual case: nothing to escape
        return text.decode("ascii")
    return "".join([_ESCAPED[byte] for byte in text])


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


def stamp_text(seconds: int, nanoseconds: int) -> str:
    """An EPICS time stamp as the tools print it: ``YYYY-MM-DD HH:MM:SS.ffffff``, local time.

    Parameters
    ----------
    seconds : int
        Seconds since the EPICS epoch (1990-01-01 UTC), as on the wire.
    nanoseconds : int

    The microseconds are rounded, never into the next second (``epicsTimeToStrftime``
    with caget's ``%06f``); a never-set stamp (0, 0) is ``<undefined>``; nanoseconds
    past a second are ``OVF``.
    """
    if seconds == 0 and nanoseconds == 0:
        return "<undefined>"
    whole = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds + _EPICS_EPOCH))
    if nanoseconds >= 1_000_000_000:
        return whole + ".OVF"
    micro = min(nanoseconds + 500, 999_999_999) // 1000
    return f"{whole}.{micro:06d}"


def now_stamp() -> tuple[int, int]:
    """The time now as an EPICS stamp: (seconds since 1990 UTC, nanoseconds)."""
    seconds, nanoseconds = divmod(time.time_ns(), 1_000_000_000)
    return seconds - _EPICS_EPOCH, nanoseconds


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


def text_field(raw: Any) -> str:
    """A fixed-size char field (units) as text, cut at its NUL."""
    if isinstance(raw, bytes):
        return raw.split(b"\0", 1)[0].decode(ENCODING)
    return str(raw)


def json_value(data: Any, data_type: int, *, char_as_string: bool = False) -> Any:
    """Values for JSON: a scalar alone, an array as a list; text decoded; NaN as None."""
    items = values_list(data)
    if char_as_string and is_char(data_type):
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


#: The limits of GR/CTRL metadata, in the order (and with the labels) caget prints them.
LIMIT_LABELS = (
    ("lower_disp_limit", "Lo disp limit"),
    ("upper_disp_limit", "Hi disp limit"),
    ("lower_alarm_limit", "Lo alarm limit"),
    ("lower_warning_limit", "Lo warn limit"),
    ("upper_warning_limit", "Hi warn limit"),
    ("upper_alarm_limit", "Hi alarm limit"),
    ("lower_ctrl_limit", "Lo ctrl limit"),
    ("upper_ctrl_limit", "Hi ctrl limit"),
)


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
    for field, _ in LIMIT_LABELS:
        if field in names:
            out[field] = json_number(getattr(metadata, field))
    if "no_str" in names:
        out["enum_strings"] = [raw.decode(ENCODING) for raw in metadata.enum_strings]
    return out
