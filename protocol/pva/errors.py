"""pvAccess errors: the package's one base (:class:`~protocol.errors.CAError`) extended.

Every class here also derives from its Channel Access counterpart, so that a caller
who already catches ``CAError``, ``RemoteProtocolError`` or ``CATimeoutError`` catches
the pvAccess faults too.
"""

from __future__ import annotations

from ..errors import (
    CAError,
    CAProtocolError,
    CATimeoutError,
    CAValueError,
    LocalProtocolError,
    RemoteProtocolError,
)

__all__ = [
    "PVAConnectionError",
    "PVAError",
    "PVALocalProtocolError",
    "PVAProtocolError",
    "PVARemoteError",
    "PVARemoteProtocolError",
    "PVATimeoutError",
    "PVAValueError",
]


class PVAError(CAError):
    """Base of every pvAccess error this package raises on purpose."""


class PVAProtocolError(PVAError, CAProtocolError):
    """Bytes or a sequence of messages that break the pvAccess protocol."""


class PVARemoteProtocolError(PVAProtocolError, RemoteProtocolError):
    """The peer sent something malformed or out of place (the message says what)."""


class PVALocalProtocolError(PVAProtocolError, LocalProtocolError):
    """We were asked to send something the protocol forbids in the current state."""


class PVAValueError(PVAError, CAValueError):
    """A value or argument that cannot be encoded."""


class PVATimeoutError(PVAError, CATimeoutError):
    """A step (discovery, connect, a reply) did not finish within its time budget."""


class PVAConnectionError(PVAError, ConnectionError):
    """A server refused the TCP connection, or closed it before the conversation ended."""


class PVARemoteError(PVAError):
    """The server answered with an error status.

    Parameters
    ----------
    message : str
        What the server said, with what we asked it.
    status : object, optional
        The :class:`~protocol.pva.wire.Status` that carried the failure.
    """

    def __init__(self, message: str, status: object = None) -> None:
        super().__init__(message)
        self.status = status
