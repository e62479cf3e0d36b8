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

__all__ = ["describe_write", "journal_status"]


def describe_write(
    pv: str, text: str, response: Any, error: BaseException | None, timeout: float
) -> tuple[bool, str]:
    """``(ok, sentence)`` for a write of ``text`` to ``pv`` that returned or raised."""
    if error is None:
        status = getattr(response, "status", None)
        if status is None or status.success:
            return True, f"wrote {text} to {pv}: completed"
        return (
            False,
            f"write to {pv} failed: the IOC answered {status.name} ({status.description})",
        )
    if isinstance(error, ChannelAccessDenied):
        return False, f"write to {pv} refused: no write access"
    if isinstance(error, ConnectTimeoutError):  # before anything was sent
        return False, f"not written to {pv}: {error}"
    if isinstance(error, CATimeoutError):
        return False, (
            f"write to {pv} timed out: no completion within {timeout:g} s; it was sent, "
            "so check the value before writing again"
        )
    if isinstance(error, ErrorResponseReceived):
        return False, f"write to {pv} failed: {error}"
    if isinstance(error, CAValueError):
        return False, f"not written to {pv}: {error}"
    if isinstance(error, DisconnectedError):
        return False, (
            f"write to {pv}: disconnected before completion was reported ({error}); "
            "the outcome is unknown, check the value before writing again"
        )
    return False, f"write to {pv} failed: {error}"


def journal_status(response: Any, error: BaseException | None) -> tuple[str, str]:
    """``(status, reply)`` of a write for the journal (:class:`catui.data.journal.JournalEntry`).

    ``status`` is ``completed``, ``failed``, ``timed out`` (sent, no completion),
    ``unknown`` (disconnected after it may have been sent), ``refused`` or ``not
    written`` (nothing sent); ``reply`` names the server's status (``ECA_NORMAL``), or is
    empty when the server said nothing (the error's sentence is then the journal's reply).
    """
    if error is None:
        status = getattr(response, "status", None)
        if status is None:
            return "completed", ""
        if status.success:
            return "completed", status.name
        return "failed", f"{status.name} ({status.description})"
    if isinstance(error, ChannelAccessDenied):
        return "refused", ""
    if isinstance(error, (ConnectTimeoutError, CAValueError)):
        return "not written", ""
    if isinstance(error, CATimeoutError):
        return "timed out", ""
    if isinstance(error, DisconnectedError):
        return "unknown", ""
    return "failed", ""
