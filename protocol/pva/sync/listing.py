"""Server listings over TCP: many servers at once, each step bounded by a timeout.

Every server gets its own connection and :class:`~protocol.pva.conversation.RPCConversation`;
one selector drives them all, so listing N servers takes about as long as the
slowest one, not their sum. No threads.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import os
import selectors
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from ..conversation import ConversationState, RPCConversation
from ..errors import (
    PVAConnectionError,
    PVAError,
    PVARemoteError,
    PVATimeoutError,
    PVAValueError,
)
from ..listing import (
    SERVER_PV,
    DiscoveredServer,
    ServerInfo,
    channels_argument,
    info_argument,
    parse_channels,
    parse_server_info,
)
from ..types import FieldDesc
from .config import Address, PVAConfig, load_config, parse_server
from .discover import discover_servers

__all__ = [
    "ServerListing",
    "all_names",
    "browse",
    "list_channels",
    "list_servers",
    "run_rpcs",
    "server_info",
]

_RECEIVE = 1 << 16

Result = tuple[FieldDesc | None, Any]


class ServerListing(NamedTuple):
    """The PVs of one server, or why they could not be had.

    Attributes
    ----------
    server : str
        ``host:port``.
    names : tuple of str
        Sorted, without duplicates; empty on failure.
    error : Exception or None
        What went wrong; its message names the server.
    guid : str or None
        From discovery, when the server was discovered.
    """

    server: str
    names: tuple[str, ...] = ()
    error: Exception | None = None
    guid: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _identity() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment: send none
        user = ""
    return user, socket.gethostname()


class _Job:
    """One connection and its conversation, with the deadline that bounds it."""

    def __init__(self, address: Address, conversation: RPCConversation, deadline: float) -> None:
        self.address = address
        self.conversation = conversation
        self.deadline = deadline
        self.sock: socket.socket | None = None
        self.connected = False
        self.pending = b""
        self.outcome: Result | Exception | None = None

    @property
    def name(self) -> str:
        return f"{self.address[0]}:{self.address[1]}"

    def fail(self, exc: Exception) -> None:
        if self.outcome is None:
            self.outcome = exc

    def finish_if_done(self) -> bool:
        conv = self.conversation
        if conv.state is ConversationState.DONE and conv.result is not None:
            self.outcome = conv.result
        return self.outcome is not None


def _named(job: _Job, exc: Exception) -> Exception:
    """``exc`` again, its message led by the server's address."""
    text = f"{job.name}: {exc}"
    if isinstance(exc, PVARemoteError):
        return PVARemoteError(text, exc.status)
    if isinstance(exc, PVAError):
        return type(exc)(text)
    if isinstance(exc, ConnectionRefusedError):
        return PVAConnectionError(f"{job.name}: connection refused (no PVA server on that port)")
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return PVAConnectionError(f"{job.name}: {reason}")
    return exc


def run_rpcs(
    requests: Sequence[tuple[Address, RPCConversation]], timeout: float
) -> list[Result | Exception]:
    """Run each conversation against its server, all at once; each within ``timeout``.

    Parameters
    ----------
    requests : sequence of ((host, port), RPCConversation)
    timeout : float
        Seconds for each server, from connecting to the RPC's result.

    Returns
    -------
    list
        In the order of ``requests``: the RPC's ``(type, value)``, or the
        exception (naming the server) that ended it.
    """
    if not timeout > 0:
        raise PVAValueError(f"timeout must be positive, not {timeout!r}")
    start = time.monotonic()
    jobs = [_Job(address, conv, start + timeout) for address, conv in requests]
    with selectors.DefaultSelector() as selector:
        for job in jobs:
            _connect(job, selector)
        try:
            _drive(jobs, selector, timeout)
        finally:
            for job in jobs:
                _close(job, selector)
    return [job.outcome if job.outcome is not None else _timeout(job, timeout) for job in jobs]


def _timeout(job: _Job, timeout: float) -> Exception:
    conv = job.conversation
    doing = conv.doing if job.connected else "connecting"
    return PVATimeoutError(f"{job.name}: no answer within {timeout:g} s ({doing})")


def _connect(job: _Job, selector: selectors.BaseSelector) -> None:
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except OSError as exc:
        job.fail(_named(job, exc))
        return
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    job.sock = sock
    code = sock.connect_ex(job.address)
    if code == errno.ECONNREFUSED:
        job.fail(_named(job, ConnectionRefusedError()))
        return
    if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
        job.fail(_named(job, OSError(code, f"cannot connect: {os.strerror(code)}")))
        return
    selector.register(sock, selectors.EVENT_WRITE, job)


def _close(job: _Job, selector: selectors.BaseSelector) -> None:
    if job.sock is None:
        return
    with contextlib.suppress(KeyError, ValueError):
        selector.unregister(job.sock)
    job.sock.close()
    job.sock = None


def _drive(jobs: list[_Job], selector: selectors.BaseSelector, timeout: float) -> None:
    while True:
        live = [job for job in jobs if job.outcome is None and job.sock is not None]
        if not live:
            return
        now = time.monotonic()
        for job in live:
            if now >= job.deadline:
                # The result is in: the channel's closing is a courtesy.
                if job.conversation.result is not None:
                    job.outcome = job.conversation.result
                else:
                    job.fail(_timeout(job, timeout))
                _close(job, selector)
        live = [job for job in live if job.outcome is None]
        if not live:
            return
        wait = max(min(job.deadline for job in live) - now, 0.0)
        for key, events in selector.select(wait):
            job = key.data
            try:
                _service(job, events, selector)
            except Exception as exc:  # a fault ends this server's listing, not the others'
                if job.conversation.result is not None and not isinstance(exc, PVARemoteError):
                    job.outcome = job.conversation.result
                else:
                    job.fail(_named(job, exc))
            if job.outcome is not None:
                _close(job, selector)


def _service(job: _Job, events: int, selector: selectors.BaseSelector) -> None:
    sock = job.sock
    assert sock is not None
    if not job.connected:
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            if code == errno.ECONNREFUSED:
                raise ConnectionRefusedError(code, "connection refused")
            raise OSError(code, f"cannot connect: {os.strerror(code)}")
        job.connected = True
        selector.modify(sock, selectors.EVENT_READ, job)
        return
    if events & selectors.EVENT_READ:
        try:
            data = sock.recv(_RECEIVE)
        except (BlockingIOError, InterruptedError):
            data = None
        if data is not None:
            if not data and job.conversation.result is not None:
                job.outcome = job.conversation.result  # closed after answering
                return
            job.conversation.receive_data(data)
            if job.finish_if_done():
                return
    job.pending += job.conversation.data_to_send()
    if job.pending:
        try:
            sent = sock.send(job.pending)
        except (BlockingIOError, InterruptedError):
            sent = 0
        job.pending = job.pending[sent:]
    want = selectors.EVENT_READ | (selectors.EVENT_WRITE if job.pending else 0)
    selector.modify(sock, want, job)


def _servers(servers: Iterable[str | Address | DiscoveredServer], port: int) -> list[Address]:
    out = []
    for server in servers:
        if isinstance(server, DiscoveredServer):
            out.append((server.host, server.port))
        elif isinstance(server, str):
            out.append(parse_server(server, port))
        else:
            out.append((str(server[0]), int(server[1])))
    return out


def _rpc_all(
    addresses: Sequence[Address],
    argument: Callable[[], tuple[FieldDesc, Any]],
    timeout: float,
) -> list[Result | Exception]:
    user, host = _identity()
    requests = [
        (address, RPCConversation(SERVER_PV, argument(), user=user, host=host))
        for address in addresses
    ]
    return run_rpcs(requests, timeout)


def list_servers(
    servers: Iterable[str | Address | DiscoveredServer],
    *,
    timeout: float = 5.0,
    config: PVAConfig | None = None,
) -> list[ServerListing]:
    """The PVs of every server given, asked all at once.

    Parameters
    ----------
    servers : iterable
        ``"host:port"`` strings (the port defaults to EPICS_PVA_SERVER_PORT),
        ``(host, port)`` pairs, or :class:`DiscoveredServer`.
    timeout : float
        Seconds for each server.
    config : PVAConfig, optional
        For the default port; from the environment when omitted.

    Returns
    -------
    list of ServerListing
        In the order given; a failed server has ``error`` set (never raised).

    Raises
    ------
    ValueError
        A server string that cannot be parsed or resolved.
    """
    given = list(servers)
    config = load_config() if config is None else config
    addresses = _servers(given, config.server_port)
    outcomes = _rpc_all(addresses, channels_argument, timeout)
    listings = []
    for server, address, outcome in zip(given, addresses, outcomes, strict=True):
        name = f"{address[0]}:{address[1]}"
        guid = server.guid if isinstance(server, DiscoveredServer) else None
        if isinstance(outcome, Exception):
            listings.append(ServerListing(name, (), outcome, guid))
            continue
        try:
            names = parse_channels(outcome)
        except PVAError as exc:
            listings.append(ServerListing(name, (), type(exc)(f"{name}: {exc}"), guid))
            continue
        listings.append(ServerListing(name, names, None, guid))
    return listings


def list_channels(server: str | Address, *, timeout: float = 5.0) -> tuple[str, ...]:
    """The PV names one server serves, sorted.

    Raises
    ------
    PVAError
        Its message names the server: refused, timed out, refused the
        ``server`` channel, or sent something malformed.
    """
    (listing,) = list_servers([server], timeout=timeout)
    if listing.error is not None:
        raise listing.error
    return listing.names


def server_info(server: str | Address, *, timeout: float = 5.0) -> ServerInfo:
    """What a server says about itself (``op=info``): implementation and version."""
    address = _servers([server], load_config().server_port)
    (outcome,) = _rpc_all(address, info_argument, timeout)
    if isinstance(outcome, Exception):
        raise outcome
    return parse_server_info(outcome)


def all_names(listings: Iterable[ServerListing]) -> tuple[str, ...]:
    """Every PV name of the listings, sorted, once each: what name completion offers."""
    return tuple(sorted({name for listing in listings for name in listing.names}))


def browse(
    config: PVAConfig | None = None,
    *,
    discovery_timeout: float = 1.0,
    timeout: float = 5.0,
) -> list[ServerListing]:
    """Discover every server on the search list, then list each one's PVs.

    What the console's server browser and its name completion call (in a
    worker thread: it blocks for ``discovery_timeout`` plus at most ``timeout``).
    """
    config = load_config() if config is None else config
    servers = discover_servers(config, timeout=discovery_timeout)
    return list_servers(servers, timeout=timeout, config=config)
