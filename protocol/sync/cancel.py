"""Cancelling blocking calls from another thread: their sockets are reset at once.

A :class:`Cancellation` is handed to the calls that may block (``open_channel``,
and the reads and writes of the channel it opens).  Each socket they make is
registered with it; :meth:`Cancellation.cancel`, from any thread, makes every one of
them abort: ``SO_LINGER`` is set to zero seconds (so that closing the socket sends a
TCP RST and the kernel discards whatever it had not delivered, instead of
retransmitting it for minutes and delivering it when the path heals) and the socket
is shut down, which wakes a thread blocked in ``recv``, ``send``, ``connect`` or
``select`` on it.  From then on nothing more is sent and no new socket may be
made: a cancelled operation never searches, connects or retries again.

What the server's kernel had already acknowledged cannot be recalled: a write sent
before the cancellation may still be carried out (:class:`CACancelledError`), one
cancelled before it was sent never is (:class:`CancelledBeforeSendingError`).
"""

from __future__ import annotations

import contextlib
import socket
import struct

from ..errors import CAError

__all__ = [
    "CACancelledError",
    "Cancellation",
    "CancelledBeforeSendingError",
    "not_sent",
    "reset_socket",
]

_LINGER_ZERO = struct.pack("ii", 1, 0)


class CACancelledError(CAError):
    """The operation was cancelled (:meth:`Cancellation.cancel`) and its sockets reset.

    A request sent before the cancellation may still have been carried out by the
    server; see :class:`CancelledBeforeSendingError` for one that was not sent.
    """


class CancelledBeforeSendingError(CACancelledError):
    """Cancelled while searching, connecting or creating the channel: nothing was sent."""


def not_sent(exc: CACancelledError) -> CancelledBeforeSendingError:
    """``exc`` as what it is: a cancellation before the request went out."""
    if isinstance(exc, CancelledBeforeSendingError):
        return exc
    return CancelledBeforeSendingError(str(exc))


def reset_socket(sock: socket.socket) -> None:
    """Make ``sock`` abort: zero linger (its close sends RST), then shut it down.

    Errors are ignored: the socket may be unconnected (UDP, a connect under way) or
    already broken, and it is being abandoned either way.
    """
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
    with contextlib.suppress(OSError):
        # Wakes the thread blocked on it; on an unconnected UDP socket Linux answers
        # ENOTCONN but still wakes the waiters.
        sock.shutdown(socket.SHUT_RDWR)


class Cancellation:
    """Cancel, from any thread, the blocking calls that were given this object.

    Thread-safe.  Owners call :meth:`register` for each socket as they make it and
    :meth:`unregister` before they close it, so that :meth:`cancel` never touches a
    closed descriptor (whose number may already belong to another file).

    Parameters
    ----------
    reason : str, optional
        Said by the errors of cancelled calls until :meth:`cancel` gives another.
    """

    def __init__(self, reason: str = "cancelled") -> None:
        # Imported here: the command-line tools load this module and never need it.
        import threading

        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._cancelled = False
        self.reason = reason

    def __repr__(self) -> str:
        state = f"cancelled ({self.reason})" if self._cancelled else "active"
        return f"<Cancellation {state}, {len(self._sockets)} socket(s)>"

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled

    def cancel(self, reason: str | None = None) -> None:
        """Reset every registered socket now and refuse new ones.  Idempotent.

        Never blocks on the network: it only sets socket options and shuts the
        sockets down; their owners close them.

        Parameters
        ----------
        reason : str, optional
            Why (``"catui quit"``, ``"deadline passed"``), for the errors raised.
        """
        with self._lock:
            if self._cancelled:
                return
            if reason:
                self.reason = reason
            self._cancelled = True
            for sock in self._sockets:
                reset_socket(sock)

    def check(self, what: str) -> None:
        """Raise :class:`CancelledBeforeSendingError` for ``what`` if cancelled."""
        if self._cancelled:
            raise CancelledBeforeSendingError(f"{what}: {self.reason}")

    def register(self, sock: socket.socket, what: str) -> None:
        """Track ``sock`` (just made, nothing sent on it yet).

        Raises
        ------
        CancelledBeforeSendingError
            Already cancelled: ``sock`` is closed and must not be used.
        """
        with self._lock:
            if not self._cancelled:
                self._sockets.add(sock)
                return
        reset_socket(sock)
        sock.close()
        raise CancelledBeforeSendingError(f"{what}: {self.reason}")

    def unregister(self, sock: socket.socket) -> None:
        """Stop tracking ``sock``: call before closing it."""
        with self._lock:
            self._sockets.discard(sock)
