"""Discovery: one name-less, must-reply SEARCH to every destination; who answers is there."""

from __future__ import annotations

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
    """Ping every search destination and collect the servers that answer within ``timeout``.

    Parameters
    ----------
    config : PVAConfig, optional
        From the environment (:func:`~protocol.pva.sync.config.load_config`) when omitted.
    timeout : float
        Seconds to wait for replies; there is no way to know that all have come, so
        the wait is always this long.
    destinations : sequence of (host, port), optional
        Where to send the ping instead of :func:`search_destinations`.
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
    if not destinations:
        raise PVAValueError(
            "nowhere to search: EPICS_PVA_ADDR_LIST is empty and EPICS_PVA_AUTO_ADDR_LIST is NO"
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
        resend: float | None = start + timeout * _RESEND_AT
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ)
            while True:
                now = time.monotonic()
                if now >= deadline:
                    break
                if resend is not None and now >= resend:
                    _send_pings(sock, destinations, sequence, reply_port, broadcast or ())
                    resend = None
                wake = deadline if resend is None else min(deadline, resend)
                if selector.select(max(wake - now, 0.0)):
                    _read_replies(sock, sequence, found)
    return sorted(found.values(), key=lambda server: (server.host, server.port, server.guid))


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
