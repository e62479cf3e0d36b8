"""The lines of caget, caput and camonitor, from values already read.

Each function builds one of the shapes that EPICS Base's tools print (``caget.c``,
``caput.c``, ``camonitor.c`` and ``tool_lib.c``'s ``print_time_val_sts`` and
``dbr2str``), field for field and separator for separator, trailing separators
included; :mod:`catui.cli.formatting` gives the text of each value.

Where these lines differ from the tools' on purpose:

* an array with no element shows its count, ``0``, and :data:`EMPTY_ARRAY`, where
  caget shows nothing at all after the name (or a ``0`` that reads as a value);
* text from the server (units, enum labels, class names) is escaped as string
  values are, so that no control character reaches the terminal;
* CHARs print unsigned (see :func:`catui.cli.formatting.element_text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catui.cli import formatting as fm
from protocol.channel_types import ChannelType, native_type

__all__ = [
    "EMPTY_ARRAY",
    "dbr_block",
    "detail_lines",
    "disconnected_line",
    "enum_labels",
    "name_field",
    "not_connected_line",
    "plain_line",
    "value_field",
    "wide_line",
]

#: What follows the count 0 of an array that holds no element.
EMPTY_ARRAY = "(empty array)"

_FLOAT_TYPES = (ChannelType.FLOAT, ChannelType.DOUBLE)
_LABELLED = (ChannelType.GR_ENUM, ChannelType.CTRL_ENUM)


def name_field(name: str, elements: int, separator: str = " ") -> str:
    """The name, left-justified to 30 columns for at most one element (space separator only)."""
    if elements <= 1 and separator == " ":
        return f"{name:<{fm.NAME_WIDTH}}"
    return name


def enum_labels(data_type: int, metadata: Any) -> tuple[bytes, ...] | None:
    """The labels a GR/CTRL_ENUM reply's values print as; None for any other reply."""
    if data_type in _LABELLED and metadata is not None:
        labels: tuple[bytes, ...] = metadata.enum_strings
        return labels
    return None


def _strings_apply(data_type: int, vf: fm.ValueFormat, counted: bool, shape: int) -> bool:
    # caget's test: -S, a CHAR reply, and -# given or more than one element.
    return vf.char_as_string and fm.is_char(data_type) and (counted or shape > 1)


def value_field(
    items: Sequence[Any],
    data_type: int,
    vf: fm.ValueFormat = fm.DEFAULT_VALUES,
    *,
    counted: bool = False,
    shape: int | None = None,
    labels: Sequence[bytes] | None = None,
) -> str:
    """What caget prints after the name (and ``-t`` alone): the count if any, the values.

    Parameters
    ----------
    items : sequence
        The elements read.
    data_type : int
        The DBR type they came in.
    vf : ValueFormat
    counted : bool
        ``-#`` was given (and not 0): the count is printed, even for one element.
    shape : int, optional
        The element count that decides the layout (the count printed for more than
        one); ``len(items)`` by default.  caput decides by the PV's native count.
    labels : sequence of bytes, optional
        A GR/CTRL_ENUM reply's labels (see :func:`enum_labels`).
    """
    count = len(items)
    shape = count if shape is None else shape
    if _strings_apply(data_type, vf, counted, shape):
        return fm.char_string(items)
    sep = vf.separator
    if count == 0:
        return f"0{sep}{EMPTY_ARRAY}"
    texts = [fm.element_text(item, data_type, vf, labels) for item in items]
    if counted or shape > 1:
        texts.insert(0, str(count))
    return sep.join(texts)


def plain_line(
    name: str,
    items: Sequence[Any],
    data_type: int,
    vf: fm.ValueFormat = fm.DEFAULT_VALUES,
    *,
    counted: bool = False,
    shape: int | None = None,
    labels: Sequence[bytes] | None = None,
) -> str:
    """caget's ``name value`` line (and caput's after ``Old : ``); see :func:`value_field`."""
    shape = len(items) if shape is None else shape
    value = value_field(
        items, data_type, vf, counted=counted, shape=shape, labels=labels
    )  # fmt: skip
    return f"{name_field(name, shape, vf.separator)}{vf.separator}{value}"


def wide_line(
    name: str,
    stamp: str,
    items: Sequence[Any],
    data_type: int,
    status: int,
    severity: int,
    vf: fm.ValueFormat = fm.DEFAULT_VALUES,
    *,
    counted: bool = False,
    shape: int | None = None,
) -> str:
    """``name timestamp value status severity``: caget ``-a``, caput ``-l``, camonitor.

    ``stamp`` is the time field as it is to be printed (camonitor's may be empty, or
    relative).  Each value follows a separator; no alarm is two separators at the end.
    """
    sep = vf.separator
    count = len(items)
    shape = count if shape is None else shape
    parts = [name_field(name, shape, sep), sep, stamp]
    if _strings_apply(data_type, vf, counted, shape):
        parts += [sep, fm.char_string(items)]
    elif count == 0:
        parts += [sep, "0", sep, EMPTY_ARRAY]
    else:
        if counted or shape > 1:
            parts += [sep, str(count)]
        for item in items:
            parts += [sep, fm.element_text(item, data_type, vf)]
    if status or severity:
        parts += [sep, fm.status_text(status), sep, fm.severity_text(severity)]
    else:
        parts += [sep, sep]
    return "".join(parts)


def not_connected_line(name: str, separator: str = " ") -> str:
    """camonitor's line for a PV not found within the timeout."""
    return f"{name_field(name, 0, separator)}{separator}*** Not connected (PV not found)"


def disconnected_line(name: str, elements: int, separator: str = " ") -> str:
    """camonitor's line for a PV whose server went away: the time now, by this machine."""
    now = fm.stamp_text(*fm.now_stamp())
    return f"{name_field(name, elements, separator)}{separator}{now} *** disconnected"


def dbr_block(
    name: str,
    native: int,
    data_type: int,
    items: Sequence[Any],
    metadata: Any,
    vf: fm.ValueFormat = fm.DEFAULT_VALUES,
    *,
    counted: bool = False,
) -> list[str]:
    """caget ``-d TYPE``: the native and request types, count, values, then the metadata."""
    lines = [
        name,
        f"    Native data type: {fm.dbf_name(native)}",
        f"    Request type:     {fm.dbr_name(data_type)}",
    ]
    if data_type == ChannelType.CLASS_NAME:
        first = items[0] if items else b""
        lines.append(f"    Class Name:       {fm.element_text(first, data_type)}")
        return lines
    count = len(items)
    if _strings_apply(data_type, vf, counted, count):
        value = fm.char_string(items)
    else:
        labels = enum_labels(data_type, metadata)
        value = vf.separator.join(fm.element_text(item, data_type, vf, labels) for item in items)
    lines += [f"    Element count:    {count}", f"    Value:            {value}"]
    if data_type > ChannelType.DOUBLE:
        lines.extend("    " + line for line in detail_lines(metadata, data_type))
    return lines


def detail_lines(metadata: Any, data_type: int) -> list[str]:
    """The metadata of a STS/TIME/GR/CTRL/STSACK reply, as caget ``-d`` lists it.

    Each line is ``Label:`` padded to 18 columns, then the value; the caller indents
    them.  Units come before the precision; the limits of integer types are
    right-justified in 8 columns (``%8d``), of FLOAT and DOUBLE printed with ``%g``
    (never ``-e/-f/-g``); STSACK's ``ackt`` is ``YES`` or ``NO``.
    """
    if metadata is None:
        return []
    names = {field for field, *_ in type(metadata)._fields_}
    lines = []
    if "stamp" in names:
        stamp = metadata.stamp
        lines.append(_line("Timestamp", fm.stamp_text(stamp.secondsSinceEpoch, stamp.nanoSeconds)))
    if "status" in names:
        lines.append(_line("Status", fm.status_text(metadata.status)))
        lines.append(_line("Severity", fm.severity_text(metadata.severity)))
    if "units" in names:
        lines.append(_line("Units", fm.escape(fm.text_field(metadata.units).encode(fm.ENCODING))))
    if "precision" in names:
        lines.append(_line("Precision", str(int(metadata.precision))))
    floats = native_type(data_type) in _FLOAT_TYPES
    for field, label in fm.LIMIT_LABELS:
        if field in names:
            limit = getattr(metadata, field)
            text = fm.DEFAULT_FORMAT.format(limit) if floats else f"{limit:8d}"
            lines.append(_line(label, text))
    if "no_str" in names:
        labels = metadata.enum_strings
        lines.append(_line("Enums", f"({len(labels):2d})"))
        lines.extend(f"{'':18}[{index:2d}] {fm.escape(raw)}" for index, raw in enumerate(labels))
    if "ackt" in names:
        lines.append(_line("Ack transient?", "YES" if metadata.ackt else "NO"))
        lines.append(_line("Ack severity", fm.severity_text(metadata.acks)))
    return lines


def _line(label: str, value: str) -> str:
    return f"{label + ':':<18}{value}"
