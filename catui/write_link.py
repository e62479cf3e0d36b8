"""A write's channel: kept from the write dialog's opening to the read back, abandoned at once.

A :class:`WriteLink` is one channel kept from the moment the write dialog opens (its
reads tell where the limits come from, and what the value is when the write is
armed) through the write itself and the read back after it.  Whatever it is doing,
:meth:`WriteLink.abort` (quit, the write's deadline) resets its sockets at once:
nothing of it that has not reached the IOC's host gets there later, and nothing is
searched, connected or sent again.  :class:`CAWriteLink` is the CA one
(:meth:`catui.feed.CAFeed.write_link`); :func:`check_value` asks the client library
whether it would accept a value, before anything is sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from catui.model import ControlInfo, decode_data
from protocol.channel_types import ChannelType
from protocol.errors import (
    CAError,
    CATimeoutError,
    CAValueError,
    ConnectTimeoutError,
    DisconnectedError,
)
from protocol.sync.cancel import CACancelledError, Cancellation
from protocol.values import encode_values, value_count

if TYPE_CHECKING:
    from protocol.sync.channels import Channel

__all__ = ["CAWriteLink", "WriteLink", "check_value"]

logger = logging.getLogger("catui.write_link")

_T = TypeVar("_T")


class WriteLink(Protocol):
    """One PV's channel kept for one write: reads before it, the write, the read back.

    Its calls block (run them in a worker thread), one at a time; :meth:`abort` may be
    called from any thread, at any moment.
    """

    name: str

    @property
    def abandoned(self) -> str | None:
        """Why :meth:`abort` was called (None while the link is usable)."""

    def read_value(self, timeout: float) -> Any:
        """The PV's value now (a numpy array, or a list of str)."""

    def read_control(self, timeout: float) -> tuple[Any, ControlInfo]:
        """The PV's value and control metadata (limits, units, enum choices) now."""

    def read_fields(self, names: Sequence[str], timeout: float) -> dict[str, Any]:
        """The first value of each PV of ``names`` that answers (record fields).

        Missing ones are left out; the answers are kept for the link's life.
        """

    def write(self, value: Any, timeout: float) -> Any:
        """Write with notify and wait for completion; the response (its ``status``)."""

    def close(self) -> None:
        """Close the channel in good order (after a write that was answered)."""

    def abort(self, reason: str) -> None:
        """Abandon the link now, from any thread: its sockets are reset, nothing more sent."""


_CHANNEL_TYPES = {
    "STRING": ChannelType.STRING,
    "SHORT": ChannelType.INT,
    "FLOAT": ChannelType.FLOAT,
    "ENUM": ChannelType.ENUM,
    "CHAR": ChannelType.CHAR,
    "LONG": ChannelType.LONG,
    "DOUBLE": ChannelType.DOUBLE,
}


def check_value(value: Any, type_name: str, count: int) -> None:
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
    values = decode_data(data, None)
    if not len(values):
        return None
    first = values[0]
    return first.item() if hasattr(first, "item") else first


class CAWriteLink:
    """A :class:`WriteLink` on our CA client: one ``Channel``, opened when first used.

    Every socket it makes (searches, the circuit, the circuits of the fields it reads)
    is registered with one :class:`~protocol.sync.cancel.Cancellation`, which
    :meth:`abort` cancels.
    """

    def __init__(self, name: str) -> None:
        self.name = name
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
            self.name,
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

    def read_value(self, timeout: float) -> Any:
        response = self._run(lambda deadline: self._read(deadline, "time"), timeout)
        return decode_data(response.data, None)

    def read_control(self, timeout: float) -> tuple[Any, ControlInfo]:
        response = self._run(lambda deadline: self._read(deadline, "control"), timeout)
        return decode_data(response.data, None), ControlInfo.from_metadata(response.metadata)

    def read_fields(self, names: Sequence[str], timeout: float) -> dict[str, Any]:
        def fields(deadline: float) -> dict[str, Any]:
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

    def write(self, value: Any, timeout: float) -> Any:
        def put(deadline: float) -> Any:
            channel = self._open(deadline)
            return channel.write(value, notify=True, timeout=self._remaining(deadline, "writing"))

        return self._run(put, timeout)

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
