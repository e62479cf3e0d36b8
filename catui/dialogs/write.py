"""The write dialog: check the typed value against the PV, then confirm before writing.

Enter checks the value (native type, string length, element count, enum choice) and
arms the write; a confirmation (default No) follows, warning when a number lies
outside the control limits.  Esc cancels; leaving a field never writes.  The dialog
returns a :class:`WriteRequest`; the app writes it in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static

from catui.data.write_value import parse_value
from catui.dialogs.confirm import ConfirmDialog
from catui.model import PVState, format_number, format_value, printable
from catui.write_preview import WritePreview, preview

__all__ = ["WriteDialog", "WriteRequest", "WriteTarget", "confirm_write"]


@dataclass(frozen=True)
class WriteTarget:
    """What the dialog needs to know of a PV, copied when it opens."""

    name: str
    type_name: str
    count: int
    current: str
    writable: bool
    enum_strings: tuple[str, ...] = ()
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    precision: int | None = None
    units: str = ""
    as_text: bool = False

    @classmethod
    def from_state(cls, state: PVState) -> WriteTarget:
        control = state.control
        return cls(
            name=state.name,
            type_name=state.type_name,
            count=state.count or 1,
            current=format_value(state, max_items=8, width=60),
            writable=state.writable,
            enum_strings=control.enum_strings if control else (),
            limits=dict(control.limits) if control else {},
            precision=control.precision if control else None,
            units=control.units if control else "",
            as_text=state.is_text,
        )

    @property
    def is_enum(self) -> bool:
        return self.type_name == "ENUM" and bool(self.enum_strings)

    def describe_limits(self) -> str:
        if self.is_enum:
            return "Choices: " + " | ".join(self.enum_strings)
        if "control" in self.limits:
            low, high = self.limits["control"]
            unit = f" {self.units}" if self.units else ""
            p = self.precision
            return f"Control limits: {format_number(low, p)} … {format_number(high, p)}{unit}"
        if self.type_name == "STRING":
            return "Text, at most 39 bytes" + (" each, comma-separated" if self.count > 1 else "")
        if self.as_text:
            return f"Text, at most {self.count - 1} bytes"
        if self.count > 1:
            return f"Up to {self.count} comma-separated values"
        return "No control limits"


def confirm_write(question: str, armed: WritePreview, yes: str) -> ConfirmDialog:
    """The confirm step of an armed write: old → new and what is sent, warnings apart."""
    return ConfirmDialog(
        question,
        "\n".join(f"⚠ {warning}" for warning in armed.warnings),
        yes=yes,
        body=f"old: {armed.old}\nnew: {armed.new}\nsent: {armed.sent}",
    )


@dataclass(frozen=True)
class WriteRequest:
    """A confirmed write.

    ``old_text`` is the value shown when the dialog opened (what the journal records
    as the old value); ``old_value`` the value itself (what undo writes back), None
    when unknown.
    """

    pv: str
    value: Any
    text: str
    old_text: str = ""
    old_value: Any = None


class WriteDialog(ModalScreen[WriteRequest | None]):
    """Type (or pick) a value, Enter to check and confirm, Esc to cancel."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="write-cancel")]

    def __init__(self, target: WriteTarget) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        t = self.target
        with Vertical(classes="dialog", id="write-dialog"):
            yield Static(f"Write {t.name}", classes="dialog-title", markup=False)
            kind = f"{t.type_name}[{t.count}]" if t.count > 1 else t.type_name
            # printable: the value, choices and units are the server's strings.
            current = printable(f"Current: {t.current}  ({kind})")
            yield Static(current, id="write-current", markup=False)
            yield Static(printable(t.describe_limits()), id="write-limits", markup=False)
            if not t.writable:
                yield Static(
                    f"No write access: the server grants read only on {t.name}. "
                    "Nothing will be sent.",
                    id="write-refused",
                    classes="dialog-error",
                    markup=False,
                )
                yield Static("Esc: close", classes="dialog-hint")
                return
            if t.is_enum:
                choices = (Text(printable(s)) for s in t.enum_strings)
                yield OptionList(*choices, id="write-choices")
            else:
                placeholder = "comma-separated values" if t.count > 1 and not t.as_text else ""
                yield Input(placeholder=placeholder, id="write-input")
            yield Static("", id="write-error", classes="dialog-error", markup=False)
            yield Static("Enter: check, then confirm · Esc: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        if not self.target.writable:
            return
        if self.target.is_enum:
            choices = self.query_one(OptionList)
            if self.target.current in self.target.enum_strings:
                choices.highlighted = self.target.enum_strings.index(self.target.current)
            choices.focus()
        else:
            field_ = self.query_one(Input)
            field_.cursor_blink = getattr(self.app, "cursor_blink", True)
            field_.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.arm(event.value)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        # By number: two choices may carry the same label.
        self.arm(str(event.option_index))

    def arm(self, text: str) -> None:
        """Check ``text``; if it is a value for this PV, ask for confirmation."""
        t = self.target
        error = self.query_one("#write-error", Static)
        try:
            value = parse_value(text, t.type_name, t.count, t.enum_strings, as_text=t.as_text)
        except ValueError as exc:
            error.update(f"Not written: {exc}")
            return
        error.update("")
        armed = preview(t, value)
        shown = text.strip() if not t.as_text else text
        if t.is_enum and isinstance(value, int):
            shown = t.enum_strings[value]
        # Text for a CHAR array goes as UTF-8 bytes and its NUL: how the row decodes
        # it (the client would encode a str as latin-1).
        sent = value.encode("utf-8") + b"\0" if t.as_text else value

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.dismiss(WriteRequest(t.name, sent, shown, old_text=t.current))

        self.app.push_screen(confirm_write(f"Write {t.name}?", armed, "Write"), confirmed)

    def action_cancel(self) -> None:
        self.dismiss(None)
