"""What a :class:`~protocol.sync.blocker.Blocker` knows of its searches and circuits.

:meth:`Blocker.diagnostics() <protocol.sync.blocker.Blocker.diagnostics>` returns a
:class:`BlockerDiagnostics`: an immutable copy, safe to keep and to read in any
thread.  Times are wall-clock seconds (``time.time()``); the blocker measures with
``time.monotonic()`` and converts when the snapshot is taken.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import CAConfig

if TYPE_CHECKING:
    from .connection import Connection
    from .pvs import PVState
    from .search import Duplicate, Searcher

__all__ = [
    "CONNECTED",
    "CONNECTING",
    "SEARCHING",
    "BlockerDiagnostics",
    "CircuitDiagnostics",
    "DuplicateServer",
    "NameServerDiagnostics",
    "PVDiagnostics",
    "snapshot",
]

Address = tuple[str, int]

#: States of :attr:`PVDiagnostics.state`.
SEARCHING = "searching"
CONNECTING = "connecting"  # found; its CREATE_CHAN not answered yet
CONNECTED = "connected"


@dataclass(frozen=True, slots=True)
class PVDiagnostics:
    """One PV (at one priority) of the blocker.

    Attributes
    ----------
    name : str
    priority : int
    state : str
        :data:`SEARCHING`, :data:`CONNECTING` or :data:`CONNECTED`.
    server : (host, port) or None
        The server that answered the search (None while searching).
    searches : int
        Search requests sent for it since its current search began: while it
        is searching, ``searches - 1`` are retries; once found, how many it took.
    search_started : float or None
        When its current (or last) search began.
    last_search : float or None
        When the last search request for it went out.
    next_search : float or None
        When the next one is due (None unless searching).
    connected_since : float or None
        When the server created its channel (None unless connected).
    losses : int
        Times its channel or circuit was lost and the search began again.
    subscriptions : int
        Subscriptions sharing its channel.
    """

    name: str
    priority: int
    state: str
    server: Address | None
    searches: int
    search_started: float | None
    last_search: float | None
    next_search: float | None
    connected_since: float | None
    losses: int
    subscriptions: int

    @property
    def retries(self) -> int:
        """Search requests beyond the first, in its current (or last) search."""
        return max(self.searches - 1, 0)


@dataclass(frozen=True, slots=True)
class CircuitDiagnostics:
    """One open TCP circuit: a (server, priority) pair.

    Attributes
    ----------
    address : (host, port)
    priority : int
    channels : int
        PVs using the circuit (created, or waiting for the server to create them).
    connected_since : float
        When the TCP connection was made.
    last_heard : float or None
        When the server last sent anything.
    """

    address: Address
    priority: int
    channels: int
    connected_since: float
    last_heard: float | None


@dataclass(frozen=True, slots=True)
class DuplicateServer:
    """A PV answered by a second server after the first one's answer was taken.

    Attributes
    ----------
    name : str
    first : (host, port)
        The server whose answer was used.
    other : (host, port)
        The server that answered too (ignored).
    when : float
        When the second answer arrived.
    """

    name: str
    first: Address
    other: Address
    when: float

    def describe(self) -> str:
        """``PV 'X' answered by A and B`` in words, for a log or a status line."""
        first, other = (f"{host}:{port}" for host, port in (self.first, self.other))
        return f"PV {self.name!r} answered by {first} and {other}; using {first}"


@dataclass(frozen=True, slots=True)
class NameServerDiagnostics:
    """One name server of ``EPICS_CA_NAME_SERVERS`` and whether its circuit is up."""

    address: Address
    connected: bool


@dataclass(frozen=True, slots=True)
class BlockerDiagnostics:
    """A snapshot of a blocker's configuration, searches and circuits.

    Attributes
    ----------
    taken_at : float
        When the snapshot was taken.
    running : bool
        Whether the blocker's ``run()`` was going on.
    config : CAConfig or None
        The configuration in effect (None before ``run()`` unless one was given).
    destinations : tuple of (host, port)
        Where UDP searches go, as computed from ``config``.
    name_servers : tuple of NameServerDiagnostics
    pvs : tuple of PVDiagnostics
        Sorted by name, then priority.
    circuits : tuple of CircuitDiagnostics
        Sorted by address, then priority.
    duplicates : tuple of DuplicateServer
        The most recent ones, oldest first (a bounded record).
    duplicate_count : int
        Every duplicate seen, including those no longer in ``duplicates``.
    datagrams_sent : int
        Search datagrams sent (each to every destination).
    """

    taken_at: float
    running: bool
    config: CAConfig | None
    destinations: tuple[Address, ...] = ()
    name_servers: tuple[NameServerDiagnostics, ...] = ()
    pvs: tuple[PVDiagnostics, ...] = ()
    circuits: tuple[CircuitDiagnostics, ...] = ()
    duplicates: tuple[DuplicateServer, ...] = ()
    duplicate_count: int = 0
    datagrams_sent: int = 0

    def pv(self, name: str, priority: int | None = None) -> PVDiagnostics | None:
        """The entry of ``name`` (at ``priority``, or the first of any), or None."""
        for entry in self.pvs:
            if entry.name == name and (priority is None or entry.priority == priority):
                return entry
        return None

    @property
    def searching(self) -> tuple[PVDiagnostics, ...]:
        """The PVs still searched for."""
        return tuple(entry for entry in self.pvs if entry.state == SEARCHING)


def snapshot(
    *,
    running: bool,
    config: CAConfig | None,
    searcher: Searcher | None,
    pvs: Iterable[PVState],
    circuits: Iterable[tuple[tuple[tuple[str, int], int], Connection]],
    opened: Mapping[Connection, float],
    last_heard: Mapping[Connection, float],
    duplicates: Iterable[Duplicate],
    duplicate_count: int,
) -> BlockerDiagnostics:
    """Build a :class:`BlockerDiagnostics` from a blocker's state (copied by the caller).

    Parameters
    ----------
    running : bool
    config : CAConfig or None
    searcher : Searcher or None
        The blocker's searcher while it runs.
    pvs : iterable of PVState
        Its PVs; each field is read once (a field may be an event newer than another).
    circuits : iterable of ((address, priority), Connection)
    opened : mapping of Connection to float
        The connected circuits, with the ``time.monotonic()`` of their connect.
    last_heard : mapping of Connection to float
        When each circuit last received anything (monotonic).
    duplicates : iterable of Duplicate
    duplicate_count : int
    """
    now, wall = time.monotonic(), time.time()

    def clock(t: float | None) -> float | None:
        return None if t is None else wall - (now - t)

    channels: dict[Connection, int] = {}
    entries = []
    for pv in pvs:
        conn, channel = pv.conn, pv.channel
        if channel is None or conn is None:
            state, server = SEARCHING, None
        else:
            state = CONNECTED if channel.sid is not None else CONNECTING
            server = conn.circuit.address
            channels[conn] = channels.get(conn, 0) + 1
        entries.append(
            PVDiagnostics(
                name=pv.name,
                priority=pv.priority,
                state=state,
                server=server,
                searches=pv.searches,
                search_started=clock(pv.search_started),
                last_search=clock(pv.last_search),
                next_search=clock(pv.next_search) if state == SEARCHING else None,
                connected_since=clock(pv.connected_at) if state == CONNECTED else None,
                losses=pv.losses,
                subscriptions=len(pv.subs),
            )
        )
    entries.sort(key=lambda entry: (entry.name, entry.priority))
    circuit_entries = sorted(
        (
            CircuitDiagnostics(
                address=address,
                priority=priority,
                channels=channels.get(conn, 0),
                connected_since=wall - (now - opened.get(conn, now)),
                last_heard=clock(last_heard.get(conn)),
            )
            for (address, priority), conn in circuits
            if conn in opened  # not while its TCP connect is under way
        ),
        key=lambda circuit: (circuit.address, circuit.priority),
    )
    return BlockerDiagnostics(
        taken_at=wall,
        running=running,
        config=config,
        destinations=tuple(searcher.destinations) if searcher is not None else (),
        name_servers=tuple(
            NameServerDiagnostics(server.address, server.connected)
            for server in (searcher.name_servers if searcher is not None else ())
        ),
        pvs=tuple(entries),
        circuits=tuple(circuit_entries),
        duplicates=tuple(DuplicateServer(*duplicate) for duplicate in duplicates),
        duplicate_count=duplicate_count,
        datagrams_sent=searcher.datagrams_sent if searcher is not None else 0,
    )
