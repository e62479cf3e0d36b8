"""A chart's exact samples as CSV, for the logbook, and read back.

One row per sample, oldest first across PVs: ``time`` (ISO 8601 with the UTC offset),
``epoch`` (POSIX seconds, exact: Python's shortest round-trip repr), ``pv``, ``value``
(likewise exact; empty for a disconnection) and ``severity`` (``NO_ALARM``, ``MINOR``,
``MAJOR``, ``INVALID``, or ``DISCONNECTED``).  Written from
:meth:`~catui.plot.history.History.samples` — the samples as received, never the
decimated picture.
"""

from __future__ import annotations

import csv
import datetime
import heapq
import io
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from catui.plot.history import DISCONNECTED, History

__all__ = ["HEADER", "Export", "export_histories", "read_samples", "write_samples"]

HEADER = ("time", "epoch", "pv", "value", "severity")
_NAMES = {0: "NO_ALARM", 1: "MINOR", 2: "MAJOR", 3: "INVALID", DISCONNECTED: "DISCONNECTED"}
_CODES = {name: code for code, name in _NAMES.items()}

# (time, pv, value, severity)
Row = tuple[float, str, float, int]


@dataclass(frozen=True)
class Export:
    """What :func:`export_histories` wrote: rows, and the PVs whose exact samples begin
    after the window's start (older samples are kept only as min/max buckets)."""

    rows: int
    partial: dict[str, float]


def _severity_name(code: int) -> str:
    return _NAMES.get(code, f"SEV{code}")


def write_samples(out: IO[str], rows: Iterable[Row], tz: datetime.tzinfo | None = None) -> int:
    """Write ``rows`` (time, pv, value, severity), with the header; how many rows.

    ``tz`` is the zone of the ISO column (None: the local one); ``epoch`` is the same
    instant in any zone.
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    count = 0
    for when, name, value, severity in rows:
        stamp = datetime.datetime.fromtimestamp(when, tz) if tz else (
            datetime.datetime.fromtimestamp(when).astimezone()
        )  # fmt: skip
        if severity == DISCONNECTED:
            text = ""
        else:
            text = repr(float(value))
        writer.writerow(
            (stamp.isoformat(timespec="microseconds"), repr(float(when)), name, text,
             _severity_name(int(severity)))
        )  # fmt: skip
        count += 1
    return count


def _rows(name: str, history: History, t0: float, t1: float) -> Iterator[Row]:
    times, values, severities = history.samples(t0, t1)
    for when, value, severity in zip(
        times.tolist(), values.tolist(), severities.tolist(), strict=True
    ):
        yield when, name, value, severity


def export_histories(
    target: str | Path | IO[str],
    histories: Mapping[str, History],
    t0: float,
    t1: float,
    tz: datetime.tzinfo | None = None,
) -> Export:
    """The exact samples of ``histories`` in ``[t0, t1]`` to CSV, merged by time.

    Parameters
    ----------
    target : path or text file
        Where to write (a path is written whole, then closed).
    histories : mapping of PV name to History
        The chart's traces, in legend order (ties in time keep that order).
    t0, t1 : float
        The chart's window.

    Returns
    -------
    Export
        The row count, and for each PV whose exact samples start after ``t0`` the time
        they start from (say so to the operator: older data is decimated).
    """
    partial = {}
    for name, history in histories.items():
        since = history.exact_since
        if since is not None and since > t0 and history.total > len(history):
            partial[name] = since
    streams = [_rows(name, h, t0, t1) for name, h in histories.items()]
    merged = heapq.merge(*streams, key=lambda row: row[0])
    if isinstance(target, (str, Path)):
        with open(target, "w", encoding="utf-8", newline="") as out:
            count = write_samples(out, merged, tz)
    else:
        count = write_samples(target, merged, tz)
    return Export(count, partial)


def read_samples(
    source: str | Path | IO[str],
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Read a file of :func:`write_samples`: per PV, (times, values, severities) arrays.

    Raises
    ------
    ValueError
        Naming the line, for a file that is not such a CSV.
    """
    if isinstance(source, (str, Path)):
        text = Path(source).read_text(encoding="utf-8")
    else:
        text = source.read()
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(header) != HEADER:
        raise ValueError(f"not a catui plot export: the header is {header!r}, not {HEADER}")
    found: dict[str, tuple[list[float], list[float], list[int]]] = {}
    for number, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(HEADER):
            raise ValueError(f"line {number}: {len(row)} fields, not {len(HEADER)}")
        _, epoch, name, value, severity = row
        try:
            when = float(epoch)
            code = _CODES[severity] if severity in _CODES else int(severity.removeprefix("SEV"))
            number_value = math.nan if value == "" else float(value)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"line {number}: {exc}") from None
        times, values, severities = found.setdefault(name, ([], [], []))
        times.append(when)
        values.append(number_value)
        severities.append(code)
    return {
        name: (np.array(t, np.float64), np.array(v, np.float64), np.array(s, np.int8))
        for name, (t, v, s) in found.items()
    }
