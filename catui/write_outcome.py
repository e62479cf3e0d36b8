"""How a write went, in a sentence for the operator (pure; used by the write worker)."""

from __future__ import annotations

from typing import Any

from protocol.errors import (
    CATimeoutError,
    CAValueError,
    ChannelAccessDenied,
    ConnectTimeoutError,
    DisconnectedError,
    ErrorResponseReceived,
)
from protocol.sync.cancel import CACancelledError, CancelledBeforeSendingError

__all__ = [
    "DEADLINE",
    "DIALOG_CLOSED",
    "QUIT",
    "answered",
    "describe_write",
    "journal_status",
    "unreachable",
]

#: Why a write was abandoned (a write link's ``abandoned``).
QUIT = "catui quit"
DEADLINE = "the write timeout passed"
DIALOG_CLOSED = "the write dialog closed"


def describe_write(
    pv: str,
    text: str,
    response: Any,
    error: BaseException | None,
    timeout: float,
    *,
    abandoned: str | None = None,
) -> tuple[bool, str]:
    """``(ok, sentence)`` for a write of ``text`` to ``pv`` that returned or raised.

    ``abandoned`` is why the write was given up, if it was (:data:`QUIT`,
    :data:`DEADLINE`): a cancelled write is worded from it.
    """
    if error is None:
        status = getattr(response, "status", None)
        if status is None or status.success:
            return True, f"wrote {text} to {pv}: completed"
        return (
            False,
            f"write to {pv} failed: the IOC answered {status.name} ({status.description})",
        )
    if isinstance(error, CancelledBeforeSendingError):
        why = abandoned or "cancelled"
        return False, f"not written to {pv}: {why} before it was sent"
    if isinstance(error, CACancelledError) and abandoned == QUIT:
        return False, (
            f"write to {pv} abandoned when catui quit: it was sent, the outcome is "
            "unknown; check the value"
        )
    if isinstance(error, ChannelAccessDenied):
        return False, f"write to {pv} refused: no write access"
    if isinstance(error, ConnectTimeoutError):  # before anything was sent
        return False, f"not written to {pv}: {error}"
    if isinstance(error, (CATimeoutError, CACancelledError)):
        return False, (
            f"write to {pv} timed out: no completion within {timeout:g} s; it was sent, "
            "so check the value before writing again"
        )
    if isinstance(error, ErrorResponseReceived):
        return False, f"write to {pv} failed: {error}"
    if isinstance(error, (CAValueError, ValueError)):
        return False, f"not written to {pv}: {error}"
    if isinstance(error, DisconnectedError):
        return False, (
            f"write to {pv}: disconnected before completion was reported ({error}); "
            "the outcome is unknown, check the value before writing again"
        )
    return False, f"write to {pv} failed: {error}"


def journal_status(
    response: Any, error: BaseException | None, abandoned: str | None = None
) -> tuple[str, str]:
    """``(status, reply)`` of a write for the journal (:class:`catui.data.journal.JournalEntry`).

    ``status`` is ``completed``, ``failed``, ``timed out`` (sent, no completion),
    ``unknown`` (disconnected after it may have been sent), ``abandoned`` (sent, then
    given up when catui quit: the outcome is unknown), ``refused`` or ``not written``
    (nothing sent); ``reply`` names the server's status (``ECA_NORMAL``), or is
    empty when the server said nothing (the error's sentence is then the journal's reply).
    """
    if error is None:
        status = getattr(response, "status", None)
        if status is None:
            return "completed", ""
        if status.success:
            return "completed", status.name
        return "failed", f"{status.name} ({status.description})"
    if isinstance(error, CancelledBeforeSendingError):
        return "not written", ""
    if isinstance(error, CACancelledError):
        return ("abandoned" if abandoned == QUIT else "timed out"), ""
    if isinstance(error, ChannelAccessDenied):
        return "refused", ""
    if isinstance(error, (ConnectTimeoutError, CAValueError, ValueError)):
        return "not written", ""
    if isinstance(error, CATimeoutError):
        return "timed out", ""
    if isinstance(error, DisconnectedError):
        return "unknown", ""
    return "failed", ""


def unreachable(error: BaseException) -> bool:
    """Whether a read failed because the PV could not be reached (not found, gone)."""
    return isinstance(error, (ConnectTimeoutError, DisconnectedError))


def answered(error: BaseException | None) -> bool:
    """Whether a write ended with the server's answer, or before anything was sent.

    Then nothing of it is on the way and its channel may be closed in good order;
    otherwise (timed out, disconnected, abandoned) it is reset, so that what has not
    reached the IOC's host never does.
    """
    if error is None:
        return True
    if isinstance(error, CACancelledError):
        return isinstance(error, CancelledBeforeSendingError)
    return isinstance(error, (ErrorResponseReceived, ChannelAccessDenied, CAValueError))
