"""Yes/no confirmation; the default (Enter, Esc) is No."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from catui.model import printable

__all__ = ["ConfirmDialog"]


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; only ``y`` or the Yes button answer True."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n", "answer(False)", "No", id="confirm-no"),
        Binding("escape", "answer(False)", "Cancel", id="confirm-cancel"),
    ]

    def __init__(
        self, question: str, detail: str = "", *, yes: str = "Yes", body: str = ""
    ) -> None:
        super().__init__()
        # Line by line: the values in them (old, new, enum choices, units) are a
        # server's strings, which may hold escape sequences.
        self.question = _printable_lines(question)
        self.detail = _printable_lines(detail)
        self.body = _printable_lines(body)
        self.yes = yes

    def compose(self) -> ComposeResult:
        # markup=False throughout: the texts hold PV names and values, which may hold "[".
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Static(self.question, classes="dialog-title", markup=False)
            if self.body:
                yield Static(self.body, id="confirm-body", markup=False)
            if self.detail:
                yield Static(self.detail, classes="dialog-warning", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("No", id="confirm-no-button", variant="primary")
                yield Button(f"{self.yes} (y)", id="confirm-yes-button", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#confirm-no-button", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes-button")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


def _printable_lines(text: str) -> str:
    return "\n".join(printable(line) for line in text.split("\n"))
