"""pvAccess messages: one immutable class per message, ``bytes(msg)`` to encode.

Decoding is :func:`protocol.pva.decoder.decode_message` (one message) or a
:class:`protocol.pva.decoder.StreamDecoder` (a TCP byte stream).
"""

from .base import MESSAGE_CLASSES, PVAMessage
from .channel import (
    CreateChannelRequest,
    CreateChannelResponse,
    DestroyChannelRequest,
    DestroyChannelResponse,
    DestroyRequest,
)
from .connection import (
    CA_CREDENTIALS_TYPE,
    DEFAULT_BUFFER_SIZE,
    DEFAULT_REGISTRY_SIZE,
    ConnectionValidated,
    ConnectionValidationRequest,
    ConnectionValidationResponse,
    ControlMessage,
    EchoRequest,
    EchoResponse,
    MessageLevel,
    ServerMessage,
    ca_credentials,
)
from .rpc import EMPTY_REQUEST, RPCRequest, RPCResponse, Subcommand
from .search import GUID_SIZE, SearchFlags, SearchRequest, SearchResponse

__all__ = [
    "CA_CREDENTIALS_TYPE",
    "DEFAULT_BUFFER_SIZE",
    "DEFAULT_REGISTRY_SIZE",
    "EMPTY_REQUEST",
    "GUID_SIZE",
    "MESSAGE_CLASSES",
    "ConnectionValidated",
    "ConnectionValidationRequest",
    "ConnectionValidationResponse",
    "ControlMessage",
    "CreateChannelRequest",
    "CreateChannelResponse",
    "DestroyChannelRequest",
    "DestroyChannelResponse",
    "DestroyRequest",
    "EchoRequest",
    "EchoResponse",
    "MessageLevel",
    "PVAMessage",
    "RPCRequest",
    "RPCResponse",
    "SearchFlags",
    "SearchRequest",
    "SearchResponse",
    "ServerMessage",
    "Subcommand",
    "ca_credentials",
]
