"""The record view and the PV tree as plain text (``catui info --fields``, ``catui tree``),
and the tree as JSON-ready data.

Server text (values, link text, descriptions) is shown with control characters
escaped, so that nothing an IOC sends can drive the terminal.
"""

from __future__ import annotations

from typing import Any

from catui.browse.fields import FieldDef
from catui.browse.links import CONSTANT, HARDWARE, INVALID, JSON
from catui.browse.record import NOT_READABLE, FieldValue, RecordView
from catui.browse.tree import PVTree, TreeNode, TreeRow

__all__ = [
    "SEVERITY_TEXT",
    "STATUS_TEXT",
    "field_text",
    "record_lines",
    "safe",
    "severity_name",
    "status_name",
    "tree_data",
    "tree_lines",
]

SEVERITY_TEXT = ("NO_ALARM", "MINOR", "MAJOR", "INVALID")
STATUS_TEXT = (
    "NO_ALARM", "READ", "WRITE", "HIHI", "HIGH", "LOLO", "LOW", "STATE", "COS", "COMM",
    "TIMEOUT", "HWLIMIT", "CALC", "SCAN", "LINK", "SOFT", "BAD_SUB", "UDF", "DISABLE", "SIMM",
    "READ_ACCESS", "WRITE_ACCESS",
)  # fmt: skip
_UNICODE_GUIDES = ("├─ ", "└─ ", "│  ", "   ")
_ASCII_GUIDES = ("|- ", "`- ", "|  ", "   ")


def safe(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``, ``\\n``)."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable():
            out.append(char)
        else:
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char, f"\\x{ord(char):02x}"))
    return "".join(out)


def severity_name(severity: int | None) -> str:
    """``MAJOR`` for 2; the number when EPICS has no name for it; ``""`` for None."""
    if severity is None:
        return ""
    return SEVERITY_TEXT[severity] if 0 <= severity < len(SEVERITY_TEXT) else str(severity)


def status_name(status: int | None) -> str:
    """``HIHI`` for 3; the number when EPICS has no name for it; ``""`` for None."""
    if status is None:
        return ""
    return STATUS_TEXT[status] if 0 <= status < len(STATUS_TEXT) else str(status)


# -- the record view ------------------------------------------------------------------------


def field_text(value: FieldValue | None) -> str:
    """A field's value as the record view shows it: ``…`` until read, ``<error>``, a
    link's text with what it is (constant, hardware address, JSON link)."""
    if value is None:
        return "…"
    if value.error:
        return f"<{value.error}>"
    text = safe(value.text)
    link = value.link
    if link is not None and value.text:
        if link.kind == CONSTANT:
            text += "  (constant)"
        elif link.kind == HARDWARE:
            text += f"  (hardware address, {link.bus})"
        elif link.kind == JSON:
            text += (
                f"  (JSON {link.json_type or '?'} link{': ' + link.error if link.error else ''})"
            )
        elif link.kind == INVALID:
            text += f"  (not a valid link: {link.error})"
    if value.long:
        text += f"  (read as {value.field.name}$)"
    return text


def _field_line(field: FieldDef, value: FieldValue | None, widths: tuple[int, int]) -> str:
    prompt = safe(field.prompt) or "-"
    name_width, prompt_width = widths
    return f"    {field.name:<{name_width}} {prompt:<{prompt_width}} {field_text(value)}".rstrip()


def record_lines(view: RecordView) -> list[str]:
    """The record view as text: a header, the main facts, then every field by promptgroup."""
    kind = view.record_type or "?"
    readable = [f for f in view.fields if f.readable]
    head = f"{view.record}  ({safe(kind)}, {len(readable)} fields"
    head += f", on {view.host})" if view.host else ")"
    lines = [head]
    if view.partial:
        lines.append(
            f"    partial: the record type {safe(kind)!r} is not in the field table "
            f"({view.table.source}); showing dbCommon's fields and the usual ones"
        )
    if view.absent:
        lines.append(f"    not on this IOC: {', '.join(view.absent)}")
    if view.disabled:
        lines.append("    disabled: DISA = DISV, the record does not process")
    name_width = max([len(f.name) for f in readable] + [4])
    prompt_width = min(28, max([len(f.prompt) for f in readable] + [10]))
    widths = (name_width, prompt_width)
    lines.append("  Record")
    lines += [_field_line(f, view.values.get(f.name), widths) for f in view.summary()]
    for label, fields in view.groups():
        shown = [f for f in fields if f.readable]
        if not shown:
            continue
        lines.append(f"  {label}")
        lines += [_field_line(f, view.values.get(f.name), widths) for f in shown]
    hidden = [f.name for f in view.fields if view.values.get(f.name, None) is not None
              and view.values[f.name].error == NOT_READABLE]  # fmt: skip
    if hidden:
        lines.append(f"  ({len(hidden)} DBF_NOACCESS fields are not readable over CA)")
    return lines


# -- the PV tree ----------------------------------------------------------------------------


def _alarm(row: TreeRow) -> str:
    if row.severity is None:
        return ""
    if not row.severity:
        return severity_name(0)
    return f"{severity_name(row.severity)} {status_name(row.status)}".rstrip()


def _row_text(row: TreeRow) -> str:
    parts = []
    if row.field:
        parts.append(f"{row.field}:")
    if row.pv:
        parts.append(safe(row.pv))
        if row.flags:
            parts.append(f"[{row.flags}]")
        if row.record_type:
            parts.append(f"({safe(row.record_type)})")
        if row.error:
            parts.append(f"<{row.error}>")
        else:
            if row.value or row.severity is not None:
                parts.append(safe(row.value) if row.value else '""')
            alarm = _alarm(row)
            if alarm:
                parts.append(alarm)
    elif row.kind in (CONSTANT, HARDWARE, JSON, INVALID) and row.value:
        parts.append(f"{safe(row.value)} ({row.note})" if row.note else safe(row.value))
    if not row.pv and row.error:
        parts.append(f"<{row.error}: {safe(row.detail)}>" if row.detail else f"<{row.error}>")
    marks = []
    if row.origin:
        marks.append("<- severity origin")
    if row.cycle:
        marks.append("(cycle: a record above)")
    if row.repeat:
        marks.append("(repeat: expanded above)")
    if row.capped:
        marks.append("(depth limit)")
    if row.partial:
        marks.append("(partial: record type not in the table)")
    if row.note and row.kind not in (HARDWARE, CONSTANT, JSON):
        marks.append(f"({safe(row.note)})")
    return " ".join(parts + marks)


def tree_lines(tree: PVTree, *, ascii_only: bool = False) -> list[str]:
    """The tree as indented text, one node a line (``├─`` guides, or ASCII ones)."""
    tee, corner, bar, blank = _ASCII_GUIDES if ascii_only else _UNICODE_GUIDES
    lines = []
    for row in tree.rows():
        if row.depth == 0:
            prefix = ""
        else:
            prefix = "".join(blank if last else bar for last in row.guides)
            prefix += corner if row.last else tee
        lines.append(prefix + _row_text(row))
    return lines


def _node_data(node: TreeNode) -> dict[str, Any]:
    data: dict[str, Any] = {"field": node.field, "kind": node.kind, "pv": node.pv}
    if node.link is not None:
        data["link"] = node.link.text
        data["flags"] = node.flags
    data.update(
        record_type=node.record_type, value=node.value,
        severity=severity_name(node.severity) or None, status=status_name(node.status) or None,
        error=node.error, detail=node.detail, note=node.note, origin=node.origin,
        cycle=node.cycle, repeat=node.repeat, capped=node.capped, partial=node.partial,
    )  # fmt: skip
    data["children"] = [_node_data(child) for child in node.children]
    return data


def tree_data(tree: PVTree) -> dict[str, Any]:
    """The tree as plain data for JSON: nested dicts from the root."""
    return {"max_depth": tree.max_depth, "complete": tree.complete, "root": _node_data(tree.root)}
