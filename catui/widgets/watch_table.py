"""The watchlist: one row per PV (name, value, trend, alarm, timestamp, connection).

A line-API widget rather than a ``DataTable``: at a thousand PVs updating ten times a
second, DataTable re-rendered and re-styled every visible cell on each change.  Here a
row is one :class:`~textual.strip.Strip`, made again only when its PV changed (or the
cursor, marks or width did), and only the lines of changed rows are refreshed.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from catui.formats import EPICS_EPOCH, Day, format_age, format_stamp
from catui.model import (
    CONNECTED,
    PVState,
    format_value,
    printable,
    severity_text,
    status_text,
)
from catui.trend import spark
from catui.widgets.component_styles import ComponentStyles

__all__ = ["WatchTable", "column_widths"]

COLUMNS = ("pv", "value", "trend", "alarm", "time", "conn")
_LABELS = {"pv": "PV", "value": "Value", "trend": "Trend", "alarm": "Alarm", "time": "Time",
           "conn": "Connection"}  # fmt: skip
_SHORT_LABELS = {"conn": "Conn"}
_SEVERITY_CLASS = {1: "minor", 2: "major", 3: "invalid"}
#: What the columns start from before they have seen their content ("connected",
#: "HH:MM:SS", "Alarm").
_START_NEED = {"pv": 12, "alarm": 5, "time": 8, "conn": 9}
#: The widest a column grows to, however long its content.
_MAX = {"pv": 40, "alarm": 20, "time": 19, "conn": 15}
#: The narrowest a column is cut to when the room is short: a name's start, a value
#: with its units, the severity word, ``HH:MM:SS``, ``connected``.
_MIN = {"pv": 8, "value": 12, "alarm": 7, "time": 8, "conn": 9}
#: The optional Description column (the record's DESC): its width, and the table width
#: from which it is shown unless asked otherwise (narrower, the other columns need it).
DESC_WIDTH = 24
DESC_AUTO_WIDTH = 160
#: Cells of a timestamp that is not today: "MM-DD HH:MM" (or with seconds when wide).
_DATED = (11, 19)


def column_widths(total: int, need: dict[str, int] | None = None) -> dict[str, int]:
    """Column widths for a table ``total`` cells wide, from what the columns hold.

    ``need`` maps a column to the width of its widest content (the longest PV name,
    alarm, time and connection texts seen).  Every column first gets its minimum;
    what is left goes to the name, then the alarm, the connection and the time, each
    up to what it needs, and the value takes the rest.  A space separates the columns.
    """
    need = {**_START_NEED, **(need or {})}
    wide = total >= 100
    widths = {"trend": 12 if wide else 6, "value": _MIN["value"]}
    for column in ("pv", "alarm", "time", "conn"):
        widths[column] = min(_MIN[column], need[column])
    left = total - len(COLUMNS) - 1 - sum(widths.values())
    for column in ("pv", "alarm", "conn", "time"):
        more = min(max(0, min(need[column], _MAX[column]) - widths[column]), max(left, 0))
        widths[column] += more
        left -= more
    widths["value"] += max(left, 0)
    return widths


# A row as cells: (text, style name or ""), one per column.
Cells = tuple[tuple[str, str], ...]


class WatchTable(ScrollView, can_focus=True):
    """Rows keyed by PV name; cells styled by alarm severity and connection.

    The severity is also written out (``MINOR``…), and stale, held and disconnected
    rows say so in the Connection column, so that everything reads without color.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "watch-table--header",
        "watch-table--cursor",
        "watch-table--marked",
        "watch-table--minor",
        "watch-table--major",
        "watch-table--invalid",
        "watch-table--offline",
        "watch-table--stale",
        "watch-table--held",
        "watch-table--trend",
        "watch-table--never",
    }

    DEFAULT_CSS = """
    WatchTable { background: $surface; color: $foreground; overflow-x: hidden; }
    WatchTable > .watch-table--header { text-style: bold; background: $panel; }
    WatchTable > .watch-table--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    WatchTable:focus > .watch-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    WatchTable > .watch-table--marked { background: $secondary 35%; }
    WatchTable > .watch-table--minor { color: #ffd75f; text-style: bold; }
    WatchTable > .watch-table--major { color: #ff4d4d; text-style: bold; }
    WatchTable > .watch-table--invalid { color: #ff5fff; text-style: bold; }
    WatchTable > .watch-table--offline { color: $text-disabled; text-style: dim; }
    WatchTable > .watch-table--stale { color: #5fd7ff; text-style: italic; }
    WatchTable > .watch-table--held { color: $accent; text-style: bold; }
    WatchTable > .watch-table--trend { color: $primary; }
    WatchTable > .watch-table--never { color: $text-warning; text-style: italic; }
    WatchTable:ansi > .watch-table--header { background: ansi_bright_blue; }
    /* Without colours (--low-bandwidth, NO_COLOR) a tint does not show: underline. */
    WatchTable:ansi > .watch-table--marked { text-style: underline; }
    """

    class RowMessage(Message):
        """About the row of PV ``name`` (None: the table is empty)."""

        def __init__(self, table: WatchTable, name: str | None) -> None:
            super().__init__()
            self.table = table
            self.name = name

        @property
        def control(self) -> WatchTable:
            return self.table

    class RowHighlighted(RowMessage):
        """The cursor moved to the row of ``name``."""

    class RowSelected(RowMessage):
        """Enter (or a double click) on the row of ``name``."""

    def __init__(
        self,
        *,
        tz: datetime.tzinfo | None = None,
        clock: Callable[[], float] = time.time,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.tz = tz
        #: The wall clock, to tell which timestamps are today's.
        self.clock = clock
        self._day = Day(clock(), tz)
        self.cursor_row = 0
        self._states: list[PVState] = []
        self._index: dict[str, int] = {}
        self._marked: set[str] = set()
        self._held: set[str] = set()
        #: Names whose cells are older than their state (made again when drawn).
        self._stale: set[str] = set()
        self._cells: dict[str, Cells] = {}
        #: name -> (cells, how drawn, strip): a row drawn again only if one changed.
        self._strips: dict[str, tuple[Cells, tuple[Any, ...], Strip]] = {}
        self._style = ComponentStyles(self, "watch-table--")
        #: The widest content seen per column (see column_widths).
        self._need = dict(_START_NEED)
        self._total = 80
        #: Each PV's record DESC, once read (the Description column).
        self.descriptions: dict[str, str] = {}
        #: Show the Description column (None: when the table is DESC_AUTO_WIDTH wide).
        self.desc_choice: bool | None = None
        self._widths = self._layout()
        self._relayout_pending = False
        self._header: Strip | None = None

    # -- what the screen calls ----------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._states)

    @property
    def selected_name(self) -> str | None:
        """The PV under the cursor, if any."""
        if not self._states:
            return None
        return self._states[min(self.cursor_row, len(self._states) - 1)].name

    @property
    def shown_names(self) -> list[str]:
        """The PVs of the rows, in the order shown."""
        return [state.name for state in self._states]

    @property
    def marked_names(self) -> list[str]:
        """The marked rows' PVs, in the order shown."""
        if not self._marked:
            return []
        return [state.name for state in self._states if state.name in self._marked]

    def get_row_index(self, name: str) -> int:
        """The row of ``name``; KeyError if it is not shown."""
        return self._index[name]

    def get_cell(self, name: str, column: str) -> Text:
        """The cell of ``name`` in ``column`` as it is (or would be) drawn now."""
        if column == "desc":
            return Text(self.descriptions.get(name, ""))
        return Text(self._row_cells(name)[COLUMNS.index(column)][0])

    @property
    def desc_shown(self) -> bool:
        """Whether the Description column is shown now."""
        return self._total >= DESC_AUTO_WIDTH if self.desc_choice is None else self.desc_choice

    def toggle_desc(self) -> bool:
        """Show the Description column if hidden, else hide it; returns whether shown."""
        self.desc_choice = not self.desc_shown
        self._strips.clear()
        self._header = None
        self._relayout()
        self.refresh()
        return self.desc_choice

    def set_descriptions(self, descriptions: dict[str, str]) -> None:
        """Record DESCs read: their rows are drawn again."""
        self.descriptions.update(descriptions)
        for name in descriptions:
            self._strips.pop(name, None)
            if name in self._index:
                self._refresh_row(self._index[name])

    def names_on_screen(self) -> set[str]:
        """The PVs of the rows in view, and the one under the cursor."""
        top, bottom = self._visible_range()
        names = {state.name for state in self._states[top:bottom]}
        selected = self.selected_name
        if selected is not None:
            names.add(selected)
        return names

    def show(self, states: list[PVState]) -> None:
        """Show exactly ``states``, in order; the cursor stays on its PV if still shown."""
        selected = self.selected_name
        self._states = list(states)
        self._index = {state.name: index for index, state in enumerate(states)}
        self._marked &= self._index.keys()
        self._held &= self._index.keys()
        for cache in (self._cells, self._strips):
            for name in [name for name in cache if name not in self._index]:
                del cache[name]
        self._stale = set(self._index)
        self._need["pv"] = max((cell_len(state.name) for state in states), default=0)
        self.check_day()
        self._relayout()
        self.virtual_size = Size(self._content_width(), len(states) + 1)
        row = self._index.get(selected, self.cursor_row) if selected is not None else 0
        self._set_cursor(row, announce=selected is not None and selected not in self._index)
        self.refresh()

    def refresh_states(self, states: Iterable[PVState]) -> None:
        """Redraw the rows of ``states`` (those shown).

        Rows off screen are only marked: their cells are made when drawn or asked for,
        so a thousand updates a tick cost a thousand set insertions.
        """
        index = self._index
        changed = [state.name for state in states if state.name in index]
        if not changed:
            return
        self.check_day()
        self._stale.update(changed)
        top, bottom = self._visible_range()
        width = self.size.width
        for name in changed:
            row = index[name]
            if top <= row < bottom:
                self.refresh(Region(0, row - top + 1, width, 1))

    def hold(self, name: str, held: bool) -> None:
        """Freeze the row of ``name`` while its value is edited (it says so), or release it."""
        if held:
            index = self._index.get(name)
            if index is not None:
                # Frozen as the state is now (what the dialog copies), not as last drawn:
                # an update applied since, or a row not drawn yet, would show otherwise.
                self._cells[name] = self._held_cells(self._make_cells(self._states[index]))
            self._held.add(name)
        else:
            self._held.discard(name)
        self.refresh_states([s for s in self._states if s.name == name])

    def is_held(self, name: str) -> bool:
        return name in self._held

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        """Put the cursor on ``row`` (clamped) and scroll it into view."""
        self._set_cursor(row)

    # -- keys and mouse ------------------------------------------------------
    def action_cursor(self, step: int) -> None:
        self._set_cursor(self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        self._set_cursor(self.cursor_row + direction * max(1, self._page_height() - 1))

    def action_jump(self, row: int) -> None:
        self._set_cursor(row if row >= 0 else len(self._states) - 1)

    def action_select(self) -> None:
        name = self.selected_name
        if name is not None:
            self.post_message(self.RowSelected(self, name))

    def action_mark(self) -> None:
        name = self.selected_name
        if name is None:
            return
        self._marked.symmetric_difference_update({name})
        self._refresh_row(self.cursor_row)
        self._set_cursor(self.cursor_row + 1)

    def clear_marks(self) -> None:
        self._marked.clear()
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        row = round(self.scroll_y) + event.y - 1
        if 0 <= row < len(self._states):
            if row == self.cursor_row and event.chain >= 2:
                self.action_select()
            self._set_cursor(row)

    # -- drawing ------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._header_strip(width)
        row = round(self.scroll_y) + y - 1
        if not 0 <= row < len(self._states):
            return Strip.blank(width, self.rich_style)
        name = self._states[row].name
        cells = self._row_cells(name)
        how = (width, row == self.cursor_row, name in self._marked, self.has_focus)
        cached = self._strips.get(name)
        if cached is not None and cached[0] is cells and cached[1] == how:
            return cached[2]
        strip = self._draw_row(cells, width, *how[1:3])
        self._strips[name] = (cells, how, strip)
        return strip

    def _header_strip(self, width: int) -> Strip:
        if self._header is None or self._header.cell_length != width:
            style = self._style("header")
            segments = [
                Segment(_pad(_label(column, self._widths[column]), self._widths[column]), style)
                for column in COLUMNS
            ]
            if self.desc_shown:
                label = "Description" if self.desc_width >= 11 else "Desc"
                segments.insert(1, Segment(_pad(label, self.desc_width), style))
            self._header = Strip(segments).extend_cell_length(width, style)
        return self._header

    def _draw_row(self, cells: Cells, width: int, cursor: bool, marked: bool) -> Strip:
        base = self._style("")
        if marked:
            base += self._style("marked")
        if cursor:
            base += self._style("cursor")
        segments = []
        for column, (text, kind) in zip(COLUMNS, cells, strict=True):
            style = base + self._style(kind) if kind else base
            if cursor and kind:  # the cursor's colors, the cell's emphasis
                style += Style(bgcolor=base.bgcolor)
            segments.append(Segment(_pad(text, self._widths[column]), style))
        if self.desc_shown:
            desc = self.descriptions.get(cells[0][0], "")
            segments.insert(1, Segment(_pad(desc, self.desc_width), base))
        return Strip(segments).extend_cell_length(width, base)

    def _row_cells(self, name: str) -> Cells:
        cells = self._cells.get(name)
        if cells is None or name in self._stale:
            self._stale.discard(name)
            index = self._index.get(name)
            if index is None:
                raise KeyError(name)
            if name in self._held:
                # Cells cleared meanwhile (a resize): made again, still marked held.
                base = cells if cells is not None else self._make_cells(self._states[index])
                new = self._held_cells(base)
            else:
                new = self._make_cells(self._states[index])
            if new != cells:  # a new object only if it differs: it keys the strip cache
                self._cells[name] = cells = new
        assert cells is not None
        return cells

    @staticmethod
    def _held_cells(cells: Cells) -> Cells:
        return (*cells[:-1], ("editing", "held"))

    def _make_cells(self, state: PVState) -> Cells:
        widths = self._widths
        need = self._need
        online = state.connection == CONNECTED
        severity = state.severity if online else None
        status = status_text(state.status) if severity else ""
        alarm = " ".join(filter(None, (severity_text(severity), status)))
        stamp, stamp_kind = self._stamp(state.timestamp)
        trend = spark(state.history, widths["trend"]) if not state.is_text else ""
        value = format_value(state, width=widths["value"], display=state.display)
        if not online:
            kind = "offline"
            connection = (state.connection, kind)
            cells: Cells = (
                (state.name, kind),
                (value, kind),
                (trend, kind),
                (alarm, kind),
                (stamp, kind),
                connection,
            )
        else:
            value_kind = _SEVERITY_CLASS.get(severity or 0, "")
            if state.stale_for is not None:
                connection = (f"stale {format_age(state.stale_for)}", "stale")
            else:
                connection = (state.connection, "")
            cells = (
                (state.name, ""),
                (value, value_kind),
                (trend, "trend"),
                (alarm, value_kind),
                (stamp, stamp_kind),
                connection,
            )
        # Columns sized from their content: a longer text than seen so far widens its
        # column (once: widths only grow, so that they do not jump back and forth).
        if len(alarm) > need["alarm"]:
            self._grow("alarm", len(alarm))
        if len(connection[0]) > need["conn"]:
            self._grow("conn", len(connection[0]))
        return cells

    def _stamp(self, timestamp: float | None) -> tuple[str, str]:
        """The Time cell and its style: the date when not today, never processed."""
        if timestamp is None:
            return "", ""
        day = self._day
        if day.start <= timestamp < day.end:
            natural = 12 if self._total >= 100 else 8
        elif timestamp == EPICS_EPOCH:
            natural = 15
        else:
            natural = _DATED[self._total >= 100]
        if natural > self._need["time"]:
            self._grow("time", natural)
        text = format_stamp(timestamp, day, self._widths["time"], self.tz)
        return text, "never" if timestamp == EPICS_EPOCH else ""

    def check_day(self) -> None:
        """After midnight, yesterday's timestamps are shown with their date."""
        if self.clock() >= self._day.end:
            self._day = Day(self.clock(), self.tz)
            self._cells.clear()
            self._strips.clear()
            self.refresh()

    def _grow(self, column: str, width: int) -> None:
        self._need[column] = width
        if self._layout() == self._widths:
            return
        # Not while a frame is being drawn (this runs in render_line): after it.
        if not self._relayout_pending:
            self._relayout_pending = True
            if self.is_attached:
                self.call_later(self._relayout)
            else:
                self._relayout()

    def _relayout(self) -> None:
        """Widths from the content width and what the columns hold; redraw if they changed."""
        self._relayout_pending = False
        widths = self._layout()
        if widths != self._widths:
            self._widths = widths
            self._cells.clear()
            self._strips.clear()
            self._header = None
            self.refresh()

    def _layout(self) -> dict[str, int]:
        shown = self.desc_shown
        return column_widths(self._total - (self.desc_width + 1 if shown else 0), self._need)

    @property
    def desc_width(self) -> int:
        """The Description column's width: :data:`DESC_WIDTH`, less on a narrow table."""
        return max(8, min(DESC_WIDTH, self._total // 5))

    def notify_style_update(self) -> None:  # a new theme, CSS, focus or pseudo-class
        super().notify_style_update()
        self._style.clear()
        self._strips.clear()
        self._header = None

    def _on_focus(self, event: events.Focus) -> None:
        self._style.clear()
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self._style.clear()
        self.refresh()

    # -- geometry -----------------------------------------------------------
    def _content_width(self) -> int:
        return max(self.scrollable_content_region.width, 40)

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _visible_range(self) -> tuple[int, int]:
        top = max(0, round(self.scroll_y))
        return top, min(len(self._states), top + self._page_height())

    def on_resize(self, event: events.Resize) -> None:
        self._total = self._content_width()
        self._relayout()
        self.virtual_size = Size(self._content_width(), len(self._states) + 1)
        self._scroll_into_view()
        self.refresh()

    def _refresh_row(self, row: int) -> None:
        top, bottom = self._visible_range()
        if top <= row < bottom:
            self.refresh(Region(0, row - top + 1, self.size.width, 1))

    def _set_cursor(self, row: int, announce: bool = True) -> None:
        before = self.cursor_row
        last = len(self._states) - 1
        self.cursor_row = max(0, min(row, last)) if last >= 0 else 0
        changed = self.cursor_row != before
        if changed:
            self._refresh_row(before)
            self._refresh_row(self.cursor_row)
        self._scroll_into_view()
        if changed or announce:
            self.post_message(self.RowHighlighted(self, self.selected_name))

    def _scroll_into_view(self) -> None:
        top = round(self.scroll_y)
        page = self._page_height()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + page:
            self.scroll_to(y=self.cursor_row - page + 1, animate=False, immediate=True)


def _label(column: str, width: int) -> str:
    label = _LABELS[column]
    return label if len(label) <= width else _SHORT_LABELS.get(column, label)


def _pad(text: str, width: int) -> str:
    """``text`` in a cell ``width`` wide after a space; cut with … if too long.

    Control characters (a string PV may hold an escape sequence) are shown as ``�``:
    segments reach the terminal as they are.
    """
    text = printable(text)
    if text.isascii():
        if len(text) > width:
            return " " + (text[: width - 1] + "…" if width > 0 else "")
        return " " + text.ljust(width)
    if cell_len(text) > width:
        text = set_cell_size(text, max(0, width - 1)) + "…"
    return " " + set_cell_size(text, width)
