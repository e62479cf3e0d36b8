"""Helpers of the console's Pilot tests (a module, not a test file)."""

from __future__ import annotations

import fcntl
import os
import select as _select
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from textual.pilot import Pilot

REPO = Path(__file__).resolve().parents[2]


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


# The child makes the pty its controlling terminal when asked (as a login shell's does),
# so that closing the master also sends it SIGHUP; otherwise only the failing reads and
# writes tell it.
_BOOT = (
    "import fcntl, runpy, sys, termios\n"
    "if sys.argv[1] == 'ctty':\n"
    "    fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
    "sys.argv = ['catui', *sys.argv[2:]]\n"
    "runpy.run_module('catui', run_name='__main__', alter_sys=True)\n"
)


class PtyConsole:
    """``python -m catui ARGS`` on a fresh pseudo-terminal; its output read in a thread.

    ``prefix`` goes before the command (``["ip", "netns", "exec", NAME]``: run it in a
    network namespace); ``size`` is (columns, rows).
    """

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        ctty: bool = True,
        *,
        prefix: Sequence[str] = (),
        size: tuple[int, int] = (100, 30),
    ) -> None:
        master, slave = os.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-c", _BOOT, "ctty" if ctty else "-", *args],
            stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        self.master: int | None = master
        self._output = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.master is not None
        while not self._stop.is_set():
            ready, _, _ = _select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: every slave end closed (the child exited)
                return
            if not data:
                return
            with self._lock:
                self._output += data

    @property
    def text(self) -> str:
        with self._lock:
            return self._output.decode("utf-8", errors="replace")

    def wait_for(self, predicate, timeout: float = 20.0, what: str = "output") -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.text):
            if self.proc.poll() is not None:
                raise AssertionError(f"catui exited ({self.proc.returncode}):\n{self.text}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{self.text[-3000:]}")
            time.sleep(0.05)

    def type(self, keys: str) -> None:
        assert self.master is not None
        os.write(self.master, keys.encode())

    def close_master(self) -> None:
        self._stop.set()
        self._reader.join()
        assert self.master is not None
        os.close(self.master)
        self.master = None

    def wait_exit(self, timeout: float) -> float:
        """Seconds until the process exited; fails after ``timeout``."""
        start = time.monotonic()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            screen = self.text[-3000:]
            raise AssertionError(f"still running after {timeout} s:\n{screen}") from None
        elapsed = time.monotonic() - start
        if self.master is not None:
            self._reader.join(timeout=5)  # the rest of its output
        return elapsed

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.master is not None:
            self._stop.set()
            self._reader.join()
            os.close(self.master)
            self.master = None
