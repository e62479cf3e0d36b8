"""One line under the header: PV counts, sort, filter, pause, lag, and the write in progress."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Static

from catui.model import printable

__all__ = ["StatusBar"]


class StatusBar(Static):
    """Shows the watchlist's state and the last write; set its reactives from the UI thread.

    A write's outcome (``write_state`` ``ok`` or ``failed``) fades after
    :attr:`OUTCOME_SECONDS`: the row shows what the IOC holds since, and the journal
    and the log keep the outcome.  A write in progress (``writing``) stays.
    """

    #: Seconds a write's outcome stays, by ``write_state``; a failure a little longer.
    OUTCOME_SECONDS: ClassVar[dict[str, float]] = {"ok": 5.0, "failed": 12.0}

    DEFAULT_CSS = """
    StatusBar { height: 1; padding: 0 1; background: $panel; color: $text; }
    StatusBar.-paused { background: $warning 40%; }
    StatusBar.-writing { background: $accent 40%; }
    StatusBar.-write-failed { background: $error 40%; }
    """

    counts: reactive[tuple[int, int, int]] = reactive((0, 0, 0))  # connected, shown, total
    sort: reactive[str] = reactive("list")
    filter: reactive[str] = reactive("")
    paused: reactive[bool] = reactive(False)
    #: Set again to the same text (the same write twice), the outcome stays as long again.
    write_text: reactive[str] = reactive("", always_update=True)
    write_state: reactive[str] = reactive("")  # "", "writing", "ok", "failed"
    #: Seconds the screen lags behind the data (0.0: not worth showing).
    lag: reactive[float] = reactive(0.0)
    #: While paused: whole seconds since the oldest update not shown (None: none).
    behind: reactive[int | None] = reactive(None)
    #: Warnings logged since the diagnostics screen was last looked at.
    warnings: reactive[int] = reactive(0)
    #: The console refuses writes (``--read-only``).
    read_only: reactive[bool] = reactive(False)
    _fade: Timer | None = None  # clears the outcome shown

    def render(self) -> Text:
        connected, shown, total = self.counts
        parts = ["READ-ONLY"] if self.read_only else []
        parts.append(f"{connected}/{total} connected")
        if shown != total:
            parts.append(f"{shown} shown")
        parts.append(f"sort: {self.sort}")
        if self.filter:
            parts.append(f"filter: {self.filter}")
        if self.paused:
            parts.append("PAUSED" if self.behind is None else f"PAUSED {self.behind} s behind")
        elif self.lag:
            parts.append(f"lag {self.lag:.1f} s")
        if self.warnings:
            parts.append(f"⚠ {self.warnings} warning{'s' if self.warnings > 1 else ''} (D)")
        if self.write_text:
            parts.append(self.write_text)
        # printable: the write's text holds the IOC's value (and units) as reported.
        return Text(printable(" · ".join(parts)), no_wrap=True, overflow="ellipsis")

    def watch_paused(self, paused: bool) -> None:
        self.set_class(paused, "-paused")

    def watch_write_state(self, state: str) -> None:
        self.set_class(state == "writing", "-writing")
        self.set_class(state == "failed", "-write-failed")
        self._arm_fade()

    def watch_write_text(self, text: str) -> None:
        self._arm_fade()

    def _arm_fade(self) -> None:
        """(Re)start the outcome's timer, or stop it while a write is in progress."""
        if self._fade is not None:
            self._fade.stop()
            self._fade = None
        seconds = self.OUTCOME_SECONDS.get(self.write_state)
        if seconds is not None and self.write_text and self.is_attached:
            self._fade = self.set_timer(seconds, self._clear_outcome, name="write-outcome")

    def _clear_outcome(self) -> None:
        self._fade = None
        self.write_state = ""
        self.write_text = ""
