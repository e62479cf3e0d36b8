"""Add PVs: type names, or paste any text that holds them, and see what was found first.

The text goes through :func:`catui.data.paste.extract_pv_names` only: caget, camonitor
and cainfo output, an IOC's ``dbl``, a database, an autosave ``.sav`` file, a Phoebus
``.pvs``, CSV, Markdown, command lines.  Nothing pasted is run; a line without a PV
name is passed over.  Enter (or ctrl+enter, or the Add button) adds what was found: a
terminal delivers a paste whole (bracketed paste), so its line breaks are not Enter.
"""

from __future__ import annotations

from collections.abc import Collection

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from catui.data.paste import PasteError, extract_pv_names
from catui.widgets.paste_area import PasteArea

__all__ = ["AddPVsDialog", "found_text"]

#: Names listed in the dialog before "… and N more".
PREVIEW = 5


def found_text(names: list[str], existing: Collection[str] = ()) -> str:
    """``Found 3 PV names: a, b, c`` (the first few), and how many are watched already."""
    if not names:
        return "No PV names found yet."
    shown = ", ".join(names[:PREVIEW])
    more = f" … and {len(names) - PREVIEW} more" if len(names) > PREVIEW else ""
    plural = "s" if len(names) != 1 else ""
    text = f"Found {len(names)} PV name{plural}: {shown}{more}"
    watched = sum(name in existing for name in names)
    if watched:
        text += f" ({watched} already watched)"
    return text


class AddPVsDialog(ModalScreen[list[str] | None]):
    """Returns the PV names found in the text (or None if cancelled).

    Parameters
    ----------
    existing : collection of str
        Names already watched (the preview says how many of those were found).
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="add-cancel")]

    CSS_PATH = "../styles/add_pvs.tcss"

    def __init__(self, existing: Collection[str] = ()) -> None:
        super().__init__()
        self.existing = set(existing)
        #: The names found in the text as it is now.
        self.names: list[str] = []
        self._error = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="add-dialog"):
            yield Static("Add PVs", classes="dialog-title")
            yield Static(
                "Type PV names, or paste any text holding them: caget/camonitor output, "
                "dbl, a .db or autosave .sav file, Phoebus .pvs, CSV, Markdown.",
                classes="dialog-hint",
            )
            yield PasteArea(id="add-text", soft_wrap=True, show_line_numbers=False)
            yield Static("No PV names found yet.", id="add-found", markup=False)
            yield Static("", id="prompt-error", classes="dialog-error", markup=False)
            yield Static("Enter or ctrl+enter: add · Esc: cancel", classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="add-cancel-button")
                yield Button("Add", id="add-button", variant="primary", disabled=True)

    def on_mount(self) -> None:
        area = self.query_one(PasteArea)
        area.cursor_blink = getattr(self.app, "cursor_blink", True)
        area.focus()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.scan(event.text_area.text)

    def scan(self, text: str) -> None:
        """Find the names in ``text`` and show how many (and the first few)."""
        try:
            self.names = extract_pv_names(text)
        except PasteError as exc:
            self.names, self._error = [], str(exc)
        else:
            self._error = ""
        self.query_one("#add-found", Static).update(Text(found_text(self.names, self.existing)))
        self.query_one("#prompt-error", Static).update(self._error)
        self.query_one("#add-button", Button).disabled = not self.names

    def on_paste_area_submitted(self, event: PasteArea.Submitted) -> None:
        event.stop()
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "add-button":
            self.submit()
        else:
            self.dismiss(None)

    def submit(self) -> None:
        """Add the names found, or say why there are none."""
        text = self.query_one(PasteArea).text
        self.scan(text)
        if self.names:
            self.dismiss(self.names)
            return
        if self._error:
            return
        words = text.split()
        if len(words) == 1:
            message = f"{words[0]!r} is not a PV name"
        elif words:
            message = "No PV names found in the text"
        else:
            message = "Type or paste at least one PV name"
        self.query_one("#prompt-error", Static).update(message)

    def action_cancel(self) -> None:
        self.dismiss(None)
