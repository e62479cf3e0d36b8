"""Add PVs: type names, or paste any text that holds them, and see what was found first.

The text goes through :func:`catui.data.paste.extract_pv_names` only: caget, camonitor
and cainfo output, an IOC's ``dbl``, a database, an autosave ``.sav`` file, a Phoebus
``.pvs``, CSV, Markdown, command lines.  Nothing pasted is run; a line without a PV
name is passed over.  Enter (or ctrl+enter, or the Add button) adds what was found: a
terminal delivers a paste whole (bracketed paste), so its line breaks are not Enter.

Typing a name, the names the console has seen that begin with it are offered (Tab
completes as far as they agree). A glob (``SR:*:current``, ``HX:{a,b}``) is
expanded against those names, and the preview lists what it gives before anything
is added.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from catui.data.paste import PasteError, extract_pv_names, is_pv_name
from catui.data.seen_names import SeenNames, common_prefix, expand_pattern, is_pattern
from catui.widgets.paste_area import PasteArea

__all__ = ["AddPVsDialog", "found_text"]

#: Names listed in the dialog before "… and N more".
PREVIEW = 5
# The characters of a typed name pattern: a name's, and the glob's.
_PATTERN_WORD = re.compile(r"[\w:.\-$%{}\[\]*?,!]+")
#: Completions listed under the text.
COMPLETIONS = 4


def completion_text(word: str, matches: list[str]) -> str:
    """``Tab: SR:a, SR:b … (12 seen)``; ``""`` when there is nothing to offer."""
    if not word or not matches:
        return ""
    shown = ", ".join(matches[:COMPLETIONS])
    more = f" … ({len(matches)} seen)" if len(matches) > COMPLETIONS else ""
    return f"Tab completes: {shown}{more}"


def pattern_names(text: str, seen: list[str]) -> tuple[list[str], list[str]] | None:
    """The names the words of ``text`` stand for when any is a pattern; None if none is.

    Returns the names and the patterns that matched nothing.
    """
    words = text.split()
    # Typed patterns: one line of name-like words (pasted text goes to extract_pv_names).
    if "\n" in text.strip() or not any(is_pattern(w) for w in words):
        return None
    if not all(_PATTERN_WORD.fullmatch(w) for w in words):
        return None
    names: list[str] = []
    empty = []
    for word in words:
        found = expand_pattern(word, seen) if is_pattern(word) else [word]
        found = [n for n in found if is_pv_name(n)]
        if not found:
            empty.append(word)
        names += [n for n in found if n not in names]
    return names, empty


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
    seen : SeenNames, optional
        Every name the console has met: what is completed and what globs match; the
        names added are remembered there.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="add-cancel"),
        Binding("tab", "complete", "Complete", id="add-complete", priority=True, show=False),
    ]

    CSS_PATH = "../styles/add_pvs.tcss"

    def __init__(self, existing: Collection[str] = (), seen: SeenNames | None = None) -> None:
        super().__init__()
        self.existing = set(existing)
        self.seen = seen if seen is not None else SeenNames(existing)
        #: Names the last word could complete to.
        self.completions: list[str] = []
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
            yield Static("", id="add-complete", markup=False)
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
        words = text.split()
        last = words[-1] if words and not text[-1:].isspace() else ""
        seen = self.seen.names()
        self.completions = [] if is_pattern(last) else self.seen.starting(last)
        self.query_one("#add-complete", Static).update(
            Text(completion_text(last, self.completions))
        )
        patterns = pattern_names(text, seen)
        found = ""
        if patterns is not None:
            self.names, empty = patterns
            self._error = f"{', '.join(empty)}: matches no name seen" if empty else ""
            found = found_text(self.names, self.existing)
            if self.names:
                found = "Pattern: " + found
        else:
            try:
                self.names = extract_pv_names(text)
            except PasteError as exc:
                self.names, self._error = [], str(exc)
            else:
                self._error = ""
            found = found_text(self.names, self.existing)
        self.query_one("#add-found", Static).update(Text(found))
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
            self.seen.add(self.names)
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

    def action_complete(self) -> None:
        """Tab: the last word completed as far as the names it could be agree."""
        area = self.query_one(PasteArea)
        if self.focused is not area or not self.completions:
            self.focus_next()
            return
        text = area.text
        word = text.split()[-1] if text.split() else ""
        prefix = common_prefix(self.completions)
        if len(self.completions) == 1:
            prefix = self.completions[0]
        if len(prefix) > len(word):
            area.insert(prefix[len(word) :], area.document.end)
            area.move_cursor(area.document.end)
        else:
            self.notify(f"{len(self.completions)} names begin with {word}", timeout=2,
                        markup=False)  # fmt: skip

    def action_cancel(self) -> None:
        self.dismiss(None)
