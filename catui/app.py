"""The console app: owns the feed, its mailbox and the CA worker threads; screens do the rest."""

from __future__ import annotations

import datetime
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

from catui.data import journal
from catui.data.session import SessionState, save_session
from catui.data.write_value import limit_fields, limit_source, record_of
from catui.dialogs.write import WriteRequest
from catui.feeds.base import DEADLINE, QUIT, ControlInfo, Feed, WriteLink, WriteOutcome
from catui.feeds.mailbox import Mailbox
from catui.log_capture import LogCapture
from catui.low_bandwidth import LOW_BANDWIDTH_HZ, MONO_THEME, no_color_requested, textual_no_color
from catui.messages import TerminalLost, WriteChecked, WriteFinished
from catui.model import SORTS
from catui.screens.watch import WatchScreen
from catui.write_preview import enum_index, exact_text

__all__ = ["CatuiApp", "parse_keymap"]


#: Worker groups restarted after a failure, and what they do, for the operator.
_RESTARTED_WORKERS = {"monitor": "Monitoring", "control": "Reading PV metadata"}
#: Seconds for the reads of a write dialog (the value when armed, where limits come
#: from), at most: the write's own deadline starts only when it is confirmed.
CHECK_TIMEOUT = 2.0
#: Seconds for each read of a record's fields that tell where its limits come from (a
#: field that is not there costs all of it: its search is never answered).
FIELD_TIMEOUT = 1.0


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
        self.feed = feed
        self.mailbox = Mailbox()
        self.feed.attach(self.mailbox)
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
        #: The write links open (write dialogs, writes in flight): abandoned at exit.
        self.write_links: set[WriteLink] = set()

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
    def open_write_link(self, name: str) -> WriteLink:
        """A write link to ``name`` (no I/O yet), abandoned at exit if still open."""
        link = self.feed.write_link(name)
        self.write_links.add(link)
        return link

    def release_write_link(self, link: WriteLink, reason: str) -> None:
        """Abandon ``link`` (a dialog closed without writing): its sockets are reset."""
        self.write_links.discard(link)
        link.abort(reason)

    def abandon_writes(self, reason: str) -> None:
        """Abandon every write link now (thread-safe, no I/O): quitting."""
        for link in list(self.write_links):
            link.abort(reason)
        self.write_links.clear()

    @work(thread=True, exit_on_error=False, group="write-check")
    def check_write(self, reply_to: Any, link: WriteLink, purpose: str) -> None:
        """Read the PV on ``link`` (value, control metadata, where its limits come from).

        Posts a :class:`~catui.messages.WriteChecked` to ``reply_to`` (a write dialog,
        or the screen for undo).
        """
        timeout = min(CHECK_TIMEOUT, self.write_timeout)
        try:
            data, control = link.read_control(timeout)
        except Exception as exc:
            reply_to.post_message(
                WriteChecked(
                    link.name, purpose, error=str(exc), disconnected=link.unreachable(exc)
                )
            )
            return
        source = self._limit_source(link, control)
        reply_to.post_message(WriteChecked(link.name, purpose, data, control, source))

    @staticmethod
    def _limit_source(link: WriteLink, control: ControlInfo) -> str | None:
        """Where the control limits of ``link``'s PV come from (None: not known)."""
        record = record_of(link.name)
        if "control" not in control.limits or record is None:
            return None
        try:
            rtyp = link.read_fields([f"{record}.RTYP"], FIELD_TIMEOUT).get(f"{record}.RTYP")
            if not isinstance(rtyp, str):
                return None  # not a record of an IOC (or no answer): not known
            names = [f"{record}.{field}" for field in limit_fields(rtyp)]
            values = link.read_fields(names, FIELD_TIMEOUT)
        except Exception:  # slow, refused, abandoned: not known
            return None
        fields = {name.rpartition(".")[2]: value for name, value in values.items()}
        return limit_source(control.limits["control"], fields)

    @work(thread=True, exit_on_error=False, group="write")
    def write_pv(self, screen: Screen[Any], request: WriteRequest) -> None:
        """Read, write with notify, read back; tell ``screen`` how it went, in words.

        One deadline for it all, ``write_timeout`` after the confirmation: the read
        before may use half of it at most (and 2 s).  The read before gives undo (and
        the journal) the value the IOC held right before this write; the read after,
        what the IOC reports now, which is what the operator is told, not what was
        typed.  A write that does not complete in time, or that is abandoned (quit),
        has its link aborted: its sockets are reset, so nothing of it that had not
        reached the IOC's host gets there later.
        """
        link = request.link
        assert link is not None
        started = time.monotonic() if request.confirmed_at is None else request.confirmed_at
        deadline = started + self.write_timeout

        def left() -> float:
            return deadline - time.monotonic()

        old: Any = None
        sent = time.time()
        response: Any = None
        error: Exception | None = None
        reported: Any = None
        try:
            try:
                old = link.read_value(max(0.001, min(2.0, left() / 2)))
            except Exception:
                if link.abandoned is not None:
                    raise
                old = None  # not known: the write goes on
            sent = time.time()
            response = link.write(request.value, max(0.001, left()))
        except Exception as exc:
            error = exc
        outcome = link.outcome(request.text, response, error, self.write_timeout)
        ok, text = outcome.ok, outcome.sentence
        if ok and left() > 0 and link.abandoned is None:
            try:
                reported = link.read_value(left())
            except Exception:
                reported = None
        target = request.target
        if ok and reported is not None and target is not None:
            # What the IOC holds now, not what was typed: it may have clipped or rounded.
            text += f"; the IOC reports {exact_text(reported, target)}"
        if outcome.answered:
            link.close()  # nothing of it is still on the way
        else:
            link.abort(link.abandoned or DEADLINE)
        self.write_links.discard(link)
        screen.post_message(WriteFinished(request.pv, ok, text, old, reported))
        self.journal_write(request, sent, outcome, old, reported)

    def journal_write(
        self,
        request: WriteRequest,
        sent: float,
        outcome: WriteOutcome,
        old: Any = None,
        reported: Any = None,
    ) -> None:
        """Append a write to the journal (in the write's worker thread).

        ``old`` is the value read right before the write, ``reported`` the one read
        after it (None: not known).  A journal that cannot be written is a warning:
        the write itself was already reported, and must not look as if it failed.
        """
        status, reply = outcome.status, outcome.reply
        if not reply and status != "completed":
            reply = outcome.sentence  # the server said nothing: what the operator was told
        target = request.target
        more: dict[str, Any] = {"sent": request.sent}
        if target is None:
            old_text = request.old_text or None
            new_text = request.text
        else:
            old_text = None if old is None else exact_text(old, target, plain=True)
            new_text = exact_text(request.value, target, plain=True)
            more["reported"] = (
                None if reported is None else exact_text(reported, target, plain=True)
            )
            more["old_index"] = enum_index(old, target)
            more["new_index"] = enum_index(request.value, target)
            more["reported_index"] = enum_index(reported, target)
        entry = journal.new_entry(request.pv, old_text, new_text, status, reply, when=sent, **more)
        try:
            journal.append(self.journal_path, entry)
        except OSError as exc:
            # notify() is thread-safe; markup=False: a path or PV name may hold "[".
            self.notify(
                f"Write journal not written ({exc.strerror or exc}): {self.journal_path}",
                severity="warning",
                timeout=8,
                markup=False,
            )

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
        watch = self._watch
        if watch is not None and watch.pending_writes:
            await watch.action_quit()
        else:
            self.exit()

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
        self.abandon_writes(QUIT)
        self.feed.stop()
        # Saved before the screen is torn down: if the terminal is gone, what follows
        # may not get far.
        self.save_session()
        super().exit(*args, **kwargs)

    def on_unmount(self) -> None:
        self.abandon_writes(QUIT)
        self.feed.stop()
        self.log_capture.uninstall()
