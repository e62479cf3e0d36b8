"""Textual messages posted by the console's workers (the mailbox: :mod:`catui.feeds.mailbox`)."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from catui.feeds.base import ControlInfo

__all__ = ["TerminalLost", "WriteChecked", "WriteFinished"]


class TerminalLost(Message):
    """The terminal went away (hung up, closed) or the console was told to end.

    ``reason`` is for the record: ``"hangup"`` (SIGHUP), ``"terminated"`` (SIGTERM),
    or what failed (``"terminal write failed: [Errno 5] Input/output error"``).
    """

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class WriteChecked(Message):
    """A write link read the PV: when the write dialog opened, or when it was armed.

    ``purpose`` is ``"open"`` or ``"arm"``.  ``data`` is the value now (a numpy array or
    a list of str) and ``info`` its control metadata, or both None and ``error``
    says why the read failed (``disconnected`` then tells that the PV could not be
    reached at all).  ``limit_source`` is where the control limits come from
    (:func:`catui.data.write_value.limit_source`; None: not known).
    """

    def __init__(
        self,
        pv: str,
        purpose: str,
        data: Any = None,
        info: ControlInfo | None = None,
        limit_source: str | None = None,
        error: str = "",
        disconnected: bool = False,
    ) -> None:
        super().__init__()
        self.pv = pv
        self.purpose = purpose
        self.data = data
        self.info = info
        self.limit_source = limit_source
        self.error = error
        self.disconnected = disconnected


class WriteFinished(Message):
    """A write worker ended: ``ok`` and a sentence for the operator.

    ``old`` is the value read just before the write (a list of str or a numpy array;
    None if that read failed): what undo writes back.  ``reported`` is the IOC's value
    read back after a successful write, as data (None if not read); the sentence
    already says it, exactly.
    """

    def __init__(
        self, pv: str, ok: bool, text: str, old: Any = None, reported: Any = None
    ) -> None:
        super().__init__()
        self.pv = pv
        self.ok = ok
        self.text = text
        self.old = old
        self.reported = reported
