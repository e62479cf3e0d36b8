"""Name search over TCP, to the name servers of EPICS_CA_NAME_SERVERS."""

from __future__ import annotations

import socket
from collections.abc import Iterable

from ..commands import (
    DO_REPLY,
    NotFoundResponse,
    SearchRequest,
    SearchResponse,
    VersionRequest,
)
from ..decoder import StreamDecoder
from ..errors import RemoteProtocolError
from .lazylog import get_logger

__all__ = ["NameServerSearch"]

logger = get_logger("protocol.sync.name_servers")


class NameServerSearch:
    """A TCP circuit to one name server, used only for SEARCH (minor version ≥ 12).

    Parameters
    ----------
    address : (host, port)
        The name server.
    timeout : float
        Seconds allowed for the connect.

    Notes
    -----
    A failed connect is logged and leaves the object inert (``sock`` is None):
    the other name servers and the UDP search go on.
    """

    def __init__(self, address: tuple[str, int], timeout: float) -> None:
        self.address = address
        self._decoder = StreamDecoder()
        self._cids: dict[int, str] = {}
        self.sock: socket.socket | None
        try:
            self.sock = socket.create_connection(address, timeout=max(timeout, 0.001))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.setblocking(False)
            self.sock.sendall(bytes(VersionRequest(0, 13)))
        except OSError as exc:
            logger.warning("name server %s:%s unreachable: %s", *address, exc)
            self.sock = None

    @property
    def connected(self) -> bool:
        """Whether the circuit to the name server is up (its connect worked)."""
        return self.sock is not None

    def send(self, names: Iterable[tuple[str, int]]) -> None:
        """Search for (name, cid) pairs; replies are expected for every name."""
        if self.sock is None:
            return
        data = b""
        for name, cid in names:
            self._cids[cid] = name
            data += bytes(SearchRequest(name, cid, 13, DO_REPLY))
        try:
            self.sock.sendall(data)
        except OSError as exc:
            logger.warning("name server %s:%s: %s", *self.address, exc)
            self.close()

    def receive(self) -> list[tuple[str, tuple[str, int]]]:
        """Drain what arrived; return the found (name, (host, port))."""
        if self.sock is None:
            return []
        found = []
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return []
        except OSError as exc:
            logger.warning("name server %s:%s: %s", *self.address, exc)
            self.close()
            return []
        if not data:
            self.close()
            return []
        try:
            messages = self._decoder.feed(data)
        except RemoteProtocolError as exc:
            logger.warning("name server %s:%s sent bad bytes: %s", *self.address, exc)
            self.close()
            return []
        for message in messages:
            if isinstance(message, SearchResponse) and message.cid in self._cids:
                # 255.255.255.255: the PV lives on the name server's own host.
                host = self.address[0] if message.ip == "255.255.255.255" else message.ip
                found.append((self._cids[message.cid], (host, message.port)))
            elif isinstance(message, NotFoundResponse):
                logger.debug("name server %s:%s: not found cid %s", *self.address, message.cid)
        return found

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
