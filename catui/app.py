"""The console app: owns the feed, its mailbox and the CA worker threads; screens do the rest."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from catui.dialogs.write import WriteRequest
from catui.feed import Feed
from catui.messages import Mailbox, WriteFinished
from catui.screens.watch import WatchScreen
from catui.write_outcome import describe_write

__all__ = ["CatuiApp", "parse_keymap"]


def parse_keymap(text: str) -> dict[str, str]:
    """``"watch-add=A,watch-quit=ctrl+q"`` (``$CATUI_KEYMAP``) as a binding-id → keys map."""
    keymap = {}
    for item in text.split(";") if ";" in text else text.split(","):
        binding_id, sep, keys = item.partition("=")
        if sep and binding_id.strip() and keys.strip():
            keymap[binding_id.strip()] = keys.strip()
    return keymap


class CatuiApp(App[None]):
    """Watch PVs, look at their details, write them.

    Parameters
    ----------
    names : list of str
        The watchlist.
    feed : Feed
        Where values come from and writes go (:class:`catui.feed.CAFeed`).
    watchlist_path : Path, optional
        The file the watchlist came from (``ctrl+s`` offers it).
    write_timeout : float
        Seconds a write may take to complete.
    refresh_hz : float
        Redraws a second at most.
    tz : tzinfo, optional
        Time zone of timestamps; local time by default.
    cursor_blink : bool
        False for tests and screenshots.
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
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.names = list(names)
        self.feed = feed
        self.mailbox = Mailbox()
        self.feed.attach(self.mailbox)
        self.watchlist_path = watchlist_path
        self.write_timeout = write_timeout
        self.refresh_hz = refresh_hz
        self.tz = tz
        self.cursor_blink = cursor_blink
        #: binding id -> keys, from ``$CATUI_KEYMAP`` (e.g. ``watch-add=plus``)
        self.keymap = parse_keymap(os.environ.get("CATUI_KEYMAP", ""))
        if self.keymap:
            self.set_keymap(self.keymap)

    def on_mount(self) -> None:
        self.push_screen(WatchScreen(self.names, self.refresh_hz))
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

    @work(thread=True, exit_on_error=False, group="write")
    def write_pv(self, screen: Screen[Any], request: WriteRequest) -> None:
        """Write with notify; tell ``screen`` how it went, in words."""
        try:
            response = self.feed.write(request.pv, request.value, self.write_timeout)
        except Exception as exc:
            ok, text = describe_write(request.pv, request.text, None, exc, self.write_timeout)
        else:
            ok, text = describe_write(request.pv, request.text, response, None, self.write_timeout)
        screen.post_message(WriteFinished(request.pv, ok, text))

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
    def exit(self, *args: Any, **kwargs: Any) -> None:
        self.feed.stop()
        super().exit(*args, **kwargs)

    def on_unmount(self) -> None:
        self.feed.stop()
