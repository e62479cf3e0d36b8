"""The main screen: the watchlist table, the detail pane and the status bar.

Updates reach it only through the app's mailbox, drained by a timer at
``refresh_hz``: each tick redraws the rows that changed since the last one.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header

from catui.data.durations import parse_seconds
from catui.data.watchlist import save_watchlist
from catui.desc_column import DescriptionsRead, DescriptionTracker
from catui.dialogs.add_pvs import AddPVsDialog
from catui.dialogs.confirm import ConfirmDialog
from catui.dialogs.copy_out import CopyDialog
from catui.dialogs.filter import FilterDialog
from catui.dialogs.prompt import TextPrompt
from catui.dialogs.write import WriteDialog, WriteRequest, confirm_write
from catui.feeds.base import DIALOG_CLOSED
from catui.feeds.mailbox import Drained
from catui.formats import FORMAT_NAMES
from catui.lag import LagMeter
from catui.live_snapshot import put_rows, snapshot_rows
from catui.messages import WriteChecked, WriteFinished
from catui.model import CONNECTED, PVState, Watchlist, format_cycle, printable
from catui.screens.chart_screens import chart_screen
from catui.screens.compare import CompareScreen
from catui.screens.diagnostics import DiagnosticsScreen
from catui.screens.help import HelpScreen
from catui.screens.journal import JournalScreen
from catui.watch_engine import WatchEngine
from catui.widgets.detail_pane import DetailPane
from catui.widgets.status_bar import StatusBar
from catui.widgets.watch_table import WatchTable
from catui.write_preview import WriteTarget, preview, same_value, writable_value

if TYPE_CHECKING:
    from catui.app import CatuiApp

__all__ = ["WatchScreen"]


class WatchScreen(Screen[None]):
    """One row per PV; keys in the footer, on ``?`` and in the command palette."""

    BINDINGS = [
        Binding("a", "add", "Add", tooltip="Add PVs to the watchlist", id="watch-add"),
        Binding("d", "remove", "Remove", tooltip="Remove the selected (or marked) PVs; "
                "ctrl+z puts them back", id="watch-remove"),
        Binding("ctrl+z", "restore", "Put back", tooltip="Put back the PVs removed last "
                "(d), where they were", id="watch-restore", show=False),
        Binding("w,enter", "write", "Write", tooltip="Write the selected PV", id="watch-write"),
        Binding("slash", "filter", "Filter", tooltip="Show only matching PVs", id="watch-filter",
                key_display="/"),
        Binding("s", "sort", "Sort", tooltip="Sort by list order, name or severity",
                id="watch-sort"),
        Binding("p", "pause", "Pause", tooltip="Pause or resume updates", id="watch-pause"),
        Binding("space", "mark", "Mark", tooltip="Mark or unmark the row (copy, stale "
                "apply to marked rows)", id="watch-mark", show=False),
        Binding("u", "undo", "Undo", tooltip="Write back the value before the last write",
                id="watch-undo", show=False),
        Binding("t", "stale", "Stale after", tooltip="Mark rows stale when their time stands "
                "still (selected or marked rows)", id="watch-stale", show=False),
        Binding("i", "details", "Details", tooltip="Show or hide the detail pane",
                id="watch-details", show=False),
        Binding("f", "format", "Format", tooltip="Show the selected (or marked) values "
                "another way: precision, every digit, hex, exponential; text or numbers",
                id="watch-format", show=False),
        Binding("g", "plot", "Plot", tooltip="Strip chart of the selected (or marked) PVs; "
                "an array PV: its waveform", id="watch-plot"),
        Binding("ctrl+s", "save", "Save", tooltip="Save the watchlist to a file",
                id="watch-save"),
        Binding("question_mark", "help", "Help", tooltip="Show the keys", id="watch-help",
                key_display="?"),
        Binding("j", "journal", "Journal", tooltip="Show the journal of writes",
                id="watch-journal", show=False),
        Binding("c", "copy", "Copy", tooltip="Copy the selected rows: get/put lines, "
                "Markdown or CSV snapshot", id="watch-copy", show=False),
        Binding("v", "compare", "Compare", tooltip="Compare a saved snapshot with the live "
                "values", id="watch-compare", show=False),
        Binding("r", "record", "Record", tooltip="Show the record behind the selected PV: "
                "its fields, its links", id="watch-record", show=False),
        Binding("T", "tree", "PV tree", tooltip="Show where the selected PV's value and "
                "alarm come from: its input links, followed down", id="watch-tree",
                show=False),
        Binding("e", "descriptions", "Descriptions", tooltip="Show or hide the Description "
                "column (each record's DESC)", id="watch-desc", show=False),
        Binding("D", "diagnostics", "Diagnostics", tooltip="Show CA diagnostics",
                id="watch-diagnostics", show=False),
        Binding("q", "quit", "Quit", tooltip="Quit catui", id="watch-quit"),
    ]  # fmt: skip

    def __init__(self, names: list[str], refresh_hz: float = 10.0) -> None:
        super().__init__()
        self.watchlist = Watchlist(names)
        self.refresh_hz = refresh_hz
        self.paused = False
        self._lag = LagMeter(1.0 / refresh_hz)
        self._was_paused = False
        #: What a drain does to the watchlist; this screen only draws it.
        self.engine = WatchEngine(self.watchlist)
        #: An undo being armed: (its target, the value to write back, its link, who is told).
        self._undo: tuple[WriteTarget, Any, Any, Screen[Any] | None] | None = None
        self._warnings_seen = 0  # log_capture.warnings when D was last pressed
        #: The last snapshot saved from the copy dialog (what compare offers first).
        self.snapshot_path: Path | None = None
        self._connected: int | None = None  # connected PVs, as last counted
        #: Removals that ctrl+z puts back, newest last: (position, name, stale, format).
        self.removed: deque[list[tuple[int, str, float | None, str]]] = deque(maxlen=20)
        #: Which PVs' DESC the Description column still has to read.
        self._descriptions = DescriptionTracker()

    @property
    def redraws(self) -> int:
        """Drains that changed something."""
        return self.engine.redraws

    @property
    def updates_seen(self) -> int:
        """Monitor updates seen, coalesced ones included."""
        return self.engine.updates_seen

    @property
    def updates_coalesced(self) -> int:
        """Monitor updates replaced in the mailbox before a drain took them."""
        return self.engine.updates_coalesced

    @property
    def catui(self) -> CatuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header(icon="◉")
        yield StatusBar(id="status")
        with Vertical(id="body"):
            yield WatchTable(tz=self.catui.tz, clock=self.catui.clock, id="watch-table")
            yield DetailPane(tz=self.catui.tz, clock=self.catui.clock, id="detail")
        yield Footer(compact=True)

    def stale_threshold(self, name: str) -> float | None:
        """The stale threshold a PV starts with: its own (watchlist file), or the default."""
        app = self.catui
        return app.stale_thresholds.get(name, app.stale_default)

    def on_mount(self) -> None:
        for state in self.watchlist.states.values():
            state.stale_after = self.stale_threshold(state.name)
        self.show_rows()
        self.catui.feed.add(self.watchlist.names)
        self.set_interval(1.0 / self.refresh_hz, self.drain, name="drain")
        self.set_interval(1.0, self.check_stale, name="stale")
        self.set_interval(1.0, self.count_warnings, name="warnings")
        self.set_interval(1.0, self.check_descriptions, name="descriptions")
        self.query_one(WatchTable).focus()

    # -- the mailbox ----------------------------------------------------------
    def drain(self) -> None:
        """Apply what the workers left in the mailbox; redraw the rows that changed."""
        mailbox = self.catui.mailbox
        if self.paused:
            self._was_paused = True
            behind = self._lag.behind(mailbox.oldest, time.monotonic())
            self.query_one(StatusBar).behind = behind
            return
        box = mailbox.drain()
        self.engine.count(box)
        if box:
            self.apply(box)
        # What waited during a pause is not lag (the status bar said how far behind).
        since = None if self._was_paused else box.since
        self._was_paused = False
        status = self.query_one(StatusBar)
        status.behind = None
        status.lag = self._lag.observe(since, time.monotonic())

    def apply(self, box: Drained) -> None:
        table = self.query_one(WatchTable)
        applied = self.engine.apply(box, table.names_on_screen())
        record = self.catui.recorder.record
        for state in applied.changed:
            record(state)
        if not applied.changed:
            return
        if applied.resort and self.watchlist.sort == "severity":
            table.show(self.watchlist.visible())
        else:
            table.refresh_states(applied.changed)
        selected = table.selected_name
        if selected is not None and selected in applied.names and selected in self.watchlist:
            self.show_detail()
        self.update_status(recount=applied.recount)

    def check_stale(self) -> None:
        """Mark (or clear) stale rows: a timestamp standing still past its threshold."""
        if self.paused:
            return  # paused, nothing moves on screen: that is not the IOC's doing
        table = self.query_one(WatchTable)
        table.check_day()
        changed = self.engine.check_stale(time.monotonic(), self.catui.clock())
        if changed:
            table.refresh_states(changed)
            if any(state.name == table.selected_name for state in changed):
                self.show_detail()

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
        status.read_only = self.catui.read_only

    def on_watch_table_row_highlighted(self, event: WatchTable.RowHighlighted) -> None:
        self.show_detail()

    def on_watch_table_row_selected(self, event: WatchTable.RowSelected) -> None:
        event.stop()
        self.action_write()

    def selected_states(self) -> list[PVState]:
        """The PVs an action on "the selection" applies to: marked rows, else the cursor's."""
        table = self.query_one(WatchTable)
        names = table.marked_names
        if not names and table.selected_name is not None:
            names = [table.selected_name]
        states = self.watchlist.states
        return [states[name] for name in names if name in states]

    # -- actions --------------------------------------------------------------
    def add_names(self, names: list[str]) -> None:
        new = [name for name in names if self.watchlist.add(name)]
        for name in new:
            self.watchlist.states[name].stale_after = self.stale_threshold(name)
        if new:
            self.catui.feed.add(new)
            self.show_rows()

    def action_add(self) -> None:
        def added(names: list[str] | None) -> None:
            if names:
                self.add_names(names)

        self.app.push_screen(AddPVsDialog(self.watchlist.names, self.catui.seen_names), added)

    def action_remove(self) -> None:
        """Remove the marked rows (after a confirmation) or the cursor's; ctrl+z undoes."""
        table = self.query_one(WatchTable)
        names = table.marked_names
        if len(names) < 2:
            names = names or ([table.selected_name] if table.selected_name else [])
            self.remove_names(names)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.remove_names(names)

        self.app.push_screen(
            ConfirmDialog(
                f"Remove the {len(names)} marked PVs?",
                body=", ".join(names[:8]) + (" …" if len(names) > 8 else ""),
                yes="Remove",
            ),
            confirmed,
        )

    def remove_names(self, names: list[str]) -> None:
        """Stop watching ``names``; remembered (place, stale threshold, format) for undo."""
        states = self.watchlist.states
        order = {name: index for index, name in enumerate(states)}
        batch = [(order[n], n, states[n].stale_after, states[n].display) for n in names
                 if n in states]  # fmt: skip
        if not batch:
            return
        gone = [name for _, name, _, _ in batch]
        recorder = self.catui.recorder
        for name in gone:
            self.watchlist.remove(name)
            self.catui.mailbox.forget(name)  # added again, its alarm is news again
            recorder.leave(name)  # kept while ctrl+z can put it back
        self.catui.feed.remove(gone)
        evicted = self.removed[0] if len(self.removed) == self.removed.maxlen else []
        self.removed.append(sorted(batch))
        self.forget_histories([name for _, name, _, _ in evicted])
        self.show_rows()
        what = gone[0] if len(gone) == 1 else f"{len(gone)} PVs"
        key = self.key_display("watch-restore")
        # markup=False: a name may hold "[/…]"
        self.notify(f"Removed {what} · {key}: put back", timeout=4, markup=False)

    def forget_histories(self, names: list[str]) -> None:
        """Drop the histories of removed PVs that ctrl+z can no longer put back."""
        restorable = {name for batch in self.removed for _, name, _, _ in batch}
        for name in names:
            if name not in self.watchlist and name not in restorable:
                self.catui.recorder.forget(name)

    def action_restore(self) -> None:
        """Put back the PVs removed last, where they were, as they were set up."""
        if not self.removed:
            self.notify("Nothing removed to put back", severity="warning", timeout=3)
            return
        back = []
        for position, name, stale, display in self.removed.pop():  # in list order
            state = self.watchlist.insert(name, position)
            if state is not None:  # not added again meanwhile
                state.stale_after, state.display = stale, display
                back.append(name)
        if not back:
            self.notify("Those PVs are in the watchlist again already", timeout=3)
            return
        self.catui.feed.add(back)
        self.show_rows()
        what = back[0] if len(back) == 1 else f"{len(back)} PVs"
        self.notify(f"Put back {what}", timeout=3, markup=False)

    def action_format(self) -> None:
        """Show each selected (or marked) row's value in the next of its formats."""
        states = self.selected_states()
        if not states:
            return
        changed = []
        for state in states:
            cycle = format_cycle(state)
            if len(cycle) > 1:
                at = cycle.index(state.display) if state.display in cycle else -1
                state.display = cycle[(at + 1) % len(cycle)]
                changed.append(state)
            elif state.display != cycle[0]:  # a format that no longer applies
                state.display = cycle[0]
                changed.append(state)
        if not changed:
            which = states[0].name if len(states) == 1 else "these PVs"
            self.notify(f"{which}: no other format", timeout=2, markup=False)
            return
        self.query_one(WatchTable).refresh_states(changed)
        self.show_detail()
        if len(changed) == 1:
            self.notify(f"{changed[0].name}: {FORMAT_NAMES[changed[0].display]}",
                        timeout=2, markup=False)  # fmt: skip

    def key_display(self, binding_id: str) -> str:
        """The key of binding ``binding_id`` as the footer shows it (the keymap's, if set)."""
        for binding in self.current_bindings():
            if binding.id == binding_id:
                return self.app.get_key_display(Binding(binding.key.split(",")[0], ""))
        return binding_id

    def action_write(self) -> None:
        name = self.query_one(WatchTable).selected_name
        state = self.watchlist.states.get(name) if name else None
        if state is None or self.catui.refuse_write(state.name):
            return
        if state.connection != CONNECTED and state.info is None:
            # Never connected: its type is not known, nothing to check a value against.
            self.notify(f"{state.name} is {state.connection}: nothing to write to",
                        severity="warning", markup=False)  # fmt: skip
            return

        table = self.query_one(WatchTable)
        table.hold(state.name, True)  # the value being edited stays as the dialog shows it
        link = self.catui.writes.open_link(state.name)

        def chosen(request: WriteRequest | None) -> None:
            table.hold(state.name, False)
            if request is not None:
                self.start_write(request)
            else:
                self.catui.writes.release_link(link, DIALOG_CLOSED)

        # The dialog follows the PV's connection (a disconnected one cannot be armed).
        dialog = WriteDialog(WriteTarget.from_state(state), link, lambda: state.connection)
        self.app.push_screen(dialog, chosen)

    def action_plot(self) -> None:
        states = self.selected_states()
        if states:
            self.app.push_screen(chart_screen(states, self.catui))

    def action_mark(self) -> None:
        self.query_one(WatchTable).action_mark()

    def action_undo(self) -> None:
        """Write back the value read just before the last write, after the same confirm."""
        self.undo()

    def undo(self, reply_to: Screen[Any] | None = None) -> None:
        """Arm the undo of the last write: of a row, or of a field written from a record view.

        Parameters
        ----------
        reply_to : Screen, optional
            Told how the write back went (a record view, to read its field again);
            None: this screen.
        """
        if self.catui.refuse_write("undo"):
            return
        last = self.catui.writes.last_write
        if last is None:
            self.notify("Nothing to undo: no write of this session has completed",
                        severity="warning", markup=False)  # fmt: skip
            return
        name, old = last
        state = self.watchlist.states.get(name)
        written = self.catui.writes.last_target
        if state is None and written is not None and written.name == name:
            # Not a row (a record's field): its type as written; the check read below
            # says whether it can be reached now.
            target = written
        elif state is None or state.connection != CONNECTED:
            where = "not in the watchlist" if state is None else state.connection
            self.notify(f"Cannot undo the write to {name}: it is {where}",
                        severity="warning", markup=False)  # fmt: skip
            return
        else:
            target = WriteTarget.from_state(state)
        if self._undo is not None:
            return  # already being armed
        try:
            value = writable_value(old, target.count)
            preview(target, value)
        except Exception as exc:  # an odd old value: said in words, never a traceback
            self.notify(f"Cannot undo the write to {name}: {exc}", severity="error",
                        markup=False)  # fmt: skip
            return
        self.query_one(WatchTable).hold(name, True)
        # Armed as a write is: the PV read again first (the confirm's old is what the
        # IOC holds now, not what the row showed), in a worker.
        link = self.catui.writes.open_link(name)
        self._undo = (target, value, link, reply_to)
        self.notify(f"Undo: checking the current value of {name}…", timeout=2, markup=False)
        self.catui.writes.check(self, link, "undo")

    def on_write_checked(self, message: WriteChecked) -> None:
        """The read of an undo being armed: now its confirmation."""
        if message.purpose != "undo" or self._undo is None:
            return
        target, value, link, reply_to = self._undo
        self._undo = None
        table = self.query_one(WatchTable)
        name = target.name
        if message.info is None:
            table.hold(name, False)
            self.catui.writes.release_link(link, DIALOG_CLOSED)
            self.notify(f"Cannot undo the write to {name}: cannot read it now "
                        f"({message.error}); nothing was sent", severity="error",
                        markup=False)  # fmt: skip
            return
        shown = target
        target = target.with_control(message.info)
        now = target.with_value(message.data)
        notice = ""
        if not same_value(message.data, shown.value, shown):
            notice = f"changed since you pressed u: was {shown.current}, now {now.current}"
        armed = preview(now, value, old=now.current, notice=notice)
        is_row = name in self.watchlist.states

        def confirmed(yes: bool | None) -> None:
            table.hold(name, False)
            state = self.watchlist.states.get(name)
            # A field is not a row: its link (just read) is what says it can be reached.
            reachable = not is_row or (state is not None and state.connection == CONNECTED)
            if yes and reachable:
                self.start_write(
                    WriteRequest(name, value, armed.new, old_text=now.current,
                                 old_value=message.data, target=now, sent=armed.sent,
                                 link=link, confirmed_at=time.monotonic()),
                    reply_to,
                )  # fmt: skip
                return
            self.catui.writes.release_link(link, DIALOG_CLOSED)
            if yes:
                self.notify(f"Not written: {name} is not connected; nothing was sent",
                            severity="error", markup=False)  # fmt: skip

        self.app.push_screen(
            confirm_write(f"Undo the last write to {name}?", armed, "Write back"), confirmed
        )

    def start_write(self, request: WriteRequest, reply_to: Screen[Any] | None = None) -> None:
        status = self.query_one(StatusBar)
        status.write_state = "writing"
        status.write_text = f"writing {request.pv} ← {request.text}: waiting for completion…"
        self.catui.writes.start(request, self, also=reply_to)

    def on_write_finished(self, message: WriteFinished) -> None:
        text = message.text  # with what the IOC reports now, exactly (the worker's words)
        status = self.query_one(StatusBar)
        status.write_state = "ok" if message.ok else "failed"
        status.write_text = text
        message.text = text
        # printable: the IOC's value (or error) as reported, which may hold escapes.
        self.notify(printable(message.text), severity="information" if message.ok else "error",
                    timeout=4 if message.ok else 8, markup=False)  # fmt: skip

    def action_stale(self) -> None:
        """Ask how long a timestamp may stand still on the selected (or marked) rows."""
        states = self.selected_states()
        if not states:
            return
        current = states[0].stale_after
        which = states[0].name if len(states) == 1 else f"{len(states)} marked PVs"

        def chosen(text: str | None) -> None:
            if text is None:
                return
            try:
                seconds = parse_seconds(text)
            except ValueError as exc:
                self.notify(f"Stale threshold not changed: {exc}", severity="error",
                            markup=False)  # fmt: skip
                return
            now, wall = time.monotonic(), self.catui.clock()
            for state in states:
                state.stale_after = seconds
                state.check_stale(now, wall)
            self.query_one(WatchTable).refresh_states(states)
            self.show_detail()  # its stale line too, gone with the threshold
            said = "off" if seconds is None else f"{seconds:g} s"
            self.notify(f"Stale after: {said} for {which}", timeout=3, markup=False)

        self.app.push_screen(
            TextPrompt(
                "Stale after",
                f"Seconds the timestamp of {which} may stand still before the row is "
                "marked stale (e.g. 30, 2m, 1h); empty or 0: never.",
                value="" if current is None else f"{current:g}",
            ),
            chosen,
        )

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
                target = self.user_path(path)  # as compare reads it: ~ is home
                if target is not None:
                    self.save(target)

        self.app.push_screen(
            TextPrompt("Save watchlist", "File to write, one PV name a line.", value=default),
            chosen,
        )

    def save(self, path: Path) -> None:
        try:
            stale = {name: state.stale_after for name, state in self.watchlist.states.items()}
            save_watchlist(path, self.watchlist.names, header="catui watchlist", stale=stale)
        except OSError as exc:
            self.notify(f"Not saved: {exc.strerror or exc} ({path})", severity="error",
                        markup=False)  # fmt: skip
            return
        self.catui.watchlist_path = path
        self.notify(f"Saved {len(self.watchlist)} PVs to {path}", timeout=3, markup=False)

    def action_journal(self) -> None:
        self.app.push_screen(
            JournalScreen(self.catui.journal_path, tz=self.catui.tz, clock=self.catui.clock)
        )

    def action_record(self) -> None:
        from catui.screens.record import RecordScreen

        name = self.query_one(WatchTable).selected_name
        if name is not None:
            self.app.push_screen(RecordScreen(name))

    def action_tree(self) -> None:
        from catui.screens.pv_tree import PVTreeScreen

        name = self.query_one(WatchTable).selected_name
        if name is not None:
            self.app.push_screen(PVTreeScreen(name))

    def action_descriptions(self) -> None:
        shown = self.query_one(WatchTable).toggle_desc()
        self.notify("Description column shown" if shown else "Description column hidden",
                    timeout=2)  # fmt: skip
        self.check_descriptions()

    def check_descriptions(self) -> None:
        """While the Description column is shown: read the DESC of PVs newly connected."""
        if not self.query_one(WatchTable).desc_shown:
            return
        due = self._descriptions.due(self.watchlist.states.values())
        if due:
            self.read_descriptions(due)

    @work(thread=True, exit_on_error=False, group="descriptions")
    def read_descriptions(self, names: list[str]) -> None:
        self.post_message(DescriptionsRead(self.catui.browser.read_descriptions(names)))

    def on_descriptions_read(self, message: DescriptionsRead) -> None:
        self.query_one(WatchTable).set_descriptions(message.descriptions)

    def action_diagnostics(self) -> None:
        self._warnings_seen = self.catui.log_capture.warnings
        self.query_one(StatusBar).warnings = 0
        self.app.push_screen(DiagnosticsScreen(tz=self.catui.tz))

    def count_warnings(self) -> None:
        """Say in the status bar that warnings were logged (shown by ``D``, not on screen)."""
        self.query_one(StatusBar).warnings = self.catui.log_capture.warnings - self._warnings_seen

    def action_copy(self) -> None:
        states = self.selected_states()
        if not states:
            self.notify("No PV selected: nothing to copy", severity="warning", timeout=3)
            return

        def closed(path: Path | None) -> None:
            if path is not None:
                self.snapshot_path = path

        tz = self.catui.tz
        self.app.push_screen(CopyDialog(snapshot_rows(states, tz), put_rows(states, tz)), closed)

    def user_path(self, text: str) -> Path | None:
        """A path typed by the operator, ``~`` expanded; None (and said why) if it cannot be."""
        try:
            return Path(text).expanduser()
        except RuntimeError as exc:  # ~nosuchuser
            self.notify(f"Not a usable path: {text!r} ({exc})", severity="error", markup=False)
            return None

    def action_compare(self) -> None:
        default = str(self.snapshot_path) if self.snapshot_path else ""

        def chosen(path: str | None) -> None:
            target = self.user_path(path) if path else None
            if target is not None:
                self.app.push_screen(
                    CompareScreen(
                        target,
                        lambda: self.watchlist.states,
                        add_missing=self.add_names,
                        tz=self.catui.tz,
                    )
                )

        self.app.push_screen(
            TextPrompt(
                "Compare with a snapshot",
                "A CSV or Markdown snapshot saved with c (copy).",
                value=default,
                placeholder="snapshot.csv",
            ),
            chosen,
        )

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

    @property
    def pending_writes(self) -> list[str]:
        """The PVs of writes still waiting for completion (:class:`~catui.writes.WriteDesk`'s)."""
        return self.catui.writes.pending_writes

    @property
    def last_write(self) -> tuple[str, Any] | None:
        """The last write that completed: (PV, the value before it), for undo."""
        return self.catui.writes.last_write

    async def action_quit(self) -> None:
        """As the app's quit: asking first while a write waits for completion."""
        await self.catui.action_quit()
