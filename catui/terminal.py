"""The console's terminal driver: Textual's Linux driver, told when the terminal goes.

Textual 8's :class:`~textual.drivers.linux_driver.LinuxDriver` leaves ``SIGHUP`` at
its default (the process dies on the spot: no session saved, channels not cleared),
and when the terminal vanishes (the SSH link drops and the pty is hung up) its writer
thread dies on ``EIO``, after which the UI blocks for good on the writer's full queue,
while its input thread spins on end-of-file.  :class:`CatuiDriver` instead tells the
app with a :class:`~catui.messages.TerminalLost` message, which ends it cleanly:

* ``SIGHUP`` and ``SIGTERM``, through the asyncio loop (``loop.add_signal_handler``:
  the callback runs in the loop, not in a signal handler);
* a failed write to the terminal (``EIO``, ``EPIPE``…): later writes are dropped and
  the terminal's file descriptors are pointed at ``/dev/null``, so that Textual's
  restoring of the terminal, the last flush at exit and any late message cannot fail;
* a failed read, or standard input that is no longer a terminal (checked once a
  second: a hung-up tty reads as end-of-file, which the input thread cannot tell).

On Windows (no ``SIGHUP``, another driver) the app uses Textual's own driver.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from typing import IO, Any

from textual.drivers.linux_driver import LinuxDriver

from catui.messages import TerminalLost

__all__ = ["CatuiDriver", "detach_from_terminal"]

#: Seconds between checks that standard input is still a terminal.
TTY_CHECK_INTERVAL = 1.0

_SIGNALS = {"SIGHUP": "hangup", "SIGTERM": "terminated"}


def detach_from_terminal() -> None:
    """Point standard error (and standard output if it is the same file) at /dev/null.

    Writes to a hung-up terminal fail; after this they succeed and go nowhere.
    """
    try:
        same = os.path.samestat(os.fstat(1), os.fstat(2))
    except OSError:
        same = False
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in (1, 2) if same else (2,):
            with contextlib.suppress(OSError):
                os.dup2(null, fd)
    finally:
        os.close(null)


class _TerminalOutput:
    """The terminal as Textual's writer thread sees it; a failed write means it is gone."""

    def __init__(self, file: IO[str], lost: Any) -> None:
        self._file = file
        self._lost = lost
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self._file.write(text)
            except (OSError, ValueError) as exc:  # ValueError: closed meanwhile
                self._fail(exc)
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._file.flush()
            except (OSError, ValueError) as exc:
                self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        self.gone = True
        self._lost(f"terminal write failed: {exc}", detach=True)

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding…
        return getattr(self._file, name)


class CatuiDriver(LinuxDriver):
    """Textual's Linux driver that ends the app cleanly when the terminal goes away."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signals: list[signal.Signals] = []
        self._tty_check: asyncio.TimerHandle | None = None
        self._lost_lock = threading.Lock()
        #: Why the terminal was given up (None: it was not).
        self.lost: str | None = None

    # -- the application's lifetime -------------------------------------------------
    def start_application_mode(self) -> None:
        assert self._file is not None
        self._file = _TerminalOutput(self._file, self._terminal_lost)  # type: ignore[assignment]
        super().start_application_mode()  # type: ignore[no-untyped-call]
        loop = self._loop  # the app's: the driver is made in it
        for name, reason in _SIGNALS.items():
            sig = getattr(signal, name, None)
            if sig is None:
                continue
            try:
                loop.add_signal_handler(sig, self._terminal_lost, reason)
            except (ValueError, RuntimeError, NotImplementedError):
                continue  # not the main thread: the default action stays
            self._signals.append(sig)
        if self.input_tty:
            self._tty_check = loop.call_later(TTY_CHECK_INTERVAL, self._check_tty)

    def stop_application_mode(self) -> None:
        if self._tty_check is not None:
            self._tty_check.cancel()
            self._tty_check = None
        super().stop_application_mode()
        for sig in self._signals:
            self._loop.remove_signal_handler(sig)
        self._signals.clear()
        if self.lost is not None and hasattr(signal, "SIGHUP"):
            # A second hangup while the console saves and stops must not kill it.
            signal.signal(signal.SIGHUP, signal.SIG_IGN)

    # -- the terminal going away ----------------------------------------------------
    def run_input_thread(self) -> None:
        try:
            super().run_input_thread()
        except OSError as exc:  # EIO: the tty hung up under the read
            self._terminal_lost(f"terminal read failed: {exc}", detach=True)

    def _check_tty(self) -> None:
        self._tty_check = None
        if not os.isatty(self.fileno):
            self._terminal_lost("standard input is no longer a terminal", detach=True)
        else:
            self._tty_check = self._loop.call_later(TTY_CHECK_INTERVAL, self._check_tty)

    def _terminal_lost(self, reason: str, detach: bool = False) -> None:
        """Tell the app, once; from any thread (``post_message`` is thread-safe)."""
        with self._lost_lock:
            first = self.lost is None
            if first:
                self.lost = reason
        if detach:
            # Also for a second reason: a hangup first, then the writes fail.
            detach_from_terminal()
        if first:
            self._app.post_message(TerminalLost(reason))
