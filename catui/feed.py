"""The CA side of the console: one ``Blocker`` for every monitor, reads and writes.

:class:`CAFeed` runs in thread workers of the app (see :mod:`catui.app`); it never
touches Textual.  Monitor updates and connection changes go to the
:class:`~catui.messages.Mailbox`; control metadata is read (one ``read(...,
data_type='control')`` a PV, in its own worker) whenever a PV connects.
:class:`Feed` is what the app needs of a feed; :mod:`catui.dev.fake_feed` has a
fixed one for snapshots.

A write goes through a :class:`WriteLink`: one channel kept from the moment the
write dialog opens (its reads tell where the limits come from and what the value is
when the write is armed) through the write itself and the read back.  Whatever it
is doing, :meth:`WriteLink.abort` (quit, the write's deadline) resets its sockets at
once: nothing of it that has not reached the IOC's host gets there later, and
nothing is searched, connected or sent again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from catui.messages import ConnectionEvent, Mailbox
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
from protocol.sync.client import Blocker, Subscription, read, subscribe, write
from protocol.sync.subscription import ConnectionState
from protocol.values import encode_values, value_count

if TYPE_CHECKING:
    from protocol.sync.channels import Channel
    from protocol.sync.diagnostics import BlockerDiagnostics

__all__ = ["CAFeed", "CAWriteLink", "Feed", "WriteLink", "check_value"]

_T = TypeVar("_T")

logger = logging.getLogger("catui.feed")

#: Tries at reading a PV's control metadata after it connects.
_CONTROL_ATTEMPTS = 3


class Feed(Protocol):
    """What the console needs of a data source."""

    def attach(self, mailbox: Mailbox) -> None:
        """Where to put updates; called once, before anything else."""

    def add(self, names: Iterable[str]) -> None:
        """Start monitoring ``names`` (thread-safe)."""

    def remove(self, names: Iterable[str]) -> None:
        """Stop monitoring ``names`` (thread-safe)."""

    def run_monitor(self) -> None:
        """Feed the mailbox until :meth:`stop` (runs in a worker thread)."""

    def run_control_reader(self) -> None:
        """Read control metadata of PVs as they connect, until :meth:`stop`."""

    def write_link(self, name: str) -> WriteLink:
        """A link for one write to ``name`` (no I/O: it connects on first use)."""

    def check_value(self, value: Any, type_name: str, count: int) -> None:
        """Raise ValueError (in the client library's words) for a value it would refuse."""

    def stop(self) -> None:
        """End both ``run_*`` loops (thread-safe, idempotent)."""

    def diagnostics(self) -> BlockerDiagnostics:
        """A snapshot of searches, circuits and duplicates (thread-safe, no I/O)."""


class CAFeed:
    """Monitors through one long-lived :class:`~protocol.sync.client.Blocker`.

    Parameters
    ----------
    control_timeout : float
        Seconds for each control-metadata read.
    """

    def __init__(self, control_timeout: float = 2.0) -> None:
        self.control_timeout = control_timeout
        self._mailbox: Mailbox | None = None
        self._blocker = Blocker(keep_searching=True, reconnect=True, repeater=False)
        self._blocker_used = False
        self._subs: dict[str, Subscription] = {}
        self._lock = threading.Lock()
        self._controls: queue.Queue[tuple[str, int] | None] = queue.Queue()
        self._stopped = threading.Event()
        # Ends a control-metadata read in flight when the console quits.
        self._stopping = Cancellation("catui quit")
        # The subscription holds its callbacks weakly; these bound methods live
        # as long as this feed, which the app keeps.
        self._update_cb = self._on_update
        self._connection_cb = self._on_connection

    def attach(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox

    def add(self, names: Iterable[str]) -> None:
        new = []
        with self._lock:
            for name in names:
                if name in self._subs:
                    continue
                sub = subscribe(name)
                sub.add_callback(self._update_cb)
                sub.add_connection_callback(self._connection_cb)
                self._subs[name] = sub
                new.append(sub)
            blocker = self._blocker
        if new:
            blocker.add(*new)

    def remove(self, names: Iterable[str]) -> None:
        with self._lock:
            gone = [self._subs.pop(name) for name in names if name in self._subs]
            blocker = self._blocker
        if gone:
            blocker.remove(*gone)

    def run_monitor(self) -> None:
        """Run the Blocker until :meth:`stop`; after a failure, a new one per call.

        Raises
        ------
        Exception
            Whatever ended the Blocker, once every PV was marked disconnected (nothing
            flows any more, so no row may stay "connected"); the app reports it and
            calls again later, which starts a fresh Blocker with every subscription.
        """
        with self._lock:
            if self._stopped.is_set():
                return
            if self._blocker_used:  # its state died with the failure that ended it
                self._blocker = Blocker(
                    *self._subs.values(), keep_searching=True, reconnect=True, repeater=False
                )
            self._blocker_used = True
            blocker = self._blocker
        try:
            blocker.run()
        except Exception:
            with self._lock:
                subs = list(self._subs.values())
            for sub in subs:
                self._on_connection(sub, ConnectionState.DISCONNECTED, None)
            raise

    def run_control_reader(self) -> None:
        while not self._stopped.is_set():
            item = self._controls.get()
            if item is None:
                break
            name, attempt = item
            with self._lock:
                wanted = name in self._subs
            if not wanted:
                continue
            try:
                response = self._read_control(name)
            except CACancelledError:  # stopped meanwhile
                break
            except Exception as exc:  # gone again, or slow
                logger.info("control metadata of %r: %s", name, exc)
                if attempt < _CONTROL_ATTEMPTS:
                    self._controls.put((name, attempt + 1))
                elif self._mailbox is not None:
                    self._mailbox.put_control(name, ControlInfo())  # no longer "reading…"
                continue
            if self._mailbox is not None:
                self._mailbox.put_control(name, ControlInfo.from_metadata(response.metadata))

    def _read_control(self, name: str) -> Any:
        """``read(name, data_type='control')``, ended at once by :meth:`stop`."""
        from protocol.sync.channels import open_channel

        with open_channel(
            name, timeout=self.control_timeout, repeater=False, cancel=self._stopping
        ) as channel:
            return channel.read(data_type="control")

    def read(self, name: str, timeout: float) -> Any:
        """One plain read (``DBR_TIME``) on a circuit of its own; the response."""
        return read(name, data_type="time", timeout=timeout, repeater=False)

    def write(self, name: str, value: Any, timeout: float) -> Any:
        """One write with notify on a circuit of its own; the response."""
        return write(name, value, notify=True, timeout=timeout, repeater=False)

    def write_link(self, name: str) -> CAWriteLink:
        return CAWriteLink(name)

    def check_value(self, value: Any, type_name: str, count: int) -> None:
        check_value(value, type_name, count)

    def diagnostics(self) -> BlockerDiagnostics:
        return self._blocker.diagnostics()

    def stop(self) -> None:
        self._stopped.set()
        self._stopping.cancel()
        with self._lock:  # not the Blocker run_monitor is about to replace
            blocker = self._blocker
        blocker.interrupt()
        self._controls.put(None)

    # -- callbacks, in the monitor thread ------------------------------------
    def _on_update(self, sub: Subscription, response: Any) -> None:
        if self._mailbox is not None:
            self._mailbox.put_update(sub.pv_name, response)

    def _on_connection(
        self, sub: Subscription, state: ConnectionState, address: tuple[str, int] | None
    ) -> None:
        if self._mailbox is None:
            return
        event = ConnectionEvent(
            state.value, address, sub.native_data_type, sub.native_data_count, sub.access_rights
        )
        self._mailbox.put_connection(sub.pv_name, event)
        if state is ConnectionState.CONNECTED:
            self._controls.put((sub.pv_name, 1))


# -- writes ----------------------------------------------------------------------------
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
