"""What caget, caput and camonitor print for the matrix's records, built from their C sources.

An oracle independent of ``catui.cli``: each function follows the printf calls of
EPICS Base's caget.c, caput.c, camonitor.c and tool_lib.c (``val2str``,
``sprint_long``, ``print_time_val_sts``, ``dbr2str``), printing with C's own printf
and libCom's escaping (:mod:`tests.catui.cli.epics_c`), from what
:mod:`tests.catui.cli.matrix_records` says each record holds.

Time stamps are the placeholder :data:`STAMP` (tests mask them in our output).  Where
catui differs from the tools on purpose, the model prints what catui prints, at the
places marked ``OURS``:

* an array with no element: its count, 0, and ``(empty array)`` (caget: nothing);
* a CHAR is unsigned (caget prints C's ``char``, signed on x86: -56 for 200);
* an enum's blank label is its index (caget: nothing);
* caput shows the elements in use, not the native count with zeros after them;
* a DOUBLE rounded by -lx beyond 32 bits prints exactly (C: undefined).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any, NamedTuple

from tests.catui.cli.epics_c import escaped_from_raw, printf
from tests.catui.cli.matrix_records import Rec

__all__ = ["STAMP", "Flags", "caget_lines", "camonitor_line", "caput_lines", "dbr_block"]

STAMP = "<stamp>"
EMPTY = "(empty array)"  # OURS
_FAMILY = ("STRING", "SHORT", "FLOAT", "ENUM", "CHAR", "LONG", "DOUBLE")
_CLASS = ("", "STS", "TIME", "GR", "CTRL")
_LIMITS = (
    "Lo disp limit", "Hi disp limit", "Lo alarm limit", "Lo warn limit",
    "Hi warn limit", "Hi alarm limit", "Lo ctrl limit", "Hi ctrl limit",
)  # fmt: skip


class Flags(NamedTuple):
    """The options of one run, and the command-line words that ask for them."""

    words: tuple[str, ...] = ()
    callback: bool = False  # -c
    count: int = 0  # -#
    terse: bool = False  # -t
    wide: bool = False  # get -a, put -l
    enum_numbers: bool = False  # -n
    float_as_string: bool = False  # -s
    char_string: bool = False  # -S
    dbl_format: str = "%g"  # -e/-f/-g N: "%-.Ne"
    int_base: str = ""  # -0x|o|b
    float_base: str = ""  # -lx|o|b
    sep: str = " "  # -F
    stamps: str = "s"  # camonitor -t (s, c, n, sc: absolute only)


# -- val2str ------------------------------------------------------------------------


def sprint_long(value: int, base: str) -> str:
    """tool_lib.c's sprint_long: %d, 0x%X, 0o%o, or binary digits (no prefix)."""
    if not -(2**31) <= value < 2**31:  # OURS: C's conversion to dbr_long_t is undefined
        sign, magnitude = ("-" if value < 0 else ""), abs(value)
        return sign + {"x": f"0x{magnitude:X}", "o": f"0o{magnitude:o}", "b": f"{magnitude:b}",
                       "": str(magnitude)}[base]  # fmt: skip
    if base == "b" and value != 0:
        bits, skip = [], -1
        for i in range(31, -1, -1):
            bit = (value >> i) & 1
            if skip < 0 and bit:
                skip = 31 - i
            if skip >= 0:
                bits.append(str(bit))
        return "".join(bits)
    fmt = {"": "%d", "b": "0", "o": "0o%o", "x": "0x%X"}[base]
    return printf(fmt, value) if "%" in fmt else fmt


def _float32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def val2str(value: Any, kind: str, flags: Flags, labels: Sequence[bytes] | None = None) -> str:
    """One element as val2str prints it; ``kind`` is the family of the DBR type read."""
    if kind == "STRING":
        raw = bytes(value)
        return escaped_from_raw(raw.split(b"\0")[0])
    if kind in ("FLOAT", "DOUBLE"):
        if not flags.float_base:
            return printf(flags.dbl_format, float(value))
        rounded = int(value + 0.5) if value > 0.0 else int(value - 0.5)
        return sprint_long(rounded, flags.float_base)
    if kind == "CHAR":
        return printf("%d", value)  # OURS: unsigned (caget: signed char)
    if kind in ("SHORT", "LONG"):
        return sprint_long(int(value), flags.int_base)
    if labels is not None and not flags.enum_numbers:  # a GR/CTRL_ENUM reply
        if value >= 16:
            return printf("Illegal Value (%d)", value)
        if value >= len(labels):
            return printf("Enum Index Overflow (%d)", value)
        return printf("%s", labels[value]) or str(value)  # OURS: a blank label's index
    return printf("%d", value)


# -- what is read -----------------------------------------------------------------------


def _read_kind(rec: Rec, flags: Flags, *, caput: bool = False) -> str:
    """The family of the TIME type caget reads: native; an enum as STRING (-n SHORT);
    with -s a FLOAT/DOUBLE as STRING (camonitor, caget; not caput)."""
    if rec.native == "ENUM":
        return "SHORT" if flags.enum_numbers else "STRING"
    if flags.float_as_string and not caput and rec.native in ("FLOAT", "DOUBLE"):
        return "STRING"
    return rec.native


def _as_kind(rec: Rec, kind: str) -> list[Any]:
    """The elements in use, as the server converts them to ``kind``."""
    if rec.native == "ENUM" and kind == "STRING":
        assert rec.labels is not None
        return [rec.labels[index] for index in rec.values]
    if kind == "STRING" and rec.native != "STRING":
        if rec.texts is not None:
            return [text.encode() for text in rec.texts]
        return [str(v).encode() for v in rec.values]
    if kind in ("SHORT", "LONG", "ENUM"):
        return [int(v) for v in rec.values]
    if kind == "CHAR":
        return [int(v) & 0xFF for v in rec.values]
    if kind == "FLOAT":
        return [_float32(v) for v in rec.values]
    return list(rec.values)


def _elements(rec: Rec, kind: str, count: int, dynamic: bool) -> list[Any]:
    """``count`` elements (0: all), padded as the server pads; ``dynamic``: those in use."""
    values = _as_kind(rec, kind)
    if kind == "STRING" and rec.native == "ENUM":
        values = [label or str(rec.values[0]).encode() for label in values]  # OURS: blank
    pad: Any = b"" if kind == "STRING" else 0
    padded = values + [pad] * (rec.nelm - len(values))
    if count:
        return padded[: min(count, rec.nelm)]
    return values if dynamic else padded


# -- the lines --------------------------------------------------------------------------


def _name(name: str, elements: int, sep: str) -> str:
    if elements <= 1 and sep == " ":
        return printf("%-30s", name)
    return printf("%s", name)


def _values(items: list[Any], kind: str, flags: Flags, req: int, shape: int) -> list[str]:
    """caget.c's value part: a -S string, or the count (if any) and each value."""
    if flags.char_string and kind == "CHAR" and (req or shape > 1):
        raw = bytes(items).split(b"\0")[0]
        return [escaped_from_raw(raw)]
    if not items:
        return ["0", EMPTY]  # OURS
    texts = [val2str(item, kind, flags) for item in items]
    return [printf("%lu", len(items)), *texts] if req or shape > 1 else texts


def _plain(name: str, items: list[Any], kind: str, flags: Flags, req: int, shape: int) -> str:
    value = flags.sep.join(_values(items, kind, flags, req, shape))
    if flags.terse:
        return value
    return _name(name, shape, flags.sep) + flags.sep + value


def time_val_sts(
    name: str, stamp: str, items: list[Any], kind: str, rec: Rec, flags: Flags, req: int,
    shape: int,
) -> str:  # fmt: skip
    """tool_lib.c's print_time_val_sts: name, time, values, status and severity."""
    sep = flags.sep
    line = _name(name, shape, sep) + sep + stamp
    for text in _values(items, kind, flags, req, shape):
        line += sep + text
    status, severity = rec.alarm
    if (status, severity) != ("NO_ALARM", "NO_ALARM"):
        return line + sep + status + sep + severity
    return line + sep + sep


def _stamp(rec: Rec) -> str:
    return "<undefined>" if rec.undefined else STAMP


def caget_lines(prefix: str, recs: Sequence[Rec], flags: Flags) -> list[str]:
    """caget's lines for ``recs`` (plain, -t or -a)."""
    lines = []
    for rec in recs:
        kind = _read_kind(rec, flags)
        items = _elements(rec, kind, flags.count, dynamic=flags.callback)
        name = prefix + rec.suffix
        if flags.wide:
            lines.append(
                time_val_sts(name, _stamp(rec), items, kind, rec, flags, flags.count, len(items))
            )
        else:
            lines.append(_plain(name, items, kind, flags, flags.count, len(items)))
    return lines


def camonitor_line(prefix: str, rec: Rec, flags: Flags) -> str:
    """camonitor's line for the first update of ``rec`` (absolute time keys only)."""
    kind = _read_kind(rec, flags)
    items = _elements(rec, kind, flags.count, dynamic=True)
    stamp = {"s": _stamp(rec), "c": f"({STAMP})", "sc": f"{_stamp(rec)}({STAMP})", "n": ""}
    return time_val_sts(
        prefix + rec.suffix, stamp[flags.stamps], items, kind, rec, flags, flags.count,
        len(items),
    )  # fmt: skip


def caput_lines(prefix: str, rec: Rec, flags: Flags, *, as_text: bool = False) -> list[str]:
    """caput's lines after writing the value ``rec`` holds (Old and New alike).

    ``as_text``: a CHAR array written as text (catui prints it as text, as caput -S).
    """
    kind = _read_kind(rec, flags, caput=True)
    flags = flags._replace(char_string=as_text)
    # OURS: the elements in use; caput reads (and counts) the native count.
    items = _elements(rec, kind, flags.count, dynamic=True)
    shape = len(items) if flags.count else rec.nelm
    name = prefix + rec.suffix
    if flags.terse:
        return [_plain(name, items, kind, flags, flags.count, shape)]
    if flags.wide:
        line = time_val_sts(name, _stamp(rec), items, kind, rec, flags, flags.count, shape)
    else:
        line = _plain(name, items, kind, flags, flags.count, shape)
    return [f"Old : {line}", f"New : {line}"]


# -- caget -d ---------------------------------------------------------------------------


def _limit(value: float, family: str) -> str:
    if family in ("FLOAT", "DOUBLE"):
        return printf("%g", _float32(value) if family == "FLOAT" else float(value))
    number = 0 if value != value else int(value)  # the IOC's NaN in an integer type: 0
    return printf("%8d", number & 0xFF if family == "CHAR" else number)  # OURS: unsigned


def dbr_block(prefix: str, rec: Rec, code: int, flags: Flags) -> list[str]:
    """caget -d's block for DBR type ``code`` of ``rec`` (read without -c)."""
    family = "STRING" if code == 37 else _FAMILY[code % 7] if code < 35 else ""
    cls = _CLASS[code // 7] if code < 35 else ""
    type_name = "DBR_" + ("_".join(filter(None, (cls, family))) if code < 35 else
                          {37: "STSACK_STRING", 38: "CLASS_NAME"}[code])  # fmt: skip
    lines = [prefix + rec.suffix, f"    Native data type: DBF_{rec.native}",
             f"    Request type:     {type_name}"]  # fmt: skip
    if code == 38:
        return [*lines, f"    Class Name:       {rec.rtype}"]
    items = _elements(rec, family, flags.count, dynamic=flags.callback)
    if family == "STRING" and rec.native == "ENUM":
        items = [rec.labels[v] for v in rec.values] if rec.labels else items  # as the server
    labels = (rec.labels or ()) if family == "ENUM" and cls in ("GR", "CTRL") else None
    if flags.char_string and family == "CHAR" and (flags.count or len(items) > 1):
        value = escaped_from_raw(bytes(items).split(b"\0")[0])
    else:
        value = flags.sep.join(val2str(item, family, flags, labels) for item in items)
    lines += [printf("    Element count:    %lu", len(items)), f"    Value:            {value}"]
    if code <= 6:
        return lines
    status = [f"    Status:           {rec.alarm[0]}", f"    Severity:         {rec.alarm[1]}"]
    if code == 37:
        return [*lines, *status, "    Ack transient?:   YES", "    Ack severity:     NO_ALARM"]
    if cls == "TIME":
        return [*lines, f"    Timestamp:        {_stamp(rec)}", *status]
    if cls == "STS" or family == "STRING":
        return [*lines, *status]
    lines += status
    if family == "ENUM":
        names = rec.labels or ()
        lines.append(printf("    Enums:            (%2d)", len(names)))
        lines += [printf("                      [%2d] %s", i, n) for i, n in enumerate(names)]
        return lines
    numeric = rec.native not in ("ENUM", "STRING")
    lines.append(printf("    Units:            %s", rec.units if numeric else b""))
    if family in ("FLOAT", "DOUBLE"):
        lines.append(printf("    Precision:        %d", rec.precision if numeric else 0))
    limits = rec.limits
    shown = 8 if cls == "CTRL" else 6
    lines += [f"    {label + ':':<18}{_limit(limit, family)}"
              for label, limit in zip(_LIMITS[:shown], limits[:shown], strict=True)]  # fmt: skip
    return lines
