"""The console app: owns the feed, its mailbox and the CA worker threads; screens do the rest."""

from __future__ import annotations

import datetime
import gc
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from catui.browse.source import BrowseSource
from catui.data import journal
from catui.data.session import SessionState, save_session
from catui.dialogs.confirm import ConfirmDialog
from catui.feeds.base import QUIT, Feed
from catui.feeds.mailbox import Mailbox
from catui.log_capture import LogCapture
from catui.low_bandwidth import LOW_BANDWIDTH_HZ, MONO_THEME, no_color_requested, textual_no_color
from catui.messages import TerminalLost
from catui.model import SORTS
from catui.plot.recorder import Recorder
from catui.read_only import read_only_requested
from catui.screens.watch import WatchScreen
from catui.writes import ReadOnlyError, WriteDesk

__all__ = ["CatuiApp", "ReadOnlyError", "parse_keymap", "read_only_requested"]


#: Worker groups restarted after a failure, and what they do, for the operator.
_RESTARTED_WORKERS = {"monitor": "Monitoring", "control": "Reading PV metadata"}


def parse_keymap(text: str) -> dict[str, str]:
    """``"watch-add=A,watch-quit=ctrl+q"`` (``$CATUI_KEYMAP``) as a binding-id → keys map."""
    keymap = {}
    for item in text.split(";") if ";" in text else text.split(","):
        binding_id, sep, keys = item.partition("=")
        if sep and binding_id.strip() and keys.strip():
            keymap[binding_id.strip()] = keys.strip()
    return keymap


def _driver_class() -> type[Driver] | None:
    """:class:`catui.terminal.CatuiDriver` where Textual would use its Linux driver."""
    if sys.platform == "win32" or os.environ.get("TEXTUAL_DRIVER"):
        return None
    from catui.terminal import CatuiDriver  # termios: not on Windows

    return CatuiDriver


class CatuiApp(App[None]):
    """Watch PVs, look at their details, write them.

    Parameters
    ----------
    names : list of str
        The watchlist.
    feed : Feed
        Where values come from and writes go (:class:`catui.feeds.ca.CAFeed`).
    watchlist_path : Path, optional
        The file the watchlist came from (``ctrl+s`` offers it).
    write_timeout : float
        Seconds a write may take, from the moment it is confirmed: the read before it,
        the write and the read back.  When they pass (or catui quits), the write is
        abandoned at once and nothing of it reaches the IOC later.
    refresh_hz : float
        Redraws a second at most.
    tz : tzinfo, optional
        Time zone of timestamps; local time by default.
    clock : callable
        The wall clock (``time.time``): which timestamps are today's, how old they are.
        Tests and screenshots fix it.
    cursor_blink : bool
        False for tests and screenshots.
    journal_path : Path, optional
        The write journal (JSON Lines, appended to); by default
        :func:`catui.data.journal.default_journal_path`.
    low_bandwidth : bool
        No colours, no animation, no cursor blink, at most
        :data:`~catui.low_bandwidth.LOW_BANDWIDTH_HZ` redraws a second.  A non-empty
        ``$NO_COLOR`` alone means no colours.
    state_path : Path, optional
        Where the session (watchlist, filter, sort) is saved when the app exits, however
        it exits; None: not saved.
    filter_text, sort : str
        The filter and sort to start with (a restored session's).
    read_only : bool, optional
        Refuse every write (dialog, undo, record fields); None: ``$CATUI_READ_ONLY``.
    browser : BrowseSource, optional
        Where the record view and the PV tree read (:class:`catui.browse.source.BrowseSource`).
    """

    CSS_PATH = ["styles/global.tcss", "styles/app.tcss"]
    TITLE = "catui"
    SUB_TITLE = "EPICS Channel Access console"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, id="app-quit")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]

    def __init__(
        self,
        names: Iterable[str],
        feed: Feed,
        *,
        watchlist_path: Path | None = None,
        write_timeout: float = 10.0,
        refresh_hz: float = 10.0,
        tz: datetime.tzinfo | None = None,
        clock: Callable[[], float] = time.time,
        cursor_blink: bool = True,
        journal_path: Path | None = None,
        low_bandwidth: bool = False,
        state_path: Path | None = None,
        filter_text: str = "",
        sort: str = "list",
        stale: Mapping[str, float | None] | None = None,
        stale_default: float | None = None,
        read_only: bool | None = None,
        browser: BrowseSource | None = None,
    ) -> None:
        #: No colours at all (``--low-bandwidth``, or ``$NO_COLOR``): Textual's
        #: ``NoColor`` filter over native ANSI colours, and a theme that shows the
        #: cursor in reverse video.
        self.monochrome = low_bandwidth or no_color_requested()
        with textual_no_color(self.monochrome):
            super().__init__(
                driver_class=_driver_class(), ansi_color=True if self.monochrome else None
            )
        self.register_theme(MONO_THEME)
        if self.monochrome:
            self.theme = MONO_THEME.name
        self.low_bandwidth = low_bandwidth
        if low_bandwidth:
            self.animation_level = "none"
            refresh_hz = min(refresh_hz, LOW_BANDWIDTH_HZ)
            cursor_blink = False
        self.state_path = state_path
        #: Why the session could not be saved at exit (for the caller to report).
        self.session_error: str | None = None
        #: Why the app ended without a quit key: the terminal went away, or a signal.
        self.terminal_lost: str | None = None
        self._start_filter = filter_text
        self._start_sort = sort
        self._watch: WatchScreen | None = None
        #: worker group -> (failures in a row, when the last one happened)
        self._worker_failures: dict[str, tuple[int, float]] = {}
        self.names = list(names)
        #: Stale thresholds: per PV (from the watchlist file), else the default (--stale).
        self.stale_thresholds: dict[str, float | None] = dict(stale or {})
        self.stale_default = stale_default
        self.read_only = read_only_requested() if read_only is None else read_only
        self.browser = browser if browser is not None else BrowseSource()
        #: Every PV name met (watchlist, pasted, browsed): the add dialog completes them.
        self.seen_names = self.browser.seen_names
        self.seen_names.add(self.names)
        self.feed = feed
        self.mailbox = Mailbox()
        self.feed.attach(self.mailbox)
        #: History of every watched PV since it was first seen (the charts' data).
        self.recorder = Recorder(clock=clock)
        self.watchlist_path = watchlist_path
        self.write_timeout = write_timeout
        self.refresh_hz = refresh_hz
        self.tz = tz
        self.clock = clock
        self.cursor_blink = cursor_blink
        self.journal_path = (
            journal_path if journal_path is not None else journal.default_journal_path()
        )
        #: binding id -> keys, from ``$CATUI_KEYMAP`` (e.g. ``watch-add=plus``)
        self.keymap = parse_keymap(os.environ.get("CATUI_KEYMAP", ""))
        if self.keymap:
            self.set_keymap(self.keymap)
        #: Records of the protocol and catui loggers while the app runs (shown by D).
        self.log_capture = LogCapture()
        #: Every write: its links, workers, pending writes and undo's last write.
        self.writes = WriteDesk(
            self, self.feed, self.journal_path, write_timeout, read_only=self.read_only
        )

    def on_mount(self) -> None:
        # Before the workers start: their warnings go to the diagnostics screen, not
        # over this one.
        self.log_capture.install()
        self._watch = WatchScreen(self.names, self.refresh_hz)
        self._watch.watchlist.filter = self._start_filter
        if self._start_sort in SORTS:
            self._watch.watchlist.sort = self._start_sort
        self.push_screen(self._watch)
        self.run_monitor()
        self.run_control_reader()
        # What exists once the console is up stays out of the collector's scans: ten
        # thousand updates a second made it run a full collection every second or two,
        # and with Textual, the modules and the watchlist in it each took up to ~0.1 s,
        # stalling the UI (and keystrokes) that long.  Undone in on_unmount, so that
        # nothing of it outlives the app.
        gc.freeze()

    @property
    def watch_screen(self) -> WatchScreen:
        return next(s for s in self.screen_stack if isinstance(s, WatchScreen))

    # -- workers: every CA call runs in a thread ---------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="monitor")
    def run_monitor(self) -> None:
        """The one ``Blocker`` of the app, for its whole life."""
        self.feed.run_monitor()

    @work(thread=True, exclusive=True, exit_on_error=False, group="control")
    def run_control_reader(self) -> None:
        """``read(pv, data_type='control')`` of each PV that connects."""
        self.feed.run_control_reader()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A CA worker that failed is reported in words and started again, backing off.

        Otherwise a dead monitor would silently stop every update (its rows are marked
        disconnected by the feed meanwhile).
        """
        group = event.worker.group
        if event.state is not WorkerState.ERROR or group not in _RESTARTED_WORKERS:
            return
        now = time.monotonic()
        failures, last = self._worker_failures.get(group, (0, now))
        # Failures an hour apart are not a series: start the back-off again.
        failures = failures + 1 if now - last < 3600 else 1
        self._worker_failures[group] = (failures, now)
        delay = min(2.0 ** (failures - 1), 30.0)
        error = event.worker.error
        self.notify(
            f"{_RESTARTED_WORKERS[group]} stopped ({type(error).__name__}: {error}); "
            f"restarting in {delay:g} s",
            severity="error",
            timeout=10,
            markup=False,
        )
        restart = self.run_monitor if group == "monitor" else self.run_control_reader
        self.set_timer(delay, restart)

    # -- writes --------------------------------------------------------------------
    def refuse_write(self, what: str) -> bool:
        """Read-only: say that ``what`` is not written, and return True (else False)."""
        if not self.read_only:
            return False
        self.notify(
            f"Read-only console: {what} not written (started with --read-only or CATUI_READ_ONLY)",
            severity="warning",
            timeout=4,
            markup=False,
        )
        return True

    # -- command palette: every binding of the screen ------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in getattr(screen, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.id and binding.action != "quit":
                yield SystemCommand(
                    binding.description,
                    binding.tooltip or binding.description,
                    partial(screen.run_action, binding.action),
                )

    # -- shutting down -------------------------------------------------------------
    async def action_quit(self) -> None:
        """``ctrl+q`` (and the palette's Quit): as ``q``, asking first while a write waits."""
        pending = self.writes.pending_writes
        if not pending:
            self.exit()
            return
        # Quitting abandons a write still on its way, at once (exit): nothing of it
        # may reach the IOC after the console has gone.  Say what that means.

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(
            ConfirmDialog(
                "Quit while a write waits for completion?",
                f"Still waiting: {', '.join(pending)}. Quitting abandons it now: if it was "
                "not sent yet, it is not written, and nothing of it reaches the IOC later; "
                "if it was, the IOC may still carry it out (its outcome is unknown: check "
                "the value). Either way it is journalled.",
                yes="Quit",
            ),
            confirmed,
        )

    def session_state(self) -> SessionState | None:
        """The watchlist, filter and sort (also once the app has exited); None before."""
        if self._watch is None:
            return None
        watchlist = self._watch.watchlist
        return SessionState(tuple(watchlist.names), watchlist.filter, watchlist.sort)

    def save_session(self) -> bool:
        """Save the session to :attr:`state_path`, if any; a failure is kept, not raised."""
        state = self.session_state()
        if self.state_path is None or state is None:
            return False
        try:
            save_session(self.state_path, state)
        except OSError as exc:
            self.session_error = f"session not saved: {exc.strerror or exc} ({self.state_path})"
            return False
        self.session_error = None
        return True

    def on_terminal_lost(self, message: TerminalLost) -> None:
        if self.terminal_lost is None:
            self.terminal_lost = message.reason
        self.exit()

    def exit(self, *args: Any, **kwargs: Any) -> None:
        # First: a write still on its way is abandoned now, never left to land later
        # (its worker reports and journals it, then ends, and the process with it).
        self.writes.abandon_all(QUIT)
        self.feed.stop()
        # Saved before the screen is torn down: if the terminal is gone, what follows
        # may not get far.
        self.save_session()
        super().exit(*args, **kwargs)

    def on_unmount(self) -> None:
        gc.unfreeze()
        self.writes.abandon_all(QUIT)
        self.feed.stop()
        self.log_capture.uninstall()
