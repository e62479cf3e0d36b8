"""CA diagnostics: the address list in effect, circuits, searches, duplicates and the log.

The snapshot (:meth:`catui.feeds.base.Feed.diagnostics`, a lock and a copy in the client)
is taken when the screen opens, then in a thread worker about once a second, since
with thousands of PVs it takes tens of milliseconds; a section is redrawn only when
what it shows changed.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from catui.feeds.base import (
    CONNECTED,
    SEARCHING,
    CircuitRow,
    Diagnostics,
    DuplicateRow,
    PVRow,
)
from catui.log_capture import CapturedRecord

if TYPE_CHECKING:
    from catui.app import CatuiApp

__all__ = [
    "DiagnosticsScreen",
    "address_section",
    "circuits_section",
    "duplicates_section",
    "log_section",
    "pvs_section",
    "searching_section",
]

#: Rows shown of the PV and searching tables; a watchlist can hold thousands.
MAX_ROWS = 500
#: Seconds between snapshots.
REFRESH = 1.0
_NOTHING = object()
# A log message can hold a server's text (a CA error message): its escape sequences
# must not reach the terminal, nor its line breaks fake more records.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _escaped(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _address(address: tuple[str, int] | None) -> str:
    return "—" if address is None else f"{address[0]}:{address[1]}"


def _addresses(addresses: Iterable[tuple[str, int]]) -> str:
    return " ".join(_address(a) for a in addresses) or "(none)"


def _time(when: float | None, tz: datetime.tzinfo | None) -> str:
    if when is None:
        return "—"
    try:
        return datetime.datetime.fromtimestamp(when, tz).strftime("%H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return "?"


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _title(text: str, note: str = "") -> Text:
    title = Text(text, style="bold")
    if note:
        title.append(f"  {note}", style="dim")
    return title


def _table(*headers: str) -> Table:
    """Columns as wide as their content; at 80 columns the first (a PV name) folds.

    Never an address, a state or a header cut: those say what the screen is for.
    """
    table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, header_style="bold")
    for index, header in enumerate(headers):
        if index == 0 and header == "PV":
            table.add_column(header, overflow="fold")
        else:
            table.add_column(header, no_wrap=True, min_width=len(header))
    return table


def _priorities(pvs: Sequence[PVRow]) -> tuple[bool, str]:
    """Whether the PVs' priorities differ (a column), or the one they share (a note)."""
    found = {pv.priority for pv in pvs}
    if len(found) > 1:
        return True, ""
    return False, f"priority {found.pop()}" if found else ""


def _more(shown: int, total: int) -> list[Text]:
    return [Text(f"… and {total - shown} more", style="dim")] if total > shown else []


def address_section(snap: Diagnostics) -> RenderableType:
    """The configuration in effect, as the client resolved it, and where searches go."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    if snap.settings_note:
        grid.add_row("Configuration", Text(snap.settings_note))
    for name, value in snap.settings:
        grid.add_row(name, Text(value))
    destinations = _addresses(snap.destinations) if snap.running else "(not searching yet)"
    if snap.running and not snap.destinations and snap.no_destinations:
        destinations = snap.no_destinations
    grid.add_row("Search destinations", Text(destinations))
    grid.add_row("Search datagrams sent", str(snap.datagrams_sent))
    return Group(_title("Address list in effect"), grid)


def circuits_section(
    circuits: Sequence[CircuitRow], tz: datetime.tzinfo | None = None
) -> RenderableType:
    """One row per open circuit: server, priority, channels, since, last heard."""
    if not circuits:
        return Group(_title("Circuits", "none open"))
    table = _table("Server", "Priority", "Channels", "Since", "Last heard")
    for c in circuits:
        table.add_row(
            Text(_address(c.address)),
            str(c.priority),
            str(c.channels),
            _time(c.connected_since, tz),
            _time(c.last_heard, tz),
        )
    return Group(_title("Circuits", f"{len(circuits)} open"), table)


def duplicates_section(
    duplicates: Sequence[DuplicateRow], count: int, tz: datetime.tzinfo | None = None
) -> RenderableType:
    """Each PV answered by two servers (newest first), with the one in use."""
    if not count:
        return Group(_title("Duplicate servers", "none seen"))
    lines = [
        Text.assemble((f"{_time(d.when, tz)}  ", "dim"), (d.describe(), "bold"))
        for d in reversed(duplicates)
    ]
    note = f"{count} seen" + (f", the last {len(duplicates)} shown" if count > len(duplicates)
                              else "")  # fmt: skip
    return Group(_title("Duplicate servers", note), *lines)


def searching_section(
    pvs: Sequence[PVRow], taken_at: float, tz: datetime.tzinfo | None = None
) -> RenderableType:
    """The PVs still searched for: searches sent, retries, since when, next one."""
    searching = [pv for pv in pvs if pv.state == SEARCHING]
    if not searching:
        return Group(_title("Searching", "no PV"))
    shown = searching[:MAX_ROWS]
    by_priority, shared = _priorities(shown)
    headers = ["PV", "Priority", "Searches", "Retries", "Since", "Last", "Next in", "Lost"]
    table = _table(*(h for h in headers if by_priority or h != "Priority"))
    for pv in shown:
        wait = "—" if pv.next_search is None else f"{max(pv.next_search - taken_at, 0.0):.1f} s"
        cells: list[Text | str] = [
            Text(pv.name),
            str(pv.priority),
            str(pv.searches),
            str(pv.retries),
            _time(pv.search_started, tz),
            _time(pv.last_search, tz),
            wait,
            str(pv.losses),
        ]
        table.add_row(*(c for i, c in enumerate(cells) if by_priority or i != 1))
    note = ", ".join(filter(None, (_count(len(searching), "PV"), shared)))
    return Group(_title("Searching", note), table, *_more(MAX_ROWS, len(searching)))


def pvs_section(pvs: Sequence[PVRow], tz: datetime.tzinfo | None = None) -> RenderableType:
    """Every PV: which server answered it, its priority and state."""
    if not pvs:
        return Group(_title("PVs", "none"))
    shown = pvs[:MAX_ROWS]
    by_priority, shared = _priorities(shown)
    headers = ["PV", "Server", "Priority", "State", "Since", "Searches", "Lost"]
    table = _table(*(h for h in headers if by_priority or h != "Priority"))
    for pv in shown:
        since = pv.connected_since if pv.state == CONNECTED else pv.search_started
        cells: list[Text | str] = [
            Text(pv.name),
            Text(_address(pv.server)),
            str(pv.priority),
            pv.state,
            _time(since, tz),
            str(pv.searches),
            str(pv.losses),
        ]
        table.add_row(*(c for i, c in enumerate(cells) if by_priority or i != 2))
    connected = sum(pv.state == CONNECTED for pv in pvs)
    note = ", ".join(filter(None, (f"{connected} of {len(pvs)} connected", shared)))
    return Group(_title("PVs", note), table, *_more(MAX_ROWS, len(pvs)))


def log_section(
    records: Sequence[CapturedRecord], tz: datetime.tzinfo | None = None
) -> RenderableType:
    """The console's log records, newest first."""
    if not records:
        return Group(_title("Log", "no records"))
    lines = []
    for record in reversed(records):
        level = Text(f"{record.levelname:<8}", style="bold" if record.level >= 30 else "")
        lines.append(Text.assemble(
            (f"{_time(record.created, tz)}  ", "dim"), level, " ",
            (f"{_escaped(record.logger)}: ", "dim"), _escaped(record.message),
        ))  # fmt: skip
    return Group(_title("Log", f"the last {len(records)} records, newest first"), *lines)


class DiagnosticsScreen(Screen[None]):
    """What the CA client is doing, refreshed every second; Esc goes back."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", tooltip="Back to the watchlist",
                id="diagnostics-close"),
    ]  # fmt: skip

    CSS_PATH = "../styles/diagnostics.tcss"

    class Taken(Message):
        """A snapshot and the log records, or why there is none."""

        def __init__(
            self,
            snap: Diagnostics | None,
            records: tuple[CapturedRecord, ...],
            error: str = "",
        ) -> None:
            super().__init__()
            self.snap = snap
            self.records = records
            self.error = error

    def __init__(self, tz: datetime.tzinfo | None = None) -> None:
        super().__init__()
        self.tz = tz
        #: The snapshot shown (None until the first arrives).
        self.snap: Diagnostics | None = None
        self._shown: dict[str, object] = {}

    @property
    def catui(self) -> CatuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("CA diagnostics", id="diagnostics-title")
        yield Static("Taking a snapshot…", id="diagnostics-summary")
        with VerticalScroll(id="diagnostics-body"):
            for section in ("address", "circuits", "duplicates", "searching", "log", "pvs"):
                yield Static(id=f"diagnostics-{section}")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#diagnostics-body").focus()
        # The first snapshot at once, so that the screen opens with it (one copy of the
        # client's tables, ~20 ms with 10,000 PVs); the next ones in a worker.
        self.on_diagnostics_screen_taken(self.snapshot())
        self.set_interval(REFRESH, self.take, name="diagnostics")

    def snapshot(self) -> Taken:
        """The feed's diagnostics and the log records, or why there are none."""
        records = self.catui.log_capture.records()
        try:
            snap = self.catui.feed.diagnostics()
        except Exception as exc:  # never a traceback over the screen
            return self.Taken(None, records, f"No diagnostics: {exc}")
        return self.Taken(snap, records)

    @work(thread=True, exclusive=True, exit_on_error=False, group="diagnostics")
    def take(self) -> None:
        """Take a snapshot in a thread (a lock and a copy, but tens of ms for many PVs)."""
        self.post_message(self.snapshot())

    def on_diagnostics_screen_taken(self, message: Taken) -> None:
        summary = self.query_one("#diagnostics-summary", Static)
        if message.snap is None:
            summary.update(Text(_escaped(message.error)))
        else:
            self.show(message.snap)
        self._section("log", message.records, lambda: log_section(message.records, self.tz))

    def show(self, snap: Diagnostics) -> None:
        """Draw ``snap``: each section only if what it shows changed."""
        self.snap = snap
        tz = self.tz
        searching = snap.searching
        summary = (
            f"{_count(len(snap.pvs), 'PV')}: {len(snap.pvs) - len(searching)} found, "
            f"{len(searching)} searching · {_count(len(snap.circuits), 'circuit')} · "
            f"{_count(snap.duplicate_count, 'duplicate')} · at {_time(snap.taken_at, tz)}"
        )
        self.query_one("#diagnostics-summary", Static).update(summary)
        facts = (snap.settings, snap.destinations, snap.no_destinations, snap.running,
                 snap.datagrams_sent)  # fmt: skip
        self._section("address", facts, lambda: address_section(snap))
        self._section("circuits", snap.circuits, lambda: circuits_section(snap.circuits, tz))
        self._section(
            "duplicates",
            (snap.duplicates, snap.duplicate_count),
            lambda: duplicates_section(snap.duplicates, snap.duplicate_count, tz),
        )
        # "Next in" counts down: the searching table changes with every snapshot.
        self._section(
            "searching",
            (searching, snap.taken_at if searching else None),
            lambda: searching_section(searching, snap.taken_at, tz),
        )
        self._section("pvs", snap.pvs, lambda: pvs_section(snap.pvs, tz))

    def _section(self, name: str, key: object, render: Callable[[], RenderableType]) -> None:
        if self._shown.get(name, _NOTHING) == key:
            return
        self._shown[name] = key
        self.query_one(f"#diagnostics-{name}", Static).update(render())

    def action_close(self) -> None:
        self.dismiss(None)
