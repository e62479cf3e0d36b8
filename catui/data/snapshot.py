"""Copy rows out of the console, and compare a saved snapshot with live values.

A snapshot is a list of :class:`SnapshotRow`: what the table showed of each PV.
It is written as Markdown (to paste in a logbook) or CSV (to save and compare
later), and as shell lines that read (``catui get``) or write back (``catui put``)
the PVs.  :func:`compare` tells how live rows drifted from saved ones.

Values are text as shown; the number, when there is one, is kept apart so that
comparing does not depend on the precision a value was shown with.  Nothing read
from a file is evaluated: numbers are parsed with :func:`float`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence

from catui.feeds.names import PVNameError, check_pv_name

__all__ = [
    "CSV_COLUMNS",
    "Drift",
    "SnapshotError",
    "SnapshotRow",
    "compare",
    "from_csv",
    "get_commands",
    "parse_number",
    "put_commands",
    "to_csv",
    "to_markdown",
]

#: Columns of a CSV snapshot; ``number`` (the value in full precision) is last, so the
#: columns a person reads come first.
CSV_COLUMNS = ("name", "value", "units", "severity", "timestamp", "number")
_MARKDOWN_COLUMNS = ("name", "value", "units", "severity", "timestamp")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection);
# such a cell is written with a leading ' (which spreadsheets hide) and read back without.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# How the console shows an array: "[count] v1 v2 …".
_ARRAY = re.compile(r"\[(?P<count>\d+)\]\s*(?P<items>.*)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class SnapshotError(ValueError):
    """A CSV snapshot that cannot be read; the message says where."""


@dataclasses.dataclass(frozen=True)
class SnapshotRow:
    """What the table showed of one PV.

    Attributes
    ----------
    name : str
        The PV name.
    value : str
        The value as shown, without units (an enum's choice, ``[3] 1 2 3`` for an array).
    number : float or None
        The value as a number in full precision; None for text, arrays, no value.
    units : str
    severity : str
        ``""`` (no alarm), ``MINOR``, ``MAJOR`` or ``INVALID``.
    timestamp : str
        The PV's time stamp as shown.
    """

    name: str
    value: str
    number: float | None = None
    units: str = ""
    severity: str = ""
    timestamp: str = ""

    @classmethod
    def from_text(
        cls, name: str, value: str, units: str = "", severity: str = "", timestamp: str = ""
    ) -> SnapshotRow:
        """A row whose number is read from ``value`` (None if it is not a number)."""
        return cls(name, value, parse_number(value), units, severity, timestamp)


@dataclasses.dataclass(frozen=True)
class Drift:
    """How one PV differs between a saved snapshot and the live table.

    Attributes
    ----------
    name : str
    kind : str
        ``missing`` (saved, not live), ``added`` (live, not saved), ``changed`` (a
        number beyond the tolerance, or different text) or ``severity``.
    saved, live : SnapshotRow or None
        The two rows (one is None for ``missing`` and ``added``).
    difference : float or None
        ``live - saved`` for a changed number; None otherwise.
    tolerance : float
        The tolerance the row was compared with.
    """

    name: str
    kind: str
    saved: SnapshotRow | None
    live: SnapshotRow | None
    difference: float | None = None
    tolerance: float = 0.0

    @property
    def text(self) -> str:
        """A sentence for the operator: ``demo:ao: 3.5 → 3.9 (+0.4, tolerance 0.1)``."""
        if self.kind == "missing":
            return f"{self.name}: in the snapshot, not in the table"
        if self.kind == "added":
            return f"{self.name}: in the table, not in the snapshot"
        saved = self.saved.value if self.saved else ""
        live = self.live.value if self.live else ""
        if self.kind == "severity":
            before = self.saved.severity if self.saved else ""
            after = self.live.severity if self.live else ""
            return f"{self.name}: severity {before or 'none'} → {after or 'none'}"
        if self.difference is not None:
            return (
                f"{self.name}: {saved} → {live} "
                f"({self.difference:+g}, tolerance {self.tolerance:g})"
            )
        return f"{self.name}: {saved!r} → {live!r}"


def parse_number(text: str) -> float | None:
    """``text`` as a float (parsed, never evaluated), or None if it is not one number."""
    try:
        return float(text.strip())
    except ValueError:
        return None


def to_markdown(rows: Iterable[SnapshotRow]) -> str:
    """A Markdown table: name, value, units, severity, timestamp.

    A ``|`` in a cell is escaped and a line break becomes a space, so that each row
    stays one table row.
    """
    lines = [
        "| " + " | ".join(_MARKDOWN_COLUMNS) + " |",
        "|" + "|".join("---" for _ in _MARKDOWN_COLUMNS) + "|",
    ]
    for row in rows:
        cells = (row.name, row.value, row.units, row.severity, row.timestamp)
        lines.append("| " + " | ".join(_markdown_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _markdown_cell(text: str) -> str:
    return re.sub(r"\s*[\r\n]+\s*", " ", text).replace("\\", "\\\\").replace("|", "\\|")


def to_csv(rows: Iterable[SnapshotRow]) -> str:
    """CSV with a header (:data:`CSV_COLUMNS`), quoted where needed; read by :func:`from_csv`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        number = "" if row.number is None else repr(row.number)
        cells = (row.name, row.value, row.units, row.severity, row.timestamp, number)
        writer.writerow([_defuse(cell) for cell in cells])
    return out.getvalue()


def _defuse(cell: str) -> str:
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _restore(cell: str) -> str:
    if cell.startswith("'") and cell[1:2] and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell


def from_csv(text: str) -> list[SnapshotRow]:
    """The rows of a CSV snapshot (as :func:`to_csv` writes, or edited by hand).

    The header names the columns, in any order and any case; only ``name`` (or
    ``pv``) is required.  Without a ``number`` column the number is read from the value.

    Raises
    ------
    SnapshotError
        No header or no name column, a name that is not a PV name, a number that is
        not one; the message gives the line.
    """
    try:
        return _from_csv(text)
    except csv.Error as exc:  # a cell over the field size limit, a lone CR (a binary file)
        raise SnapshotError(f"not CSV: {exc}") from None


def _from_csv(text: str) -> list[SnapshotRow]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header:
        raise SnapshotError("the snapshot is empty: no header line")
    columns = [_restore(cell).strip().lower() for cell in header]
    name_column = "name" if "name" in columns else "pv"
    if name_column not in columns:
        raise SnapshotError(f"the header has no name column: {', '.join(columns)}")
    rows: list[SnapshotRow] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        line = reader.line_num
        record = {
            col: _restore(cell) for col, cell in zip(columns, cells, strict=False)
        }  # short rows: defaults
        name = record.get(name_column, "").strip()
        try:
            check_pv_name(name)
        except PVNameError as exc:
            raise SnapshotError(f"line {line}: {exc}") from None
        value = record.get("value", "")
        if "number" in record:
            number_text = record["number"].strip()
            number = parse_number(number_text) if number_text else None
            if number_text and number is None:
                raise SnapshotError(f"line {line}: not a number: {number_text!r}")
        else:
            number = parse_number(value)
        rows.append(
            SnapshotRow(
                name=name,
                value=value,
                number=number,
                units=record.get("units", ""),
                severity=record.get("severity", ""),
                timestamp=record.get("timestamp", ""),
            )
        )
    return rows


def get_commands(names: Iterable[str], *, together: bool = False) -> list[str]:
    """``catui get NAME`` lines, one per PV (or one line for all, with ``together``).

    Names are shell-quoted; a name holding a control character (which no shell line
    can carry) becomes a ``#`` comment instead.
    """
    lines: list[str] = []
    usable: list[str] = []
    for name in names:
        if _CONTROL.search(name):
            lines.append(f"# not a usable PV name: {_comment(name)}")
        elif together:
            usable.append(name)
        else:
            lines.append(_command("get", [name]))
    if usable:
        lines.insert(0, _command("get", usable))
    return lines


def put_commands(rows: Iterable[SnapshotRow]) -> list[str]:
    """``catui put NAME VALUE`` lines that write the rows' values back.

    An array shown whole (``[3] 1 2 3``) becomes ``catui put -a NAME 3 1 2 3``.  A row
    that cannot be written back from what was shown becomes a ``#`` comment: an
    empty value (no value, or not connected: writing ``""`` could blank a string
    PV), an array shown cut short (``…``), a control character (no one-line shell
    command can carry it).
    """
    lines: list[str] = []
    for row in rows:
        reason = _unwritable(row)
        if reason:
            lines.append(f"# {_comment(row.name)}: {reason}, not written")
            continue
        array = _ARRAY.fullmatch(row.value)
        if array and row.number is None:
            items = array["items"].split()
            lines.append(_command("put", ["-a", row.name, array["count"], *items]))
        else:
            lines.append(_command("put", [row.name, row.value]))
    return lines


def _unwritable(row: SnapshotRow) -> str:
    if _CONTROL.search(row.name) or _CONTROL.search(row.value):
        return "control characters"
    if row.value == "":
        return "no value"
    if row.value == "--":
        # argparse drops a second "--" too: the line would write "" (Python 3.10, 3.11).
        return "'--' cannot be given on a command line"
    array = _ARRAY.fullmatch(row.value)
    if array and row.number is None:
        items = array["items"].split()
        if "…" in row.value or "..." in items or len(items) != int(array["count"]):
            return "array shown in part"
    return ""


def _command(tool: str, words: Sequence[str]) -> str:
    # "--" ends the options, so that a value such as "-a" or a negative number is
    # taken as a value (argparse would read "-a" as the array option).
    operands_start = 1 if words[:1] == ["-a"] else 0
    options, operands = list(words[:operands_start]), list(words[operands_start:])
    if any(word.startswith("-") for word in operands):
        operands.insert(0, "--")
    return " ".join(["catui", tool, *(shlex.quote(w) for w in options + operands)])


def _comment(text: str) -> str:
    # Shown with repr's escapes, so nothing in it ends the comment line.
    return repr(text)[1:-1] if _CONTROL.search(text) else text


def compare(
    saved_rows: Iterable[SnapshotRow],
    live_rows: Iterable[SnapshotRow],
    tolerance: float | Mapping[str, float] = 0.0,
    *,
    default_tolerance: float = 0.0,
) -> list[Drift]:
    """How the live rows drifted from a saved snapshot.

    Parameters
    ----------
    saved_rows, live_rows : iterable of SnapshotRow
        A name listed twice counts once, as first listed.
    tolerance : float or mapping of str to float
        The largest ``|live - saved|`` that is not a drift (absolute, inclusive): one
        for all rows, or one per PV name.
    default_tolerance : float
        For names missing from a ``tolerance`` mapping.

    Returns
    -------
    list of Drift
        In saved order, then the added rows in live order.  A row can drift in its
        value and its severity both: two entries.  Numbers are compared when both
        rows have one (NaN equals NaN); otherwise the value text is.

    Raises
    ------
    ValueError
        A negative or NaN tolerance.
    """
    saved = _by_name(saved_rows)
    live = _by_name(live_rows)
    drifts: list[Drift] = []
    for name, before in saved.items():
        after = live.get(name)
        if after is None:
            drifts.append(Drift(name, "missing", before, None))
            continue
        limit = _tolerance_for(name, tolerance, default_tolerance)
        drift = _value_drift(before, after, limit)
        if drift is not None:
            drifts.append(drift)
        if before.severity != after.severity:
            drifts.append(Drift(name, "severity", before, after, tolerance=limit))
    drifts.extend(
        Drift(name, "added", None, row) for name, row in live.items() if name not in saved
    )
    return drifts


def _by_name(rows: Iterable[SnapshotRow]) -> dict[str, SnapshotRow]:
    found: dict[str, SnapshotRow] = {}
    for row in rows:
        found.setdefault(row.name, row)
    return found


def _tolerance_for(name: str, tolerance: float | Mapping[str, float], default: float) -> float:
    limit = tolerance.get(name, default) if isinstance(tolerance, Mapping) else tolerance
    if math.isnan(limit) or limit < 0:
        raise ValueError(f"the tolerance of {name} must be zero or more, not {limit!r}")
    return limit


def _value_drift(before: SnapshotRow, after: SnapshotRow, limit: float) -> Drift | None:
    name = before.name
    if before.number is not None and after.number is not None:
        a, b = before.number, after.number
        if math.isnan(a) or math.isnan(b):
            if math.isnan(a) and math.isnan(b):
                return None
            return Drift(name, "changed", before, after, None, limit)
        if a == b:  # also inf == inf, where b - a is NaN
            return None
        difference = b - a
        # isclose: 1.1 - 1.0 is 0.10000000000000009, and a tolerance of 0.1 is meant
        # to let it through.
        if abs(difference) <= limit or math.isclose(abs(difference), limit, rel_tol=1e-9):
            return None
        return Drift(name, "changed", before, after, difference, limit)
    if before.value != after.value:
        return Drift(name, "changed", before, after, None, limit)
    return None
