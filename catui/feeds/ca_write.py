"""The CA write link, and how a CA write went (:class:`~catui.feeds.base.WriteOutcome`).

A :class:`CAWriteLink` is one channel kept from the moment the write dialog opens (its
reads tell where the limits come from, and what the value is when the write is
armed) through the write itself and the read back after it.  Whatever it is doing,
:meth:`CAWriteLink.abort` (quit, the write's deadline) resets its sockets at once:
nothing of it that has not reached the IOC's host gets there later, and nothing is
searched, connected or sent again.  That channel is the link's own, not the
Blocker's: a Blocker request is cancelled by the Blocker, but only this link's own
sockets can be reset from the quitting thread without waiting for anyone, which is
what the write-safety rules (nothing lands after a timeout or quit) ask.
:func:`check_value` asks the client library whether it would accept a value,
before anything is sent; :func:`classify` tells once what became of a write.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from catui.feeds.base import QUIT, ControlInfo, Values, WriteOutcome, decode_values
from protocol.channel_types import ChannelType
from protocol.errors import (
    CAError,
    CATimeoutError,
    CAValueError,
    ChannelAccessDenied,
    ConnectTimeoutError,
    DisconnectedError,
    ErrorResponseReceived,
)
from protocol.sync.cancel import CACancelledError, Cancellation, CancelledBeforeSendingError
from protocol.values import encode_values, value_count

if TYPE_CHECKING:
    from protocol.sync.channels import Channel

__all__ = [
    "CAWriteLink",
    "answered",
    "check_value",
    "classify",
    "describe_write",
    "journal_status",
    "unreachable",
]

logger = logging.getLogger("catui.write_link")

_T = TypeVar("_T")


_CHANNEL_TYPES = {
    "STRING": ChannelType.STRING,
    "SHORT": ChannelType.INT,
    "FLOAT": ChannelType.FLOAT,
    "ENUM": ChannelType.ENUM,
    "CHAR": ChannelType.CHAR,
    "LONG": ChannelType.LONG,
    "DOUBLE": ChannelType.DOUBLE,
}


def check_value(value: object, type_name: str, count: int) -> None:
    """Refuse, before anything is sent, a value the client library would refuse.

    The library's own encoder is asked (``protocol.values.encode_values``), so the
    console and the library never disagree on what a channel can hold.

    Raises
    ------
    ValueError
        In the library's words.
    """
    native = _CHANNEL_TYPES.get(type_name)
    if native is None:
        return  # a type the console does not know: the library decides when writing
    try:
        encode_values(value, native)
        given = value_count(value, native)
    except CAValueError as exc:
        raise ValueError(str(exc)) from None
    if given == 0:
        raise ValueError("nothing to write: the value is empty")
    if count and given > count:
        raise ValueError(f"the PV holds at most {count} element(s); {given} given")


def _first(data: Any) -> Any:
    values = decode_values(data)
    if not len(values):
        return None
    first = values[0]
    return first.item() if hasattr(first, "item") else first


class CAWriteLink:
    """A :class:`~catui.feeds.base.WriteLink` on our CA client: one ``Channel``, opened lazily.

    Every socket it makes (searches, the circuit, the circuits of the fields it reads)
    is registered with one :class:`~protocol.sync.cancel.Cancellation`, which
    :meth:`abort` cancels.
    """

    def __init__(self, name: str) -> None:
        from catui.feeds.names import split_protocol

        self.name = name
        self._bare = split_protocol(name)[1]  # ca://NAME: the name CA knows
        self._cancel = Cancellation()
        self._lock = threading.Lock()  # guards what follows
        self._busy = False
        self._channel: Channel | None = None
        self._fields: dict[str, Any] = {}
        self._operation = threading.Lock()  # one call at a time
        self.abandoned: str | None = None

    def __repr__(self) -> str:
        state = f"abandoned ({self.abandoned})" if self.abandoned else "usable"
        return f"<CAWriteLink {self.name!r} {state}>"

    def _run(self, operation: Callable[[float], _T], timeout: float) -> _T:
        with self._operation:
            deadline = time.monotonic() + timeout
            with self._lock:
                self._cancel.check(f"not sent to {self.name!r}")
                self._busy = True
            try:
                return operation(deadline)
            finally:
                with self._lock:
                    self._busy = False
                    if self._cancel.cancelled:
                        self._drop_channel()

    def _remaining(self, deadline: float, what: str) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:  # before the request: nothing of it was sent
            raise ConnectTimeoutError(f"{what} {self.name!r}: no time left")
        return remaining

    def _open(self, deadline: float) -> Channel:
        from protocol.sync.channels import open_channel

        channel = self._channel
        if channel is not None and not channel.closed:
            return channel
        self._channel = None
        if channel is not None:
            channel.close()
        channel = open_channel(
            self._bare,
            # To the millisecond: errors name it ("not found: searched … for 2 s").
            timeout=max(0.001, round(self._remaining(deadline, "connecting to"), 3)),
            repeater=False,
            cancel=self._cancel,
        )
        with self._lock:
            self._channel = channel
        return channel

    def _read(self, deadline: float, data_type: str) -> Any:
        # A read may be repeated: once more on a fresh circuit if the kept one has died
        # since (the IOC restarted while the dialog was open).
        for attempt in (1, 2):
            channel = self._open(deadline)
            try:
                return channel.read(
                    data_type=data_type, timeout=self._remaining(deadline, "reading")
                )
            except DisconnectedError:
                channel.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def read_value(self, timeout: float) -> Values:
        response = self._run(lambda deadline: self._read(deadline, "time"), timeout)
        return decode_values(response.data)

    def read_control(self, timeout: float) -> tuple[Values, ControlInfo]:
        from catui.feeds.ca import control_info

        response = self._run(lambda deadline: self._read(deadline, "control"), timeout)
        return decode_values(response.data), control_info(response.metadata)

    def read_fields(self, names: Sequence[str], timeout: float) -> dict[str, object]:
        def fields(deadline: float) -> dict[str, object]:
            from protocol.sync.channels import open_channels

            wanted = [name for name in names if name not in self._fields]
            if wanted:
                # Asked once: a field that is not there stays not there (None).
                self._fields.update(dict.fromkeys(wanted))
                with open_channels(
                    wanted,
                    timeout=self._remaining(deadline, "reading"),
                    repeater=False,
                    cancel=self._cancel,
                ) as channels:
                    for name, channel in channels.items():
                        try:
                            response = channel.read(timeout=self._remaining(deadline, "reading"))
                        except CACancelledError:
                            raise
                        except CATimeoutError:
                            break
                        except CAError as exc:  # no read access, refused: not known
                            logger.info("reading %r: %s", name, exc)
                            continue
                        self._fields[name] = _first(response.data)
            return {name: self._fields[name] for name in names if self._fields[name] is not None}

        return self._run(fields, timeout)

    def write(self, value: object, timeout: float) -> object:
        def put(deadline: float) -> Any:
            channel = self._open(deadline)
            return channel.write(value, notify=True, timeout=self._remaining(deadline, "writing"))

        return self._run(put, timeout)

    def outcome(
        self, text: str, reply: object, error: BaseException | None, timeout: float
    ) -> WriteOutcome:
        return classify(self.name, text, reply, error, timeout, abandoned=self.abandoned)

    def unreachable(self, error: BaseException) -> bool:
        return unreachable(error)

    def close(self) -> None:
        with self._lock:
            channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()

    def abort(self, reason: str) -> None:
        with self._lock:
            if self.abandoned is None:
                self.abandoned = reason
            self._cancel.cancel(reason)
            if not self._busy:  # no call to wake: close it here (a reset, no waiting)
                self._drop_channel()

    def _drop_channel(self) -> None:
        """Close the channel of a cancelled link (its sockets reset: RST, never blocks)."""
        channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()


# -- what became of a write -------------------------------------------------------
def classify(
    pv: str,
    text: str,
    reply: object,
    error: BaseException | None,
    timeout: float,
    *,
    abandoned: str | None = None,
) -> WriteOutcome:
    """How a CA write of ``text`` to ``pv`` went: it returned ``reply`` or raised ``error``.

    ``abandoned`` is why the write was given up, if it was (``QUIT``, ``DEADLINE``
    of :mod:`catui.feeds.base`): a cancelled write is worded from it.  The journal's
    status is ``completed``, ``failed``, ``timed out`` (sent, no completion),
    ``unknown`` (disconnected after it may have been sent), ``abandoned`` (sent,
    then given up when catui quit), ``refused`` or ``not written`` (nothing sent);
    its reply names the server's status (``ECA_NORMAL``), or is empty when the
    server said nothing.
    """
    outcome = _classify(pv, text, reply, error, timeout, abandoned)
    return dataclasses.replace(outcome, answered=answered(error))


def _classify(
    pv: str,
    text: str,
    reply: object,
    error: BaseException | None,
    timeout: float,
    abandoned: str | None,
) -> WriteOutcome:
    if error is None:
        status = getattr(reply, "status", None)
        if status is None:
            return WriteOutcome(True, f"wrote {text} to {pv}: completed", "completed")
        if status.success:
            return WriteOutcome(True, f"wrote {text} to {pv}: completed", "completed", status.name)
        said = f"{status.name} ({status.description})"
        return WriteOutcome(
            False, f"write to {pv} failed: the IOC answered {said}", "failed", said
        )
    sent_unknown = (
        f"write to {pv} timed out: no completion within {timeout:g} s; it was sent, "
        "so check the value before writing again"
    )
    if isinstance(error, CancelledBeforeSendingError):
        why = abandoned or "cancelled"
        return WriteOutcome(False, f"not written to {pv}: {why} before it was sent", "not written")
    if isinstance(error, CACancelledError):
        if abandoned == QUIT:
            sentence = (
                f"write to {pv} abandoned when catui quit: it was sent, the outcome is "
                "unknown; check the value"
            )
            return WriteOutcome(False, sentence, "abandoned")
        return WriteOutcome(False, sent_unknown, "timed out")
    if isinstance(error, ChannelAccessDenied):
        return WriteOutcome(False, f"write to {pv} refused: no write access", "refused")
    if isinstance(error, ConnectTimeoutError):  # before anything was sent
        return WriteOutcome(False, f"not written to {pv}: {error}", "not written")
    if isinstance(error, CATimeoutError):
        return WriteOutcome(False, sent_unknown, "timed out")
    if isinstance(error, ErrorResponseReceived):
        return WriteOutcome(False, f"write to {pv} failed: {error}", "failed")
    if isinstance(error, (CAValueError, ValueError)):
        return WriteOutcome(False, f"not written to {pv}: {error}", "not written")
    if isinstance(error, DisconnectedError):
        sentence = (
            f"write to {pv}: disconnected before completion was reported ({error}); "
            "the outcome is unknown, check the value before writing again"
        )
        return WriteOutcome(False, sentence, "unknown")
    return WriteOutcome(False, f"write to {pv} failed: {error}", "failed")


def describe_write(
    pv: str,
    text: str,
    response: object,
    error: BaseException | None,
    timeout: float,
    *,
    abandoned: str | None = None,
) -> tuple[bool, str]:
    """``(ok, sentence)`` of :func:`classify`."""
    outcome = classify(pv, text, response, error, timeout, abandoned=abandoned)
    return outcome.ok, outcome.sentence


def journal_status(
    response: object, error: BaseException | None, abandoned: str | None = None
) -> tuple[str, str]:
    """``(status, reply)`` of :func:`classify`, for the journal."""
    outcome = classify("", "", response, error, 0.0, abandoned=abandoned)
    return outcome.status, outcome.reply


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
