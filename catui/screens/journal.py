"""The write journal, newest first: every write of this session and of earlier ones."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from catui.data import journal
from catui.data.journal import JournalEntry

__all__ = ["JournalScreen"]

#: The newest entries shown; an old journal can hold years of writes.
SHOWN = 5000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_COLUMNS = (
    ("time", "Time"),
    ("who", "Who"),
    ("pv", "PV"),
    ("old", "Old"),
    ("new", "New"),
    ("status", "Status"),
    ("reply", "Reply"),
)


def _shown(text: str) -> Text:
    # Escaped like journal.format_entry: a value may hold escapes or newlines; and a
    # Text, not a str, so that "[" in a value is not read as markup by the table.
    return Text(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text))


def entry_cells(entry: JournalEntry, tz: datetime.tzinfo | None = None) -> list[Text]:
    """The row of one entry: time, who, PV, old, new, status, reply."""
    try:
        stamp = datetime.datetime.fromtimestamp(entry.time, tz).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        stamp = f"t={entry.time!r}"
    old = "?" if entry.old is None else (entry.old or '""')
    status = _shown(entry.status)
    if entry.status != "completed":
        status.stylize("bold")
    return [
        Text(stamp),
        _shown(f"{entry.user}@{entry.host}"),
        _shown(entry.pv),
        _shown(old),
        _shown(entry.new or '""'),
        status,
        _shown(entry.reply),
    ]


class JournalScreen(Screen[None]):
    """The entries of the journal at ``path``, read in a worker; ``r`` reads it again."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", tooltip="Back to the watchlist", id="journal-close"),
        Binding("r", "reload", "Reload", tooltip="Read the journal again", id="journal-reload"),
    ]

    DEFAULT_CSS = """
    JournalScreen #journal-title {
        text-style: bold;
        padding: 0 1;
    }
    JournalScreen #journal-summary {
        color: $text-muted;
        padding: 0 1;
    }
    JournalScreen #journal-table {
        height: 1fr;
    }
    """

    class Loaded(Message):
        """The journal was read: its entries (oldest first), or the error."""

        def __init__(self, entries: list[JournalEntry], error: str = "") -> None:
            super().__init__()
            self.entries = entries
            self.error = error

    def __init__(self, path: Path, tz: datetime.tzinfo | None = None) -> None:
        super().__init__()
        self.path = path
        self.tz = tz
        #: The entries shown, newest first.
        self.entries: list[JournalEntry] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Write journal: {self.path}"), id="journal-title")
        yield Static("Reading…", id="journal-summary")
        table: DataTable[Text] = DataTable(
            id="journal-table", cursor_type="row", zebra_stripes=True
        )
        for key, label in _COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="journal")
    def load(self) -> None:
        """Read the journal (a file on disk, maybe a slow one: never in the UI thread)."""
        try:
            entries = journal.read(self.path, last=SHOWN)
        except OSError as exc:
            self.post_message(self.Loaded([], f"Cannot read the journal: {exc.strerror or exc}"))
            return
        self.post_message(self.Loaded(entries))

    def on_journal_screen_loaded(self, message: Loaded) -> None:
        self.entries = list(reversed(message.entries))
        table = self.query_one(DataTable)
        table.clear()
        for entry in self.entries:
            table.add_row(*entry_cells(entry, self.tz))
        summary = self.query_one("#journal-summary", Static)
        if message.error:
            summary.update(Text(message.error))
            summary.add_class("dialog-error")
        elif not self.entries:
            summary.update("No writes journalled yet.")
        else:
            count = len(self.entries)
            more = f" (the newest {SHOWN})" if count >= SHOWN else ""
            summary.update(f"{count} writes{more}, newest first · r: read again · Esc: back")

    def action_reload(self) -> None:
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
