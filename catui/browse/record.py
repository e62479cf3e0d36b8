"""The record view's data: which fields a record has, all of them read at once, as plain data.

:func:`read_record` reads ``REC.RTYP``, then every field the record type has
(from :data:`catui.browse.fields.TABLE`; for a type the table does not know,
dbCommon's fields and the usual ones, and the view says it is partial) in one
search batch and one circuit per IOC, then the ``$`` form of link and long
string fields whose text filled a DBR_STRING. Values arrive through a
callback as they are read; the console calls it from a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from catui.browse import fetch as fetching
from catui.browse.fetch import LONG, NOT_FOUND, Reading, Request
from catui.browse.fields import (
    RTYP,
    SUMMARY_FIELDS,
    TABLE,
    FieldDef,
    RecordTable,
    group_fields,
    group_label,
)
from catui.browse.links import MAX_STRING_SIZE, Link, long_name, may_be_truncated, parse_link

__all__ = [
    "NOT_READABLE",
    "FieldValue",
    "RecordView",
    "field_value",
    "plan_fields",
    "read_record",
    "record_name",
]

#: The error of a DBF_NOACCESS field (never read: CA cannot).
NOT_READABLE = "not readable over CA (DBF_NOACCESS)"


def record_name(pv: str) -> str:
    """The record part of a PV name: ``rec.VAL`` -> ``rec`` (record names hold no dot)."""
    return pv.strip().partition(".")[0]


class FieldValue(NamedTuple):
    """One field's value in the record view.

    Attributes
    ----------
    field : FieldDef
    text : str
        What to show: the value, a menu's choice text, a link's full text.
    reading : Reading or None
        The read behind it (None for a field not read).
    link : Link or None
        A link field's text, parsed.
    error : str
        ``""``, or why there is no value (``no read access``, ``not found``, ...).
    long : bool
        The text was read in full through the field's ``$`` form.
    """

    field: FieldDef
    text: str = ""
    reading: Reading | None = None
    link: Link | None = None
    error: str = ""
    long: bool = False

    @property
    def writable(self) -> bool:
        """The server grants write access and the DBD does not forbid it."""
        return self.reading is not None and self.reading.writable and not self.field.read_only


class RecordView:
    """A record's fields and their values (filled in as reads arrive).

    Attributes
    ----------
    record : str
    record_type : str
        ``""`` until ``.RTYP`` is read (or when it could not be).
    partial : bool
        The table does not know the record type: only dbCommon's and the usual
        fields were tried.
    fields : list of FieldDef
        The fields shown, in DBD order (RTYP first); fields the IOC does not
        serve (an older Base, or a probe that missed) are dropped to ``absent``.
    absent : list of str
        Fields of the plan that the IOC does not have.
    values : dict of str to FieldValue
    error, detail : str
        Why the record could not be read at all (``.RTYP`` failed), else ``""``.
    host : str
        The IOC serving it (``address:port``).
    """

    def __init__(self, record: str, table: RecordTable = TABLE) -> None:
        self.record = record
        self.table = table
        self.record_type = ""
        self.partial = False
        self.fields: list[FieldDef] = []
        self.absent: list[str] = []
        self.values: dict[str, FieldValue] = {}
        self.error = ""
        self.detail = ""
        self.host = ""

    def __repr__(self) -> str:
        state = self.error or f"{len(self.values)}/{len(self.fields)} fields"
        return f"<RecordView {self.record!r} {self.record_type or '?'}: {state}>"

    def pv(self, field: str) -> str:
        """The PV name of one of the record's fields."""
        return f"{self.record}.{field}"

    def field(self, name: str) -> FieldDef | None:
        """The definition of a field shown, or None."""
        for field in self.fields:
            if field.name == name:
                return field
        return None

    def value(self, name: str) -> FieldValue | None:
        """A field's value, once read."""
        return self.values.get(name)

    def text(self, name: str, default: str = "") -> str:
        """A field's text, ``default`` if it has none (yet)."""
        value = self.values.get(name)
        return value.text if value is not None and not value.error else default

    @property
    def complete(self) -> bool:
        """Every field shown has its value (or its error)."""
        return all(f.name in self.values for f in self.fields)

    @property
    def disabled(self) -> bool | None:
        """Whether DISA equals DISV (the record does not process), None until both are read."""
        disa, disv = self.text("DISA"), self.text("DISV")
        return disa == disv if disa and disv else None

    def summary(self) -> list[FieldDef]:
        """The fields the view shows first (type, scan, disable, alarm), in that order."""
        shown = {f.name: f for f in self.fields}
        return [shown[name] for name in SUMMARY_FIELDS if name in shown]

    def groups(self) -> list[tuple[str, list[FieldDef]]]:
        """Every field by promptgroup: (label, fields), in EPICS's group order."""
        return [(group_label(group), fields) for group, fields in group_fields(self.fields)]

    def links(self) -> list[FieldValue]:
        """The link fields read, in DBD order."""
        return [v for f in self.fields if (v := self.values.get(f.name)) and v.link is not None]


def plan_fields(record_type: str, table: RecordTable = TABLE) -> tuple[list[FieldDef], bool]:
    """The fields to show for ``record_type``, and whether that list is partial.

    A known type: RTYP and every field of its DBD. An unknown one: RTYP,
    dbCommon's fields and :data:`catui.browse.fields.PROBE_FIELDS`.
    """
    if table.knows(record_type):
        return [RTYP, *table.fields(record_type)], False
    return [RTYP, *table.probe_fields()], True


def field_value(field: FieldDef, reading: Reading) -> FieldValue:
    """A field's value from its read: the text, the parsed link, or the error."""
    if reading.error:
        return FieldValue(field, reading=reading, error=reading.error)
    link = parse_link(reading.text, field.dbf) if field.is_link else None
    return FieldValue(field, reading.text, reading, link, long=reading.mode == LONG)


def _wants_long(field: FieldDef, value: FieldValue) -> bool:
    if value.error or not may_be_truncated(value.text):
        return False
    return field.is_link or (field.dbf == "DBF_STRING" and field.size > MAX_STRING_SIZE)


def read_record(
    pv: str,
    *,
    timeout: float = 2.0,
    table: RecordTable = TABLE,
    on_update: Callable[[RecordView, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> RecordView:
    """Read every field of the record ``pv`` names, all at once.

    Parameters
    ----------
    pv : str
        The record, or any of its fields (``rec.VAL`` reads ``rec``).
    timeout : float
        Seconds for each phase (the type, the fields, the long texts); a field
        missing on the IOC does not hold up the others (see :func:`catui.browse.fetch.fetch`).
    table : RecordTable
    on_update : callable, optional
        ``on_update(view, field)``: after the plan is known (``field == ""``)
        and after each field's value arrives. It runs in the reading thread,
        which goes on changing ``view``: post ``view.values[field]`` (immutable)
        to the screen rather than the view itself.
    cancelled : callable, optional
        Stop reading when it returns True (the screen was closed).

    Returns
    -------
    RecordView
        ``view.error`` says why the record could not be read (``.RTYP`` failed).
    """
    view = RecordView(record_name(pv), table)
    notify = on_update or (lambda _view, _field: None)
    rtyp = fetching.fetch([Request(view.pv("RTYP"))], timeout=timeout, cancelled=cancelled)
    first = next(iter(rtyp.values()), None)
    if first is None:  # cancelled
        view.error = "cancelled"
        return view
    if first.error:
        view.error, view.detail = first.error, first.detail
        notify(view, "")
        return view
    view.record_type, view.host = first.text, first.host
    view.fields, view.partial = plan_fields(view.record_type, table)
    view.values["RTYP"] = field_value(RTYP, first)
    notify(view, "")

    by_pv: dict[str, FieldDef] = {}
    requests = []
    for field in view.fields[1:]:
        if not field.readable:
            view.values[field.name] = FieldValue(field, error=NOT_READABLE)
            continue
        by_pv[view.pv(field.name)] = field
        requests.append(Request(view.pv(field.name)))

    def arrived(reading: Reading) -> None:
        field = by_pv[reading.pv]
        if reading.error == NOT_FOUND:
            view.absent.append(field.name)
            view.fields.remove(field)
        else:
            view.values[field.name] = field_value(field, reading)
        notify(view, field.name)

    fetching.fetch(requests, timeout=timeout, on_reading=arrived, cancelled=cancelled)
    longs = {
        long_name(view.pv(f.name)): f
        for f in view.fields
        if (v := view.values.get(f.name)) is not None and _wants_long(f, v)
    }
    if longs and not (cancelled is not None and cancelled()):

        def arrived_long(reading: Reading) -> None:
            field = longs[reading.pv]
            if reading.ok:  # else keep the DBR_STRING text (an IOC older than 3.14.11)
                view.values[field.name] = field_value(field, reading)
                notify(view, field.name)

        requests = [Request(name, LONG) for name in longs]
        fetching.fetch(requests, timeout=timeout, on_reading=arrived_long, cancelled=cancelled)
    return view
