"""Help: every key of the watchlist and what it does (as currently mapped)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

__all__ = ["HelpScreen"]

_ABOUT = (
    "catui watches EPICS Channel Access PVs. Rows are colored by alarm severity "
    "(MINOR yellow, MAJOR red, INVALID magenta; offline PVs dimmed), and the "
    "severity is written out too. Every command is also in the palette (ctrl+p)."
)


class HelpScreen(ModalScreen[None]):
    """Lists ``bindings`` (key, description, help)."""

    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close help", id="help-close"),
    ]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column()
        for binding in self.bindings:
            keys = " / ".join(
                self.app.get_key_display(Binding(k, "")) for k in binding.key.split(",")
            )
            table.add_row(keys, binding.description, Text(binding.tooltip, style="dim"))
        with VerticalScroll(classes="dialog", id="help-dialog"):
            yield Static("Keys", classes="dialog-title")
            yield Static(table)
            yield Static(_ABOUT, classes="dialog-hint")
            yield Static("Esc, q or ?: close", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
