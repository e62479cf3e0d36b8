"""The exception hierarchy: one base, local versus remote faults, timeouts."""

from __future__ import annotations

from typing import Any

__all__ = [
    "CAError",
    "CAProtocolError",
    "CATimeoutError",
    "CAValueError",
    "CaprotoError",
    "CaprotoTimeoutError",
    "CaprotoValueError",
    "ChannelAccessDenied",
    "ConnectTimeoutError",
    "DisconnectedError",
    "ErrorResponseReceived",
    "LocalProtocolError",
    "NotConnectedError",
    "RemoteProtocolError",
    "ValidationError",
]


class CAError(Exception):
    """Base of every error this package raises on purpose."""


class CAProtocolError(CAError):
    """Bytes or a sequence of messages that break the Channel Access protocol."""


class RemoteProtocolError(CAProtocolError):
    """The peer sent something malformed or out of place.

    The message names the command (when known) and what is wrong with it.
    """


class LocalProtocolError(CAProtocolError):
    """We were asked to do something the protocol forbids in the current state."""


class CAValueError(CAError, ValueError):
    """A value or argument that cannot be encoded or does not make sense."""


class CATimeoutError(CAError, TimeoutError):
    """An operation did not finish within its time budget."""


class ConnectTimeoutError(CATimeoutError):
    """The PV was not found, or its channel not made, in time: no request was sent.

    A :class:`CATimeoutError` (so existing handlers still catch it) that tells a write
    which never left this process from one sent and not answered, whose outcome is
    unknown.
    """


class NotConnectedError(ConnectTimeoutError):
    """The PV was not connected when its request was to be sent: nothing was sent.

    Raised by the requests on a ``Blocker``'s channels
    (:mod:`protocol.sync.requests`), which fail at once rather than wait for a
    reconnect.  A :class:`ConnectTimeoutError`, so handlers of "nothing was sent"
    catch it too.
    """


class ChannelAccessDenied(CAError, PermissionError):
    """The server does not grant the access (read or write) an operation needs."""


class DisconnectedError(CAError, ConnectionError):
    """The circuit to the server closed while an operation was in progress."""


class ErrorResponseReceived(CAError):
    """The server answered a request with a failure status.

    Parameters
    ----------
    message : str
        What went wrong, naming the PV when known.
    response : object, optional
        The response (an ``ErrorResponse`` or a notify response) that carried
        the failure.
    """

    def __init__(self, message: str, response: Any = None) -> None:
        super().__init__(message)
        self.response = response


# caproto's names, so that ``except CaprotoTimeoutError`` keeps working for
# users who switch imports.
CaprotoError = CAError
CaprotoTimeoutError = CATimeoutError
CaprotoValueError = CAValueError
ValidationError = CAValueError
