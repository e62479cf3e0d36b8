"""A one-line input with a title, a hint and a checker: the base of the small dialogs."""

from __future__ import annotations

from typing import Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

__all__ = ["PromptDialog"]

T = TypeVar("T")


class PromptDialog(ModalScreen[T | None], Generic[T]):
    """Enter submits what :meth:`check` makes of the text; Esc cancels (None).

    Subclasses override :meth:`check` to turn the text into the result or raise
    ``ValueError`` with a message shown under the input.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt-cancel")]

    def __init__(self, title: str, hint: str = "", value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint
        self.initial = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            if self.hint:
                yield Static(self.hint, classes="dialog-hint")
            yield Input(self.initial, placeholder=self.placeholder, id="prompt-input")
            yield Static("", id="prompt-error", classes="dialog-error")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.cursor_blink = getattr(self.app, "cursor_blink", True)
        field.focus()

    def check(self, text: str) -> T:
        raise NotImplementedError

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            result = self.check(event.value)
        except ValueError as exc:
            self.query_one("#prompt-error", Static).update(str(exc))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextPrompt(PromptDialog[str]):
    """Returns the text as typed (stripped)."""

    def check(self, text: str) -> str:
        return text.strip()
