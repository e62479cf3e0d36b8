"""Reads and writes on a ``Blocker``'s own channels, and what became of each.

:meth:`Blocker.read() <protocol.sync.blocker.Blocker.read>`,
:meth:`~protocol.sync.blocker.Blocker.write` and
:meth:`~protocol.sync.blocker.Blocker.read_write_read` return a :class:`Request` at
once; the Blocker's thread sends it on the channel the Blocker keeps for that PV
(no search, no connect) and matches the answer by its ioid.

Rules (for writes above all: nothing may be written that the caller was told was
not, nor arrive after the caller gave up):

* A request for a PV that is not connected when the Blocker's thread takes it
  fails at once with :class:`~protocol.errors.NotConnectedError` (a
  ``ConnectTimeoutError``: nothing was sent).  It is never kept for a reconnect.
* A request is sent at most once: never again after a reconnect.
* Cancelled (:meth:`Request.cancel`) or out of time (its ``timeout``, or the
  ``timeout`` of :meth:`Request.wait`) before it was sent, it is never sent:
  ``ConnectTimeoutError``.
* Given up after its write was sent, the write's bytes must not arrive later by
  TCP retransmission.  When the server's host has not acknowledged everything
  sent on the circuit (Linux tells, with ``TIOCOUTQ``; elsewhere that is
  assumed), the circuit is reset (RST) and its PVs come back through the
  Blocker's ``reconnect``; when it has, the circuit is kept.  Either way the
  outcome is unknown: ``CATimeoutError``, and :attr:`Request.circuit_reset` says
  which.  A read given up is only forgotten: its late answer is dropped.
* A circuit that is lost, or a channel the server drops, fails its requests at
  once: ``DisconnectedError`` once the write (or read) was sent, else
  ``NotConnectedError``.  So does the end of ``Blocker.run()``, which also resets
  a circuit whose written bytes are not all acknowledged.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..commands import (
    EchoRequest,
    ErrorResponse,
    Message,
    ReadNotifyRequest,
    ReadRequest,
    WriteNotifyRequest,
    WriteRequest,
    check_pv_name,
)
from ..commands.base import check_priority
from ..errors import (
    CAError,
    CATimeoutError,
    ConnectTimeoutError,
    DisconnectedError,
    NotConnectedError,
)
from .lazylog import get_logger
from .operations import Steps, check_timeout, read_steps, server_error

if TYPE_CHECKING:
    from ..circuit import ClientChannel
    from .connection import Connection
    from .pvs import PVState
    from .subscription import Subscription

__all__ = ["Request", "RequestTable"]

logger = get_logger("protocol.sync.requests")

#: Seconds :meth:`Request.wait` allows the Blocker, once its timeout has passed, to
#: make sure that nothing more of a sent write can arrive.
DECISION_GRACE = 2.0
_ANSWERED_BY_IOID = (ReadNotifyRequest.ID, WriteNotifyRequest.ID, ReadRequest.ID, WriteRequest.ID)


class Request:
    """A read or write queued on a Blocker: its outcome, once known.

    Made by the Blocker's ``read``, ``write`` and ``read_write_read`` (not meant to
    be built otherwise); safe to use from any thread.  See
    :mod:`protocol.sync.requests` for the rules.

    Attributes
    ----------
    pv_name : str
    priority : int
    writes : bool
        Whether it writes (a write, or a read-write-read).
    timeout : float or None
        Seconds from its making within which it must be answered.
    deadline : float or None
        That time, as ``time.monotonic()``.
    """

    def __init__(
        self,
        pv_name: str,
        priority: int,
        writes: bool,
        timeout: float | None,
        make_steps: Callable[[ClientChannel], Steps],
        give_up: Callable[[Request], None] | None,
    ) -> None:
        check_pv_name(pv_name)
        check_priority(priority)
        if timeout is not None:
            check_timeout(timeout)
        self.pv_name = pv_name
        self.priority = priority
        self.writes = writes
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self._make_steps = make_steps
        self._post_give_up = give_up
        self._lock = threading.Lock()
        self._finished = False
        # Made by the first wait() only: a Blocker makes one request per PV it connects.
        self._event: threading.Event | None = None
        self._callbacks: list[Callable[[Request], None]] = []
        self._result: Any = None
        self._error: BaseException | None = None
        self._sent = False
        self._wrote = False
        self._write_out = False  # its write is sent and not answered: the one in doubt
        self._cancelled = False
        self._circuit_reset = False
        self._giving_up: str | None = None
        # The Blocker thread's: where it went, and the steps still to run.
        self._conn: Connection | None = None
        self._channel: ClientChannel | None = None
        self._steps: Steps | None = None
        self._ioid: int | None = None

    def __repr__(self) -> str:
        state = "done" if self.done() else "sent" if self._sent else "queued"
        return f"<Request {self._what()} {state}>"

    def _what(self) -> str:
        return f"{'writing' if self.writes else 'reading'} {self.pv_name!r}"

    # -- public ----------------------------------------------------------------
    def done(self) -> bool:
        """Whether the outcome is known (answered, failed, given up)."""
        return self._finished

    def cancelled(self) -> bool:
        """Whether :meth:`cancel` stopped it before it was sent."""
        return self._cancelled

    @property
    def sent(self) -> bool:
        """Whether anything of it went out (for a write to an ENUM by name: the read first)."""
        return self._sent

    @property
    def wrote(self) -> bool:
        """Whether its write went out (it may then have taken effect)."""
        return self._wrote

    @property
    def circuit_reset(self) -> bool:
        """Whether its circuit was reset so that nothing more of the write can arrive."""
        return self._circuit_reset

    def wait(self, timeout: float | None = None) -> Any:
        """The result, once known: a response (a tuple of them for read-write-read).

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait; then the request is given up as by :meth:`cancel`
            (never sent if it was not; after a sent write, this returns once the
            Blocker has made sure nothing more of it can arrive).  None waits
            for the outcome (the request's own ``timeout`` still applies).  Never
            wait in the Blocker's thread (a callback): it would wait on itself.

        Raises
        ------
        NotConnectedError
            The PV was not connected (or its circuit was lost before the write went
            out, or the Blocker stopped): nothing was sent.
        ConnectTimeoutError
            Cancelled or out of time before it was sent: nothing was sent.
        CATimeoutError
            Sent, not answered in time: the outcome of a write is unknown.
        DisconnectedError
            The circuit or channel was lost after it was sent: outcome unknown.
        ErrorResponseReceived, ChannelAccessDenied, CAValueError
            As for :func:`protocol.sync.client.read` and ``write``.
        """
        with self._lock:
            if not self._finished and self._event is None:
                self._event = threading.Event()
            event = None if self._finished else self._event
        if event is not None and not event.wait(timeout):
            assert timeout is not None
            self._give_up(f"timed out after {timeout:g} s")
            if not event.wait(DECISION_GRACE):
                raise CATimeoutError(
                    f"{self._what()}: sent, not answered within {timeout:g} s, and the "
                    "Blocker has not yet made sure that nothing more of it can arrive: "
                    "outcome unknown"
                )
        if self._error is not None:
            raise self._error
        return self._result

    def cancel(self) -> bool:
        """Give the request up.

        Returns True when it had not been sent (for a write: the write itself), so
        it never will be; :meth:`wait` then raises ``ConnectTimeoutError``.  After
        the write was sent, returns False: the Blocker's thread makes sure nothing
        more of it can arrive (see the module's rules) and the request fails with
        ``CATimeoutError`` (outcome unknown).  A read already sent is forgotten
        (False).  Thread-safe; does nothing once the request is done.
        """
        self._give_up("cancelled", cancel=True)
        return self._cancelled

    def add_done_callback(self, fn: Callable[[Request], None]) -> None:
        """Call ``fn(request)`` once done: in the Blocker's thread, so it must not block.

        When the request is done already (or is cancelled before being sent), ``fn``
        runs at once in the calling thread.  Exceptions are logged.
        """
        with self._lock:
            if not self._finished:
                self._callbacks.append(fn)
                return
        _call(fn, self)

    # -- outcome (the decision and the settling are one step under the lock) ---------
    def _settle(self, result: Any, error: BaseException | None) -> list[Callable[[Request], None]]:
        """Record the outcome (lock held); return the callbacks to run (lock released)."""
        if self._finished:
            return []
        self._result, self._error = result, error
        self._finished = True
        if self._event is not None:
            self._event.set()
        callbacks, self._callbacks = self._callbacks, []
        return callbacks

    def _finish(self, result: Any = None, error: BaseException | None = None) -> None:
        with self._lock:
            callbacks = self._settle(result, error)
        for fn in callbacks:
            _call(fn, self)

    def _give_up(self, why: str, cancel: bool = False, post: bool = True) -> bool:
        """Stop the request for ``why`` (e.g. "cancelled", "timed out after 2 s").

        Not yet sent (a write: not yet written), it fails here and now, under the
        same lock as :meth:`_take_send`, so it cannot go out after.  A sent write
        goes to the Blocker's thread (``post``) and True is returned.
        """
        callbacks: list[Callable[[Request], None]] = []
        with self._lock:
            if self._finished or self._giving_up is not None:
                return False
            if self._write_out:
                self._giving_up = why
            else:
                self._cancelled = cancel and not self._wrote and (self.writes or not self._sent)
                callbacks = self._settle(None, self._stopped_error(why))
        for fn in callbacks:
            _call(fn, self)
        if self._giving_up is None:
            return False
        if post:
            assert self._post_give_up is not None, "a write has somewhere to be given up"
            self._post_give_up(self)
        return True

    def _stopped_error(self, why: str) -> CAError:
        """The error of a request stopped for ``why`` with no write of it in doubt."""
        if self._wrote:  # a read-write-read, its write answered
            return CATimeoutError(
                f"{self._what()}: the write was answered, then {why} with no answer to the "
                "read after it"
            )
        if self._sent and not self.writes:  # a read that went out: forgotten
            return CATimeoutError(
                f"{self._what()}: sent, then {why} with no answer (a late one is dropped)"
            )
        if self._sent:  # a write to an ENUM by name: its choices were read
            return ConnectTimeoutError(
                f"{self._what()}: {why} before the write was sent: nothing was written"
            )
        return ConnectTimeoutError(f"{self._what()}: {why} before it was sent: nothing was sent")

    def _lost_error(self, why: str) -> CAError:
        if self._write_out:
            return DisconnectedError(
                f"{self._what()}: {why} after the write was sent: outcome unknown"
            )
        if self._wrote:
            return DisconnectedError(f"{self._what()}: {why} after the write was answered")
        if self.writes:
            return NotConnectedError(f"{self._what()}: {why}: nothing was written")
        return DisconnectedError(f"{self._what()}: {why}")

    def _take_send(self, writes: bool) -> bool:
        """Mark one of its requests as sent, unless it was given up: the one decision point."""
        with self._lock:
            if self._finished:
                return False
            self._sent = True
            self._wrote = self._wrote or writes
            self._write_out = writes  # a step goes out once the one before is answered
            return True


def _call(fn: Callable[[Request], None], request: Request) -> None:
    try:
        fn(request)
    except Exception:
        logger.exception("done callback of %r failed", request)


class RequestTable:
    """A Blocker's requests in flight, by circuit and ioid; used in its thread only.

    Parameters
    ----------
    reset : callable
        ``reset(conn, why)``: the Blocker resets circuit ``conn`` (RST) and treats
        it as lost (its PVs search again when it reconnects).
    """

    def __init__(self, reset: Callable[[Connection, str], None]) -> None:
        self._reset = reset
        self._by_ioid: dict[Connection, dict[int, Request]] = {}
        # Requests waiting for an ECHO (a plain WRITE's); None for the Blocker's own.
        self._echoes: dict[Connection, deque[Request | None]] = {}
        self._deadlines: list[tuple[float, int, Request]] = []
        self._order = itertools.count()

    def read_control(self, pv: PVState, subs: list[Subscription]) -> None:
        """Read ``pv``'s DBR_CTRL on its channel, for the control callbacks of ``subs``."""

        def deliver(request: Request) -> None:
            try:
                response, error = request.wait(), None
            except CAError as exc:
                response, error = None, exc
            for sub in subs:
                if sub in pv.subs:  # not removed meanwhile
                    sub.process_control(response, error)

        request = Request(pv.name, pv.priority, False, None, _control_steps, None)
        request.add_done_callback(deliver)
        self.start(request, pv.conn, pv.channel)

    @staticmethod
    def refuse(request: Request) -> None:
        """Fail ``request``, which a Blocker that stopped cannot take (any thread)."""
        request._finish(error=_stopped(request))

    def start(
        self, request: Request, conn: Connection | None, channel: ClientChannel | None
    ) -> None:
        """Send the first part of ``request`` on ``channel``, or fail it at once."""
        if request.done():
            return  # cancelled while queued
        if request.deadline is not None and time.monotonic() >= request.deadline:
            request._give_up(f"timed out after {request.timeout:g} s")
            return
        if conn is None or channel is None or channel.sid is None or conn.pending or conn.closed:
            request._finish(
                error=NotConnectedError(
                    f"{request._what()}: PV {request.pv_name!r} (priority {request.priority}) "
                    "is not connected: nothing was sent"
                )
            )
            return
        request._conn, request._channel = conn, channel
        try:
            request._steps = request._make_steps(channel)
        except Exception as exc:  # a bad data type, ...: nothing sent
            request._finish(error=exc)
            return
        if request.deadline is not None:
            heapq.heappush(self._deadlines, (request.deadline, next(self._order), request))
        self._advance(request, None)

    def _advance(self, request: Request, reply: Any) -> None:
        assert request._steps is not None and request._conn is not None
        if request.done():
            return
        try:
            message: Message = request._steps.send(reply)
        except StopIteration as stop:
            request._finish(stop.value)
            return
        except Exception as exc:  # the server's refusal, a value that does not fit, ...
            request._finish(error=exc)
            return
        if not request._take_send(isinstance(message, (WriteRequest, WriteNotifyRequest))):
            return  # given up in another thread just now: never sent
        conn = request._conn
        assert isinstance(
            message, (ReadNotifyRequest, ReadRequest, WriteNotifyRequest, WriteRequest)
        )
        ioid = message.ioid
        try:
            if isinstance(message, WriteRequest):
                # Answered only when refused: the ECHO behind it says it was handled.
                conn.queue(message, EchoRequest())
                self._echoes.setdefault(conn, deque()).append(request)
            else:
                conn.queue(message)
        except CAError as exc:
            request._finish(error=exc)
            return
        request._ioid = ioid
        self._by_ioid.setdefault(conn, {})[ioid] = request

    # -- answers ---------------------------------------------------------------
    def answer(self, conn: Connection, message: Any) -> None:
        """A READ_NOTIFY, READ or WRITE_NOTIFY reply; one to a request given up is dropped."""
        request = self._by_ioid.get(conn, {}).pop(message.ioid, None)
        if request is not None:
            self._advance(request, message)

    def echoed(self, conn: Connection) -> None:
        """An ECHO reply: the oldest plain WRITE waiting for one was handled."""
        waiting = self._echoes.get(conn)
        request = waiting.popleft() if waiting else None
        if request is not None and not request.done():
            assert request._ioid is not None
            self._by_ioid.get(conn, {}).pop(request._ioid, None)
            self._advance(request, None)

    def liveness_echo(self, conn: Connection) -> None:
        """The Blocker sent an ECHO of its own on ``conn``: its reply answers no request."""
        self._echoes.setdefault(conn, deque()).append(None)

    def error(self, conn: Connection, message: ErrorResponse) -> bool:
        """An ERROR reply; True when it answers a read or write (ours, or one given up)."""
        original = message.original_request
        if original.command not in _ANSWERED_BY_IOID:
            return False
        request = self._by_ioid.get(conn, {}).pop(original.parameter2, None)
        if request is not None:
            request._finish(error=server_error(request._what(), message))
        return True

    # -- losses, deadlines, give-ups ---------------------------------------------
    def channel_lost(self, conn: Connection, channel: ClientChannel, why: str) -> None:
        """``channel`` was dropped or cleared: fail its requests."""
        table = self._by_ioid.get(conn, {})
        for ioid, request in list(table.items()):
            if request._channel is channel:
                del table[ioid]
                request._finish(error=request._lost_error(why))

    def circuit_lost(self, conn: Connection, why: str) -> None:
        """``conn`` is gone: fail every request on it."""
        self._echoes.pop(conn, None)
        for request in self._by_ioid.pop(conn, {}).values():
            request._finish(error=request._lost_error(why))

    def next_deadline(self) -> float | None:
        while self._deadlines and self._deadlines[0][2].done():
            heapq.heappop(self._deadlines)
        return self._deadlines[0][0] if self._deadlines else None

    def expire(self, now: float) -> None:
        """Give up the requests whose own timeout has passed."""
        while self._deadlines and self._deadlines[0][0] <= now:
            request = heapq.heappop(self._deadlines)[2]
            if request._give_up(f"timed out after {request.timeout:g} s", post=False):
                self.give_up(request)

    def give_up(self, request: Request) -> None:
        """A sent write was given up: make sure nothing more of it arrives, then fail it."""
        conn = request._conn
        if request.done() or conn is None:
            return
        if request._ioid is not None:
            self._by_ioid.get(conn, {}).pop(request._ioid, None)
        assert request._giving_up is not None
        if not request._write_out:  # its write was answered meanwhile: nothing in doubt
            request._finish(error=request._stopped_error(request._giving_up))
            return
        what = f"{request._what()}: sent, then {request._giving_up} with no answer"
        if conn.unacknowledged() == 0:
            request._finish(
                error=CATimeoutError(f"{what}; the server's host has it: outcome unknown")
            )
            return
        request._circuit_reset = True
        error = CATimeoutError(
            f"{what}; the server's host had not acknowledged all of it, so the circuit "
            "was reset and nothing more of it can arrive (it may have arrived before): "
            "outcome unknown"
        )
        try:  # the reset first: a waiter told of the outcome is told after it
            self._reset(conn, f"reset after {request._what()} was given up")
        finally:
            request._finish(error=error)

    def shutdown(self, queued: list[Request]) -> None:
        """The Blocker stops: fail every request (``queued``: those not taken yet).

        A circuit whose written bytes are not all acknowledged is reset first.
        """
        for request in queued:
            self.refuse(request)
        why = "the Blocker stopped"
        for conn, table in self._by_ioid.items():
            written = [request for request in table.values() if request._write_out]
            if written and conn.unacknowledged() != 0:
                for request in written:
                    request._circuit_reset = True
                conn.abort()
            for request in table.values():
                request._finish(error=request._lost_error(why))
        self._by_ioid.clear()
        self._echoes.clear()
        self._deadlines.clear()


def _control_steps(channel: ClientChannel) -> Steps:
    return read_steps(channel, "control", None)


def _stopped(request: Request) -> NotConnectedError:
    return NotConnectedError(
        f"{request._what()}: the Blocker is not running (it stopped): nothing was sent"
    )
