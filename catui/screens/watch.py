"""The main screen: the watchlist table, the detail pane and the status bar.

Updates reach it only through the app's mailbox, drained by a timer at
``refresh_hz``: each tick redraws the rows that changed since the last one.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header

from catui.data.watchlist import save_watchlist
from catui.dialogs.add_pvs import AddPVsDialog
from catui.dialogs.filter import FilterDialog
from catui.dialogs.prompt import TextPrompt
from catui.dialogs.write import WriteDialog, WriteRequest, WriteTarget
from catui.messages import Drained, WriteFinished
from catui.model import CONNECTED, PVState, Watchlist
from catui.screens.help import HelpScreen
from catui.widgets.detail_pane import DetailPane
from catui.widgets.status_bar import StatusBar
from catui.widgets.watch_table import WatchTable

if TYPE_CHECKING:
    from catui.app import CatuiApp

__all__ = ["WatchScreen"]


def _freeze_startup_objects() -> None:
    """Keep what exists once the console is up out of the garbage collector's scans.

    Ten thousand updates a second make the collector run a full collection every second
    or two; with Textual, the modules and the watchlist in it each took up to ~0.1 s,
    stalling the UI (and keystrokes) that long.  Undone when the screen goes
    (:meth:`WatchScreen.on_unmount`), so that nothing of it outlives the app.
    """
    gc.freeze()


class WatchScreen(Screen[None]):
    """One row per PV; keys in the footer, on ``?`` and in the command palette."""

    BINDINGS = [
        Binding("a", "add", "Add", tooltip="Add PVs to the watchlist", id="watch-add"),
        Binding("d", "remove", "Remove", tooltip="Remove the selected PV", id="watch-remove"),
        Binding("w,enter", "write", "Write", tooltip="Write the selected PV", id="watch-write"),
        Binding("slash", "filter", "Filter", tooltip="Show only matching PVs", id="watch-filter",
                key_display="/"),
        Binding("s", "sort", "Sort", tooltip="Sort by list order, name or severity",
                id="watch-sort"),
        Binding("p", "pause", "Pause", tooltip="Pause or resume updates", id="watch-pause"),
        Binding("i", "details", "Details", tooltip="Show or hide the detail pane",
                id="watch-details", show=False),
        Binding("ctrl+s", "save", "Save", tooltip="Save the watchlist to a file",
                id="watch-save"),
        Binding("question_mark", "help", "Help", tooltip="Show the keys", id="watch-help",
                key_display="?"),
        Binding("q", "quit", "Quit", tooltip="Quit catui", id="watch-quit"),
    ]  # fmt: skip

    def __init__(self, names: list[str], refresh_hz: float = 10.0) -> None:
        super().__init__()
        self.watchlist = Watchlist(names)
        self.refresh_hz = refresh_hz
        self.paused = False
        #: Drains that changed something, and monitor updates seen / coalesced away.
        self.redraws = 0
        self.updates_seen = 0
        self.updates_coalesced = 0
        self._writes: dict[str, int] = {}
        self._connected: int | None = None  # connected PVs, as last counted
        #: PVs whose last update is stashed, not decoded (see apply).
        self._stashed: dict[str, PVState] = {}

    @property
    def catui(self) -> CatuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header(icon="◉")
        yield StatusBar(id="status")
        with Vertical(id="body"):
            yield WatchTable(tz=self.catui.tz, id="watch-table")
            yield DetailPane(tz=self.catui.tz, id="detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.show_rows()
        self.catui.feed.add(self.watchlist.names)
        self.set_interval(1.0 / self.refresh_hz, self.drain, name="drain")
        self.query_one(WatchTable).focus()
        _freeze_startup_objects()

    def on_unmount(self) -> None:
        gc.unfreeze()

    # -- the mailbox ----------------------------------------------------------
    def drain(self) -> None:
        """Apply what the workers left in the mailbox; redraw the rows that changed."""
        if self.paused:
            return
        box = self.catui.mailbox.drain()
        self.updates_seen += len(box.updates) + box.dropped
        self.updates_coalesced += box.dropped
        if box:
            self.apply(box)

    def apply(self, box: Drained) -> None:
        states = self.watchlist.states
        updates, connections, controls = box.updates, box.connections, box.controls
        changed: list[PVState] = []
        resort = False
        table = self.query_one(WatchTable)
        # Updates of PVs nobody sees (rows off screen, not selected) are only stashed:
        # decoded when read (drawn, selected, sorted by severity, written to…).  Sorted
        # by severity, every update counts at once.
        by_severity = self.watchlist.sort == "severity"
        seen = None if by_severity else table.names_on_screen()
        stashed = self._stashed
        self._stashed = now_stashed = {}
        # Most ticks carry only updates: their names, without building box.names.
        names = box.names if connections or controls else updates
        for name in names:
            state = states.get(name)
            if state is None:
                continue  # removed meanwhile
            before = (state.severity, state.connection) if by_severity else None
            event = connections.get(name)
            if event is not None:
                state.apply_connection(
                    event.state, event.address, event.native_type, event.count, event.access
                )
            response = updates.get(name)
            if response is not None:
                if seen is None or name in seen:
                    state.apply_update(response)
                else:
                    state.stash(response)
                    now_stashed[name] = state
            control = controls.get(name)
            if control is not None:
                state.control = control
            changed.append(state)
            if by_severity:
                resort = resort or before != (state.severity, state.connection)
        # Stashed at an earlier tick and not replaced since (a quiet PV): decode it
        # now, rather than keep the received buffer it views alive.
        for name, state in stashed.items():
            if name not in now_stashed:
                state.settle()
        if not changed:
            return
        self.redraws += 1
        if resort and self.watchlist.sort == "severity":
            table.show(self.watchlist.visible())
        else:
            table.refresh_states(changed)
        selected = table.selected_name
        if selected is not None and selected in names and selected in states:
            self.show_detail()
        self.update_status(recount=bool(connections))

    # -- drawing --------------------------------------------------------------
    def show_rows(self) -> None:
        self.query_one(WatchTable).show(self.watchlist.visible())
        self.show_detail()
        self.update_status()

    def show_detail(self) -> None:
        name = self.query_one(WatchTable).selected_name
        state = self.watchlist.states.get(name) if name else None
        self.query_one(DetailPane).show(state)

    def update_status(self, recount: bool = True) -> None:
        """Counts, sort, filter, pause; ``recount=False``: no connection changed since."""
        status = self.query_one(StatusBar)
        if recount or self._connected is None:
            self._connected = self.watchlist.connected_count()
        status.counts = (
            self._connected,
            self.query_one(WatchTable).row_count,
            len(self.watchlist),
        )
        status.sort = self.watchlist.sort
        status.filter = self.watchlist.filter
        status.paused = self.paused

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_write()

    # -- actions --------------------------------------------------------------
    def add_names(self, names: list[str]) -> None:
        new = [name for name in names if self.watchlist.add(name)]
        if new:
            self.catui.feed.add(new)
            self.show_rows()

    def action_add(self) -> None:
        def added(names: list[str] | None) -> None:
            if names:
                self.add_names(names)

        self.app.push_screen(AddPVsDialog(), added)

    def action_remove(self) -> None:
        name = self.query_one(WatchTable).selected_name
        if name is None:
            return
        self.watchlist.remove(name)
        self.catui.feed.remove([name])
        self.show_rows()
        self.notify(f"Removed {name}", timeout=2)

    def action_write(self) -> None:
        name = self.query_one(WatchTable).selected_name
        state = self.watchlist.states.get(name) if name else None
        if state is None:
            return
        if state.connection != CONNECTED:
            self.notify(f"{state.name} is {state.connection}: nothing to write to",
                        severity="warning")  # fmt: skip
            return

        def chosen(request: WriteRequest | None) -> None:
            if request is not None:
                self.start_write(request)

        self.app.push_screen(WriteDialog(WriteTarget.from_state(state)), chosen)

    def start_write(self, request: WriteRequest) -> None:
        self._writes[request.pv] = self._writes.get(request.pv, 0) + 1
        status = self.query_one(StatusBar)
        status.write_state = "writing"
        status.write_text = f"writing {request.pv} ← {request.text}: waiting for completion…"
        self.catui.write_pv(self, request)

    def on_write_finished(self, message: WriteFinished) -> None:
        self._writes[message.pv] -= 1
        if not self._writes[message.pv]:
            del self._writes[message.pv]
        status = self.query_one(StatusBar)
        status.write_state = "ok" if message.ok else "failed"
        status.write_text = message.text
        self.notify(message.text, severity="information" if message.ok else "error",
                    timeout=4 if message.ok else 8)  # fmt: skip

    def action_filter(self) -> None:
        def chosen(pattern: str | None) -> None:
            if pattern is not None:
                self.watchlist.filter = pattern
                self.show_rows()

        self.app.push_screen(FilterDialog(self.watchlist.filter), chosen)

    def action_sort(self) -> None:
        self.watchlist.next_sort()
        self.show_rows()

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.update_status()
        if not self.paused:
            self.drain()

    def action_details(self) -> None:
        self.query_one(DetailPane).toggle_class("-hidden")

    def action_save(self) -> None:
        default = str(self.catui.watchlist_path or "watchlist.txt")

        def chosen(path: str | None) -> None:
            if path:
                self.save(Path(path))

        self.app.push_screen(
            TextPrompt("Save watchlist", "File to write, one PV name a line.", value=default),
            chosen,
        )

    def save(self, path: Path) -> None:
        try:
            save_watchlist(path, self.watchlist.names, header="catui watchlist")
        except OSError as exc:
            self.notify(f"Not saved: {exc.strerror or exc} ({path})", severity="error")
            return
        self.catui.watchlist_path = path
        self.notify(f"Saved {len(self.watchlist)} PVs to {path}", timeout=3)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.current_bindings()))

    def current_bindings(self) -> list[Binding]:
        """Our bindings with the keys the user's keymap gives them."""
        keymap = self.catui.keymap
        return [
            Binding(
                keymap.get(b.id or "", b.key), b.action, b.description, tooltip=b.tooltip, id=b.id
            )
            for b in self.BINDINGS
            if isinstance(b, Binding)
        ]

    async def action_quit(self) -> None:
        self.app.exit()
