"""Every Channel Access command, one class per message and direction."""

from .base import CHANNEL_TYPES, CLIENT, REQUESTS, RESPONSES, SERVER, DataMessage, Message, Role
from .channel import (
    AccessRights,
    AccessRightsResponse,
    ClearChannelRequest,
    ClearChannelResponse,
    CreateChanRequest,
    CreateChanResponse,
    CreateChFailResponse,
    ServerDisconnResponse,
)
from .circuit import (
    DEFAULT_PROTOCOL_VERSION,
    ClientNameRequest,
    EchoRequest,
    EchoResponse,
    EventsOffRequest,
    EventsOnRequest,
    HostNameRequest,
    ReadSyncRequest,
    ReadSyncResponse,
    VersionRequest,
    VersionResponse,
)
from .error import ErrorResponse
from .events import EventAddRequest, EventAddResponse, EventCancelRequest, EventCancelResponse
from .io import (
    ReadNotifyRequest,
    ReadNotifyResponse,
    ReadRequest,
    ReadResponse,
    WriteNotifyRequest,
    WriteNotifyResponse,
    WriteRequest,
)
from .search import (
    DO_REPLY,
    MAX_NAME_LENGTH,
    NO_REPLY,
    Beacon,
    NotFoundResponse,
    RepeaterConfirmResponse,
    RepeaterRegisterRequest,
    RsrvIsUpResponse,
    SearchRequest,
    SearchResponse,
    check_pv_name,
)

__all__ = [
    "CHANNEL_TYPES", "CLIENT", "REQUESTS", "RESPONSES", "SERVER", "DataMessage", "Message",
    "Role", "AccessRights", "AccessRightsResponse", "ClearChannelRequest",
    "ClearChannelResponse", "CreateChanRequest", "CreateChanResponse", "CreateChFailResponse",
    "ServerDisconnResponse", "DEFAULT_PROTOCOL_VERSION", "ClientNameRequest", "EchoRequest",
    "EchoResponse", "EventsOffRequest", "EventsOnRequest", "HostNameRequest",
    "ReadSyncRequest", "ReadSyncResponse", "VersionRequest", "VersionResponse",
    "ErrorResponse", "EventAddRequest", "EventAddResponse", "EventCancelRequest",
    "EventCancelResponse", "ReadNotifyRequest", "ReadNotifyResponse", "ReadRequest",
    "ReadResponse", "WriteNotifyRequest", "WriteNotifyResponse", "WriteRequest", "DO_REPLY",
    "MAX_NAME_LENGTH", "NO_REPLY", "Beacon", "NotFoundResponse", "RepeaterConfirmResponse",
    "RepeaterRegisterRequest", "RsrvIsUpResponse", "SearchRequest", "SearchResponse",
    "check_pv_name",
]  # fmt: skip
