"""What a server listing is made of: the discovery ping, its replies, and the ``server`` RPC.

pvxs servers (QSRV, p4p's server, the pvxs soft IOC) serve a PV named ``server``
that is never announced in a search reply, so it is reached only by connecting
to one known server. An RPC to it with the NTURI query ``op=channels`` returns
an NTScalar whose ``value`` is every PV name the server holds; ``op=info``
returns ``{implLang, version}``. Servers are found by a SEARCH with no names and
the must-reply flag, which every server answers (once per GUID is enough).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from .errors import PVARemoteProtocolError
from .messages import SearchRequest, SearchResponse
from .types import FieldDesc, TypeCode
from .values import nturi
from .wire import ANY_ADDRESSES

__all__ = [
    "SERVER_PV",
    "DiscoveredServer",
    "ServerInfo",
    "channels_argument",
    "discovery_ping",
    "info_argument",
    "parse_channels",
    "parse_server_info",
    "server_from_reply",
]

#: The PV a pvxs server answers listing RPCs on.
SERVER_PV = "server"


class DiscoveredServer(NamedTuple):
    """A server that answered a discovery ping.

    Attributes
    ----------
    guid : str
        ``0x`` and 24 hex digits, as pvxs prints it.
    host : str
        The address its reply named, or the one it came from.
    port : int
        Its TCP port.
    protocol : str
        ``"tcp"``.
    version : int
        The protocol version in its header.
    via : tuple of (str, int)
        Where the reply came from.
    """

    guid: str
    host: str
    port: int
    protocol: str = "tcp"
    version: int = 2
    via: tuple[str, int] = ("", 0)

    @property
    def address(self) -> str:
        """``host:port``."""
        return f"{self.host}:{self.port}"


class ServerInfo(NamedTuple):
    """What ``op=info`` returns."""

    implementation: str
    version: str


def discovery_ping(
    sequence: int, *, reply_port: int = 0, unicast: bool = True, big_endian: bool = True
) -> SearchRequest:
    """The name-less, must-reply SEARCH (what pvxs's ``pvlist`` sends).

    ``reply_port`` is the port of the socket that waits for replies (the
    address is left as "the sender"); ``unicast`` says whether the datagram goes
    to a unicast address.
    """
    return SearchRequest(
        sequence,
        (),
        must_reply=True,
        unicast=unicast,
        reply_port=reply_port,
        protocols=(),
        big_endian=big_endian,
    )


def server_from_reply(
    reply: SearchResponse, source: tuple[str, int], version: int = 2
) -> DiscoveredServer:
    """The server a SEARCH_RESPONSE that came from ``source`` describes."""
    host = source[0] if reply.server_address in ANY_ADDRESSES else reply.server_address
    return DiscoveredServer(
        reply.guid_hex, host, reply.server_port, reply.protocol, version, (source[0], source[1])
    )


def _argument(op: str) -> tuple[FieldDesc, dict[str, Any]]:
    return nturi(SERVER_PV, {"op": op})


def channels_argument() -> tuple[FieldDesc, dict[str, Any]]:
    """The NTURI of ``op=channels``, as pvxs's ``pvlist HOST`` sends it."""
    return _argument("channels")


def info_argument() -> tuple[FieldDesc, dict[str, Any]]:
    """The NTURI of ``op=info``."""
    return _argument("info")


def _structure(
    result: tuple[FieldDesc | None, Any], what: str
) -> tuple[FieldDesc, Mapping[str, Any]]:
    desc, value = result
    if desc is None:
        raise PVARemoteProtocolError(f"{what}: the server returned nothing")
    if desc.code is not TypeCode.STRUCT or not isinstance(value, Mapping):
        raise PVARemoteProtocolError(f"{what}: expected a structure, got {desc!r}")
    return desc, value


def parse_channels(result: tuple[FieldDesc | None, Any]) -> tuple[str, ...]:
    """The PV names in an ``op=channels`` result, sorted and without duplicates.

    Raises
    ------
    PVARemoteProtocolError
        The result is not a structure whose ``value`` is a string array.
    """
    desc, value = _structure(result, "op=channels")
    if "value" not in desc.names or desc["value"].code is not TypeCode.STRING_ARRAY:
        raise PVARemoteProtocolError(f"op=channels: expected a string[] 'value', got {desc!r}")
    names: Iterable[str] = value["value"]
    return tuple(sorted(set(names)))


def parse_server_info(result: tuple[FieldDesc | None, Any]) -> ServerInfo:
    """The ``implLang`` and ``version`` of an ``op=info`` result ('' when missing)."""
    desc, value = _structure(result, "op=info")
    fields = {}
    for name in ("implLang", "version"):
        if name in desc.names and desc[name].code is TypeCode.STRING:
            fields[name] = str(value[name])
    return ServerInfo(fields.get("implLang", ""), fields.get("version", ""))
