"""The write journal, newest first: every write of this session and of earlier ones.

At 80 columns the table keeps to what tells the writes apart (when, PV, old, new,
status); who wrote and what the server replied are under it, for the highlighted row.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
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
from catui.formats import Day, format_stamp

__all__ = ["JournalScreen"]

#: The newest entries shown; an old journal can hold years of writes.
SHOWN = 5000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_COLUMNS = (
    ("time", "Time"),
    ("pv", "PV"),
    ("old", "Old"),
    ("new", "New"),
    ("status", "Status"),
)
#: Cells of an old or new value in the table (the whole value is under it).
VALUE_CELLS = 24


def _escaped(text: str) -> str:
    # Escaped like journal.format_entry: a value may hold escapes or newlines.
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _shown(text: str) -> Text:
    # A Text, not a str, so that "[" in a value is not read as markup by the table.
    return Text(_escaped(text))


def _clipped(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _when(entry: JournalEntry, tz: datetime.tzinfo | None) -> str:
    try:
        when = datetime.datetime.fromtimestamp(entry.time, tz)
    except (OverflowError, OSError, ValueError):
        return f"t={entry.time!r}"
    return when.strftime("%Y-%m-%d %H:%M:%S")


def entry_cells(
    entry: JournalEntry, tz: datetime.tzinfo | None = None, day: Day | None = None
) -> list[Text]:
    """The row of one entry: time (the date when not ``day``), PV, old, new, status."""
    stamp = format_stamp(entry.time, day, 14, tz) if day is not None else _when(entry, tz)
    old = "?" if entry.old is None else (entry.old or '""')
    status = _shown(entry.status)
    if entry.status != "completed":
        status.stylize("bold")
    return [
        Text(stamp),
        _shown(entry.pv),
        _shown(_clipped(old, VALUE_CELLS)),
        _shown(_clipped(entry.new or '""', VALUE_CELLS)),
        status,
    ]


def entry_detail(entry: JournalEntry, tz: datetime.tzinfo | None = None) -> Text:
    """Everything of one entry the row leaves out: who, the full time, old, new, the reply."""
    old = "?" if entry.old is None else (entry.old or '""')
    lines = [
        f"{_when(entry, tz)} · {entry.user}@{entry.host} · {entry.pv} · {entry.status}",
        f"{old} → {entry.new or chr(34) * 2}",
    ]
    if entry.reply:
        lines.append(f"reply: {entry.reply}")
    return Text("\n".join(_escaped(line) for line in lines))


class JournalScreen(Screen[None]):
    """The entries of the journal at ``path``, read in a worker; ``r`` reads it again."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", tooltip="Back to the watchlist", id="journal-close"),
        Binding("r", "reload", "Reload", tooltip="Read the journal again", id="journal-reload"),
    ]

    CSS_PATH = "../styles/journal.tcss"

    class Loaded(Message):
        """The journal was read: its entries (oldest first), or the error."""

        def __init__(self, entries: list[JournalEntry], error: str = "") -> None:
            super().__init__()
            self.entries = entries
            self.error = error

    def __init__(
        self,
        path: Path,
        tz: datetime.tzinfo | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.path = path
        self.tz = tz
        #: The wall clock: the writes of another day are shown with their date.
        self.clock = clock
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
        yield Static("", id="journal-detail", markup=False)
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
        day = Day(self.clock(), self.tz)
        for entry in self.entries:
            table.add_row(*entry_cells(entry, self.tz, day))
        self.show_detail(table.cursor_row)
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

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail(event.cursor_row)

    def show_detail(self, row: int) -> None:
        """Under the table: all of the entry on ``row`` (who, the reply, whole values)."""
        detail = self.query_one("#journal-detail", Static)
        if 0 <= row < len(self.entries):
            detail.update(entry_detail(self.entries[row], self.tz))
        else:
            detail.update("")

    def action_reload(self) -> None:
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
