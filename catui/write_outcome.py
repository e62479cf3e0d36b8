"""How a write went, in a sentence for the operator (pure; used by the write worker)."""

from __future__ import annotations

from typing import Any

from protocol.errors import (
    CATimeoutError,
    CAValueError,
    ChannelAccessDenied,
    DisconnectedError,
    ErrorResponseReceived,
)

__all__ = ["describe_write"]


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
    if isinstance(error, CATimeoutError):
        return False, f"write to {pv} timed out: no completion within {timeout:g} s"
    if isinstance(error, ErrorResponseReceived):
        return False, f"write to {pv} failed: {error}"
    if isinstance(error, CAValueError):
        return False, f"not written to {pv}: {error}"
    if isinstance(error, DisconnectedError):
        return False, f"write to {pv} failed: disconnected ({error})"
    return False, f"write to {pv} failed: {error}"
