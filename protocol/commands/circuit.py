"""Circuit housekeeping: version, identity, echo, event flow control."""

from __future__ import annotations

from .base import (
    CLIENT,
    SERVER,
    HeaderField,
    Message,
    check_priority,
    check_u16,
    check_u32,
    payload_string,
    string_payload,
)

__all__ = [
    "DEFAULT_PROTOCOL_VERSION",
    "ClientNameRequest",
    "EchoRequest",
    "EchoResponse",
    "EventsOffRequest",
    "EventsOnRequest",
    "HostNameRequest",
    "ReadSyncRequest",
    "ReadSyncResponse",
    "VersionRequest",
    "VersionResponse",
]

DEFAULT_PROTOCOL_VERSION = 13


class VersionRequest(Message):
    """VERSION from a client: circuit priority (0..99) and minor protocol version.

    Over UDP, ahead of searches, ``sequence_id`` (parameter1) numbers the
    search round; libca also sets ``priority`` (the data_type field) to 1 to
    say so. The server echoes it in its reply.
    """

    __slots__ = ()
    ID = 0
    SENDER = CLIENT
    _fields = ("priority", "version")

    def __init__(
        self, priority: int = 0, version: int = DEFAULT_PROTOCOL_VERSION, *, sequence_id: int = 0
    ) -> None:
        self._init(
            check_priority(priority),
            check_u16("version", version),
            check_u32("sequence_id", sequence_id),
        )

    priority = HeaderField(2)

    @property
    def sequence_id(self) -> int:
        """The search sequence number (parameter1) of a UDP VERSION."""
        return self._h[4]

    version = HeaderField(3)


class VersionResponse(Message):
    """VERSION from a server (sent on accept over TCP, first in every UDP reply)."""

    __slots__ = ()
    ID = 0
    SENDER = SERVER
    _fields = ("version",)

    def __init__(self, version: int = DEFAULT_PROTOCOL_VERSION) -> None:
        self._init(0, check_u16("version", version))

    version = HeaderField(3)

    @property
    def sequence_id(self) -> int:
        """The search sequence number a UDP reply echoes (parameter1)."""
        return self._h[4]


class _NameRequest(Message, register=False):
    __slots__ = ()
    _fields = ("name",)
    SENDER = CLIENT

    def __init__(self, name: str) -> None:
        self._init(payload=string_payload(name, "name"))

    @property
    def name(self) -> str:
        return payload_string(self._payload)


class HostNameRequest(_NameRequest):
    """HOST_NAME: the client's host, for the server's access security."""

    __slots__ = ()
    ID = 21


class ClientNameRequest(_NameRequest):
    """CLIENT_NAME: the client's user name, for the server's access security."""

    __slots__ = ()
    ID = 20


class EchoRequest(Message):
    """ECHO from a client (a keep-alive)."""

    __slots__ = ()
    ID = 23
    SENDER = CLIENT

    def __init__(self) -> None:
        self._init()


class EchoResponse(Message):
    """ECHO from a server, answering an ``EchoRequest``."""

    __slots__ = ()
    ID = 23
    SENDER = SERVER

    def __init__(self) -> None:
        self._init()


class EventsOffRequest(Message):
    """EVENTS_OFF: pause subscription updates on this circuit."""

    __slots__ = ()
    ID = 8
    SENDER = CLIENT

    def __init__(self) -> None:
        self._init()


class EventsOnRequest(Message):
    """EVENTS_ON: resume updates (the server sends each latest value)."""

    __slots__ = ()
    ID = 9
    SENDER = CLIENT

    def __init__(self) -> None:
        self._init()


class ReadSyncRequest(Message):
    """READ_SYNC (deprecated): the IOC echoes it."""

    __slots__ = ()
    ID = 10
    SENDER = CLIENT

    def __init__(self) -> None:
        self._init()


class ReadSyncResponse(Message):
    """The IOC's echo of READ_SYNC."""

    __slots__ = ()
    ID = 10
    SENDER = SERVER

    def __init__(self) -> None:
        self._init()
