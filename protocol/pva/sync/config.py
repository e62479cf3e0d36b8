"""pvAccess client settings from the EPICS_PVA_* environment, read as pvxs reads them."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ...sync.lazylog import get_logger
from ..wire import parse_ipv4

__all__ = [
    "DEFAULT_BROADCAST_PORT",
    "DEFAULT_SERVER_PORT",
    "PVAConfig",
    "is_unicast",
    "load_config",
    "parse_address_list",
    "parse_server",
    "search_destinations",
]

log = get_logger(__name__)

DEFAULT_SERVER_PORT = 5075
DEFAULT_BROADCAST_PORT = 5076

Address = tuple[str, int]


class PVAConfig(NamedTuple):
    """The client settings a listing needs, with pvxs's defaults.

    Attributes
    ----------
    addr_list : tuple of (host, port)
        EPICS_PVA_ADDR_LIST, resolved; bare hosts get ``broadcast_port``.
    auto_addr_list : bool
        EPICS_PVA_AUTO_ADDR_LIST (default YES): also search the broadcast
        address of every local interface.
    broadcast_port : int
        EPICS_PVA_BROADCAST_PORT: where searches go.
    server_port : int
        EPICS_PVA_SERVER_PORT (else EPICS_PVAS_SERVER_PORT): the TCP port of a
        server given without one, and of name servers.
    name_servers : tuple of (host, port)
        EPICS_PVA_NAME_SERVERS, searched over TCP.
    """

    addr_list: tuple[Address, ...] = ()
    auto_addr_list: bool = True
    broadcast_port: int = DEFAULT_BROADCAST_PORT
    server_port: int = DEFAULT_SERVER_PORT
    name_servers: tuple[Address, ...] = ()


def _get(env: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    for name in names:
        value = env.get(name)
        if value is not None:
            return name, value
    return None


def _port(env: Mapping[str, str], default: int, *names: str) -> int:
    found = _get(env, *names)
    if found is None:
        return default
    name, text = found
    try:
        port = int(text.strip())
    except ValueError:
        port = -1
    if not 0 < port <= 0xFFFF:
        log.warning("%s=%r is not a port 1..65535; using %d", name, text, default)
        return default
    return port


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = env.get(name)
    if text is None:
        return default
    lowered = text.strip().lower()
    if lowered in ("yes", "1"):
        return True
    if lowered in ("no", "0"):
        return False
    log.warning("%s=%r is not YES or NO; using %s", name, text, "YES" if default else "NO")
    return default


def load_config(env: Mapping[str, str] | None = None) -> PVAConfig:
    """Read the client settings from ``env`` (``os.environ`` by default).

    As in pvxs, a bad value is logged and the default kept; a bad address-list
    entry is logged and skipped.
    """
    env = os.environ if env is None else env
    broadcast_port = _port(env, DEFAULT_BROADCAST_PORT, "EPICS_PVA_BROADCAST_PORT")
    server_port = _port(
        env, DEFAULT_SERVER_PORT, "EPICS_PVA_SERVER_PORT", "EPICS_PVAS_SERVER_PORT"
    )
    addr_list = parse_address_list(
        env.get("EPICS_PVA_ADDR_LIST", ""), broadcast_port, what="EPICS_PVA_ADDR_LIST"
    )
    name_servers = parse_address_list(
        env.get("EPICS_PVA_NAME_SERVERS", ""), server_port, what="EPICS_PVA_NAME_SERVERS"
    )
    return PVAConfig(
        addr_list=tuple(dict.fromkeys(addr_list)),
        auto_addr_list=_bool(env, "EPICS_PVA_AUTO_ADDR_LIST", True),
        broadcast_port=broadcast_port,
        server_port=server_port,
        name_servers=tuple(dict.fromkeys(name_servers)),
    )


def search_destinations(
    config: PVAConfig, *, broadcast: Sequence[str] | None = None
) -> list[Address]:
    """Where discovery pings go: the address list, then (if auto) interface broadcasts.

    Parameters
    ----------
    config : PVAConfig
    broadcast : sequence of str, optional
        The local broadcast addresses; found with
        :func:`protocol.sync.interfaces.broadcast_addresses` (nothing is sent)
        when omitted and ``config.auto_addr_list`` is true.

    Returns
    -------
    list of (host, port)
        Without duplicates, in pvxs's order.
    """
    destinations = list(config.addr_list)
    if config.auto_addr_list:
        if broadcast is None:
            from ...sync.interfaces import broadcast_addresses

            broadcast = broadcast_addresses()
        destinations.extend((host, config.broadcast_port) for host in broadcast)
    return list(dict.fromkeys(destinations))


def is_unicast(host: str, broadcast: Sequence[str] = ()) -> bool:
    """Whether ``host`` is one machine: not multicast, not 255.255.255.255, not a
    local interface's broadcast address (``broadcast``)."""
    first = int(host.split(".", 1)[0]) if host[:1].isdigit() else 0
    return not (224 <= first <= 239 or host == "255.255.255.255" or host in broadcast)


def parse_address_list(text: str, default_port: int, *, what: str) -> list[Address]:
    """Whitespace-separated ``host[:port]`` entries, resolved; a bad one is logged
    (naming ``what``, the variable) and skipped, as pvxs does."""
    out = []
    for entry in text.split():
        try:
            out.append(parse_server(entry, default_port))
        except ValueError as exc:
            log.warning("%s: ignoring %s", what, exc)
    return out


def parse_server(text: str, default_port: int) -> Address:
    """``host[:port]`` as ``(dotted quad, port)``.

    Raises
    ------
    ValueError
        A bad port or a host name that does not resolve (the message says which).
    """
    host, sep, port_text = text.strip().rpartition(":") if ":" in text else (text.strip(), "", "")
    port = default_port
    if sep:
        try:
            port = int(port_text)
        except ValueError:
            port = -1
        if not 0 < port <= 0xFFFF:
            raise ValueError(f"{text!r}: the port must be an integer 1..65535")
    if not host:
        raise ValueError(f"{text!r}: no host")
    if parse_ipv4(host) is None:
        import socket

        try:
            host = socket.gethostbyname(host)
        except (OSError, UnicodeError) as exc:
            raise ValueError(f"{text!r}: cannot resolve host name {host!r} ({exc})") from None
    return host, port
