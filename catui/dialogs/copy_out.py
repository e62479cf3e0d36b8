"""Copy rows out: ``catui get``/``catui put`` lines or a Markdown/CSV snapshot.

The chosen text is shown (to select with the mouse), copied to the terminal's
clipboard (OSC 52, which works over SSH) and can be saved to a file.  The rows are
taken when the dialog opens: a snapshot does not change under the operator's eyes.
The dialog returns the path of the last file saved, or None.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static, TextArea

from catui.data.snapshot import SnapshotRow, get_commands, put_commands, to_csv, to_markdown
from catui.dialogs.confirm import ConfirmDialog
from catui.dialogs.prompt import TextPrompt

__all__ = ["FORMATS", "CopyDialog", "CopyFormat", "render", "shown_text"]


@dataclass(frozen=True)
class CopyFormat:
    """One way to copy rows out: its key, its label and the suffix of its file."""

    key: str
    label: str
    stem: str
    suffix: str


FORMATS = (
    CopyFormat("get", "catui get lines (read the PVs)", "catui-get", ".sh"),
    CopyFormat("put", "catui put lines (write the current values back)", "catui-put", ".sh"),
    CopyFormat("markdown", "Markdown snapshot (for a logbook)", "snapshot", ".md"),
    CopyFormat("csv", "CSV snapshot (to compare later, key v)", "snapshot", ".csv"),
)

# Shown escaped (copied and saved as they are): a string PV's value may hold escape
# sequences, which the text area would send to the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown_text(text: str) -> str:
    """``text`` as the dialog shows it: control characters but tab and newline as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def render(key: str, rows: list[SnapshotRow], put_rows: list[SnapshotRow] | None = None) -> str:
    """The text of format ``key`` for ``rows`` (``put_rows``: values to write back)."""
    if key == "get":
        return "\n".join(get_commands(row.name for row in rows)) + "\n"
    if key == "put":
        return "\n".join(put_commands(put_rows if put_rows is not None else rows)) + "\n"
    if key == "markdown":
        return to_markdown(rows)
    if key == "csv":
        return to_csv(rows)
    raise ValueError(f"no such format: {key!r}")


class CopyDialog(ModalScreen[Path | None]):
    """Pick a format: Enter copies it; ctrl+s saves it; Esc closes.

    Parameters
    ----------
    rows : list of SnapshotRow
        The rows as shown (names, snapshots).
    put_rows : list of SnapshotRow, optional
        The same rows with values that write back exactly (``catui put`` lines).
    when : datetime, optional
        When the rows were taken, for the default file name; now by default.
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="copy-close"),
        Binding("ctrl+s", "save", "Save", tooltip="Save the text to a file", id="copy-save"),
    ]

    CSS_PATH = "../styles/copy_out.tcss"

    class Saved(Message):
        """The text was written to ``path`` (or ``error`` says why not)."""

        def __init__(self, path: Path, error: str = "", exists: bool = False) -> None:
            super().__init__()
            self.path = path
            self.error = error
            self.exists = exists

    def __init__(
        self,
        rows: list[SnapshotRow],
        put_rows: list[SnapshotRow] | None = None,
        when: datetime.datetime | None = None,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.put_rows = put_rows
        self.when = when or datetime.datetime.now()
        self.format = FORMATS[0]
        #: The text of the format shown.
        self.text = render(self.format.key, rows, put_rows)
        #: The last file saved.
        self.saved: Path | None = None

    def compose(self) -> ComposeResult:
        count = len(self.rows)
        with Vertical(classes="dialog", id="copy-dialog"):
            yield Static(f"Copy {count} PV{'s' if count != 1 else ''}", classes="dialog-title")
            yield OptionList(*(f.label for f in FORMATS), id="copy-formats")
            yield TextArea(shown_text(self.text), read_only=True, soft_wrap=False, id="copy-text")
            yield Static("", id="copy-status", markup=False)
            yield Static(
                "Enter: copy to the clipboard · ctrl+s: save to a file · Esc: close",
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="copy-close-button")
                yield Button("Save…", id="copy-save-button")
                yield Button("Copy", id="copy-copy-button", variant="primary")

    def on_mount(self) -> None:
        formats = self.query_one(OptionList)
        formats.highlighted = 0
        formats.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.show_format(FORMATS[event.option_index])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.show_format(FORMATS[event.option_index])
        self.copy()

    def show_format(self, fmt: CopyFormat) -> None:
        """Show the rows in ``fmt``."""
        self.format = fmt
        self.text = render(fmt.key, self.rows, self.put_rows)
        self.query_one("#copy-text", TextArea).load_text(shown_text(self.text))

    def copy(self) -> None:
        """Copy the text shown to the terminal's clipboard."""
        self.app.copy_to_clipboard(self.text)
        lines = self.text.count("\n")
        self.set_status(
            f"Copied {self.format.label.split(' (')[0]} ({lines} line{'s' if lines != 1 else ''})"
            " to the clipboard. A terminal without OSC 52: select the text above."
        )

    def set_status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#copy-status", Static)
        status.update(Text(text))
        status.set_class(error, "dialog-error")

    def default_name(self) -> str:
        """``snapshot-20260115-083000.csv`` and the like, in the working directory."""
        return f"{self.format.stem}-{self.when:%Y%m%d-%H%M%S}{self.format.suffix}"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "copy-copy-button":
            self.copy()
        elif event.button.id == "copy-save-button":
            self.action_save()
        else:
            self.action_close()

    def action_save(self) -> None:
        text = self.text

        def chosen(path: str | None) -> None:
            if path:
                try:
                    target = Path(path).expanduser()
                except RuntimeError:  # "~name/…" with no user "name": not a crash
                    self.set_status(f"Not saved: no home directory for {path}", error=True)
                    return
                self.write_file(target, text)

        self.app.push_screen(
            TextPrompt(
                f"Save the {self.format.label.split(' (')[0]}",
                "File to write (an existing file is replaced only after asking).",
                value=self.default_name(),
            ),
            chosen,
        )

    @work(thread=True, exit_on_error=False, group="copy-save")
    def write_file(self, path: Path, text: str, replace: bool = False) -> None:
        """Write ``text`` to ``path`` in a worker; never over a file without asking."""
        try:
            with open(path, "w" if replace else "x", encoding="utf-8", newline="") as file:
                file.write(text)
        except FileExistsError:
            self.post_message(self.Saved(path, exists=True))
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
            message = exc.strerror if isinstance(exc, OSError) else None
            self.post_message(self.Saved(path, f"Not saved: {message or exc} ({path})"))
        else:
            self.post_message(self.Saved(path))

    def on_copy_dialog_saved(self, message: Saved) -> None:
        if message.exists:
            text = self.text

            def replace(yes: bool | None) -> None:
                if yes:
                    self.write_file(message.path, text, replace=True)
                else:
                    self.set_status(f"Not saved: {message.path} exists", error=True)

            self.app.push_screen(
                ConfirmDialog(f"{message.path} exists. Replace it?", yes="Replace"), replace
            )
            return
        if message.error:
            self.set_status(message.error, error=True)
            return
        self.saved = message.path
        self.set_status(f"Saved to {message.path}")

    def action_close(self) -> None:
        self.dismiss(self.saved)
