"""A ``Blocker``'s TCP circuits: one per (server, priority), connected without blocking.

:class:`Circuits` begins each connect without waiting (a server host that drops
SYNs must not stall every other PV's updates), keeps each circuit alive with
ECHOs when it is idle, flushes what a loop pass queued in one write per circuit,
and forgets a circuit that fails.  What that means for the PVs and requests on a
circuit is the Blocker's business: the methods return the failures.
"""

from __future__ import annotations

import contextlib
import selectors
import threading
import time
from collections.abc import Callable

from ..commands import EchoRequest
from ..errors import CAError, DisconnectedError
from .connection import Connection

__all__ = ["Circuits"]

#: Seconds a circuit has to answer an ECHO before it counts as gone.
ECHO_GRACE = 5.0

Address = tuple[str, int]
Failures = list[tuple[Connection, CAError]]


class Circuits:
    """The circuits of one Blocker; used in its thread only, but for ``lock``'s members.

    Parameters
    ----------
    lock : threading.Lock
        Guards the membership of :attr:`by_key` and :attr:`opened`, which the
        Blocker's ``diagnostics()`` copies from another thread.

    Attributes
    ----------
    by_key : dict
        (server address, priority) -> Connection, connected or connecting.
    pending : dict
        The circuits whose connect is under way -> when to give up.  They are in
        ``by_key`` already, so that every PV finding that server waits on the same
        one, but not in ``opened``, ``last_heard`` or the read registration.
    opened : dict
        The connected circuits -> when they connected (``time.monotonic()``).
    last_heard : dict
        The connected circuits -> when they last received anything.
    """

    def __init__(self, lock: threading.Lock) -> None:
        self.lock = lock
        self.by_key: dict[tuple[Address, int], Connection] = {}
        self.pending: dict[Connection, float] = {}
        self.opened: dict[Connection, float] = {}
        self.last_heard: dict[Connection, float] = {}
        self._echo_sent: dict[Connection, float] = {}
        self._selector: selectors.BaseSelector | None = None
        self._conn_tmo = 30.0

    def start(self, selector: selectors.BaseSelector, conn_tmo: float) -> None:
        """Register circuits with ``selector``; ECHO a circuit idle for ``conn_tmo`` s."""
        self._selector, self._conn_tmo = selector, conn_tmo

    @property
    def selector(self) -> selectors.BaseSelector:
        assert self._selector is not None, "start() first"
        return self._selector

    def servers(self) -> set[Address]:
        """The servers with a circuit (at any priority)."""
        return {address for address, _ in self.by_key}

    def open(
        self, server: Address, priority: int, max_array_bytes: int, connect_timeout: float
    ) -> Connection:
        """The circuit to ``server`` at ``priority``; a new one is begun, its handshake queued.

        Raises
        ------
        DisconnectedError
            A new connect failed at once (no route, ...).
        """
        key = (server, priority)
        conn = self.by_key.get(key)
        if conn is not None:
            return conn
        conn = Connection.begin(server, priority, max_array_bytes)
        with self.lock:
            self.by_key[key] = conn
        # Queued only: a pending circuit sends it (one write) once connected.
        conn.queue(*conn.handshake())
        if conn.pending:
            self.pending[conn] = time.monotonic() + connect_timeout
            self.selector.register(conn.sock, selectors.EVENT_WRITE, conn)
        else:
            self._established(conn)
        return conn

    def _established(self, conn: Connection) -> None:
        """``conn``'s TCP connect succeeded: read from it, and watch its liveness."""
        # Reads happen only when select() says so; a timeout (not non-blocking)
        # lets a large flush wait for room instead of failing.
        conn.sock.settimeout(self._conn_tmo)
        now = time.monotonic()
        with self.lock:
            self.opened[conn] = now
        self.selector.register(conn.sock, selectors.EVENT_READ, conn)
        self.last_heard[conn] = now

    def finish_connect(self, conn: Connection) -> CAError | None:
        """``conn``'s pending connect became writable; the failure if it failed (forgotten)."""
        if conn not in self.pending:
            return None  # abandoned earlier in this pass (its last PV removed)
        # Unregistered before finish_connect() may close it, as selectors require.
        self.selector.unregister(conn.sock)
        try:
            conn.finish_connect()
        except DisconnectedError as exc:
            self.forget(conn)
            return exc
        del self.pending[conn]
        # The handshake and CREATE_CHANs queued meanwhile go with the next flush.
        self._established(conn)
        return None

    def forget(self, conn: Connection, reset: bool = False) -> None:
        """Drop ``conn`` (lost, failed or abandoned) and close it; with a RST if ``reset``."""
        self.pending.pop(conn, None)
        with self.lock:
            for key, value in list(self.by_key.items()):
                if value is conn:
                    del self.by_key[key]
            self.opened.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.selector.unregister(conn.sock)
        if reset:
            conn.abort()
        conn.close()
        self.last_heard.pop(conn, None)
        self._echo_sent.pop(conn, None)

    def heard(self, conn: Connection) -> None:
        """``conn`` received something: it is alive."""
        self.last_heard[conn] = time.monotonic()
        self._echo_sent.pop(conn, None)

    def check(
        self, now: float, on_echo: Callable[[Connection], None]
    ) -> tuple[Failures, Failures]:
        """Give up connects out of time; ECHO idle circuits; find the silent ones.

        Returns ``(failed connects, silent circuits)``: the first are forgotten
        already (their PVs are to search again), the second are to be treated as
        lost.  ``on_echo(conn)`` is told of each ECHO queued.
        """
        failed: Failures = []
        for conn, deadline in list(self.pending.items()):
            if now >= deadline:
                self.selector.unregister(conn.sock)  # before abandon_connect() closes it
                failed.append((conn, conn.abandon_connect()))
                self.forget(conn)
        silent: Failures = []
        for conn, heard in list(self.last_heard.items()):
            sent = self._echo_sent.get(conn)
            if sent is not None and now - sent > ECHO_GRACE:
                silent.append((conn, DisconnectedError(f"{conn.where()} stopped answering")))
            elif sent is None and now - heard > self._conn_tmo:
                self._echo_sent[conn] = now
                on_echo(conn)
                try:
                    conn.queue(EchoRequest())
                except DisconnectedError as exc:
                    silent.append((conn, exc))
        return failed, silent

    def next_deadline(self) -> float | None:
        """When the first pending connect is to be given up."""
        return min(self.pending.values(), default=None)

    def flush(self) -> Failures:
        """Write what each connected circuit queued, one write each; the failures."""
        failures: Failures = []
        for conn in list(self.by_key.values()):
            if conn.pending:
                continue  # nothing may be sent before the connect completes
            try:
                conn.flush()
            except DisconnectedError as exc:
                failures.append((conn, exc))
        return failures

    def close_all(self) -> None:
        """Flush (the CLEAR_CHANNELs queued last) and close every circuit."""
        for conn in list(self.by_key.values()):
            if not conn.pending:
                with contextlib.suppress(DisconnectedError):
                    conn.flush()
            conn.close()
        self.pending.clear()
        with self.lock:
            self.by_key.clear()
            self.opened.clear()
