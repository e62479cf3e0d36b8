"""The watch table's rows as snapshot rows, to copy out and to compare."""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Iterable

import numpy as np

from catui.data.snapshot import SnapshotRow
from catui.model import CONNECTED, PVState, format_timestamp, format_value, severity_text

__all__ = ["ARRAY_ITEMS", "put_rows", "snapshot_row", "snapshot_rows"]

#: Elements of an array written out in full; a longer array is shown cut (``…``), and
#: ``catui put`` lines leave it out rather than write back part of it.
ARRAY_ITEMS = 1000


def snapshot_row(state: PVState, tz: datetime.tzinfo | None = None) -> SnapshotRow:
    """What the table shows of ``state``, with the value's number in full precision.

    The value is shown as in the table (the PV's precision, an enum's choice, an
    array as ``[N] v1 v2 …``) but without units, which have their own column.  A PV
    that is not connected has no value, and its connection state as severity.
    """
    if state.connection != CONNECTED or state.value is None:
        severity = "" if state.connection == CONNECTED else state.connection
        return SnapshotRow(state.name, "", None, _units(state), severity, "")
    text = format_value(state, max_items=ARRAY_ITEMS, width=1 << 30)
    units = _units(state)
    if units and text.endswith(" " + units):
        text = text[: -len(units) - 1]
    return SnapshotRow(
        name=state.name,
        value=text,
        number=_number(state),
        units=units,
        severity=severity_text(state.severity),
        timestamp=format_timestamp(state.timestamp, full=True, tz=tz),
    )


def snapshot_rows(
    states: Iterable[PVState], tz: datetime.tzinfo | None = None
) -> list[SnapshotRow]:
    """:func:`snapshot_row` of each state, in order."""
    return [snapshot_row(state, tz) for state in states]


def put_rows(states: Iterable[PVState], tz: datetime.tzinfo | None = None) -> list[SnapshotRow]:
    """Rows whose values write back exactly: numbers in full precision, not as shown.

    For :func:`catui.data.snapshot.put_commands`: a value shown with ``PREC=1`` as
    ``0.1`` may be 0.123456, and writing back the rounded value would change the PV.
    """
    rows = []
    for state in states:
        row = snapshot_row(state, tz)
        exact = _exact_text(state) if row.value else None
        if exact is None and row.value:
            # The table shows a line break as a space: write back the text itself
            # (put_commands then says a line cannot carry it), never "a b" for "a\nb".
            exact = _raw_text(state)
        rows.append(dataclasses.replace(row, value=exact) if exact is not None else row)
    return rows


def _raw_text(state: PVState) -> str | None:
    """The text of a string scalar or a long string as it is; None for anything else."""
    value = state.value
    if isinstance(value, list) and len(value) == 1 and not state.is_array:
        return str(value[0])
    if state.is_text:
        return state.text()
    return None


def _units(state: PVState) -> str:
    return state.control.units if state.control is not None else ""


def _is_enum(state: PVState) -> bool:
    return state.type_name == "ENUM" and bool(state.control and state.control.enum_strings)


def _number(state: PVState) -> float | None:
    """The scalar value as a float; None for text, enums, arrays and no value."""
    if state.is_array or state.is_text or _is_enum(state) or isinstance(state.value, list):
        return None
    scalar = state.scalar()
    if isinstance(scalar, (bool, int, float)):
        return float(scalar)
    return None


def _exact_text(state: PVState) -> str | None:
    """The numeric value (or every element) in full precision; None if not numeric."""
    value = state.value
    if not isinstance(value, np.ndarray) or state.is_text or _is_enum(state):
        return None
    if value.dtype.kind not in "biuf":
        return None
    items = [_exact(item) for item in value[:ARRAY_ITEMS].tolist()]
    if state.is_array or len(value) > 1:
        more = " …" if len(value) > ARRAY_ITEMS else ""
        return f"[{len(value)}] " + " ".join(items) + more
    return items[0] if items else None


def _exact(item: float | int) -> str:
    if isinstance(item, float):
        # repr: the shortest text that reads back as the same double.
        return repr(item) if math.isfinite(item) else str(item)
    return str(int(item))
