"""Every write of the console in one place: its links, workers and bookkeeping.

:class:`WriteDesk` opens the write links (a dialog's, a write's), reads a PV for a
dialog or undo being armed, writes in a worker (read before, write with notify, read
back), journals each write, and keeps what the rest asks about: the writes still
waiting for completion and the last one that completed (undo's).  The app and the
screens talk to it; neither asks the other.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App
from textual.message_pump import MessagePump

from catui.data import journal
from catui.data.write_value import limit_fields, limit_source, record_of
from catui.dialogs.write import WriteRequest
from catui.feeds.base import DEADLINE, ControlInfo, Feed, WriteLink, WriteOutcome
from catui.messages import WriteChecked, WriteFinished
from catui.write_preview import WriteTarget, enum_index, exact_text

__all__ = ["CHECK_TIMEOUT", "FIELD_TIMEOUT", "ReadOnlyError", "WriteDesk"]

#: Seconds for the reads of a write dialog (the value when armed, where limits come
#: from), at most: the write's own deadline starts only when it is confirmed.
CHECK_TIMEOUT = 2.0
#: Seconds for each read of a record's fields that tell where its limits come from (a
#: field that is not there costs all of it: its search is never answered).
FIELD_TIMEOUT = 1.0


class ReadOnlyError(RuntimeError):
    """A write asked of a read-only console."""


class WriteDesk:
    """Owns the console's writes.

    Parameters
    ----------
    app : App
        Runs the workers and timers, and shows a journal that cannot be written.
    feed : Feed
        Where write links come from.
    journal_path : Path
        The write journal (JSON Lines, appended to).
    write_timeout : float
        Seconds a write may take, from the moment it is confirmed.
    read_only : bool
        Refuse every write: no link is ever opened (``--read-only``).
    """

    def __init__(
        self,
        app: App[Any],
        feed: Feed,
        journal_path: Path,
        write_timeout: float,
        read_only: bool = False,
    ) -> None:
        self._app = app
        self.read_only = read_only
        self._feed = feed
        self.journal_path = journal_path
        self.write_timeout = write_timeout
        #: The write links open (write dialogs, writes in flight): abandoned at exit.
        self.links: set[WriteLink] = set()
        #: (PV, its value read just before the last write that completed): for undo.
        self.last_write: tuple[str, Any] | None = None
        #: What the last completed write wrote to (its type, count, choices): undo needs it
        #: for a PV that is not a row, a record's field written from the record view.
        self.last_target: WriteTarget | None = None
        self._pending: dict[str, int] = {}
        # The write workers finish in their threads; the UI asks meanwhile.
        self._lock = threading.Lock()

    def open_link(self, name: str) -> WriteLink:
        """A write link to ``name`` (no I/O yet), abandoned at exit if still open.

        Raises
        ------
        ReadOnlyError
            The console is read-only (every write path ends here: none gets a link).
        """
        if self.read_only:
            raise ReadOnlyError(f"read-only console: no write link to {name}")
        link = self._feed.write_link(name)
        self.links.add(link)
        return link

    def release_link(self, link: WriteLink, reason: str) -> None:
        """Abandon ``link`` (a dialog closed without writing): its sockets are reset."""
        self.links.discard(link)
        link.abort(reason)

    def abandon_all(self, reason: str) -> None:
        """Abandon every write link now (thread-safe, no I/O): quitting."""
        for link in list(self.links):
            link.abort(reason)
        self.links.clear()

    @property
    def pending_writes(self) -> list[str]:
        """The PVs of writes still waiting for completion."""
        with self._lock:
            return sorted(self._pending)

    def check(self, reply_to: MessagePump, link: WriteLink, purpose: str) -> None:
        """Read the PV on ``link`` in a worker; ``reply_to`` gets a ``WriteChecked``."""
        self._app.run_worker(
            partial(self._check, reply_to, link, purpose),
            thread=True, exit_on_error=False, group="write-check",
        )  # fmt: skip

    def start(
        self, request: WriteRequest, reply_to: MessagePump, also: MessagePump | None = None
    ) -> None:
        """Write ``request`` in a worker; ``reply_to`` gets a ``WriteFinished``.

        ``also`` (a record view that asked for the write) gets one too: closed before
        the write ends, it misses its own, while ``reply_to`` (the watch screen, which
        tells the operator) never does.  The deadline holds even if the worker is
        stuck: then its link is reset.
        """
        with self._lock:
            self._pending[request.pv] = self._pending.get(request.pv, 0) + 1
        link = request.link
        if link is not None:
            started = request.confirmed_at or time.monotonic()
            left = max(0.0, started + self.write_timeout - time.monotonic())
            self._app.set_timer(left, lambda: link.abort(DEADLINE), name="write deadline")
        self._app.run_worker(
            partial(self._write, reply_to, request, also),
            thread=True, exit_on_error=False, group="write",
        )  # fmt: skip

    def _finished(self, message: WriteFinished, target: WriteTarget | None = None) -> None:
        with self._lock:
            self._pending[message.pv] -= 1
            if not self._pending[message.pv]:
                del self._pending[message.pv]
            if message.ok:
                # Even when the value before it is not known (None): undo then says so,
                # rather than write back the value before an earlier write, maybe to
                # another PV.
                self.last_write = (message.pv, message.old)
                self.last_target = target

    def _check(self, reply_to: MessagePump, link: WriteLink, purpose: str) -> None:
        """Read the PV on ``link`` (value, control metadata, where its limits come from).

        Posts a :class:`~catui.messages.WriteChecked` to ``reply_to`` (a write dialog,
        or the screen for undo).
        """
        timeout = min(CHECK_TIMEOUT, self.write_timeout)
        try:
            data, control = link.read_control(timeout)
        except Exception as exc:
            reply_to.post_message(
                WriteChecked(
                    link.name, purpose, error=str(exc), disconnected=link.unreachable(exc)
                )
            )
            return
        source = self._limit_source(link, control)
        reply_to.post_message(WriteChecked(link.name, purpose, data, control, source))

    @staticmethod
    def _limit_source(link: WriteLink, control: ControlInfo) -> str | None:
        """Where the control limits of ``link``'s PV come from (None: not known)."""
        record = record_of(link.name)
        if "control" not in control.limits or record is None:
            return None
        try:
            rtyp = link.read_fields([f"{record}.RTYP"], FIELD_TIMEOUT).get(f"{record}.RTYP")
            if not isinstance(rtyp, str):
                return None  # not a record of an IOC (or no answer): not known
            names = [f"{record}.{field}" for field in limit_fields(rtyp)]
            values = link.read_fields(names, FIELD_TIMEOUT)
        except Exception:  # slow, refused, abandoned: not known
            return None
        fields = {name.rpartition(".")[2]: value for name, value in values.items()}
        return limit_source(control.limits["control"], fields)

    def _write(
        self, reply_to: MessagePump, request: WriteRequest, also: MessagePump | None = None
    ) -> None:
        """Read, write with notify, read back; tell ``reply_to`` how it went, in words.

        One deadline for it all, ``write_timeout`` after the confirmation: the read
        before may use half of it at most (and 2 s).  The read before gives undo (and
        the journal) the value the IOC held right before this write; the read after,
        what the IOC reports now, which is what the operator is told, not what was
        typed.  A write that does not complete in time, or that is abandoned (quit),
        has its link aborted: its sockets are reset, so nothing of it that had not
        reached the IOC's host gets there later.
        """
        link = request.link
        assert link is not None
        if self.read_only:  # never reached through the screens; a last guard
            link.abort("read-only console")
            message = WriteFinished(request.pv, False, "read-only console: not written")
            self._finished(message)
            reply_to.post_message(message)
            return
        started = time.monotonic() if request.confirmed_at is None else request.confirmed_at
        deadline = started + self.write_timeout

        def left() -> float:
            return deadline - time.monotonic()

        old: Any = None
        sent = time.time()
        response: Any = None
        error: Exception | None = None
        reported: Any = None
        try:
            try:
                old = link.read_value(max(0.001, min(2.0, left() / 2)))
            except Exception:
                if link.abandoned is not None:
                    raise
                old = None  # not known: the write goes on
            if left() <= 0:
                # The read before (or a late worker) used the time up: nothing may go
                # out after the deadline, so the link is reset before anything is sent.
                link.abort(DEADLINE)
            sent = time.time()
            response = link.write(request.value, max(0.001, left()))
        except Exception as exc:
            error = exc
        outcome = link.outcome(request.text, response, error, self.write_timeout)
        ok, text = outcome.ok, outcome.sentence
        if ok and left() > 0 and link.abandoned is None:
            try:
                reported = link.read_value(left())
            except Exception:
                reported = None
        target = request.target
        if ok and reported is not None and target is not None:
            # What the IOC holds now, not what was typed: it may have clipped or rounded.
            text += f"; the IOC reports {exact_text(reported, target)}"
        if outcome.answered:
            link.close()  # nothing of it is still on the way
        else:
            link.abort(link.abandoned or DEADLINE)
        self.links.discard(link)
        message = WriteFinished(request.pv, ok, text, old, reported)
        # 3. What undo shows as "was" is what this write left, not what it replaced.
        try:
            written = (
                None
                if target is None
                else target.with_value(request.value if reported is None else reported)
            )
        except Exception:  # a value it cannot show: undo then arms from the row, if any
            written = None
        self._finished(message, written)
        reply_to.post_message(message)
        if also is not None and also is not reply_to:
            also.post_message(WriteFinished(request.pv, ok, text, old, reported))
        self.journal_write(request, sent, outcome, old, reported)

    def journal_write(
        self,
        request: WriteRequest,
        sent: float,
        outcome: WriteOutcome,
        old: Any = None,
        reported: Any = None,
    ) -> None:
        """Append a write to the journal (in the write's worker thread).

        ``old`` is the value read right before the write, ``reported`` the one read
        after it (None: not known).  A journal that cannot be written is a warning:
        the write itself was already reported, and must not look as if it failed.
        """
        status, reply = outcome.status, outcome.reply
        if not reply and status != "completed":
            reply = outcome.sentence  # the server said nothing: what the operator was told
        target = request.target
        more: dict[str, Any] = {"sent": request.sent}
        if target is None:
            old_text = request.old_text or None
            new_text = request.text
        else:
            old_text = None if old is None else exact_text(old, target, plain=True)
            new_text = exact_text(request.value, target, plain=True)
            more["reported"] = (
                None if reported is None else exact_text(reported, target, plain=True)
            )
            more["old_index"] = enum_index(old, target)
            more["new_index"] = enum_index(request.value, target)
            more["reported_index"] = enum_index(reported, target)
        entry = journal.new_entry(request.pv, old_text, new_text, status, reply, when=sent, **more)
        try:
            journal.append(self.journal_path, entry)
        except OSError as exc:
            # notify() is thread-safe; markup=False: a path or PV name may hold "[".
            self._app.notify(
                f"Write journal not written ({exc.strerror or exc}): {self.journal_path}",
                severity="warning",
                timeout=8,
                markup=False,
            )
