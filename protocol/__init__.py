"""catui's own Channel Access protocol: a sans-I/O core and a synchronous client.

The core (this package, apart from :mod:`protocol.sync`) turns commands into
bytes and bytes into commands; it opens no sockets, starts no threads and reads
no clocks. :mod:`protocol.sync.client` is the thin I/O layer on top.

The public names below are imported on first use (PEP 562), not with the
package: ``from protocol import ChannelType`` works as ever, but a command-line
tool that needs only some modules does not pay for loading all of them.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .alarms import AlarmSeverity, AlarmStatus, SubscriptionType
    from .backends import select_backend
    from .channel_types import ChannelType, field_types, native_type, resolve_data_type
    from .circuit import ChannelState, ClientChannel, VirtualCircuit
    from .commands import *  # noqa: F403
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
        ConnectTimeoutError,
        DisconnectedError,
        ErrorResponseReceived,
        LocalProtocolError,
        NotConnectedError,
        RemoteProtocolError,
    )
    from .header import ExtendedMessageHeader, MessageHeader
    from .status import CASeverity, CAStatus, CAStatusCode, eca_value_to_status, ensure_status

# Every name of ``protocol.commands.__all__`` (tests/protocol/test_lazy_package.py
# checks that the two lists agree).
_COMMANDS = (
    "CHANNEL_TYPES", "CLIENT", "DEFAULT_PROTOCOL_VERSION", "DO_REPLY", "MAX_NAME_LENGTH",
    "NO_REPLY", "REQUESTS", "RESPONSES", "SERVER", "AccessRights", "AccessRightsResponse",
    "Beacon", "ClearChannelRequest", "ClearChannelResponse", "ClientNameRequest",
    "CreateChFailResponse", "CreateChanRequest", "CreateChanResponse", "DataMessage",
    "EchoRequest", "EchoResponse", "ErrorResponse", "EventAddRequest", "EventAddResponse",
    "EventCancelRequest", "EventCancelResponse", "EventsOffRequest", "EventsOnRequest",
    "HostNameRequest", "Message", "NotFoundResponse", "ReadNotifyRequest", "ReadNotifyResponse",
    "ReadRequest", "ReadResponse", "ReadSyncRequest", "ReadSyncResponse",
    "RepeaterConfirmResponse", "RepeaterRegisterRequest", "Role", "RsrvIsUpResponse",
    "SearchRequest", "SearchResponse", "ServerDisconnResponse", "VersionRequest",
    "VersionResponse", "WriteNotifyRequest", "WriteNotifyResponse", "WriteRequest",
    "check_pv_name",
)  # fmt: skip

_ERRORS = (
    "CAError", "CAProtocolError", "CaprotoError", "CaprotoTimeoutError", "CaprotoValueError",
    "CATimeoutError", "CAValueError", "ChannelAccessDenied", "ConnectTimeoutError",
    "DisconnectedError", "ErrorResponseReceived", "LocalProtocolError", "NotConnectedError",
    "RemoteProtocolError",
)  # fmt: skip

# Public name -> the submodule that defines it.
_WHERE: dict[str, str] = {
    **dict.fromkeys(("AlarmSeverity", "AlarmStatus", "SubscriptionType"), "alarms"),
    "select_backend": "backends",
    **dict.fromkeys(
        ("ChannelType", "field_types", "native_type", "resolve_data_type"), "channel_types"
    ),
    **dict.fromkeys(("ChannelState", "ClientChannel", "VirtualCircuit"), "circuit"),
    **dict.fromkeys(_COMMANDS, "commands"),
    **dict.fromkeys(("DBR_TYPES", "TimeStamp"), "dbr"),
    **dict.fromkeys(("StreamDecoder", "read_datagram"), "decoder"),
    **dict.fromkeys(_ERRORS, "errors"),
    **dict.fromkeys(("ExtendedMessageHeader", "MessageHeader"), "header"),
    **dict.fromkeys(
        ("CASeverity", "CAStatus", "CAStatusCode", "eca_value_to_status", "ensure_status"),
        "status",
    ),
}

# The core's submodules, which ``import protocol`` used to load (and so bind as
# attributes) eagerly; ``protocol.dbr`` and the like still work after it alone.
_SUBMODULES = frozenset(
    ("alarms", "backends", "channel_types", "circuit", "commands", "dbr", "decoder",
     "errors", "header", "states", "status", "values")
)  # fmt: skip

__all__ = [
    "AlarmSeverity", "AlarmStatus", "SubscriptionType", "select_backend", "ChannelType",
    "field_types", "native_type", "resolve_data_type", "ChannelState", "ClientChannel",
    "VirtualCircuit", "DBR_TYPES", "TimeStamp", "StreamDecoder", "read_datagram", "CAError",
    "CAProtocolError", "CaprotoError", "CaprotoTimeoutError", "CaprotoValueError",
    "CATimeoutError", "CAValueError", "ChannelAccessDenied", "ConnectTimeoutError",
    "DisconnectedError", "ErrorResponseReceived", "LocalProtocolError", "NotConnectedError",
    "RemoteProtocolError", "ExtendedMessageHeader", "MessageHeader", "CASeverity", "CAStatus",
    "CAStatusCode", "eca_value_to_status", "ensure_status", *_COMMANDS,
]  # fmt: skip


def __getattr__(name: str) -> Any:
    """Import the submodule behind a public name on first use, and keep the name."""
    where = _WHERE.get(name)
    if where is None:
        if name in _SUBMODULES:
            __import__(f"{__name__}.{name}")
            return sys.modules[f"{__name__}.{name}"]
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    __import__(f"{__name__}.{where}")
    value = getattr(sys.modules[f"{__name__}.{where}"], name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
