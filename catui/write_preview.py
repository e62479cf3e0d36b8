"""What an armed write will do, in words: old → new, what is sent, which limits it crosses.

Pure: used by the write dialog's confirm step and by undo, tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from catui.data.write_value import limit_warnings
from catui.model import format_number

if TYPE_CHECKING:
    from catui.dialogs.write import WriteTarget

__all__ = ["WritePreview", "preview", "writable_value"]


@dataclass(frozen=True)
class WritePreview:
    """The lines of a confirm step."""

    old: str  # the value now, as the row shows it
    new: str  # the value asked for, with units or the enum label
    sent: str  # exactly what goes on the wire: type and value(s)
    warnings: tuple[str, ...]  # limits crossed


def preview(target: WriteTarget, value: Any) -> WritePreview:
    """How ``value`` (from :func:`~catui.data.write_value.parse_value`) reads for ``target``."""
    units = f" {target.units}" if target.units else ""
    if target.is_enum:
        if isinstance(value, str):
            index = target.enum_strings.index(value)
            label = value
        else:
            index = int(value)
            label = target.enum_strings[index] if index < len(target.enum_strings) else "?"
        return WritePreview(target.current, f"{label} (choice {index})",
                            f"ENUM choice {index} ({label!r})", ())  # fmt: skip
    if target.as_text:
        if isinstance(value, str):
            size = len(value.encode("utf-8")) + 1
            return WritePreview(target.current, repr(value),
                                f"CHAR[{size}] {value!r} in UTF-8 and its NUL", ())  # fmt: skip
        # Bytes read back (undo): written as they are.
        raw = bytes(int(v) & 0xFF for v in value)
        text = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
        sent = f"CHAR[{len(raw)}] the bytes read before, as they were"
        return WritePreview(target.current, repr(text), sent, ())
    values = value if isinstance(value, list) else [value]
    if target.type_name == "STRING":
        shown = ", ".join(repr(v) for v in values)
        kind = f"STRING[{len(values)}]" if target.count > 1 else "STRING"
        return WritePreview(target.current, shown, f"{kind} {shown}", ())
    numbers = [format_number(v, target.precision) for v in values]
    new = (f"[{len(values)}] " if target.count > 1 else "") + " ".join(numbers) + units
    exact = ", ".join(repr(v) for v in values)
    kind = f"{target.type_name}[{len(values)}]" if target.count > 1 else target.type_name
    return WritePreview(target.current, new, f"{kind} {exact}",
                        tuple(limit_warnings(value, target.limits)))  # fmt: skip


def writable_value(data: Any, count: int) -> Any:
    """What to hand to ``write()`` to put back ``data`` (a read's values): undo's value.

    Strings (a list of str or bytes) stay strings; numbers become Python numbers; a
    one-element value becomes a scalar unless the PV is an array.
    """
    if data is None:
        raise ValueError("the old value is not known")
    items = [
        item.decode("latin-1") if isinstance(item, bytes) else item.item()
        if hasattr(item, "item") else item
        for item in list(data)
    ]  # fmt: skip
    if not items:
        raise ValueError("the old value was empty")
    return items if count > 1 else items[0]
