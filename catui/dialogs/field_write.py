"""Write one field of a record: the armed write dialog, with the field's DBD checks first.

A value the field's DBD type refuses (out of a ``DBF_SHORT``'s range, not one of a
menu's choices, a link the IOC cannot parse, too long for the string) is refused in
the dialog before anything is read or sent; what passes goes through
:class:`~catui.dialogs.write.WriteDialog`'s arming and confirmation as any row's
write does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from catui.browse.fields import FieldDef
from catui.browse.record import FieldValue
from catui.browse.write_check import check_field_write, field_choices
from catui.dialogs.write import WriteDialog
from catui.write_preview import WriteTarget

if TYPE_CHECKING:
    from catui.feeds.base import WriteLink

__all__ = ["FieldWriteDialog", "field_target", "refusal"]


def refusal(value: FieldValue) -> str:
    """Why ``value``'s field cannot be written at all (``""``: it can be tried)."""
    field = value.field
    if value.error:
        return f"{field.name}: {value.error}"
    check = check_field_write(field, value.text, native=_native(value), count=_count(value))
    if not check.ok and ("read-only" in check.reason or "unknown" in check.reason):
        return check.reason
    if value.reading is not None and not value.reading.writable:
        return f"{field.name}: no write access (the server grants read only)"
    return ""


def _native(value: FieldValue) -> str:
    return value.reading.native if value.reading is not None else ""


def _count(value: FieldValue) -> int:
    return max(1, value.reading.native_count) if value.reading is not None else 1


def field_target(pv: str, value: FieldValue) -> WriteTarget:
    """What the write dialog needs of a field, from its read."""
    native, count = _native(value), _count(value)
    raw = value.reading.value if value.reading is not None else None
    if native == "ENUM" and isinstance(raw, str):
        choices = field_choices(value.field)
        # The menu's choices: the dialog offers them; it compares the read's index.
        raw = choices.index(raw) if raw in choices else raw
    else:
        choices = ()
        if isinstance(raw, str):
            raw = [raw]  # as a read of the PV gives it (what arming compares with)
    target = WriteTarget(
        name=pv,
        type_name=native or "STRING",
        count=count,
        current="",
        writable=value.reading is not None and value.reading.writable,
        enum_strings=choices,
        as_text=native == "CHAR" and count > 1,
        value=raw,
    )
    return target.with_value(target.value)


class FieldWriteDialog(WriteDialog):
    """:class:`~catui.dialogs.write.WriteDialog` for a record field: DBD checks first."""

    def __init__(self, target: WriteTarget, link: WriteLink, value: FieldValue) -> None:
        super().__init__(target, link)
        self.field_value = value

    @property
    def field_def(self) -> FieldDef:
        return self.field_value.field

    def arm(self, text: str) -> None:
        if self.checking is not None:
            return
        t = self.target
        typed = t.enum_strings[int(text)] if t.is_enum and text.isdigit() else text
        check = check_field_write(
            self.field_def, typed, native=_native(self.field_value), count=t.count
        )
        error = self.query_one("#write-error", Static)
        if not check.ok:
            error.update(f"Not written: {check.reason}")
            return
        if check.long:
            error.update(
                f"Not written: {self.field_def.name}: longer than a DBR_STRING (40 "
                f"bytes); writing {self.field_def.name}$ is not offered here yet"
            )
            return
        super().arm(text)
