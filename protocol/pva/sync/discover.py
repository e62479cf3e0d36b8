"""Discovery: one name-less, must-reply SEARCH to every destination; who answers is there."""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import time
from collections.abc import Sequence

from ...sync.lazylog import get_logger
from ..decoder import decode_datagram
from ..errors import PVAError, PVAValueError
from ..listing import DiscoveredServer, discovery_ping, server_from_reply
from ..messages import SearchResponse
from ..nameserver import NameServerPing
from .config import Address, PVAConfig, is_unicast, load_config, search_destinations

__all__ = ["discover_servers"]

log = get_logger(__name__)

#: Send the ping again after this share of the wait, in case a datagram was lost.
_RESEND_AT = 1 / 3


def discover_servers(
    config: PVAConfig | None = None,
    *,
    timeout: float = 1.0,
    destinations: Sequence[Address] | None = None,
    broadcast: Sequence[str] | None = None,
) -> list[DiscoveredServer]:
    """Ping every search destination and name server; collect who answers within ``timeout``.

    Parameters
    ----------
    config : PVAConfig, optional
        From the environment (:func:`~protocol.pva.sync.config.load_config`) when omitted.
    timeout : float
        Seconds to wait for replies; there is no way to know that all have come, so
        the wait is always this long.
    destinations : sequence of (host, port), optional
        Where to send the UDP ping instead of :func:`search_destinations`. The name
        servers (``config.name_servers``, EPICS_PVA_NAME_SERVERS) get it over TCP.
    broadcast : sequence of str, optional
        The local broadcast addresses (found without sending anything when omitted).

    Returns
    -------
    list of DiscoveredServer
        One per server GUID (the first reply wins), sorted by address.

    Raises
    ------
    PVAValueError
        A timeout that is not positive, or no destination at all.
    OSError
        The UDP socket cannot be made (sending to one destination may fail: logged).
    """
    if not timeout > 0:
        raise PVAValueError(f"timeout must be positive, not {timeout!r}")
    config = load_config() if config is None else config
    if destinations is None:
        if config.auto_addr_list and broadcast is None:
            from ...sync.interfaces import broadcast_addresses

            broadcast = broadcast_addresses()
        destinations = search_destinations(config, broadcast=broadcast or ())
    name_servers = list(config.name_servers)
    if not destinations and not name_servers:
        raise PVAValueError(
            "nowhere to search: EPICS_PVA_ADDR_LIST is empty, EPICS_PVA_AUTO_ADDR_LIST is NO "
            "and EPICS_PVA_NAME_SERVERS is empty"
        )
    found: dict[str, DiscoveredServer] = {}
    sequence = int.from_bytes(os.urandom(4), "big")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.bind(("0.0.0.0", 0))
        if any(not is_unicast(host, broadcast or ()) for host, _ in destinations):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        reply_port = sock.getsockname()[1]
        start = time.monotonic()
        deadline = start + timeout
        _send_pings(sock, destinations, sequence, reply_port, broadcast or ())
        resend: float | None = start + timeout * _RESEND_AT if destinations else None
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ, None)
            pings = [_connect(address, sequence, selector) for address in name_servers]
            try:
                while True:
                    now = time.monotonic()
                    if now >= deadline:
                        break
                    if resend is not None and now >= resend:
                        _send_pings(sock, destinations, sequence, reply_port, broadcast or ())
                        resend = None
                    wake = deadline if resend is None else min(deadline, resend)
                    for key, events in selector.select(max(wake - now, 0.0)):
                        if key.data is None:
                            _read_replies(sock, sequence, found)
                        else:
                            _service(key.data, events, selector, found)
            finally:
                for ping in pings:
                    ping.close(selector)
    return sorted(found.values(), key=lambda server: (server.host, server.port, server.guid))


class _TcpPing:
    """A name server's connection and its :class:`NameServerPing`."""

    def __init__(self, sock: socket.socket | None, ping: NameServerPing) -> None:
        self.sock = sock
        self.ping = ping
        self.connected = False
        self.pending = b""

    def close(self, selector: selectors.BaseSelector) -> None:
        if self.sock is not None:
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(self.sock)
            self.sock.close()
            self.sock = None


def _connect(address: Address, sequence: int, selector: selectors.BaseSelector) -> _TcpPing:
    ping = NameServerPing(address, sequence)
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except OSError as exc:
        log.warning("name server %s:%d: %s", *address, exc)
        return _TcpPing(None, ping)
    sock.setblocking(False)
    code = sock.connect_ex(address)
    job = _TcpPing(sock, ping)
    if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
        log.warning("name server %s:%d: %s", *address, os.strerror(code))
        job.close(selector)
        return job
    selector.register(sock, selectors.EVENT_WRITE, job)
    return job


def _service(
    job: _TcpPing,
    events: int,
    selector: selectors.BaseSelector,
    found: dict[str, DiscoveredServer],
) -> None:
    sock = job.sock
    assert sock is not None
    try:
        if not job.connected:
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, os.strerror(code))
            job.connected = True
        elif events & selectors.EVENT_READ:
            data = sock.recv(65536)
            for server in job.ping.receive_data(data):
                found.setdefault(server.guid, server)
        job.pending += job.ping.data_to_send()
        if job.pending:
            job.pending = job.pending[sock.send(job.pending) :]
    except (BlockingIOError, InterruptedError):
        pass
    except (OSError, PVAError) as exc:
        # A name server that fails is one source less, as for pvxs: logged, not raised.
        log.warning("name server %s:%d: %s", *job.ping.address, exc)
        job.close(selector)
        return
    want = selectors.EVENT_READ | (selectors.EVENT_WRITE if job.pending else 0)
    selector.modify(sock, want, job)


def _send_pings(
    sock: socket.socket,
    destinations: Sequence[Address],
    sequence: int,
    reply_port: int,
    broadcast: Sequence[str],
) -> None:
    for host, port in destinations:
        ping = discovery_ping(sequence, reply_port=reply_port, unicast=is_unicast(host, broadcast))
        try:
            sock.sendto(bytes(ping), (host, port))
        except OSError as exc:
            log.warning("discovery ping to %s:%d failed: %s", host, port, exc)


def _read_replies(sock: socket.socket, sequence: int, found: dict[str, DiscoveredServer]) -> None:
    while True:
        try:
            data, source = sock.recvfrom(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # e.g. ICMP port unreachable from a previous send
            log.debug("discovery: %s", exc)
            continue
        try:
            messages = decode_datagram(data)
        except PVAError as exc:
            log.debug("discovery: ignoring a datagram from %s:%d: %s", *source, exc)
            continue
        for message in messages:
            if not isinstance(message, SearchResponse) or message.sequence != sequence:
                continue
            if message.protocol != "tcp":
                continue
            version = data[1]
            server = server_from_reply(message, source, version)
            found.setdefault(server.guid, server)
