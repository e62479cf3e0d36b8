"""The record view: the record behind a PV, every field of its type with its value, its links.

Opened with ``r`` on a row. A worker reads every field at once through the app's
:class:`~catui.browse.source.BrowseSource`; the values are posted here as
messages and fill in as they arrive (the UI never waits on the network).
Enter on a link follows it to its record's view, ``backspace`` goes back along
the path (the breadcrumb line), Enter or ``w`` on another field writes it through
the armed write dialog (its DBD checks first), ``T`` opens the record's PV tree, Esc
closes the view.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static
from textual.widgets.data_table import ColumnKey

from catui.browse.fields import FieldDef
from catui.browse.path import BrowsePath
from catui.browse.record import NOT_READABLE, FieldValue, RecordView, field_value, record_name
from catui.browse.text import field_text, safe
from catui.dialogs.field_write import FieldWriteDialog, field_target, refusal
from catui.feeds.base import DIALOG_CLOSED
from catui.messages import WriteFinished

if TYPE_CHECKING:
    from catui.app import CatuiApp
    from catui.dialogs.write import WriteRequest

__all__ = ["RecordScreen", "summary_lines"]

#: Alarm limits and the severity field of each.
_LIMITS = (("HIHI", "HHSV"), ("HIGH", "HSV"), ("LOW", "LSV"), ("LOLO", "LLSV"))
_GROUP = "group:"
#: Header facts shown only when they hold something (the table lists them all).
_IF_SET = frozenset({"EVNT", "SDIS", "AMSG", "DTYP"})
#: Seconds between redraws while fields arrive.
APPLY_SECONDS = 0.05
#: Seconds the table waits for the first values once the fields are known: a record's
#: reads take tens of milliseconds when the UI does not draw meanwhile (the GIL), so it
#: is made once with them all; from a slow IOC, with what came, the rest filling in.
FIRST_APPLY_SECONDS = 0.15
#: The value column's width before the screen's size is known (then: what is left).
VALUE_WIDTH = 30
#: Widest the prompt column gets.
PROMPT_WIDTH = 28


def summary_lines(view: RecordView) -> list[str]:
    """The header facts: type and host, processing, disable, alarm, limits, deadbands."""
    if view.error:
        detail = f" ({safe(view.detail)})" if view.detail else ""
        return [f"{view.record}: {view.error}{detail}"]
    if not view.record_type:
        return [f"{view.record}: reading…"]
    t = view.text
    shown = {f.name for f in view.fields}

    def fact(name: str) -> str:
        if name not in shown:
            return ""
        value = view.values.get(name)
        if name in _IF_SET and value is not None and not value.error and not value.text:
            return ""
        text = "…" if value is None else (f"<{value.error}>" if value.error else safe(value.text))
        return f"{name} {text or chr(34) * 2}"

    head = f"{view.record}  {safe(view.record_type)}"
    if view.host:
        head += f" on {view.host}"
    readable = sum(1 for f in view.fields if f.readable)
    done = sum(1 for f in view.fields if f.readable and f.name in view.values)
    head += f" · {done}/{readable} fields"
    lines = [head]
    desc = fact("DESC")
    if desc:
        lines.append(desc)
    process = [fact(n) for n in ("SCAN", "PINI", "PHAS", "EVNT", "DTYP")]
    disable = [fact(n) for n in ("DISA", "DISV", "DISS", "SDIS")]
    state = view.disabled
    if state is not None:
        disable.append("DISABLED (DISA = DISV)" if state else "enabled")
    lines.append(" · ".join(p for p in process + disable if p))
    alarm = [fact(n) for n in ("STAT", "SEVR", "AMSG")]
    lines.append(" · ".join(a for a in alarm if a))
    limits = []
    for limit, severity in _LIMITS:
        if limit in shown:
            sev = t(severity)
            limits.append(f"{fact(limit)}" + (f" ({sev})" if sev else ""))
    limits += [fact(n) for n in ("HYST", "ADEL", "MDEL")]
    if any(limits):
        lines.append(" · ".join(x for x in limits if x))
    if view.partial:
        lines.append(
            f"partial: {safe(view.record_type)!r} is not in the field table; "
            "showing dbCommon's fields and the usual ones"
        )
    if view.absent:
        lines.append(f"not on this IOC: {', '.join(view.absent)}")
    return [line for line in lines if line]


class RecordScreen(Screen[None]):
    """One record's view; following links moves along a :class:`BrowsePath`.

    Parameters
    ----------
    pv : str
        The PV whose record to show (``rec.VAL`` shows ``rec``).
    """

    CSS_PATH = "../styles/browse.tcss"

    BINDINGS = [
        Binding("escape", "close", "Back", tooltip="Close the record view", id="record-close"),
        Binding("backspace", "back", "Previous", tooltip="Back to the record before "
                "(along the links followed)", id="record-back"),
        Binding("w", "write", "Write", tooltip="Write the selected field", id="record-write"),
        Binding("u", "undo", "Undo", tooltip="Write back the value before the last write",
                id="record-undo"),
        Binding("g", "reload", "Read again", tooltip="Read every field again",
                id="record-reload"),
        Binding("T", "tree", "PV tree", tooltip="The PV tree of this record: where its "
                "value and alarm come from", id="record-tree"),
    ]  # fmt: skip

    class Planned(Message):
        """The record's type is known: the fields to show (or why it cannot be read)."""

        def __init__(self, generation: int, view: RecordView) -> None:
            super().__init__()
            self.generation = generation
            self.record_type = view.record_type
            self.partial = view.partial
            self.fields = list(view.fields)
            self.values = dict(view.values)
            self.error, self.detail, self.host = view.error, view.detail, view.host

    class Arrived(Message):
        """Field values are waiting in the screen's inbox (posted when it stops being empty)."""

        def __init__(self, generation: int) -> None:
            super().__init__()
            self.generation = generation

    class Finished(Message):
        """Every read of the record is done."""

        def __init__(self, generation: int) -> None:
            super().__init__()
            self.generation = generation

    def __init__(self, pv: str) -> None:
        super().__init__()
        self.path = BrowsePath(record_name(pv))
        self.view = RecordView(self.path.current)
        self._generation = 0
        #: Values arrived and not drawn yet (None: the field is not on the IOC), left by
        #: the worker under the lock.
        self._inbox: dict[str, FieldValue | None] = {}
        self._inbox_lock = threading.Lock()
        self._apply_due = False
        self._rows_due = False  # the plan is known, the table not made yet
        self._apply_timer: Timer | None = None

    @property
    def catui(self) -> CatuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="record-path", markup=False)
        yield Static("", id="record-summary", markup=False)
        table: DataTable[Any] = DataTable(id="record-fields", cursor_type="row")
        table.add_column("Field", key="field")
        table.add_column("Prompt", key="prompt")
        table.add_column("Value", key="value", width=VALUE_WIDTH)
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.open(self.path.current)

    def on_resize(self) -> None:
        # The value column takes the rest of the width: measuring its cells as they
        # change (DataTable's update_width) costs a pass over every row each time.
        table = self.query_one(DataTable)
        column = table.columns.get(ColumnKey("value"))
        if column is not None:
            column.width = max(VALUE_WIDTH, self.size.width - 10 - PROMPT_WIDTH - 8)
            column.auto_width = False
            table.refresh()

    @property
    def ready(self) -> bool:
        """Every field shown has its value (or error), or the record could not be read."""
        view = self.view
        done = bool(view.error) or bool(view.record_type and view.complete)
        return done and not (self._apply_due or self._rows_due or self._inbox)

    # -- reading ------------------------------------------------------------------------
    def open(self, record: str) -> None:
        """Show ``record`` (the path already says it), reading it afresh."""
        with self._inbox_lock:
            self._generation += 1
            self._inbox.clear()
        self._rows_due = False
        self.view = RecordView(record)
        self.query_one(DataTable).clear()
        self.show_header()
        self.read(record, self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="record-view")
    def read(self, record: str, generation: int) -> None:
        """Every field of ``record``, posted as it arrives (a newer view cancels it)."""

        def cancelled() -> bool:
            return generation != self._generation or not self.is_attached

        def update(view: RecordView, field: str) -> None:
            if cancelled():
                return
            if not field:
                self.post_message(self.Planned(generation, view))
            else:
                self.deliver(generation, {field: view.values.get(field)})

        self.catui.browser.read_record(record, on_update=update, cancelled=cancelled)
        if not cancelled():
            self.post_message(self.Finished(generation))

    def on_record_screen_planned(self, message: Planned) -> None:
        if message.generation != self._generation:
            return
        view = self.view
        view.record_type, view.partial = message.record_type, message.partial
        view.fields, view.values = message.fields, message.values
        for field in view.fields:  # never read (the worker sets these after planning)
            if not field.readable:
                view.values.setdefault(field.name, FieldValue(field, error=NOT_READABLE))
        view.error, view.detail, view.host = message.error, message.detail, message.host
        if view.error:
            self.show_header()
            return
        # The rows are made with the first values (the reads are under way): one
        # table built, not a table of "…" and then every cell again.
        self._rows_due = True
        self._apply_soon(FIRST_APPLY_SECONDS)

    def deliver(self, generation: int, values: dict[str, FieldValue | None]) -> None:
        """Leave field values for the screen (any thread): one message while it has some.

        A record's fields arrive within milliseconds: a message and a frame for them
        all, rather than one each (150 messages cost the UI more than the reads).
        """
        with self._inbox_lock:
            if generation != self._generation:
                return
            wake = not self._inbox
            self._inbox.update(values)
        if wake:
            self.post_message(self.Arrived(generation))

    def on_record_screen_arrived(self, message: Arrived) -> None:
        if message.generation == self._generation:
            self._apply_soon()

    def on_record_screen_finished(self, message: Finished) -> None:
        if message.generation == self._generation and (self._apply_due or self._inbox):
            self._apply_pending()

    def _apply_soon(self, seconds: float = APPLY_SECONDS) -> None:
        if not self._apply_due:
            self._apply_due = True
            self._apply_timer = self.set_timer(seconds, self._apply_pending, name="record-values")

    def _apply_pending(self) -> None:
        if self._apply_timer is not None:
            self._apply_timer.stop()
            self._apply_timer = None
        self._apply_due = False
        with self._inbox_lock:
            pending, self._inbox = self._inbox, {}
        view, table = self.view, self.query_one(DataTable)
        rows_due, self._rows_due = self._rows_due, False
        for name, value in pending.items():
            if value is None:  # not on this IOC
                field = view.field(name)
                if field is not None:
                    view.fields.remove(field)
                    view.absent.append(name)
                if not rows_due and name in table.rows:
                    table.remove_row(name)
            else:
                view.values[name] = value
                if not rows_due and name in table.rows:
                    table.update_cell(name, "value", self._value_cell(value))
        if rows_due:
            self.show_fields()
        self.show_header()

    # -- drawing ----------------------------------------------------------------------
    def show_header(self) -> None:
        crumbs = "Record: " + self.path.text(max(20, self.size.width - 20))
        if self.catui.read_only:
            crumbs += " · READ-ONLY"
        self.query_one("#record-path", Static).update(crumbs)
        self.query_one("#record-summary", Static).update("\n".join(summary_lines(self.view)))

    def _value_cell(self, value: FieldValue | None) -> Text:
        text = Text(field_text(value))
        if value is not None and value.error:
            text.stylize("italic")
        elif value is not None and value.link is not None and value.link.pv:
            text.stylize("underline")
        if value is not None and value.field.name == "SEVR" and not value.error:
            severity = {"MINOR": 1, "MAJOR": 2, "INVALID": 3}.get(value.text, 0)
            text.stylize(_SEVERITY_STYLE.get(severity, ""))
        return text

    def show_fields(self) -> None:
        """Every readable field, under its promptgroup's label."""
        table = self.query_one(DataTable)
        table.clear()
        for label, fields in self.view.groups():
            shown = [f for f in fields if f.readable]
            if not shown:
                continue
            table.add_row(Text(label, style="bold"), "", "", key=_GROUP + label)
            for field in shown:
                table.add_row(
                    field.name,
                    Text(safe(field.prompt)[:PROMPT_WIDTH], style="dim"),
                    self._value_cell(self.view.values.get(field.name)),
                    key=field.name,
                )

    # -- keys -------------------------------------------------------------------------
    def selected_field(self) -> FieldDef | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.view.field(key) if key and not key.startswith(_GROUP) else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        field = self.selected_field()
        if field is None:
            return
        value = self.view.values.get(field.name)
        if value is not None and value.link is not None and value.link.pv:
            self.follow(value.link.record)
        else:
            self.action_write()

    def follow(self, record: str) -> None:
        """Open ``record``'s view (a link's target), one step further along the path."""
        self.path.follow(record)
        self.open(self.path.current)

    def action_back(self) -> None:
        record = self.path.back()
        if record is None:
            self.notify("At the first record of the path (Esc closes the view)", timeout=2)
            return
        self.open(record)

    def action_close(self) -> None:
        self._generation += 1  # the worker stops
        self.dismiss(None)

    def action_tree(self) -> None:
        from catui.screens.pv_tree import PVTreeScreen

        self.app.push_screen(PVTreeScreen(self.view.record))

    def action_reload(self) -> None:
        self.open(self.path.current)

    def action_write(self) -> None:
        field = self.selected_field()
        if field is None:
            return
        pv = self.view.pv(field.name)
        if self.catui.refuse_write(pv):
            return
        value = self.view.values.get(field.name)
        if value is None:
            self.notify(f"{pv}: not read yet", severity="warning", timeout=3, markup=False)
            return
        why = refusal(value)
        if why:
            self.notify(f"Not writable: {why}", severity="warning", timeout=4, markup=False)
            return
        link = self.catui.writes.open_link(pv)

        def chosen(request: WriteRequest | None) -> None:
            if request is None:
                self.catui.writes.release_link(link, DIALOG_CLOSED)
            else:
                # The watch screen's write path: journal, undo, deadline, status bar.
                self.catui.watch_screen.start_write(request, reply_to=self)

        self.app.push_screen(FieldWriteDialog(field_target(pv, value), link, value), chosen)

    def action_undo(self) -> None:
        """Undo the last write (a field's written here, too): the watch screen's armed undo."""
        self.catui.watch_screen.undo(reply_to=self)

    def on_write_finished(self, message: WriteFinished) -> None:
        """A field write ended (the watch screen tells the operator): read the field again."""
        name = message.pv.rpartition(".")[2]
        if record_name(message.pv) == self.view.record and self.view.field(name) is not None:
            self.reread(message.pv, name, self._generation)

    @work(thread=True, exit_on_error=False, group="record-reread")
    def reread(self, pv: str, name: str, generation: int) -> None:
        field = self.view.field(name)
        if field is None:
            return
        reading = self.catui.browser.read_field(pv)
        self.deliver(generation, {name: field_value(field, reading)})


_SEVERITY_STYLE = {1: "bold #ffd75f", 2: "bold #ff4d4d", 3: "bold #ff5fff"}
