"""Name search over UDP: batched SEARCH datagrams, replies matched by cid."""

from __future__ import annotations

import os
import select
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable

from ..commands import SearchRequest, SearchResponse, VersionRequest
from ..commands.base import SERVER
from ..decoder import read_datagram
from ..errors import RemoteProtocolError
from .cancel import Cancellation
from .lazylog import get_logger
from .name_servers import NameServerSearch

__all__ = ["MAX_DUPLICATES", "Duplicate", "SearchResult", "Searcher"]

logger = get_logger("protocol.sync.search")

# libca's UDP send buffer: searches are packed into datagrams of at most this.
MAX_DATAGRAM = 1024
_FIRST_RETRY = 0.05
_MAX_RETRY = 1.0
_VERSION = bytes(VersionRequest(0, 13))
#: Duplicates kept in ``Searcher.duplicates``: a long-lived watcher sees them again
#: after every reconnect, so the record is bounded.
MAX_DUPLICATES = 100

SearchResult = tuple[str, tuple[str, int]]
#: (name, the server used, the other server, time.time() of the second answer)
Duplicate = tuple[str, tuple[str, int], tuple[str, int], float]


class Searcher:
    """One UDP socket that searches for names and collects the answers.

    Parameters
    ----------
    destinations : list of (host, port)
        Where searches go (the address list, computed by the caller).
    name_servers : iterable of (host, port)
        Name servers searched over TCP as well.
    connect_timeout : float
        Seconds allowed for connecting to each name server.
    on_duplicate : callable, optional
        ``on_duplicate(duplicate)`` with each :data:`Duplicate` as it is found.
    cancel : Cancellation, optional
        Cancelling it ends :meth:`resolve` at once
        (:class:`~protocol.sync.cancel.CancelledBeforeSendingError`) and sends no
        more searches.

    Notes
    -----
    cids are per searcher; a name searched again keeps its cid, so a late
    reply to an earlier datagram still counts. The first reply for a name
    wins; a different server answering later is logged as a duplicate and
    kept in ``duplicates`` (the last :data:`MAX_DUPLICATES`; ``duplicate_count``
    counts them all).
    """

    def __init__(
        self,
        destinations: list[tuple[str, int]],
        name_servers: Iterable[tuple[str, int]] = (),
        connect_timeout: float = 1.0,
        on_duplicate: Callable[[Duplicate], None] | None = None,
        cancel: Cancellation | None = None,
    ) -> None:
        self.destinations = list(destinations)
        self._cancel = cancel
        if cancel is not None:
            cancel.check("searching")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if cancel is not None:
            # Cancelling shuts it down, which wakes the select() of resolve().
            cancel.register(self.sock, "searching")
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.bind(("", 0))
        self.sock.setblocking(False)
        # Random start, like caproto: a late reply to another process's search
        # on a reused port is unlikely to match one of ours.
        self._next_cid = int.from_bytes(os.urandom(2), "big")
        self._cids: dict[int, str] = {}
        self._by_name: dict[str, int] = {}
        self.found: dict[str, tuple[str, int]] = {}
        self.duplicates: deque[Duplicate] = deque(maxlen=MAX_DUPLICATES)
        self.duplicate_count = 0
        self.on_duplicate = on_duplicate
        self.datagrams_sent = 0
        self.name_servers = [NameServerSearch(a, connect_timeout) for a in name_servers]

    def close(self) -> None:
        if self._cancel is not None:
            self._cancel.unregister(self.sock)
        self.sock.close()
        for server in self.name_servers:
            server.close()

    def sockets(self) -> list[socket.socket]:
        """Every socket replies may arrive on (UDP and name-server circuits)."""
        return [self.sock, *(s.sock for s in self.name_servers if s.sock is not None)]

    def fileno(self) -> int:
        return self.sock.fileno()

    def cid_for(self, name: str) -> int:
        cid = self._by_name.get(name)
        if cid is None:
            cid = self._next_cid
            self._next_cid = (self._next_cid + 1) & 0xFFFFFFFF
            self._cids[cid] = name
            self._by_name[name] = cid
        return cid

    def forget(self, name: str) -> None:
        """Stop matching replies for ``name`` (and allow a fresh search later)."""
        self.found.pop(name, None)

    def datagrams(self, names: Iterable[str]) -> list[bytes]:
        """VERSION + as many SEARCH messages as fit, per datagram."""
        out: list[bytes] = []
        current = bytearray(_VERSION)
        for name in names:
            request = bytes(SearchRequest(name, self.cid_for(name), 13))
            if len(current) + len(request) > MAX_DATAGRAM and len(current) > len(_VERSION):
                out.append(bytes(current))
                current = bytearray(_VERSION)
            current += request
        if len(current) > len(_VERSION):
            out.append(bytes(current))
        return out

    def send(self, names: Iterable[str]) -> None:
        """Send one search round for ``names`` to every destination."""
        if self._cancel is not None:
            self._cancel.check("searching")
        names = list(names)
        for server in self.name_servers:
            server.send((name, self.cid_for(name)) for name in names)
        for datagram in self.datagrams(names):
            for destination in self.destinations:
                try:
                    self.sock.sendto(datagram, destination)
                except OSError as exc:
                    # An unreachable destination must not stop the others.
                    logger.warning("search to %s:%s failed: %s", *destination, exc)
            self.datagrams_sent += 1

    def resolve(
        self,
        names: Iterable[str],
        deadline: float,
        on_found: Callable[[str, tuple[str, int]], None] | None = None,
    ) -> dict[str, tuple[str, int]]:
        """Search for every name at once until all are found or ``deadline`` passes.

        Retries go out after 0.05 s, doubling to 1 s: a name that a server has
        not answered yet is asked for again, the ones found are not.
        ``on_found(name, server)`` is called as each answer arrives, so a
        caller can connect while the search for the others goes on.

        Returns
        -------
        dict
            name -> (host, port) for the names found (possibly not all).

        Raises
        ------
        CancelledBeforeSendingError
            The searcher's cancellation was cancelled.
        """
        wanted = dict.fromkeys(names)
        found: dict[str, tuple[str, int]] = {}
        interval = _FIRST_RETRY
        while True:
            self.send([name for name in wanted if name not in found])
            retry_at = min(time.monotonic() + interval, deadline)
            interval = min(interval * 2, _MAX_RETRY)
            while True:
                remaining = retry_at - time.monotonic()
                if remaining > 0:
                    select.select(self.sockets(), [], [], remaining)
                if self._cancel is not None:
                    self._cancel.check("searching")
                for name, server in self.receive():
                    if name in wanted:
                        found[name] = server
                        if on_found is not None:
                            on_found(name, server)
                if len(found) == len(wanted):
                    return found
                if time.monotonic() >= retry_at:
                    break
            if time.monotonic() >= deadline:
                return found

    def describe(self) -> str:
        """Where the searches went, for error messages."""
        where = ", ".join(f"{h}:{p}" for h, p in self.destinations)
        servers = ", ".join("{}:{}".format(*server.address) for server in self.name_servers)
        if servers:
            return f"{where or 'no UDP addresses'} and name servers {servers}"
        return where or "no addresses"

    def receive(self) -> list[SearchResult]:
        """Drain pending replies; return the newly found (name, (host, port))."""
        results: list[SearchResult] = []
        for server in self.name_servers:
            for name, address in server.receive():
                found = self._record(name, address)
                if found is not None:
                    results.append(found)
        while True:
            try:
                data, address = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return results
            except OSError as exc:
                # ICMP port unreachable from a destination shows up here on Linux.
                logger.debug("search socket: %s", exc)
                continue
            try:
                messages = read_datagram(data, address, SERVER)
            except RemoteProtocolError as exc:
                logger.warning("ignoring malformed search reply from %s:%s: %s", *address, exc)
                continue
            for message in messages:
                if isinstance(message, SearchResponse):
                    found = self._match(message, address)
                    if found is not None:
                        results.append(found)

    def _match(self, reply: SearchResponse, source: tuple[str, int]) -> SearchResult | None:
        name = self._cids.get(reply.cid)
        if name is None:
            return None
        host = source[0] if reply.ip in ("255.255.255.255", "0.0.0.0") else reply.ip
        return self._record(name, (host, reply.port))

    def _record(self, name: str, server: tuple[str, int]) -> SearchResult | None:
        """The first answer for a name wins; a different later one is a duplicate."""
        known = self.found.get(name)
        if known is not None:
            if known != server:
                duplicate = (name, known, server, time.time())
                self.duplicates.append(duplicate)
                self.duplicate_count += 1
                if self.on_duplicate is not None:
                    self.on_duplicate(duplicate)
                logger.warning(
                    "PV %r is served by both %s:%s and %s:%s; using the first",
                    name, *known, *server,
                )  # fmt: skip
            return None
        self.found[name] = server
        return name, server
