"""Find the PV names in any text a person pastes.

:func:`extract_pv_names` reads what people copy from EPICS tools and files:

- plain lists: one name a line (``#`` comments), or separated by commas or spaces;
- ``caget`` output (``PV value``, ``-a``: ``PV date time value STAT SEVR``), ``camonitor``
  lines, ``cainfo`` blocks (the name, then indented ``Field: value`` lines), and the
  error lines of caget and ``catui get`` naming a PV;
- an IOC shell's ``dbl`` listing (one record name a line; ``epics>`` prompts skipped)
  and ``record(type, "name")`` lines of a database file;
- autosave ``.sav`` files (``PV value``, ``PV @array@ { ... }``, ``<END>``);
- Phoebus PV tables (``.pvs``), data browser and archive configurations:
  ``<pv><name>…</name></pv>``, ``<pv name="…">``, ``<channel><name>…</name></channel>``,
  ``<pv_name>…</pv_name>``;
- CSV with a ``name`` / ``pv`` column (a catui snapshot, a Phoebus ``.snp``), a
  Markdown table whose first column holds names, ``catui get --json`` lines;
- command lines: ``caget``, ``caput``, ``camonitor``, ``cainfo``, ``catui get|put|…``
  and ``pvget``-style tools, with a shell prompt before them or not.

Nothing pasted is evaluated: values are never looked at beyond telling a value from a
name, JSON goes through :func:`json.loads` and XML through :mod:`xml.etree.ElementTree`,
after refusing any document that declares a DOCTYPE or entities.
"""

from __future__ import annotations

import csv
import json
import re
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator

from catui.feeds.names import ALARM_WORDS, PVNameError, check_pv_name

__all__ = ["PasteError", "extract_pv_names", "is_pv_name"]


class PasteError(ValueError):
    """Pasted text that is refused as a whole (an XML document declaring entities)."""


# A record name uses letters, digits and _-+:[]<>; (EPICS Application Developer's Guide);
# then an optional .FIELD, a $ (long-string modifier) and a {...} channel filter.  A name
# starting with "-" is legal for an IOC but no CA tool can be given it as an argument: it
# is far more often an option or a negative number, so it is not taken.
_NAME = re.compile(r"[A-Za-z0-9_+:\[\]<>;][A-Za-z0-9_\-+:\[\]<>;.$]*(?:\{.*\})?")
_LETTER = re.compile(r"[A-Za-z]")
# Things with letters that are still values: hex, floats with exponents, inf/nan.
_HEX = re.compile(r"[+-]?0[xX][0-9a-fA-F]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?Z?")
_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
_ALARM_WORDS = ALARM_WORDS | {"MINOR", "MAJOR", "INVALID"}

_TOOLS = (
    r"caget|caput|camonitor|cainfo|pvget|pvput|pvmonitor|pvinfo|catui\s+(?:get|put|monitor|info)"
)
# An optional prompt ("$ ", "user@host:~$ ", "% ", "epics> ") then a tool name and its words.
_COMMAND = re.compile(
    rf"^\s*(?:\S*[$%>]\s+)?(?:python3?\s+-m\s+)?(?P<tool>{_TOOLS})(?:\s+(?P<args>.*))?$"
)
# Options of the tools that take the next word as their argument (when not glued to it).
_OPTIONS_WITH_ARGUMENT = {
    "caget": {"-w", "-d", "-#", "-e", "-f", "-g", "-F", "-p"},
    "caput": {"-w", "-p", "-#"},
    "camonitor": {"-w", "-m", "-#", "-p", "-F", "-t", "-e", "-f", "-g"},
    "cainfo": {"-w", "-s", "-p"},
    "get": {"-w", "-d", "-#", "-e", "-f", "-g"},
    "put": {"-w"},
    "monitor": {"-w", "-m", "-#", "--duration"},
    "info": {"-w"},
    "pvget": {"-w", "-r", "-p", "-M", "-F"},
    "pvput": {"-w", "-r", "-p", "-M", "-F"},
    "pvmonitor": {"-w", "-r", "-p", "-M", "-F"},
    "pvinfo": {"-w", "-p"},
}
# Tools whose first operand is the PV and the rest are values.
_WRITERS = frozenset(["caput", "put", "pvput"])
# "catui get: PV: reason" (catui's error lines) and caget's "... 'PV' not found."
_CATUI_ERROR = re.compile(rf"^\s*(?:{_TOOLS})\s*:\s*(?P<name>\S+):\s")
_CA_NOT_FOUND = re.compile(r"'(?P<name>[^'\s]+)' not found")
# cainfo's indented "Native data type: DBF_DOUBLE" lines, not a list indented by hand.
_INFO_FIELD = re.compile(r"^\s+[A-Za-z][A-Za-z ()]*:(?:\s|$)")
# An IOC shell prompt ("epics> dbl"): the command, not its output.
_IOC_PROMPT = re.compile(r"^[\w.-]*>(?:\s|$)")
_DB_RECORD = re.compile(r"""^\s*g?record\s*\(\s*"?\w+"?\s*,\s*"(?P<name>[^"]+)"\s*\)""")
_XML_TAGS = frozenset(["pv", "channel"])
_XML_NAME_TAGS = frozenset(["pv_name"])
_XML_FALLBACK = re.compile(r"<(?P<tag>pv_name|name)>\s*(?P<name>[^<]+?)\s*</(?P=tag)>")
_CSV_NAME_COLUMNS = ("name", "pv", "pv name", "pvname", "channel")


def is_pv_name(word: str) -> bool:
    """Whether ``word`` can be a PV name and is not plainly a value.

    The name must pass :func:`catui.feeds.names.check_pv_name`, use the characters of
    EPICS record names (with ``.FIELD``, ``$`` and a ``{...}`` filter), hold a letter,
    and not be a number (``1e5``, ``0x1F``, ``inf``) or a date or time.
    """
    try:
        check_pv_name(word)
    except PVNameError:
        return False
    if not _NAME.fullmatch(word):
        return False
    record = word.split("{", 1)[0]
    if not _LETTER.search(record):
        return False
    return not (_is_number(record) or _DATE.fullmatch(word) or _TIME.fullmatch(word))


def _is_number(word: str) -> bool:
    if _HEX.fullmatch(word):
        return True
    try:
        float(word)  # parsed, never evaluated
    except ValueError:
        return False
    return True


def _is_value(word: str) -> bool:
    """Whether a word in a later column is a value (so the line is a table row)."""
    return word in _ALARM_WORDS or not is_pv_name(_unquote(word))


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1]
    return word


def extract_pv_names(text: str) -> list[str]:
    """The PV names in pasted text, in order of appearance, without duplicates.

    Parameters
    ----------
    text : str
        Whatever was pasted (see the module's description for the formats read).

    Returns
    -------
    list of str
        Names that pass :func:`is_pv_name`; words that are values, dates, alarm
        words, options or comments are left out.

    Raises
    ------
    PasteError
        An XML document that declares a DOCTYPE or entities: refused unread, since
        entity expansion is how XML files attack their reader.
    """
    names: list[str] = []
    seen: set[str] = set()  # a list's "in" made a paste of 30,000 names take seconds
    for name in _candidates(text):
        name = _unquote(name.strip())
        if name not in seen and is_pv_name(name):
            seen.add(name)
            names.append(name)
    return names


def _candidates(text: str) -> Iterable[str]:
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<") and (stripped.startswith(("<?xml", "<!")) or "</" in stripped):
        return _xml_names(stripped)
    lines = text.lstrip("\ufeff").splitlines()
    csv_names = _csv_names(lines)
    if csv_names is not None:
        return csv_names
    return _line_names(lines)


def _xml_names(text: str) -> list[str]:
    # ElementTree does not fetch external entities, but expands internal ones (the
    # "billion laughs"): nothing a PV table needs, so a declaration is refused.
    if re.search(r"<!\s*(?:DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise PasteError("XML that declares a DOCTYPE or entities is not read")
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        # A fragment (several <pv> elements, a cut-off file): the tags still show.
        return [match["name"] for match in _XML_FALLBACK.finditer(text)]
    names: list[str] = []
    for element in root.iter():
        tag = _local(element.tag)
        if tag in _XML_NAME_TAGS and element.text:
            names.append(element.text)
        elif tag in _XML_TAGS:
            child = next((c for c in element if _local(c.tag) == "name"), None)
            if child is not None and child.text:
                names.append(child.text)
            elif element.get("name"):
                names.append(element.get("name", ""))
            elif len(element) == 0 and element.text:
                names.append(element.text)
    return names


def _local(tag: object) -> str:
    """A tag without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _csv_names(lines: list[str]) -> list[str] | None:
    """The name column of CSV with a header naming it, or None when it is not such CSV."""
    content = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if len(content) < 2 or "," not in content[0]:
        return None
    header = [cell.strip().lower() for cell in _csv_row(content[0])]
    column = next((header.index(c) for c in _CSV_NAME_COLUMNS if c in header), None)
    if column is None:
        return None
    rows = (_csv_row(line) for line in content[1:])
    return [row[column] for row in rows if len(row) > column]


def _csv_row(line: str) -> list[str]:
    try:
        return next(csv.reader([line]), [])
    except csv.Error:  # a cell over csv's field size limit (128 KiB): split it plainly
        return line.split(",")


def _line_names(lines: list[str]) -> Iterator[str]:
    """Names in line-shaped text: lists, tool output, dbl, autosave, Markdown, commands."""
    # (whole, words): "whole" lines (commands, errors, records) give all their names;
    # the others give their first word only if the text turns out to be a table.
    rows: list[tuple[bool, list[str]]] = []
    table = False
    for raw in lines:
        line = raw.strip()
        if line == "<END>" or line.startswith("# save/restore"):
            table = True  # an autosave file: "PV value" lines, even where a value is a word
            continue
        if not line or line.startswith(("#", "!")):
            continue  # comments, and autosave's "! N channel(s) not connected"
        found = _special_line(line)
        if found is not None:
            rows.append((True, found))
            continue
        if _INFO_FIELD.match(raw) or _IOC_PROMPT.match(line):
            continue
        cells = _cells(line)
        if not cells:
            continue
        # A table row: the first column is the name, the rest are values.  A line is
        # one when a later word is a value, or when the name is padded into a column
        # (caget and camonitor print "%-30s"), so that "demo:str  hello" is a reading.
        if len(cells) > 1 and (
            any(_is_value(cell) for cell in cells[1:])
            or re.match(r"\S+(?:\t|\s{2,})\S", line)
            or line.startswith("|")
        ):
            table = True
        rows.append((False, cells))
    for whole, cells in rows:
        if table and not whole:
            yield cells[0]
        else:
            yield from cells


def _special_line(line: str) -> list[str] | None:
    """Names from a line of a known shape (command, error, record), or None."""
    command = _COMMAND.match(line)
    if command:
        return _command_names(command["tool"], command["args"] or "")
    error = _CATUI_ERROR.match(line) or _CA_NOT_FOUND.search(line)
    if error:
        return [error["name"]]
    record = _DB_RECORD.match(line)
    if record:
        return [record["name"]]
    if re.match(r"^\s*(?:field|info|alias|include|path)\s*\(|^\s*}\s*$", line):
        return []  # the rest of a database file
    if line.startswith("|") and re.fullmatch(r"[|:\-\s]+", line):
        return []  # a Markdown table's separator row
    if line.startswith("{"):
        return _json_names(line)
    return None


def _json_names(line: str) -> list[str] | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    name = obj.get("name", obj.get("pv"))
    return [name] if isinstance(name, str) else []


def _command_names(tool: str, args: str) -> list[str]:
    tool = tool.split()[-1]  # "catui get" -> "get"
    try:
        # Not comments=True: shlex would end "-#" (an option of caget) as a comment.
        words = shlex.split(args)
    except ValueError:  # an unclosed quote in a value: the words before it still count
        words = args.split()
    comment = next((i for i, word in enumerate(words) if word.startswith("#")), len(words))
    words = words[:comment]
    with_argument = _OPTIONS_WITH_ARGUMENT.get(tool, set())
    operands: list[str] = []
    skip = False
    options_done = False
    for word in words:
        if skip:
            skip = False
        elif word in ("|", ">", "&&", ";", "||"):
            break  # the pipeline goes on to another command
        elif options_done or not word.startswith("-") or _is_number(word):
            operands.append(word)
        elif word == "--":
            options_done = True
        elif word in with_argument:
            skip = True
    return operands[:1] if tool in _WRITERS else operands


def _cells(line: str) -> list[str]:
    if line.startswith("|"):
        # A Markdown table row; "\|" is an escaped bar inside a cell.
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip("|"))]
        if cells and cells[0].lower() in _CSV_NAME_COLUMNS:
            return []  # the header row
        return cells
    if "," in line:
        return [cell.strip() for cell in line.split(",") if cell.strip()]
    return line.split()
