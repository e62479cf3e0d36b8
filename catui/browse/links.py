"""Link fields' text, parsed as an IOC parses it: PV links and their flags, constants,
hardware addresses, JSON links.

:func:`parse_link` follows ``dbParseLink`` (EPICS Base, dbStaticLib.c) on the
text a link field reads back (``"rec.VAL PP MS"``, ``"@parm"``, ``"#C0 S1 @x"``,
``"3.5"``, ``"[1, 2]"``, ``{"calc": …}``) and never raises. Link text longer
than a DBR_STRING holds is read through the field's ``$`` form
(:func:`long_name`, :func:`may_be_truncated`, :func:`decode_long`).
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

from catui.browse import json_text

__all__ = [
    "CONSTANT",
    "EMPTY",
    "HARDWARE",
    "INVALID",
    "JSON",
    "MAX_STRING_SIZE",
    "PROCESS_FLAGS",
    "PV",
    "SEVERITY_FLAGS",
    "Link",
    "decode_long",
    "long_name",
    "may_be_truncated",
    "parse_link",
]

# Link kinds.
EMPTY = "empty"
CONSTANT = "constant"
PV = "pv"
HARDWARE = "hardware"
JSON = "json"
INVALID = "invalid"

#: ``NPP`` (no processing), ``PP`` (process passive), ``CA`` (a CA link), ``CP``
#: (CA, process on change), ``CPP`` (CA, process on change if passive).
PROCESS_FLAGS = ("NPP", "PP", "CA", "CP", "CPP")
#: ``NMS`` (no severity), ``MS`` (maximize severity), ``MSI`` (only INVALID),
#: ``MSS`` (severity and status).
SEVERITY_FLAGS = ("NMS", "MS", "MSI", "MSS")

#: DBR_STRING's size, its nil included: link text of ``MAX_STRING_SIZE - 1``
#: characters may have been cut.
MAX_STRING_SIZE = 40

# dbParseLink's hardware address letter sets (hwid) and the link type each means.
_BUSES = {
    "CS": "VME_IO", "BCN": "CAMAC_IO", "BCNA": "CAMAC_IO", "BCNF": "CAMAC_IO",
    "BCNAF": "CAMAC_IO", "RMDE": "RF_IO", "LACS": "AB_IO", "LA": "GPIB_IO",
    "LNPS": "BITBUS_IO", "LBG": "BBGPIB_IO", "VCS": "VXI_IO", "VS": "VXI_IO",
}  # fmt: skip
# sscanf's %i: decimal, 0x hexadecimal or 0 octal, with a sign.
_HW_PAIR = re.compile(r"\s*(\S)\s*([+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))")
# epicsStrtod's numbers (C strtod): decimal, hexadecimal, inf/infinity, nan(...).
_C_DOUBLE = re.compile(
    r"""[+-]?(?:
        (?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?
      | 0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?
      | inf(?:inity)? | nan(?:\([0-9A-Za-z_]*\))?
    )\s*""",
    re.VERBOSE | re.IGNORECASE,
)
_FIELD = re.compile(r"[A-Za-z0-9_]*\$?")


class Link(NamedTuple):
    """What a link field holds.

    Attributes
    ----------
    text : str
        The link text, without surrounding white space.
    kind : str
        :data:`EMPTY`, :data:`CONSTANT`, :data:`PV`, :data:`HARDWARE`, :data:`JSON`
        or :data:`INVALID`.
    dbf : str
        The link field's type the text was parsed for (``DBF_INLINK`` ...).
    pv : str
        The target as CA names it (``rec.FIELD`` with any filters), for a PV link
        and a JSON ``pva`` link.
    record, field : str
        The target's record and field (``""`` when the link names no field: VAL).
    process, severity : str
        Of a PV link: one of :data:`PROCESS_FLAGS` and of :data:`SEVERITY_FLAGS`
        (``NPP``, ``NMS`` when the text gives none). A forward link has only
        ``CA`` or ``""``; the severity of an output or forward link is kept as given.
    value : object
        A constant's value: a number, a list (array constant), a string (JSON const).
    bus : str
        A hardware link's type: ``INST_IO`` (``@parm``), ``VME_IO`` (``#C0 S1 @parm``), ...
    address : tuple of (str, int)
        A ``#`` hardware address: its letters and numbers, ``(("C", 0), ("S", 1))``.
    parm : str
        A hardware link's parameter: what follows ``@``.
    json_type : str
        A JSON link's type: ``const``, ``calc``, ``pva``, ``state``, ``debug``, ...
    json_body : object
        The JSON value under that type.
    args : tuple of Link
        Links inside a JSON link: a ``calc`` link's arguments (numbers or JSON
        links, as lnkCalc takes them), what ``debug`` and ``trace`` wrap.
    error : str
        Why an :data:`INVALID` link (or a JSON one) cannot be read.
    """

    text: str
    kind: str
    dbf: str = "DBF_INLINK"
    pv: str = ""
    record: str = ""
    field: str = ""
    process: str = ""
    severity: str = ""
    value: Any = None
    bus: str = ""
    address: tuple[tuple[str, int], ...] = ()
    parm: str = ""
    json_type: str = ""
    json_body: Any = None
    args: tuple[Link, ...] = ()
    error: str = ""

    @property
    def has_target(self) -> bool:
        """Whether the link names a PV to follow (a PV link or a JSON ``pva`` link)."""
        return bool(self.pv)

    @property
    def flags(self) -> str:
        """The flags as the IOC prints them: ``"PP MS"``; ``""`` when not a PV link."""
        return " ".join(f for f in (self.process, self.severity) if f)

    @property
    def maximizes_severity(self) -> bool:
        """Whether the target's severity reaches the record (MS, MSS; MSI for INVALID)."""
        return self.severity in ("MS", "MSS", "MSI")

    def describe(self) -> str:
        """A short text for people: ``"PV link to rec.VAL (PP MS)"``, ``"constant 3.5"``."""
        if self.kind == PV:
            return f"PV link to {self.pv}" + (f" ({self.flags})" if self.flags else "")
        if self.kind == CONSTANT:
            return f"constant {self.text}"
        if self.kind == HARDWARE:
            return f"hardware address ({self.bus})"
        if self.kind == JSON:
            where = f" to {self.pv}" if self.pv else ""
            broken = f" (cannot be read: {self.error})" if self.error else ""
            return f"JSON {self.json_type or '?'} link{where}{broken}"
        if self.kind == INVALID:
            return f"not a valid link: {self.error}"
        return "no link"


def parse_link(text: object, dbf: str = "DBF_INLINK") -> Link:
    """Parse a link field's text as the IOC does (never raises).

    Parameters
    ----------
    text : str
        The field's value read back (``"rec.VAL PP MS"``); anything else is
        taken as its ``str()``.
    dbf : {'DBF_INLINK', 'DBF_OUTLINK', 'DBF_FWDLINK'}
        The field's type: an output link cannot be CPP, a forward link keeps
        only CA (as ``dbParseLink`` filters them).
    """
    try:
        return _parse(text if isinstance(text, str) else str(text), dbf)
    except Exception as exc:  # a parser bug must not take the browser down with it
        return Link(str(text), INVALID, dbf, error=f"{type(exc).__name__}: {exc}")


def _parse(raw: str, dbf: str) -> Link:
    text = raw.strip()
    if not text:
        return Link(text, EMPTY, dbf)
    if text.startswith("@"):
        return Link(text, HARDWARE, dbf, bus="INST_IO", parm=text[1:])
    if text.startswith("{") and text.endswith("}"):
        return _json_link(text, dbf)
    if text.startswith("#"):
        return _hardware(text, dbf)
    number = _c_double(text)
    if number is not None:
        return Link(text, CONSTANT, dbf, value=number)
    if text.startswith("[") and text.endswith("]"):
        try:
            value: Any = json_text.loads(text)
        except ValueError:
            value = None
        return Link(text, CONSTANT, dbf, value=value)
    return _pv_link(text, dbf)


def _c_double(text: str) -> float | None:
    """The number ``epicsParseDouble`` reads from all of ``text``, or None."""
    if not _C_DOUBLE.fullmatch(text):
        return None
    word = text.strip().lower()
    negative = word.startswith("-")
    word = word.lstrip("+-")
    if word.startswith("nan"):
        return math.nan
    if word.startswith("inf"):
        return -math.inf if negative else math.inf
    hexadecimal = word.startswith("0x")
    try:
        value = float.fromhex(word) if hexadecimal else float(word)
    except (ValueError, OverflowError):
        return None  # out of range: epicsParseDouble fails, and the text is a PV name
    mantissa = word[2:].split("p")[0] if hexadecimal else word.split("e")[0]
    if math.isinf(value) or (value == 0 and mantissa.strip("0.")):
        return None  # overflow or underflow: the same
    return -value if negative else value


def _pv_link(text: str, dbf: str) -> Link:
    name, _, modifiers = text.partition(" ")  # not tabs: as dbParseLink
    # The IOC looks for the flags anywhere in the rest, longest first.
    process = "NPP"
    if modifiers:
        for flag in ("NPP", "CPP", "PP", "CA", "CP"):
            if flag in modifiers:
                process = flag
                break
    severity = "NMS"
    if modifiers:
        for flag in ("NMS", "MSI", "MSS", "MS"):
            if flag in modifiers:
                severity = flag
                break
    if dbf == "DBF_OUTLINK" and process == "CPP":
        process = "NPP"
    elif dbf == "DBF_FWDLINK":
        process = "CA" if process == "CA" else ""
        severity = ""
    record, dot, rest = name.partition(".")
    brace = record.find("{")
    if brace > 0 and not dot:
        record = record[:brace]
    field = _FIELD.match(rest).group(0) if dot else ""  # type: ignore[union-attr]
    return Link(text, PV, dbf, pv=name, record=record, field=field, process=process,
                severity=severity)  # fmt: skip


def _c_int(text: str) -> int:
    """sscanf's ``%i``: decimal, ``0x`` hexadecimal or ``0`` octal, with a sign."""
    digits = text.lstrip("+-")
    sign = -1 if text.startswith("-") else 1
    if digits[:2].lower() == "0x":
        return sign * int(digits[2:], 16)
    if len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits[1:], 8)
    return sign * int(digits, 10)


def _hardware(text: str, dbf: str) -> Link:
    address_text, at, parm = text[1:].partition("@")
    pairs: list[tuple[str, int]] = []
    pos = 0
    while len(pairs) < 5:
        match = _HW_PAIR.match(address_text, pos)
        if not match:
            break
        pairs.append((match.group(1), _c_int(match.group(2))))
        pos = match.end()
    if address_text[pos:].strip():
        why = f"hardware address {text!r} is not #<letter><number>…"
        return Link(text, INVALID, dbf, error=why)
    bus = _BUSES.get("".join(letter for letter, _ in pairs))
    if bus is None:
        return Link(text, INVALID, dbf, error=f"no hardware link type has the address {text!r}")
    if bus == "RF_IO" and at:
        return Link(text, INVALID, dbf, error="an RF_IO address takes no @parameter")
    return Link(text, HARDWARE, dbf, bus=bus, address=tuple(pairs), parm=parm)


def _json_link(text: str, dbf: str) -> Link:
    try:
        body = json_text.loads(text)
    except ValueError as exc:
        return Link(text, JSON, dbf, error=f"bad JSON: {exc}")
    if not isinstance(body, dict) or len(body) != 1:
        return Link(text, JSON, dbf, json_body=body, error="a JSON link is an object of one key")
    ((json_type, inner),) = body.items()
    if json_type == "const":
        return Link(text, JSON, dbf, json_type=json_type, json_body=inner, value=inner)
    if json_type == "pva":
        return _pva_link(text, dbf, inner)
    if json_type == "calc":
        args = inner.get("args", []) if isinstance(inner, dict) else []
        if not isinstance(args, list):
            args = []
        links = tuple(_json_arg(arg) for arg in args)
        return Link(text, JSON, dbf, json_type=json_type, json_body=inner, args=links)
    if json_type in ("debug", "trace"):
        return Link(text, JSON, dbf, json_type=json_type, json_body=inner,
                    args=(_json_arg(inner),))  # fmt: skip
    return Link(text, JSON, dbf, json_type=json_type, json_body=inner)


def _json_arg(arg: Any) -> Link:
    """A calc link's argument (a number or a JSON link), or what debug/trace wrap."""
    if isinstance(arg, dict):
        return _json_link(_json_dumps(arg), "DBF_INLINK")
    if isinstance(arg, (int, float)) and not isinstance(arg, bool):
        return Link(_json_dumps(arg), CONSTANT, value=arg)
    return Link(_json_dumps(arg), INVALID, error="not a number or a JSON link")


def _pva_link(text: str, dbf: str, inner: Any) -> Link:
    """``{"pva": "name"}`` or ``{"pva": {"pv": "name", "field": …, "proc": …, "sevr": …}}``."""
    if isinstance(inner, str):
        name, options = inner, {}
    elif isinstance(inner, dict) and isinstance(inner.get("pv"), str):
        name, options = inner["pv"], inner
    else:
        return Link(text, JSON, dbf, json_type="pva", json_body=inner, error="no pv to link to")
    sevr = options.get("sevr", False)
    severity = {True: "MS", "MS": "MS", "MSS": "MSS", "MSI": "MSI"}.get(sevr, "NMS")
    proc = options.get("proc")
    process = {True: "PP", "PP": "PP", "CP": "CP", "CPP": "CPP"}.get(proc, "NPP")
    record, _, field = name.partition(".")
    return Link(text, JSON, dbf, pv=name, record=record, field=field, process=process,
                severity=severity, json_type="pva", json_body=inner)  # fmt: skip


def _json_dumps(value: Any) -> str:
    """Compact JSON text of a parsed value (without json: the CLI starts without it)."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, list):
        return "[" + ",".join(_json_dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{_json_dumps(str(k))}:{_json_dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    text = str(value)
    for char, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\t", "\\t")):
        text = text.replace(char, escaped)
    return f'"{text}"'


def long_name(pv: str) -> str:
    """The ``$`` form of a field's name (``rec.INP$``): its text as a CHAR array of any length."""
    return pv if pv.endswith("$") else pv + "$"


def may_be_truncated(text: str) -> bool:
    """Whether text read as DBR_STRING may have been cut (it fills the 40 bytes)."""
    return len(text.encode("utf-8", "replace")) >= MAX_STRING_SIZE - 1


def decode_long(data: Any) -> str:
    """The text of a ``$`` read: CHAR elements (bytes, ints) up to the first nil."""
    if isinstance(data, str):
        raw = data.encode("latin-1", "replace")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        tolist = getattr(data, "tolist", None)
        items = tolist() if tolist is not None else list(data)
        if not isinstance(items, list):
            items = [items]
        raw = bytes(int(b) & 0xFF for b in items)
    raw = raw.split(b"\0", 1)[0]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
