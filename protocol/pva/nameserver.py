"""The client side of a discovery ping over TCP, to a name server (EPICS_PVA_NAME_SERVERS).

Sans-I/O like :mod:`protocol.pva.conversation`: validate the connection, send the
name-less must-reply SEARCH (flagged unicast, reply port 0: answers come back on
the connection), then collect SEARCH_RESPONSE messages until the caller's
deadline. A reply naming the "any" address or port 0 means the name server itself.
pvxs servers answer such a ping for themselves.
"""

from __future__ import annotations

import enum

from .conversation import choose_auth
from .decoder import StreamDecoder, UnknownMessage
from .errors import PVALocalProtocolError, PVARemoteProtocolError
from .header import ControlCommand
from .listing import DiscoveredServer, discovery_ping
from .messages import (
    ConnectionValidated,
    ConnectionValidationRequest,
    ConnectionValidationResponse,
    ControlMessage,
    EchoResponse,
    SearchResponse,
    ServerMessage,
    ca_credentials,
)
from .wire import ANY_ADDRESSES

__all__ = ["NameServerPing", "PingState"]


class PingState(enum.Enum):
    """Where a :class:`NameServerPing` stands."""

    AWAIT_VALIDATION = "awaiting the name server's CONNECTION_VALIDATION"
    AWAIT_VALIDATED = "awaiting CONNECTION_VALIDATED"
    AWAIT_REPLIES = "awaiting search replies"
    FAILED = "failed"


class NameServerPing:
    """One discovery ping to the name server at ``address`` (host, port).

    Attributes
    ----------
    servers : list of DiscoveredServer
        The servers the name server has named so far (one per GUID).
    """

    def __init__(
        self, address: tuple[str, int], sequence: int, *, user: str = "", host: str = ""
    ) -> None:
        self.address = address
        self.sequence = sequence
        self.user, self.host = user, host
        self.state = PingState.AWAIT_VALIDATION
        self.servers: list[DiscoveredServer] = []
        self.big_endian = False
        self._decoder = StreamDecoder(from_server=True)
        self._outgoing = bytearray()

    def data_to_send(self) -> bytes:
        """Bytes to write to the socket now."""
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    def receive_data(self, data: bytes) -> list[DiscoveredServer]:
        """Take bytes from the socket; returns the servers they newly named.

        Raises
        ------
        PVARemoteProtocolError
            Malformed bytes, a message out of place, or the connection closing
            (``data == b""``) before the name server answered.
        """
        if self.state is PingState.FAILED:
            raise PVALocalProtocolError("data received after the ping failed")
        if not data:
            doing = self.state.value
            self.state = PingState.FAILED
            raise PVARemoteProtocolError(f"the name server closed the connection while {doing}")
        new: list[DiscoveredServer] = []
        try:
            for message in self._decoder.feed(data):
                self._handle(message, new)
        except BaseException:
            self.state = PingState.FAILED
            raise
        return new

    def _handle(self, message: object, new: list[DiscoveredServer]) -> None:
        if isinstance(message, ControlMessage):
            if message.command == ControlCommand.SET_BYTE_ORDER:
                self.big_endian = message.big_endian
            return
        state = self.state
        if state is PingState.AWAIT_VALIDATION and isinstance(
            message, ConnectionValidationRequest
        ):
            method = choose_auth(message.auth_methods)
            cred = ca_credentials(self.user, self.host) if method == "ca" else (None, None)
            self._outgoing += bytes(
                ConnectionValidationResponse(method, cred, big_endian=self.big_endian)
            )
            self.state = PingState.AWAIT_VALIDATED
        elif state is PingState.AWAIT_VALIDATED and isinstance(message, ConnectionValidated):
            ping = discovery_ping(self.sequence, big_endian=self.big_endian)
            self._outgoing += bytes(ping)
            self.state = PingState.AWAIT_REPLIES
        elif state is PingState.AWAIT_REPLIES and isinstance(message, SearchResponse):
            if message.sequence != self.sequence or message.protocol != "tcp":
                return
            host = self.address[0] if message.server_address in ANY_ADDRESSES else None
            server = DiscoveredServer(
                "0x" + message.guid.hex().upper(),
                host or message.server_address,
                message.server_port or self.address[1],
                message.protocol,
                2,
                self.address,
            )
            if all(s.guid != server.guid for s in self.servers):
                self.servers.append(server)
                new.append(server)
        elif isinstance(message, (ServerMessage, EchoResponse, UnknownMessage)):
            return
        else:
            raise PVARemoteProtocolError(
                f"unexpected {type(message).__name__} while {self.state.value}"
            )
