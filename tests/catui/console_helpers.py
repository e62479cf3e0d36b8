"""Helpers of the console's Pilot tests (a module, not a test file)."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot


async def wait_until(pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 10.0,
                     what: str = "condition") -> None:  # fmt: skip
    """Let the app run until ``predicate()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await pilot.pause(0.05)


def status_text(pilot: Pilot[None]) -> str:
    """The status bar line as shown."""
    from catui.widgets.status_bar import StatusBar

    return str(pilot.app.screen_stack[1].query_one(StatusBar).render())


def select(pilot: Pilot[None], name: str) -> None:
    """Put the table cursor on the row of ``name``."""
    from catui.widgets.watch_table import WatchTable

    table = pilot.app.watch_screen.query_one(WatchTable)  # type: ignore[attr-defined]
    table.move_cursor(row=table.get_row_index(name), animate=False)


async def confirm_shown(pilot: Pilot[None], timeout: float = 10.0) -> str:
    """Wait for a write's confirm step (armed once the PV was read again); its text."""
    from catui.dialogs.confirm import ConfirmDialog

    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout,
                     what="the confirm step")  # fmt: skip
    screen = app.screen
    assert isinstance(screen, ConfirmDialog)
    return f"{screen.question}\n{screen.body}\n{screen.detail}"
