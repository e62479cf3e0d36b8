"""Channel Access client configuration from the EPICS_CA_* environment, as libca reads it."""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from ..commands.base import parse_ipv4
from ..decoder import DEFAULT_MAX_ARRAY_BYTES as EPICS_MAX_ARRAY_BYTES
from .lazylog import get_logger

__all__ = [
    "DEFAULT_MAX_ARRAY_BYTES",
    "DEFAULT_REPEATER_PORT",
    "DEFAULT_SERVER_PORT",
    "MIN_MAX_ARRAY_BYTES",
    "CAConfig",
    "load_config",
    "parse_address_list",
    "search_destinations",
]

log = get_logger(__name__)

DEFAULT_SERVER_PORT = 5064
DEFAULT_REPEATER_PORT = 5065
#: Array limit when EPICS_CA_MAX_ARRAY_BYTES is unset. EPICS 7 defaults to
#: EPICS_CA_AUTO_ARRAY_BYTES=YES (no fixed limit, buffers grow on demand), so
#: 16384 would refuse arrays that every EPICS 7 client reads. No limit at all
#: would let one bad header make us allocate up to 4 GiB, so we bound it:
#: 64 MiB holds 8 M doubles, more than any waveform we expect to display.
DEFAULT_MAX_ARRAY_BYTES = 64 * 1024 * 1024
#: libca's MAX_TCP: a smaller EPICS_CA_MAX_ARRAY_BYTES is rounded up to it.
MIN_MAX_ARRAY_BYTES = EPICS_MAX_ARRAY_BYTES
# envGetInetPortConfigParam refuses ports <= IPPORT_USERRESERVED (5000).
_MIN_ENV_PORT = 5001
# udpiiu.cpp: maxSearchPeriodLowerLimit.
_MIN_SEARCH_PERIOD = 60.0
# libca falls back to the loopback address when auto discovery finds nothing.
_LOOPBACK = "127.0.0.1"

Resolver = Callable[[str], str]
Address = tuple[str, int]


class CAConfig(NamedTuple):
    """The EPICS_CA_* settings a client needs, with EPICS Base's defaults.

    Immutable and compared by value (a NamedTuple rather than a frozen dataclass:
    dataclasses imports inspect, ~5 ms of a command-line tool's start-up).

    Attributes
    ----------
    addr_list : tuple of (host, port)
        EPICS_CA_ADDR_LIST, resolved to dotted quads; bare hosts get ``server_port``.
    auto_addr_list : bool
        EPICS_CA_AUTO_ADDR_LIST: also search the broadcast address of every
        local interface (see :func:`search_destinations`).
    server_port : int
        EPICS_CA_SERVER_PORT: UDP search port and default TCP port.
    repeater_port : int
        EPICS_CA_REPEATER_PORT.
    max_array_bytes : int
        The largest array payload accepted (EPICS_CA_MAX_ARRAY_BYTES; see
        :data:`DEFAULT_MAX_ARRAY_BYTES` for the default).
    name_servers : tuple of (host, port)
        EPICS_CA_NAME_SERVERS, contacted over TCP.
    conn_tmo : float
        EPICS_CA_CONN_TMO, seconds.
    max_search_period : float
        EPICS_CA_MAX_SEARCH_PERIOD, seconds (at least 60, as in libca).
    """

    addr_list: tuple[Address, ...] = ()
    auto_addr_list: bool = True
    server_port: int = DEFAULT_SERVER_PORT
    repeater_port: int = DEFAULT_REPEATER_PORT
    max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES
    name_servers: tuple[Address, ...] = ()
    conn_tmo: float = 30.0
    max_search_period: float = 300.0


def load_config(
    env: Mapping[str, str] | None = None, *, resolve: Resolver | None = None
) -> CAConfig:
    """Read the CA client configuration from ``env``.

    Parameters
    ----------
    env : mapping, optional
        The environment; ``os.environ`` when omitted. A variable set to an
        empty string counts as unset, as in EPICS.
    resolve : callable, optional
        Host name to dotted quad; ``socket.gethostbyname`` when omitted. Only
        called for entries that are not dotted quads already.

    Returns
    -------
    CAConfig

    Notes
    -----
    Nothing here raises on bad input: as in EPICS, an invalid value is logged
    as a warning and the default is used, and an invalid address-list entry
    (bad port, unresolvable name) is logged and skipped.
    """
    env = os.environ if env is None else env
    server_port = _port(env, "EPICS_CA_SERVER_PORT", DEFAULT_SERVER_PORT)
    return CAConfig(
        addr_list=tuple(
            parse_address_list(
                _get(env, "EPICS_CA_ADDR_LIST") or "",
                server_port,
                what="EPICS_CA_ADDR_LIST",
                resolve=resolve,
            )
        ),
        auto_addr_list=_yes_no(env, "EPICS_CA_AUTO_ADDR_LIST", True),
        server_port=server_port,
        repeater_port=_port(env, "EPICS_CA_REPEATER_PORT", DEFAULT_REPEATER_PORT),
        max_array_bytes=_max_array_bytes(env),
        name_servers=tuple(
            _unique(
                parse_address_list(
                    _get(env, "EPICS_CA_NAME_SERVERS") or "",
                    server_port,
                    what="EPICS_CA_NAME_SERVERS",
                    resolve=resolve,
                )
            )
        ),
        conn_tmo=_seconds(env, "EPICS_CA_CONN_TMO", 30.0, minimum=0.0),
        max_search_period=_seconds(
            env, "EPICS_CA_MAX_SEARCH_PERIOD", 300.0, minimum=_MIN_SEARCH_PERIOD
        ),
    )


def search_destinations(
    config: CAConfig, *, broadcast: Sequence[str] | None = None
) -> list[Address]:
    """Where UDP searches go: interface broadcasts (if auto) then the address list.

    Parameters
    ----------
    config : CAConfig
    broadcast : sequence of str, optional
        The local broadcast addresses; discovered with
        :func:`protocol.sync.interfaces.broadcast_addresses` when omitted.
        Only consulted when ``config.auto_addr_list`` is true.

    Returns
    -------
    list of (host, port)
        Duplicates removed, first occurrence kept, in libca's order.

    Notes
    -----
    As libca: when auto discovery finds no interface, ``127.0.0.1`` is used
    instead; with ``auto_addr_list`` false and an empty address list there
    are no destinations at all (caproto falls back to broadcasting there,
    a known defect).
    """
    destinations: list[Address] = []
    if config.auto_addr_list:
        if broadcast is None:
            from .interfaces import broadcast_addresses

            broadcast = broadcast_addresses()
        found = list(broadcast) or [_LOOPBACK]
        destinations.extend((host, config.server_port) for host in found)
    destinations.extend(config.addr_list)
    return _unique(destinations)


def parse_address_list(
    text: str, default_port: int, *, what: str = "address list", resolve: Resolver | None = None
) -> list[Address]:
    """Parse whitespace-separated ``host`` / ``host:port`` entries.

    Parameters
    ----------
    text : str
        The list, e.g. ``"10.0.0.255 ioc1:5070"``.
    default_port : int
        Port for entries without one.
    what : str
        Names the list in warnings (normally the variable name).
    resolve : callable, optional
        Host name to dotted quad; ``socket.gethostbyname`` when omitted.

    Returns
    -------
    list of (host, port)
        Hosts as dotted quads, in the order given; invalid entries are logged
        as warnings and left out.
    """
    resolve = resolve or socket.gethostbyname
    out: list[Address] = []
    for entry in text.split():
        address = _parse_entry(entry, default_port, what, resolve)
        if address is not None:
            out.append(address)
    return out


def _parse_entry(entry: str, default_port: int, what: str, resolve: Resolver) -> Address | None:
    host, sep, port_text = entry.partition(":")
    port = default_port
    if sep:
        port_number = _int_or_none(port_text)
        if port_number is None or not 0 < port_number <= 0xFFFF:
            log.warning("%s: ignoring %r: the port must be an integer 1..65535", what, entry)
            return None
        port = port_number
    if not host:
        log.warning("%s: ignoring %r: no host", what, entry)
        return None
    if parse_ipv4(host) is not None:  # a dotted quad already
        return host, port
    try:
        resolved = resolve(host)
    except (OSError, UnicodeError) as exc:
        log.warning("%s: ignoring %r: cannot resolve host name %r (%s)", what, entry, host, exc)
        return None
    return resolved, port


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _int_or_none(text: str) -> int | None:
    try:
        return int(text.strip(), 10)
    except ValueError:
        return None


def _yes_no(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = _get(env, name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("yes", "no"):
        return lowered == "yes"
    # libca tests strstr(value, "no"): anything else containing "no" means NO.
    result = "no" not in lowered
    taken = "YES" if result else "NO"
    log.warning("%s=%r is neither YES nor NO; taking it as %s", name, value, taken)
    return result


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    value = _get(env, name)
    if value is None:
        return default
    port = _int_or_none(value)
    if port is None or not _MIN_ENV_PORT <= port <= 0xFFFF:
        log.warning(
            "%s=%r is not a port number %d..65535; using %d", name, value, _MIN_ENV_PORT, default
        )
        return default
    return port


def _seconds(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    value = _get(env, name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        log.warning("%s=%r is not a positive number of seconds; using %g", name, value, default)
        return default
    if seconds < minimum:
        log.warning("%s=%r is below the minimum; using %g", name, value, minimum)
        return minimum
    return seconds


def _max_array_bytes(env: Mapping[str, str]) -> int:
    value = _get(env, "EPICS_CA_MAX_ARRAY_BYTES")
    if value is None:
        # With automatic array sizing off, EPICS Base's 16384 is the real limit.
        auto = _yes_no(env, "EPICS_CA_AUTO_ARRAY_BYTES", True)
        return DEFAULT_MAX_ARRAY_BYTES if auto else MIN_MAX_ARRAY_BYTES
    size = _int_or_none(value)
    if size is None or size < 0:
        log.warning(
            "EPICS_CA_MAX_ARRAY_BYTES=%r is not a non-negative integer; using %d",
            value,
            DEFAULT_MAX_ARRAY_BYTES,
        )
        return DEFAULT_MAX_ARRAY_BYTES
    if size < MIN_MAX_ARRAY_BYTES:
        log.warning(
            "EPICS_CA_MAX_ARRAY_BYTES=%d is below the EPICS minimum; rounded up to %d",
            size,
            MIN_MAX_ARRAY_BYTES,
        )
        return MIN_MAX_ARRAY_BYTES
    return size


def _unique(addresses: Iterable[Address]) -> list[Address]:
    return list(dict.fromkeys(addresses))
