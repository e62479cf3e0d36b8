"""Read a saved snapshot, CSV or Markdown, with the tolerances some of its rows carry.

The console writes snapshots with :func:`catui.data.snapshot.to_csv` and
:func:`~catui.data.snapshot.to_markdown`; an operator may add a ``tolerance`` column
(the largest ``|live - saved|`` that is not a drift, per row) before comparing.  A
Markdown snapshot pasted in a logbook page can be read back with the text around it:
only the table counts.  Nothing read is evaluated: numbers go through :func:`float`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from pathlib import Path

from catui.data.snapshot import CSV_COLUMNS, SnapshotError, SnapshotRow, from_csv, parse_number
from catui.feeds.names import PVNameError, check_pv_name

__all__ = ["SavedSnapshot", "load_snapshot", "parse_markdown", "parse_snapshot"]

_TOLERANCE_COLUMNS = ("tolerance", "tol")
_NAME_COLUMNS = ("name", "pv")


@dataclasses.dataclass(frozen=True)
class SavedSnapshot:
    """The rows of a snapshot and the tolerances given in it.

    Attributes
    ----------
    rows : list of SnapshotRow
    tolerances : dict of str to float
        Per PV name, for the rows with a tolerance cell that is not empty.
    columns : frozenset of str
        The columns the file has (lower case): what is not there is not compared.
    """

    rows: list[SnapshotRow]
    tolerances: dict[str, float]
    columns: frozenset[str] = frozenset(CSV_COLUMNS)


def load_snapshot(path: str | Path) -> SavedSnapshot:
    """Read the snapshot file at ``path`` (CSV or Markdown, told apart by content).

    Raises
    ------
    OSError
        The file cannot be read.
    SnapshotError
        It is not a snapshot; the message says why and where.
    """
    with open(path, encoding="utf-8", errors="replace", newline="") as file:
        return parse_snapshot(file.read())


def parse_snapshot(text: str) -> SavedSnapshot:
    """A snapshot from its text: a Markdown table (lines starting with ``|``), else CSV.

    Raises
    ------
    SnapshotError
        No table, no name column, a name that is not a PV name, a bad number or
        tolerance; the message gives the line.
    """
    text = text.lstrip("\ufeff")
    if any(line.lstrip().startswith("|") for line in text.splitlines()):
        return parse_markdown(text)
    rows = from_csv(text)
    return SavedSnapshot(rows, _csv_tolerances(text), _csv_columns(text))


def _csv_columns(text: str) -> frozenset[str]:
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:  # from_csv read it: this cannot be, but all columns is safe
        return frozenset(CSV_COLUMNS)
    return frozenset(cell.strip().lower() for cell in header)


def _csv_tolerances(text: str) -> dict[str, float]:
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip().lower() for cell in next(reader, [])]
    column = next((header.index(c) for c in _TOLERANCE_COLUMNS if c in header), None)
    if column is None:
        return {}
    name_column = header.index("name") if "name" in header else header.index("pv")
    tolerances: dict[str, float] = {}
    for cells in reader:
        if len(cells) <= max(column, name_column) or not cells[column].strip():
            continue
        name = cells[name_column].strip()
        tolerances.setdefault(name, _tolerance(cells[column], reader.line_num))
    return tolerances


def parse_markdown(text: str) -> SavedSnapshot:
    """The first Markdown table of ``text`` whose header names a ``name`` (or ``pv``) column.

    Columns are found by their header (any order, any case): ``name``, ``value``,
    ``units``, ``severity``, ``timestamp``, ``tolerance``; others are ignored.  ``\\|``
    and ``\\\\`` in a cell are a bar and a backslash, as :func:`to_markdown` escapes them.

    Raises
    ------
    SnapshotError
    """
    columns: list[str] | None = None
    rows: list[SnapshotRow] = []
    tolerances: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith("|"):
            if columns is not None and rows:
                break  # the table ended
            continue
        cells = split_row(stripped)
        if columns is None:
            lowered = [cell.lower() for cell in cells]
            if any(c in lowered for c in _NAME_COLUMNS):
                columns = lowered
            continue
        if all(set(cell) <= set(":- ") for cell in cells):
            continue  # the separator row
        record = dict(zip(columns, cells, strict=False))
        name = record.get("name", record.get("pv", "")).strip()
        try:
            check_pv_name(name)
        except PVNameError as exc:
            raise SnapshotError(f"line {number}: {exc}") from None
        value = record.get("value", "")
        rows.append(
            SnapshotRow(
                name=name,
                value=value,
                number=parse_number(value),
                units=record.get("units", ""),
                severity=record.get("severity", ""),
                timestamp=record.get("timestamp", ""),
            )
        )
        cell = next((record[c] for c in _TOLERANCE_COLUMNS if c in record), "")
        if cell.strip():
            tolerances.setdefault(name, _tolerance(cell, number))
    if columns is None:
        raise SnapshotError("no Markdown table with a name column")
    return SavedSnapshot(rows, tolerances, frozenset(c.strip() for c in columns))


def split_row(line: str) -> list[str]:
    """The cells of one Markdown table row, unescaped and stripped."""
    cells: list[str] = []
    cell: list[str] = []
    chars = iter(line.strip())
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            if following in ("|", "\\"):
                cell.append(following)
            else:
                cell.append(char + following)
        elif char == "|":
            cells.append("".join(cell).strip())
            cell = []
        else:
            cell.append(char)
    last = "".join(cell).strip()
    if last:
        cells.append(last)  # a row without its closing bar
    if cells and line.strip().startswith("|"):
        cells = cells[1:]  # the empty cell before the opening bar
    return cells


def _tolerance(cell: str, line: int) -> float:
    value = parse_number(cell)
    if value is None or math.isnan(value) or value < 0:
        raise SnapshotError(f"line {line}: a tolerance is a number ≥ 0, not {cell.strip()!r}")
    return value
