"""catui's own Channel Access protocol: a sans-I/O core and a synchronous client.

The core (this package, apart from :mod:`protocol.sync`) turns commands into
bytes and bytes into commands; it opens no sockets, starts no threads and reads
no clocks. :mod:`protocol.sync.client` is the thin I/O layer on top.
"""

from .alarms import AlarmSeverity, AlarmStatus, SubscriptionType
from .backends import select_backend
from .channel_types import ChannelType, field_types, native_type, resolve_data_type
from .circuit import ChannelState, ClientChannel, VirtualCircuit
from .commands import *  # noqa: F403
from .commands import __all__ as _commands_all
from .dbr import DBR_TYPES, TimeStamp
from .decoder import StreamDecoder, read_datagram
from .errors import (
    CAError,
    CAProtocolError,
    CaprotoError,
    CaprotoTimeoutError,
    CaprotoValueError,
    CATimeoutError,
    CAValueError,
    ChannelAccessDenied,
    DisconnectedError,
    ErrorResponseReceived,
    LocalProtocolError,
    RemoteProtocolError,
)
from .header import ExtendedMessageHeader, MessageHeader
from .status import CASeverity, CAStatus, CAStatusCode, eca_value_to_status, ensure_status

__all__ = [
    "AlarmSeverity", "AlarmStatus", "SubscriptionType", "select_backend", "ChannelType",
    "field_types", "native_type", "resolve_data_type", "ChannelState", "ClientChannel",
    "VirtualCircuit", "DBR_TYPES", "TimeStamp", "StreamDecoder", "read_datagram", "CAError",
    "CAProtocolError", "CaprotoError", "CaprotoTimeoutError", "CaprotoValueError",
    "CATimeoutError", "CAValueError", "ChannelAccessDenied", "DisconnectedError",
    "ErrorResponseReceived", "LocalProtocolError", "RemoteProtocolError",
    "ExtendedMessageHeader", "MessageHeader", "CASeverity", "CAStatus", "CAStatusCode",
    "eca_value_to_status", "ensure_status", *_commands_all,
]  # fmt: skip
