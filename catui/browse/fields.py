"""The fields of each record type, as the DBD files define them: types, prompts, groups, menus.

:data:`TABLE` holds EPICS Base's record types (from the generated
:mod:`catui.browse.record_fields`); :meth:`RecordTable.from_definitions` adds a
site's own (from :func:`catui.browse.dbd.read_dbd`). For a record type the
table does not know, :meth:`RecordTable.probe_fields` lists what to try.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from catui.browse.dbd import Definitions

__all__ = [
    "LINK_TYPES",
    "NUMERIC_TYPES",
    "PROBE_FIELDS",
    "PROBE_INPUT_LINKS",
    "RTYP",
    "RUNTIME_GROUP",
    "SUMMARY_FIELDS",
    "TABLE",
    "FieldDef",
    "RecordTable",
    "group_fields",
    "group_label",
]

LINK_TYPES = frozenset(("DBF_INLINK", "DBF_OUTLINK", "DBF_FWDLINK"))
NUMERIC_TYPES = frozenset(
    ("DBF_CHAR", "DBF_UCHAR", "DBF_SHORT", "DBF_USHORT", "DBF_LONG", "DBF_ULONG",
     "DBF_INT64", "DBF_UINT64", "DBF_FLOAT", "DBF_DOUBLE")
)  # fmt: skip
#: The label of the fields a DBD gives no promptgroup (set at run time, not in a .db file).
RUNTIME_GROUP = "Run-time"

#: What the record view shows first (those the record type has), before the groups.
SUMMARY_FIELDS = (
    "RTYP", "DESC", "SCAN", "PINI", "PHAS", "EVNT", "DTYP", "DISA", "DISV", "SDIS", "DISS",
    "STAT", "SEVR", "AMSG", "HIHI", "HHSV", "HIGH", "HSV", "LOW", "LSV", "LOLO", "LLSV",
    "HYST", "ADEL", "MDEL",
)  # fmt: skip

#: Fields worth trying on a record type the table does not know (beside dbCommon's).
PROBE_FIELDS = (
    "VAL", "INP", "OUT", "DOL", "OMSL", "EGU", "PREC", "HOPR", "LOPR", "DRVH", "DRVL",
    "HIHI", "HIGH", "LOW", "LOLO", "HHSV", "HSV", "LSV", "LLSV", "HYST", "ADEL", "MDEL",
    "RVAL", "OVAL", "IVOA", "IVOV", "NELM", "NORD", "FTVL", "SIML", "SIMM", "SIMS", "SIOL",
    "INPA", "INPB", "INPC", "INPD", "INPE", "INPF", "INPG", "INPH", "INPI", "INPJ", "INPK",
    "INPL", "CALC",
)  # fmt: skip
#: The input links tried on a record type the table does not know (beside SDIS, TSEL).
PROBE_INPUT_LINKS = (
    "INP", "DOL", "SIML", "SIOL", "INPA", "INPB", "INPC", "INPD", "INPE", "INPF", "INPG",
    "INPH", "INPI", "INPJ", "INPK", "INPL",
)  # fmt: skip


class FieldDef(NamedTuple):
    """One field of a record type, as its DBD declares it.

    Attributes
    ----------
    name : str
    dbf : str
        ``DBF_DOUBLE``, ``DBF_MENU``, ``DBF_INLINK``, ...
    prompt : str
    group : str
        The DBD's ``promptgroup`` (``"40 - Input"``), ``""`` for run-time fields.
    special : str
        ``SPC_NOMOD``, ``SPC_DBADDR``, ... or ``""``.
    menu : str
        The menu of a ``DBF_MENU`` field.
    size : int
        Bytes of a ``DBF_STRING`` field, its terminating nil included.
    interest : int
        ``dbpr``'s interest level (0 most interesting).
    pp : bool
        Whether a CA put to the field processes a passive record.
    initial : str
        The DBD's initial value (``""``: zero or empty).
    """

    name: str
    dbf: str
    prompt: str = ""
    group: str = ""
    special: str = ""
    menu: str = ""
    size: int = 0
    interest: int = 0
    pp: bool = False
    initial: str = ""

    @property
    def is_link(self) -> bool:
        """An input, output or forward link."""
        return self.dbf in LINK_TYPES

    @property
    def readable(self) -> bool:
        """Whether CA can read it: DBF_NOACCESS fields cannot, unless their address is set
        at run time (``SPC_DBADDR``: a waveform's VAL)."""
        return self.dbf != "DBF_NOACCESS" or self.special == "SPC_DBADDR"

    @property
    def read_only(self) -> bool:
        """``SPC_NOMOD``, or DBF_NOACCESS without ``SPC_DBADDR``."""
        return self.special == "SPC_NOMOD" or not self.readable


#: ``.RTYP``: not a field of any DBD, the record type's name that every record serves.
RTYP = FieldDef("RTYP", "DBF_STRING", "Record Type", "10 - Common", "SPC_NOMOD", size=40)


def group_label(group: str) -> str:
    """``"40 - Input"`` -> ``"Input"``; no group -> :data:`RUNTIME_GROUP`."""
    number, sep, label = group.partition(" - ")
    if not group:
        return RUNTIME_GROUP
    return label if sep and number.strip().isdigit() else group


def _group_order(group: str) -> tuple[int, str]:
    number = group.partition(" - ")[0].strip()
    if not group:
        return (1000, "")
    return (int(number), group) if number.isdigit() else (999, group)


def group_fields(fields: Iterable[FieldDef]) -> list[tuple[str, list[FieldDef]]]:
    """The fields by promptgroup, as EPICS numbers the groups; run-time fields last.

    Returns (group, fields) pairs; the fields keep their DBD order.
    """
    groups: dict[str, list[FieldDef]] = {}
    for field in fields:
        groups.setdefault(field.group, []).append(field)
    return sorted(groups.items(), key=lambda item: _group_order(item[0]))


class RecordTable:
    """Record types, their fields and the menus, with lookups by name.

    Parameters
    ----------
    menus : mapping of str to sequence of str
    common : sequence of FieldDef
        dbCommon's fields (first in every record type).
    records : mapping of str to sequence of FieldDef
        Each record type's own fields, after dbCommon's.
    source : str
        Where the definitions come from.
    """

    def __init__(
        self,
        menus: Mapping[str, Sequence[str]],
        common: Sequence[FieldDef],
        records: Mapping[str, Sequence[FieldDef]],
        source: str = "",
    ) -> None:
        self.menus = {name: tuple(choices) for name, choices in menus.items()}
        self.common = tuple(common)
        self._own = {name: tuple(fields) for name, fields in records.items()}
        self.source = source
        self._fields: dict[str, tuple[FieldDef, ...]] = {}
        self._by_name: dict[str, dict[str, FieldDef]] = {}
        self._reference: dict[str, FieldDef] | None = None

    @classmethod
    def from_definitions(
        cls, defs: Definitions, base: RecordTable | None = None, source: str = ""
    ) -> RecordTable:
        """A table of the record types and menus read from DBD files, added to ``base``.

        dbCommon's fields are taken from ``base`` when given, else from the first
        record type read (its fields included from ``dbCommon.dbd``).
        """
        menus = dict(base.menus) if base is not None else {}
        menus.update(defs.menus)
        records: dict[str, Sequence[FieldDef]] = dict(base._own) if base is not None else {}
        common = base.common if base is not None else ()
        for name, fields in defs.records.items():
            rows = [
                FieldDef(f.name, f.dbf, f.prompt, f.promptgroup, f.special, f.menu, f.size,
                         f.interest, f.pp, f.initial)
                for f in fields
            ]  # fmt: skip
            included = sum(1 for f in fields if f.included_from)
            if not common:
                common = tuple(rows[:included])
            records[name] = rows[included:]
        return cls(menus, common, records, source or (base.source if base else ""))

    def without(self, *record_types: str) -> RecordTable:
        """This table without some record types (as if their DBD were unknown)."""
        records = {k: v for k, v in self._own.items() if k not in record_types}
        return RecordTable(self.menus, self.common, records, self.source)

    @property
    def record_types(self) -> tuple[str, ...]:
        """The record types the table knows, in its order."""
        return tuple(self._own)

    def knows(self, record_type: str) -> bool:
        """Whether the table has ``record_type``'s field list."""
        return record_type in self._own

    def fields(self, record_type: str) -> tuple[FieldDef, ...]:
        """Every field of ``record_type`` (dbCommon's first), or () if it is unknown."""
        fields = self._fields.get(record_type)
        if fields is None:
            own = self._own.get(record_type)
            if own is None:
                return ()
            fields = self._fields[record_type] = self.common + own
        return fields

    def field(self, record_type: str, name: str) -> FieldDef | None:
        """The definition of ``record_type``'s field ``name``, or None."""
        by_name = self._by_name.get(record_type)
        if by_name is None:
            by_name = self._by_name[record_type] = {f.name: f for f in self.fields(record_type)}
            by_name.setdefault("RTYP", RTYP)
        return by_name.get(name)

    def menu(self, name: str) -> tuple[str, ...]:
        """A menu's choices in index order (() for an unknown menu)."""
        return self.menus.get(name, ())

    def input_links(self, record_type: str) -> tuple[str, ...]:
        """The ``DBF_INLINK`` fields of ``record_type``; for an unknown type, those to try."""
        if not self.knows(record_type):
            common = tuple(f.name for f in self.common if f.dbf == "DBF_INLINK")
            return common + PROBE_INPUT_LINKS
        return tuple(f.name for f in self.fields(record_type) if f.dbf == "DBF_INLINK")

    def reference(self, name: str) -> FieldDef | None:
        """How Base's records declare a field ``name`` (dbCommon's first, then the
        first record type that has it): prompt and type for a probed field."""
        if self._reference is None:
            reference: dict[str, FieldDef] = {"RTYP": RTYP}
            for field in self.common:
                reference.setdefault(field.name, field)
            for own in self._own.values():
                for field in own:
                    reference.setdefault(field.name, field)
            self._reference = reference
        return self._reference.get(name)

    def probe_fields(self) -> tuple[FieldDef, ...]:
        """What to read of a record of unknown type: dbCommon's fields, then the usual ones.

        Each probed field is described as Base's records declare it; a record
        type of the site's may declare it otherwise.
        """
        probes = [self.reference(name) for name in PROBE_FIELDS]
        common = {f.name for f in self.common}
        return self.common + tuple(f for f in probes if f is not None and f.name not in common)


def _default_table() -> RecordTable:
    from catui.browse import record_fields as generated

    def rows(items: Iterable[generated.Row]) -> list[FieldDef]:
        return [FieldDef(*row) for row in items]

    return RecordTable(
        generated.MENUS,
        rows(generated.COMMON),
        {name: rows(items) for name, items in generated.RECORDS.items()},
        f"EPICS Base {generated.BASE_VERSION} ({generated.SOURCE})",
    )


#: EPICS Base's record types and menus.
TABLE = _default_table()
