"""The CA side of the console: one ``Blocker`` for every monitor, reads and writes.

:class:`CAFeed` runs in thread workers of the app (see :mod:`catui.app`); it never
touches Textual.  Monitor updates and connection changes go to the
:class:`~catui.messages.Mailbox`; control metadata is read (one ``read(...,
data_type='control')`` a PV, in its own worker) whenever a PV connects.
:class:`Feed` is what the app needs of a feed; :mod:`catui.dev.fake_feed` has a
fixed one for snapshots.

A write goes through a :class:`~catui.write_link.WriteLink` (see there) that the
feed makes.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from catui.messages import ConnectionEvent, Mailbox
from catui.model import ControlInfo
from catui.write_link import CAWriteLink, WriteLink, check_value
from protocol.sync.cancel import CACancelledError, Cancellation
from protocol.sync.client import Blocker, Subscription, read, subscribe, write
from protocol.sync.subscription import ConnectionState

if TYPE_CHECKING:
    from protocol.sync.diagnostics import BlockerDiagnostics

__all__ = ["CAFeed", "Feed"]

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
