"""Name resolution and presence: search, not-found, beacons, the repeater."""

from __future__ import annotations

import re
import struct

from ..errors import CAValueError
from .base import (
    CLIENT,
    SERVER,
    AddressField,
    HeaderField,
    Message,
    check_u16,
    check_u32,
    ip_to_int,
    payload_string,
    string_payload,
)
from .circuit import DEFAULT_PROTOCOL_VERSION

__all__ = [
    "DO_REPLY",
    "MAX_NAME_LENGTH",
    "NO_REPLY",
    "Beacon",
    "NotFoundResponse",
    "RepeaterConfirmResponse",
    "RepeaterRegisterRequest",
    "RsrvIsUpResponse",
    "SearchRequest",
    "SearchResponse",
    "check_pv_name",
]

NO_REPLY = 5
DO_REPLY = 10
# libca's UDP send buffer is 1024 bytes: a VERSION and a SEARCH header (32
# bytes) leave 992 for the name and its NUL.
MAX_NAME_LENGTH = 991
_VERSION_PAYLOAD = struct.Struct(">H6x")
# Checked for every name of every search datagram: a regular expression, not a loop.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_pv_name(name: str) -> str:
    """Validate a PV name before anything is sent; return it unchanged.

    Raises
    ------
    CAValueError
        For a name that is not a str, empty, longer than ``MAX_NAME_LENGTH``,
        not ASCII, or that holds control characters or whitespace (outside
        a ``{...}`` channel filter).
    """
    if not isinstance(name, str):
        raise CAValueError(f"a PV name must be a str, not {type(name).__name__} {name!r}")
    if not name:
        raise CAValueError("the PV name is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise CAValueError(
            f"PV name of {len(name)} characters is too long (at most {MAX_NAME_LENGTH}): "
            f"{name[:40]!r}..."
        )
    if not name.isascii():
        raise CAValueError(f"PV name {name!r} is not ASCII")
    if _CONTROL.search(name):
        raise CAValueError(f"PV name {name!r} contains control characters")
    # ASCII whitespace other than the space is a control character, found above.
    if " " in name.split("{", 1)[0]:
        raise CAValueError(f"PV name {name!r} contains whitespace")
    return name


class SearchRequest(Message):
    """SEARCH for a PV name (UDP, or TCP to a name server)."""

    __slots__ = ()
    ID = 6
    SENDER = CLIENT
    _fields = ("name", "cid", "version", "reply")

    def __init__(
        self, name: str, cid: int, version: int = DEFAULT_PROTOCOL_VERSION, reply: int = NO_REPLY
    ) -> None:
        check_pv_name(name)
        if reply not in (NO_REPLY, DO_REPLY):
            raise CAValueError(f"reply must be NO_REPLY (5) or DO_REPLY (10), not {reply!r}")
        check_u32("cid", cid)
        self._init(reply, check_u16("version", version), cid, cid, string_payload(name, "name"))

    @property
    def name(self) -> str:
        return payload_string(self._payload)

    cid = HeaderField(4)
    version = HeaderField(3)
    reply = HeaderField(2)


class SearchResponse(Message):
    """A server's answer to SEARCH: where to connect for that cid.

    ``ip`` is ``'255.255.255.255'`` when the client should use the address the
    reply came from. Over TCP the reply carries no version payload, and
    ``version`` is None.
    """

    __slots__ = ()
    ID = 6
    SENDER = SERVER
    _fields = ("port", "ip", "cid", "version")

    def __init__(
        self,
        port: int,
        ip: str | int = "255.255.255.255",
        cid: int = 0,
        version: int | None = DEFAULT_PROTOCOL_VERSION,
    ) -> None:
        payload = b"" if version is None else _VERSION_PAYLOAD.pack(check_u16("version", version))
        self._init(check_u16("port", port), 0, ip_to_int(ip), check_u32("cid", cid), payload)

    port = HeaderField(2)
    ip = AddressField(4)
    cid = HeaderField(5)

    @property
    def version(self) -> int | None:
        if self._h[1] < 2:
            return None
        value: int = _VERSION_PAYLOAD.unpack_from(self._payload)[0]
        return value


class NotFoundResponse(Message):
    """NOT_FOUND: a server does not have the name (sent for DO_REPLY over TCP)."""

    __slots__ = ()
    ID = 14
    SENDER = SERVER
    _fields = ("version", "cid")

    def __init__(self, version: int, cid: int, reply: int = DO_REPLY) -> None:
        check_u32("cid", cid)
        self._init(check_u16("reply", reply), check_u16("version", version), cid, cid)

    version = HeaderField(3)
    cid = HeaderField(4)


class Beacon(Message):
    """RSRV_IS_UP: a server's periodic beacon (via the repeater)."""

    __slots__ = ()
    ID = 13
    SENDER = SERVER
    _fields = ("version", "server_port", "beacon_id", "address")

    def __init__(self, version: int, server_port: int, beacon_id: int, address: str | int) -> None:
        self._init(
            check_u16("version", version),
            check_u16("server_port", server_port),
            check_u32("beacon_id", beacon_id),
            ip_to_int(address),
        )

    version = HeaderField(2)
    server_port = HeaderField(3)
    beacon_id = HeaderField(4)
    address = AddressField(5)


RsrvIsUpResponse = Beacon


class RepeaterRegisterRequest(Message):
    """REPEATER_REGISTER: a client asks the repeater to forward beacons to it."""

    __slots__ = ()
    ID = 24
    SENDER = CLIENT
    _fields = ("client_address",)

    def __init__(self, client_address: str | int = "0.0.0.0") -> None:
        self._init(0, 0, 0, ip_to_int(client_address))

    client_address = AddressField(5)


class RepeaterConfirmResponse(Message):
    """REPEATER_CONFIRM: the repeater accepted a registration."""

    __slots__ = ()
    ID = 17
    SENDER = SERVER
    _fields = ("repeater_address",)

    def __init__(self, repeater_address: str | int) -> None:
        self._init(0, 0, 0, ip_to_int(repeater_address))

    repeater_address = AddressField(5)
