"""Is a demo IOC answering?  CA searches, a CA read and PVA searches, aimed at one address.

Each probe talks to the address it is given and nowhere else, with catui's own
protocol code, so the launcher needs no EPICS library and reads no ``EPICS_*``
variable.  Each returns what the server said (the TCP port its replies name), so
that the caller can tell a server that fell back to another port than the one
it was given: RSRV and pvxs both do that, with only a warning, when a port is taken.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

from protocol.commands import DO_REPLY, SearchRequest, SearchResponse, VersionRequest
from protocol.decoder import read_datagram
from protocol.errors import CAError
from protocol.pva.decoder import decode_datagram
from protocol.pva.errors import PVAError
from protocol.pva.messages import SearchRequest as PvaSearchRequest
from protocol.pva.messages import SearchResponse as PvaSearchResponse

__all__ = ["ProbeFailed", "ca_read", "ca_search", "pva_search"]

_CA_SEARCH_CID = 1
# How long one datagram is waited for before the search is sent again.
_RESEND = 0.2
# Big enough for a demo array, small enough not to matter.
_MAX_ARRAY_BYTES = 1 << 20


class ProbeFailed(RuntimeError):
    """A server did not answer a probe before its deadline; the message says which."""


def _udp_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Bound to loopback when the server is there, so that nothing goes elsewhere.
    sock.bind((host if host.startswith("127.") else "", 0))
    return sock


def _exchange(
    sock: socket.socket,
    request: bytes,
    address: tuple[str, int],
    deadline: float,
    handle: Callable[[bytes], bool],
    alive: Callable[[], bool],
) -> bool:
    """Send ``request`` every :data:`_RESEND` s until ``handle(reply)``; False at the deadline."""
    while alive() and time.monotonic() < deadline:
        sock.sendto(request, address)
        resend = min(time.monotonic() + _RESEND, deadline)
        while (remaining := resend - time.monotonic()) > 0:
            sock.settimeout(remaining)
            try:
                data, _ = sock.recvfrom(65536)
            except OSError:  # timeout (or an ICMP refusal): send again
                break
            if handle(data):
                return True
    return False


def ca_search(
    host: str, port: int, name: str, deadline: float, alive: Callable[[], bool] = lambda: True
) -> int:
    """Search ``host:port`` for ``name`` over CA until answered; return the TCP port replied.

    Raises
    ------
    ProbeFailed
        No answer before ``deadline`` (``time.monotonic()``), or ``alive()`` turned false.
    """
    request = bytes(VersionRequest(0, sequence_id=0)) + bytes(
        SearchRequest(name, _CA_SEARCH_CID, reply=DO_REPLY)
    )
    replied: list[int] = []

    def handle(data: bytes) -> bool:
        try:
            messages = read_datagram(data, (host, port))
        except CAError:  # not a CA reply; keep waiting for one
            return False
        for msg in messages:
            if isinstance(msg, SearchResponse) and msg.cid == _CA_SEARCH_CID:
                replied.append(msg.port)
                return True
        return False

    with _udp_socket(host) as sock:
        if _exchange(sock, request, (host, port), deadline, handle, alive):
            return replied[0]
    raise ProbeFailed(f"no answer to a CA search for {name!r} at {host}:{port}")


def ca_read(host: str, port: int, name: str, timeout: float) -> Any:
    """Read ``name`` over CA from the server at ``host:port`` (no search); return the reply.

    Raises
    ------
    ProbeFailed
        The server could not be reached, refused the channel or did not answer
        within ``timeout``; the message names the PV and the reason.
    """
    from protocol.sync.connection import Connection
    from protocol.sync.operations import close_channel, create, read_channel

    deadline = time.monotonic() + timeout
    where = f"CA read of {name!r} at {host}:{port}"
    try:
        conn = Connection((host, port), 0, _MAX_ARRAY_BYTES, timeout)
    except CAError as exc:
        raise ProbeFailed(f"{where} failed: {exc}") from None
    channel = conn.circuit.new_channel(name)
    try:
        failure = create(conn, [channel], deadline).get(channel.cid)
        if failure is not None:
            raise failure
        return read_channel(conn, channel, deadline, None, None, True, False)
    except CAError as exc:
        raise ProbeFailed(f"{where} failed: {exc}") from None
    finally:
        close_channel(conn, channel)


def pva_search(
    host: str,
    broadcast_port: int,
    names: Sequence[str],
    deadline: float,
    alive: Callable[[], bool] = lambda: True,
) -> dict[str, int]:
    """Search ``host:broadcast_port`` for ``names`` over PVA until every one is found.

    Returns
    -------
    dict
        The TCP port of the server that claimed each name.

    Raises
    ------
    ProbeFailed
        Some names were still unclaimed at ``deadline``, or ``alive()`` turned false.
    """
    cids = {cid: name for cid, name in enumerate(names, start=1)}
    found: dict[str, int] = {}
    sequence = int.from_bytes(os.urandom(4), "big")

    def handle(data: bytes) -> bool:
        try:
            messages = decode_datagram(data)
        except PVAError:  # not a pvAccess reply; keep waiting for one
            return False
        for msg in messages:
            if isinstance(msg, PvaSearchResponse) and msg.sequence == sequence and msg.found:
                for cid in msg.cids:
                    if cid in cids:
                        found.setdefault(cids[cid], msg.server_port)
        return len(found) == len(cids)

    with _udp_socket(host) as sock:
        request = bytes(
            PvaSearchRequest(
                sequence, cids.items(), reply_port=sock.getsockname()[1], unicast=True
            )
        )
        if _exchange(sock, request, (host, broadcast_port), deadline, handle, alive):
            return found
    missing = [name for name in names if name not in found]
    raise ProbeFailed(
        f"no answer to a PVA search at {host}:{broadcast_port} for {len(missing)} of "
        f"{len(names)} names, e.g. {missing[0]!r}"
    )
