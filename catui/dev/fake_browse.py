"""A browse source of fixed data: the record view and the PV tree of the snapshots, no IOC.

Every record is an ``ai`` whose fields hold their DBD initial values, a menu's
choice for its index, and the few values :data:`VALUES` gives; the tree of
``demo:level`` is a small fixed plant with a severity origin three links down, a
cycle, a constant and a target that is not found.
"""

from __future__ import annotations

from collections.abc import Callable

from catui.browse.fetch import NOT_FOUND, Reading
from catui.browse.fields import TABLE, FieldDef
from catui.browse.links import parse_link
from catui.browse.record import NOT_READABLE, FieldValue, RecordView, field_value, plan_fields
from catui.browse.source import BrowseSource
from catui.browse.tree import DEFAULT_DEPTH, PVTree, TreeNode

__all__ = ["VALUES", "FixedBrowseSource"]

HOST = "127.0.0.1:5064"
#: Field values of every record (the rest: the DBD's initial values).
VALUES = {
    "DESC": "Tank temperature", "SCAN": "1 second", "INP": "demo:tank:raw CP MS",
    "FLNK": "demo:tank:alarm", "SDIS": "demo:interlock NPP", "VAL": "61.5", "EGU": "degC",
    "PREC": "2", "HIHI": "90", "HIGH": "60", "LOW": "10", "LOLO": "0", "HHSV": "MAJOR",
    "HSV": "MINOR", "LSV": "MINOR", "LLSV": "MAJOR", "HYST": "0.5", "ADEL": "0.1",
    "MDEL": "0.01", "STAT": "HIGH", "SEVR": "MINOR", "DTYP": "Soft Channel", "HOPR": "100",
}  # fmt: skip
_NATIVE = {"DBF_DOUBLE": "DOUBLE", "DBF_FLOAT": "FLOAT", "DBF_MENU": "ENUM",
           "DBF_DEVICE": "ENUM", "DBF_STRING": "STRING"}  # fmt: skip


def _reading(pv: str, field: FieldDef) -> Reading:
    text = VALUES.get(field.name, field.initial)
    if field.dbf == "DBF_MENU" and not text:
        choices = TABLE.menu(field.menu)
        text = choices[0] if choices else ""
    elif field.dbf.startswith("DBF_") and field.dbf[4:] in ("DOUBLE", "FLOAT", "SHORT", "LONG",
                                                           "UCHAR", "CHAR", "USHORT", "ULONG",
                                                           "INT64", "UINT64", "ENUM"):  # fmt: skip
        text = text or "0"
    native = _NATIVE.get(field.dbf, "STRING" if field.is_link else "LONG")
    writable = not field.read_only and field.special != "SPC_NOMOD"
    return Reading(pv, value=text, text=text, native_count=1, native=native,
                   writable=writable, host=HOST)  # fmt: skip


class FixedBrowseSource(BrowseSource):
    """Answers at once, from fixed data (for snapshots and screenshots)."""

    def read_record(
        self,
        pv: str,
        on_update: Callable[[RecordView, str], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> RecordView:
        view = RecordView(pv.partition(".")[0])
        view.record_type, view.host = "ai", HOST
        view.fields, view.partial = plan_fields("ai")
        notify = on_update or (lambda _view, _field: None)
        view.values["RTYP"] = FieldValue(view.fields[0], "ai")
        notify(view, "")
        for field in view.fields[1:]:
            if not field.readable:
                view.values[field.name] = FieldValue(field, error=NOT_READABLE)
                continue
            view.values[field.name] = field_value(field, _reading(view.pv(field.name), field))
            notify(view, field.name)
        return view

    def expand_tree(
        self,
        pv: str,
        max_depth: int = DEFAULT_DEPTH,
        on_update: Callable[[PVTree], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> PVTree:
        tree = PVTree(pv, max_depth)
        root = tree.root
        _set(root, "calc", "96", 2, 14)  # LINK: raised through MS

        def add(parent: TreeNode, field: str, link: str, order: int) -> TreeNode:
            parsed = parse_link(link)
            node = TreeNode(parsed.pv or "", kind=parsed.kind, field=field, link=parsed,
                            parent=parent, order=order)  # fmt: skip
            parent.children.append(node)
            node.pending = False
            if not parsed.pv:
                node.value, node.note = parsed.text, "constant"
            return node

        tank = add(root, "INPA", "demo:tank:level PP MS", 0)
        _set(tank, "calc", "96", 2, 14)
        sensor = add(tank, "INPA", "demo:tank:sensor NPP MS", 0)
        _set(sensor, "ai", "96.2", 2, 14)
        raw = add(sensor, "INP", "demo:tank:raw CP MS", 0)
        _set(raw, "ai", "9620", 2, 3)
        back = add(raw, "SDIS", "demo:level NPP", 1)
        _set(back, "calc", "96", 2, 14)
        back.cycle = True
        offset = add(tank, "INPB", "demo:tank:offset NPP NMS", 1)
        _set(offset, "ao", "0.2", 1, 4)
        add(tank, "INPC", "1.5", 2)
        gone = add(root, "INPB", "demo:tank:spare NPP", 1)
        gone.error, gone.detail = NOT_FOUND, "'demo:tank:spare' not found for 2 s"
        tree.complete = True
        tree.mark_origin()
        if on_update is not None:
            on_update(tree)
        self.remember(n.pv for n in tree.nodes() if n.pv)
        return tree

    def read_alarms(
        self, pvs: list[str], cancelled: Callable[[], bool] | None = None
    ) -> dict[str, Reading]:
        return {}  # nothing moves in a snapshot

    def read_descriptions(self, names: list[str]) -> dict[str, str]:
        return {name: f"{name.rpartition(':')[2]} of the plant" for name in names}

    def read_field(self, pv: str) -> Reading:
        name = pv.rpartition(".")[2]
        field = next((f for f in TABLE.fields("ai") if f.name == name), FieldDef(name, ""))
        return _reading(pv, field)


def _set(node: TreeNode, record_type: str, value: str, severity: int, status: int) -> None:
    node.record_type, node.value, node.severity, node.status = record_type, value, severity, status
    node.pending = False
