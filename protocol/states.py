"""The channel state machine, as a table: which event moves a channel where.

The table is the single source of truth; :mod:`protocol.circuit` consults it
and never encodes transitions of its own.
"""

from __future__ import annotations

import enum

__all__ = ["TRANSITIONS", "ChannelState", "next_state"]


class ChannelState(enum.Enum):
    """Where a client's channel is in its life."""

    #: Known by name only; CREATE_CHAN not sent yet.
    SEND_CREATE_CHAN_REQUEST = "send create"
    #: CREATE_CHAN sent; waiting for the server's answer.
    AWAIT_CREATE_CHAN_RESPONSE = "await create"
    #: Created: reads, writes and subscriptions may be sent.
    CONNECTED = "connected"
    #: CLEAR_CHANNEL sent; waiting for its echo.
    MUST_CLOSE = "closing"
    #: Cleared by us (echo received), or the circuit went away.
    CLOSED = "closed"
    #: The server answered CREATE_CH_FAIL.
    CREATE_FAILED = "create failed"
    #: The server dropped the channel (SERVER_DISCONN) or the circuit died.
    DISCONNECTED = "disconnected"


S = ChannelState

#: (state, event) -> new state. Events are command class names, or "circuit lost".
TRANSITIONS: dict[tuple[ChannelState, str], ChannelState] = {
    (S.SEND_CREATE_CHAN_REQUEST, "CreateChanRequest"): S.AWAIT_CREATE_CHAN_RESPONSE,
    (S.AWAIT_CREATE_CHAN_RESPONSE, "AccessRightsResponse"): S.AWAIT_CREATE_CHAN_RESPONSE,
    (S.AWAIT_CREATE_CHAN_RESPONSE, "CreateChanResponse"): S.CONNECTED,
    (S.AWAIT_CREATE_CHAN_RESPONSE, "CreateChFailResponse"): S.CREATE_FAILED,
    (S.CONNECTED, "AccessRightsResponse"): S.CONNECTED,
    (S.CONNECTED, "ClearChannelRequest"): S.MUST_CLOSE,
    (S.CONNECTED, "ServerDisconnResponse"): S.DISCONNECTED,
    (S.MUST_CLOSE, "ClearChannelResponse"): S.CLOSED,
    (S.MUST_CLOSE, "ServerDisconnResponse"): S.CLOSED,
    (S.AWAIT_CREATE_CHAN_RESPONSE, "circuit lost"): S.DISCONNECTED,
    (S.CONNECTED, "circuit lost"): S.DISCONNECTED,
    (S.MUST_CLOSE, "circuit lost"): S.CLOSED,
}

#: Requests a channel may send, by the state it must be in.
ALLOWED_REQUESTS: dict[str, ChannelState] = {
    "CreateChanRequest": S.SEND_CREATE_CHAN_REQUEST,
    "ReadRequest": S.CONNECTED,
    "ReadNotifyRequest": S.CONNECTED,
    "WriteRequest": S.CONNECTED,
    "WriteNotifyRequest": S.CONNECTED,
    "EventAddRequest": S.CONNECTED,
    "EventCancelRequest": S.CONNECTED,
    "ClearChannelRequest": S.CONNECTED,
}


def next_state(state: ChannelState, event: str) -> ChannelState | None:
    """The state after ``event``, or None when the table does not allow it."""
    return TRANSITIONS.get((state, event))
