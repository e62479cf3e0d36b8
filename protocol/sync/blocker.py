"""The engine behind ``block()``: one thread multiplexing every subscription.

It searches all names at once, opens one circuit per (server, priority), and
dispatches updates to subscriptions. As documented extensions for long-lived
watchers it can keep searching for missing PVs, reconnect after a server
restarts, take subscriptions added or removed from other threads, read the
control metadata of each PV as it connects, and read and write its PVs on the
channels it keeps (:mod:`protocol.sync.requests`).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..channel_types import ChannelType, DataTypeSpec
from ..circuit import ClientChannel
from ..commands import (
    AccessRightsResponse,
    CreateChanRequest,
    CreateChanResponse,
    CreateChFailResponse,
    EchoResponse,
    ErrorResponse,
    EventAddResponse,
    Message,
    ReadNotifyResponse,
    ReadResponse,
    ServerDisconnResponse,
    WriteNotifyResponse,
)
from ..errors import (
    CAError,
    CATimeoutError,
    DisconnectedError,
    ErrorResponseReceived,
    RemoteProtocolError,
)
from .circuits import Circuits
from .config import CAConfig, load_config, search_destinations
from .connection import Connection
from .lazylog import get_logger
from .operations import (
    Steps,
    read_steps,
    read_write_read_steps,
    subscription_type,
    write_steps,
)
from .pvs import PVState
from .requests import Request, RequestTable
from .search import MAX_DUPLICATES, Duplicate, Searcher
from .subscription import ConnectionState, Subscription

if TYPE_CHECKING:
    from .diagnostics import BlockerDiagnostics

__all__ = ["Blocker", "interrupt_all"]

logger = get_logger("protocol.sync.blocker")

_MAX_RETRY = 5.0
# Seconds allowed for a circuit's TCP connect (as read() allows).
_CONNECT_TIMEOUT = 2.0

_REPLIES = (ReadNotifyResponse, WriteNotifyResponse, ReadResponse)

_running: set[Blocker] = set()
_running_lock = threading.Lock()
_interrupt_next = [False]


def interrupt_all() -> None:
    """Interrupt every running ``Blocker``; if none runs, the next one that starts."""
    with _running_lock:
        blockers = list(_running)
        if not blockers:
            _interrupt_next[0] = True
    for blocker in blockers:
        blocker.interrupt()


class Blocker:
    """Run subscriptions until interrupted, a duration passes, or a failure.

    Parameters
    ----------
    *subscriptions : Subscription
    timeout : float
        Seconds allowed for every PV to connect (ignored with ``keep_searching``).
    force_int_enums : bool
        Subscribe to ENUM channels as integers rather than strings.
    repeater : bool
        Spawn a CA repeater if none runs (as ``read()`` does).
    keep_searching : bool
        Extension: a PV that is not found stays searched for (with back-off)
        instead of failing the call.
    reconnect : bool
        Extension: after a server disconnects, search again and resubscribe
        instead of raising ``DisconnectedError``.
    config : CAConfig, optional
        Environment configuration; read from ``os.environ`` by default.
    """

    def __init__(
        self,
        *subscriptions: Subscription,
        timeout: float = 2.0,
        force_int_enums: bool = False,
        repeater: bool = True,
        keep_searching: bool = False,
        reconnect: bool = False,
        config: CAConfig | None = None,
    ) -> None:
        self.timeout = timeout
        self.force_int_enums = force_int_enums
        self.repeater = repeater
        self.keep_searching = keep_searching
        self.reconnect = reconnect
        self.config = config
        self._initial = list(subscriptions)
        self._lock = threading.Lock()
        self._commands: list[tuple[str, Any]] = []
        self._stopped = False  # run() ended: requests fail at once
        self._requests = RequestTable(self._reset)
        self._interrupted = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._pvs: dict[tuple[str, int], PVState] = {}
        # Indexes that keep per-message and per-pass work independent of the PV count.
        self._by_name: dict[str, set[PVState]] = {}
        self._searching: set[PVState] = set()
        self._pv_by_channel: dict[ClientChannel, PVState] = {}
        # Per circuit: subscriptionid -> (subscription, PV), for the dispatch of updates.
        self._by_subid: dict[Connection, dict[int, tuple[Subscription, PVState]]] = {}
        self.searcher: Searcher | None = None
        # Guards what diagnostics() copies from another thread: the membership of
        # _pvs, of the circuits (see Circuits) and _duplicates.  Held only around
        # those changes (rare events, never an update or any I/O).
        self._diag_lock = threading.Lock()
        self._circuits = Circuits(self._diag_lock)
        self._duplicates: deque[Duplicate] = deque(maxlen=MAX_DUPLICATES)
        self._duplicate_count = 0
        self._running = False
        self._config_in_effect: CAConfig | None = None

    # -- thread-safe controls -----------------------------------------------
    def _post(self, command: str, item: Any = None) -> None:
        with self._lock:
            stopped = self._stopped
            if not stopped:
                self._commands.append((command, item))
        if stopped and isinstance(item, Request):
            self._requests.refuse(item)
            return
        # A full buffer means it is already woken; closed means it has finished.
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def interrupt(self) -> None:
        """End ``run()`` soon (within one loop pass). Thread-safe, idempotent."""
        self._interrupted = True
        self._post("interrupt")

    def add(self, *subscriptions: Subscription) -> None:
        """Add subscriptions while running (thread-safe); others are untouched."""
        for sub in subscriptions:
            self._post("add", sub)

    def remove(self, *subscriptions: Subscription) -> None:
        """Remove subscriptions while running (thread-safe)."""
        for sub in subscriptions:
            self._post("remove", sub)

    # -- requests on the Blocker's own channels (thread-safe) -------------------
    def read(
        self,
        name: str,
        *,
        data_type: DataTypeSpec = None,
        data_count: int | None = None,
        priority: int = 0,
        timeout: float | None = 2.0,
    ) -> Request:
        """Read a PV of this Blocker's subscriptions on the channel it keeps for it.

        Thread-safe; returns at once.  The Blocker's thread sends one READ_NOTIFY on
        the channel of (``name``, ``priority``): no search, no connect.  When the PV
        is not connected, is lost, or the request is given up: see
        :mod:`protocol.sync.requests`.

        Parameters
        ----------
        name : str
        data_type : {'native', 'status', 'time', 'graphic', 'control'}, ChannelType or int
            As for a subscription; by default what a subscription gets (the TIME
            type; an ENUM as TIME_STRING unless ``force_int_enums``).
        data_count : int, optional
        priority : int
        timeout : float or None
            Seconds from now for the answer (None: no limit).

        Returns
        -------
        Request
            Its ``wait()`` returns the ReadNotifyResponse.
        """

        def steps(channel: ClientChannel) -> Steps:
            return read_steps(channel, self._data_type(channel, data_type), data_count)

        return self._post_request(Request(name, priority, False, timeout, steps, self._give_up))

    def write(
        self,
        name: str,
        data: Any,
        *,
        notify: bool = True,
        data_type: DataTypeSpec = None,
        metadata: Any = None,
        priority: int = 0,
        timeout: float | None = 2.0,
    ) -> Request:
        """Write to a PV of this Blocker's subscriptions on the channel it keeps for it.

        As :meth:`read`, with the value checked and its type inferred as by
        :func:`protocol.sync.client.write` (text to an ENUM reads its choices on the
        channel first), then one WRITE_NOTIFY (without ``notify``: a WRITE and an
        ECHO).  It is sent at most once, never once given up: see
        :mod:`protocol.sync.requests`.  Its ``wait()`` returns the
        WriteNotifyResponse (its ``status`` tells success), or None without ``notify``.
        """

        def steps(channel: ClientChannel) -> Steps:
            return write_steps(channel, data, notify, data_type, metadata)

        return self._post_request(Request(name, priority, True, timeout, steps, self._give_up))

    def read_write_read(
        self,
        name: str,
        data: Any,
        *,
        notify: bool = True,
        read_data_type: DataTypeSpec = None,
        write_data_type: DataTypeSpec = None,
        metadata: Any = None,
        priority: int = 0,
        timeout: float | None = 2.0,
    ) -> Request:
        """A :meth:`write` between two :meth:`read`, on the PV's channel, within ``timeout``.

        The final read goes out once the write is answered (with ``notify``: once it
        completed).  Its ``wait()`` returns ``(initial, write response or None, final)``.
        """

        def steps(channel: ClientChannel) -> Steps:
            read_type = self._data_type(channel, read_data_type)
            return read_write_read_steps(
                channel, data, notify, read_type, write_data_type, metadata
            )

        return self._post_request(Request(name, priority, True, timeout, steps, self._give_up))

    def _post_request(self, request: Request) -> Request:
        self._post("request", request)
        return request

    def _give_up(self, request: Request) -> None:
        self._post("give up", request)

    # -- main loop ----------------------------------------------------------
    def run(self, duration: float | None = None) -> None:
        """Process updates until interrupted or ``duration`` seconds pass.

        Raises
        ------
        CATimeoutError
            Some PVs were not found within ``timeout`` (unless keep_searching).
        DisconnectedError
            A server went away (unless reconnect).
        """
        with _running_lock:
            _running.add(self)
            if _interrupt_next[0]:
                _interrupt_next[0] = False
                self._interrupted = True
        config = self.config or load_config()
        if self.repeater:
            from .repeater import ensure_repeater

            ensure_repeater(config.repeater_port)
        self.searcher = Searcher(
            search_destinations(config), config.name_servers, on_duplicate=self._duplicate
        )
        self._config = config
        with self._diag_lock:
            self._config_in_effect = config
            self._running = True
        selector = self._selector = selectors.DefaultSelector()
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._circuits.start(selector, config.conn_tmo)
        for sock in self.searcher.sockets():
            selector.register(sock, selectors.EVENT_READ, "search")
        start = time.monotonic()
        end = None if duration is None else start + duration
        self._connect_deadline = start + self.timeout
        try:
            for sub in self._initial:
                self._add(sub)
            while not self._interrupted:
                now = time.monotonic()
                if end is not None and now >= end:
                    break
                self._search_due(now)
                self._check_deadlines(now)
                self._flush()  # everything this pass queued, one write per circuit
                wait = self._next_wake(now, end)
                for key, _ in selector.select(wait):
                    self._ready(key.data)
        except KeyboardInterrupt:
            logger.debug("block() interrupted by Ctrl+C")
        finally:
            self._shutdown()

    # -- diagnostics ----------------------------------------------------------
    def diagnostics(self) -> BlockerDiagnostics:
        """A snapshot of the configuration, searches, circuits and duplicates.

        Thread-safe and cheap (a short lock and a copy, no I/O): meant to be
        called from another thread while :meth:`run` goes on, e.g. once a
        second by a diagnostics view.

        Returns
        -------
        BlockerDiagnostics
            Immutable; see :mod:`protocol.sync.diagnostics`.
        """
        from .diagnostics import snapshot

        with self._diag_lock:  # copies only: the snapshot is built outside
            running, config = self._running, self._config_in_effect or self.config
            searcher = self.searcher if running else None
            pvs, circuits = list(self._pvs.values()), list(self._circuits.by_key.items())
            opened, duplicates = dict(self._circuits.opened), list(self._duplicates)
            duplicate_count = self._duplicate_count
        return snapshot(
            running=running,
            config=config,
            searcher=searcher,
            pvs=pvs,
            circuits=circuits,
            opened=opened,
            last_heard=self._circuits.last_heard,
            duplicates=duplicates,
            duplicate_count=duplicate_count,
        )

    def _duplicate(self, duplicate: Duplicate) -> None:
        with self._diag_lock:
            self._duplicates.append(duplicate)
            self._duplicate_count += 1

    def _next_wake(self, now: float, end: float | None) -> float:
        times = [now + 1.0]
        if end is not None:
            times.append(end)
        times.extend(pv.next_search for pv in self._searching)
        for deadline in (self._circuits.next_deadline(), self._requests.next_deadline()):
            if deadline is not None:
                times.append(deadline)
        if not self.keep_searching and self._connect_deadline < float("inf"):
            times.append(self._connect_deadline)
        return max(0.0, min(times) - now)

    def _ready(self, what: Any) -> None:
        if what == "wake":
            self._drain_commands()
        elif what == "search":
            assert self.searcher is not None
            found = self.searcher.receive()
            known = self._circuits.servers()
            if any(server not in known for _, server in found):
                self._reset_backoff()
            for name, server in found:
                for pv in list(self._by_name.get(name, ())):
                    if pv.channel is None:
                        self._connect(pv, server)
        elif what.pending:
            self._finish_connect(what)
        else:
            self._receive(what)

    def _drain_commands(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except OSError:
            pass
        with self._lock:
            commands, self._commands = self._commands, []
        for command, item in commands:
            if command == "add":
                self._add(item)
            elif command == "remove":
                self._remove(item)
            elif command == "request":
                pv = self._pvs.get((item.pv_name, item.priority))
                self._requests.start(item, *((pv.conn, pv.channel) if pv else (None, None)))
            elif command == "give up":
                self._requests.give_up(item)

    # -- subscriptions ------------------------------------------------------
    def _add(self, sub: Subscription) -> None:
        if sub.attach(self):
            self._interrupted = True
        key = (sub.pv_name, sub.priority)
        pv = self._pvs.get(key)
        if pv is None:
            pv = PVState(*key, time.monotonic())
            with self._diag_lock:
                self._pvs[key] = pv
            self._by_name.setdefault(pv.name, set()).add(pv)
            self._searching.add(pv)
            self._connect_deadline = min(self._connect_deadline, pv.next_search + self.timeout)
        if sub in pv.subs:
            return
        pv.subs[sub] = None
        if pv.channel is not None and pv.conn is not None and pv.channel.sid is not None:
            if sub.wants_control:
                self._requests.read_control(pv, [sub])
            self._subscribe(pv, sub)
        else:
            sub.connection_changed(ConnectionState.SEARCHING, None)

    def _remove(self, sub: Subscription) -> None:
        pv = self._pvs.get((sub.pv_name, sub.priority))
        if pv is None or sub not in pv.subs:
            return
        subid = pv.subs.pop(sub)
        sub.detach(self)
        if pv.conn is not None and pv.channel is not None and subid is not None:
            self._by_subid.get(pv.conn, {}).pop(subid, None)
            if not pv.subs:
                self._clear(pv)
            else:
                try:
                    pv.conn.queue(pv.channel.unsubscribe(subid))
                except CAError as exc:
                    logger.debug("cancel on %r: %s", pv.name, exc)
        if not pv.subs:
            if pv.conn is not None and pv.conn.pending:
                self._leave_pending(pv)
            with self._diag_lock:
                del self._pvs[(pv.name, pv.priority)]
            self._by_name[pv.name].discard(pv)
            if not self._by_name[pv.name]:
                del self._by_name[pv.name]
                if self.searcher is not None:
                    # Added again later, its search reply is news again (not a reply
                    # to a name already found, which the searcher would drop).
                    self.searcher.forget(pv.name)
            self._searching.discard(pv)

    def _data_type(self, channel: ClientChannel, data_type: DataTypeSpec) -> ChannelType:
        return subscription_type(channel, data_type, self.force_int_enums)

    def _subscribe(self, pv: PVState, sub: Subscription) -> None:
        assert pv.channel is not None and pv.conn is not None
        request = pv.channel.subscribe(
            self._data_type(pv.channel, sub.data_type),
            sub.data_count,
            sub.low,
            sub.high,
            sub.to,
            sub.mask,
        )
        pv.subs[sub] = request.subscriptionid
        self._by_subid.setdefault(pv.conn, {})[request.subscriptionid] = (sub, pv)
        sub.server_address = pv.conn.circuit.address
        sub.native_data_type = pv.channel.native_data_type
        sub.native_data_count = pv.channel.native_data_count
        sub.access_rights = pv.channel.access_rights
        sub.connection_changed(ConnectionState.CONNECTED, pv.conn.circuit.address)
        pv.conn.queue(request)

    # -- searching and connecting --------------------------------------------
    def _search_due(self, now: float) -> None:
        due = [pv for pv in self._searching if pv.next_search <= now]
        if not due or self.searcher is None:
            return
        self.searcher.send(dict.fromkeys(pv.name for pv in due))
        cap = min(_MAX_RETRY, self._config.max_search_period)
        for pv in due:
            pv.searched(now, cap)

    def _reset_backoff(self) -> None:
        # A server we have no circuit to just answered: it may have (re)started,
        # so search the rest soon.
        now = time.monotonic()
        for pv in self._searching:
            pv.hurry(now)

    def _connect(self, pv: PVState, server: tuple[str, int]) -> None:
        try:
            conn = self._circuits.open(
                server, pv.priority, self._config.max_array_bytes, _CONNECT_TIMEOUT
            )
        except DisconnectedError as exc:  # failed at once (no route, ...)
            logger.warning("PV %r: %s", pv.name, exc)
            self._research(pv)
            return
        pv.conn = conn
        pv.channel = conn.circuit.new_channel(pv.name)
        self._pv_by_channel[pv.channel] = pv
        self._searching.discard(pv)
        try:
            conn.queue(pv.channel.create())  # a pending circuit sends it once connected
        except DisconnectedError as exc:
            self._lost(conn, exc)

    def _finish_connect(self, conn: Connection) -> None:
        """``conn``'s pending connect became writable: it either worked or failed."""
        failure = self._circuits.finish_connect(conn)
        if failure is not None:
            self._connect_failed(conn, failure)

    def _connect_failed(self, conn: Connection, exc: CAError) -> None:
        """A pending connect failed or timed out: its PVs search again, as if refused."""
        for pv in [pv for pv in self._pvs.values() if pv.conn is conn]:
            logger.warning("PV %r: %s", pv.name, exc)
            self._research(pv)

    def _leave_pending(self, pv: PVState) -> None:
        """``pv`` is dropped while its circuit connects; the last one out abandons it."""
        conn = pv.conn
        assert conn is not None and pv.channel is not None
        # Its CREATE_CHAN is queued already; the server's answer will find no PV.
        self._pv_by_channel.pop(pv.channel, None)
        pv.conn = pv.channel = None
        if not any(other.conn is conn for other in self._pvs.values()):
            self._circuits.forget(conn)

    def _research(self, pv: PVState) -> None:
        if pv.channel is not None:
            self._pv_by_channel.pop(pv.channel, None)
            if pv.conn is not None:
                # Refused or dropped: off its circuit too, or a circuit that outlives
                # the retries (each makes a channel) would keep every one of them.
                pv.conn.circuit.channels.pop(pv.channel.cid, None)
        self._searching.add(pv)
        pv.search_again(time.monotonic(), _MAX_RETRY)
        if self.searcher is not None:
            self.searcher.forget(pv.name)

    # -- receiving ----------------------------------------------------------
    def _receive(self, conn: Connection) -> None:
        try:
            messages = conn.recv_once()
        except (DisconnectedError, RemoteProtocolError) as exc:
            self._lost(conn, exc)
            return
        self._circuits.heard(conn)
        by_subid = self._by_subid.get(conn, {})
        for message in messages:
            if type(message) is EventAddResponse:
                target = by_subid.get(message.header_values[5])
                if target is not None:
                    # Data flows: the circuit works, so a later loss may re-search at once.
                    target[1].penalty = 0.0
                    target[0].process(message)
            else:
                self._handle(conn, message)

    def _pv_for_channel(self, conn: Connection, cid: int) -> PVState | None:
        channel = conn.circuit.channels.get(cid)
        return None if channel is None else self._pv_by_channel.get(channel)

    def _handle(self, conn: Connection, message: Message) -> None:
        if isinstance(message, CreateChanResponse):
            pv = self._pv_for_channel(conn, message.cid)
            if pv is not None:
                pv.connected_at = time.monotonic()
                # The penalty is cleared by the first update, not here: a server that
                # creates the channel and then breaks the circuit must not be
                # reconnected to in a tight loop.
                wanting = [sub for sub in pv.subs if sub.wants_control]
                if wanting:  # queued first: usually answered before the first update
                    self._requests.read_control(pv, wanting)
                for sub in list(pv.subs):
                    self._subscribe(pv, sub)
        elif isinstance(message, AccessRightsResponse):
            pv = self._pv_for_channel(conn, message.cid)
            if pv is not None:
                for sub in pv.subs:
                    sub.access_rights = message.access_rights
        elif isinstance(message, (CreateChFailResponse, ServerDisconnResponse)):
            pv = self._pv_for_channel(conn, message.cid)
            if pv is not None:
                self._channel_gone(pv, f"the server at {conn.where()} dropped PV {pv.name!r}")
        elif isinstance(message, _REPLIES):
            self._requests.answer(conn, message)
        elif isinstance(message, EchoResponse):
            self._requests.echoed(conn)
        elif isinstance(message, ErrorResponse):
            self._server_error(conn, message)

    def _server_error(self, conn: Connection, message: ErrorResponse) -> None:
        if self._requests.error(conn, message):
            return  # the answer to a read or write: that request failed, nothing else
        pv = self._pv_for_channel(conn, message.cid)
        original = message.original_request
        if pv is None and original.command == CreateChanRequest.ID:
            # rsrv answers a CREATE_CHAN with cid 0xFFFFFFFF: the cid is in the request.
            pv = self._pv_for_channel(conn, original.parameter1)
        name = pv.name if pv is not None else "?"
        text = (
            f"server {conn.where()} reported {message.status.name} for PV {name!r}: "
            f"{message.error_message}"
        )
        if self.keep_searching or self.reconnect:
            logger.warning("%s", text)
            channel = pv.channel if pv is not None else None
            if self.reconnect and pv is not None and channel is not None and channel.sid is None:
                self._channel_gone(pv, text)  # its CREATE_CHAN refused: as CREATE_CH_FAIL
            return
        raise ErrorResponseReceived(text, message)

    def _channel_gone(self, pv: PVState, why: str) -> None:
        if pv.conn is not None and pv.channel is not None:
            self._requests.channel_lost(pv.conn, pv.channel, why)
        if pv.conn is not None:
            for subid in pv.subs.values():
                if subid is not None:
                    self._by_subid.get(pv.conn, {}).pop(subid, None)
        for sub in pv.subs:
            pv.subs[sub] = None
            sub.connection_changed(ConnectionState.DISCONNECTED, None)
        if not self.reconnect:
            raise DisconnectedError(why)
        logger.info("%s; searching again", why)
        self._research(pv)

    def _reset(self, conn: Connection, why: str) -> None:
        """Reset ``conn`` (RST) and treat it as lost: see :mod:`.requests`."""
        self._lost(conn, DisconnectedError(f"the circuit to {conn.where()} was {why}"), True)

    def _lost(self, conn: Connection, exc: Exception, reset: bool = False) -> None:
        self._requests.circuit_lost(conn, f"lost the circuit ({exc})")
        self._circuits.forget(conn, reset)
        names = [pv.name for pv in self._pvs.values() if pv.conn is conn]
        if not self.reconnect and names:
            raise DisconnectedError(
                f"lost the server of {', '.join(map(repr, names))}: {exc}"
            ) from None
        for pv in [pv for pv in self._pvs.values() if pv.conn is conn]:
            self._channel_gone(pv, str(exc))
        self._by_subid.pop(conn, None)

    def _flush(self) -> None:
        for conn, exc in self._circuits.flush():
            self._lost(conn, exc)

    def _check_deadlines(self, now: float) -> None:
        if not self.keep_searching and now >= self._connect_deadline:
            missing = [
                pv.name
                for pv in self._pvs.values()
                if pv.channel is None or pv.channel.sid is None
            ]
            if missing:
                raise CATimeoutError(
                    f"not connected within {self.timeout} s: {', '.join(map(repr, missing))} "
                    f"(searched {_describe(self.searcher.destinations if self.searcher else [])})"
                )
            # All connected: no need to look again until a PV is added.
            self._connect_deadline = float("inf")
        self._requests.expire(now)
        # Liveness: an idle circuit gets an ECHO; no answer means the server is gone.
        failed, silent = self._circuits.check(now, self._requests.liveness_echo)
        for conn, exc in failed:
            self._connect_failed(conn, exc)
        for conn, exc in silent:
            self._lost(conn, exc)

    def _clear(self, pv: PVState) -> None:
        if pv.conn is not None and pv.channel is not None:
            self._requests.channel_lost(pv.conn, pv.channel, "the PV was removed from the Blocker")
            try:
                if not pv.conn.closed:
                    pv.conn.queue(pv.channel.clear())
            except CAError as exc:
                logger.debug("clear %r: %s", pv.name, exc)
        if pv.channel is not None:
            self._pv_by_channel.pop(pv.channel, None)
        pv.conn = pv.channel = None

    def _shutdown(self) -> None:
        with _running_lock:
            _running.discard(self)
        with self._diag_lock:
            self._running = False
        with self._lock:
            self._stopped = True
            queued, self._commands = self._commands, []
        self._requests.shutdown([item for _, item in queued if isinstance(item, Request)])
        for pv in self._pvs.values():
            for sub in pv.subs:
                sub.detach(self)
            if pv.channel is not None and pv.channel.sid is not None:
                self._clear(pv)
        self._circuits.close_all()  # with the CLEAR_CHANNELs queued just above
        with self._diag_lock:
            self._pvs.clear()
        self._by_subid.clear()
        if self.searcher is not None:
            self.searcher.close()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()


def _describe(destinations: Iterable[tuple[str, int]]) -> str:
    return ", ".join(f"{host}:{port}" for host, port in destinations) or "no addresses"
