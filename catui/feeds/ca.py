"""The Channel Access feed: one long-lived ``Blocker`` for every monitor and its metadata.

:class:`CAFeed` runs in thread workers of the app (see :mod:`catui.app`); it never
touches Textual.  Monitor updates and connection changes go to the
:class:`~catui.feeds.mailbox.Mailbox`; a PV's control metadata (``DBR_CTRL_*``) is
read by the Blocker on the PV's own channel, pipelined with its subscription when it
connects and again after every reconnect
(:meth:`~protocol.sync.subscription.Subscription.add_control_callback`): no search,
no connection of its own; the control worker decodes the replies and posts them.

Everything CA the console needs is here: EPICS type names of CA's native types,
``DBR_CTRL`` metadata as :class:`~catui.feeds.base.ControlInfo`, access bits as
:class:`~catui.feeds.base.ChannelInfo`, and the lazy decode of an
``EventAddResponse`` (:class:`CADecoder`).  A write goes through a
:class:`~catui.feeds.ca_write.CAWriteLink`.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from catui.feeds.base import (
    CONNECTED,
    ChannelInfo,
    ConnectionEvent,
    ControlInfo,
    Decoded,
    Diagnostics,
    Update,
    Values,
    decode_values,
    type_limits,
)
from catui.feeds.ca_diagnostics import neutral_diagnostics
from catui.feeds.ca_write import CAWriteLink, check_value
from catui.feeds.mailbox import Mailbox
from catui.feeds.names import split_protocol
from protocol.channel_types import MAX_STRING_SIZE, ChannelType, native_type
from protocol.errors import CAError
from protocol.sync.cancel import CACancelledError
from protocol.sync.client import Blocker, Subscription, subscribe
from protocol.sync.subscription import ConnectionState
from protocol.values import STRING_ENCODING

__all__ = [
    "CA_DECODER",
    "CADecoder",
    "CAFeed",
    "channel_info",
    "control_info",
    "native_type_name",
]

logger = logging.getLogger("catui.feed")

_TYPE_NAMES = {
    ChannelType.STRING: "STRING",
    ChannelType.INT: "SHORT",
    ChannelType.FLOAT: "FLOAT",
    ChannelType.ENUM: "ENUM",
    ChannelType.CHAR: "CHAR",
    ChannelType.LONG: "LONG",
    ChannelType.DOUBLE: "DOUBLE",
}
#: Bytes of a DBR_STRING's text: 40 with its terminating NUL.
MAX_STRING_BYTES = MAX_STRING_SIZE - 1
_LIMIT_FIELDS = {
    "display": ("lower_disp_limit", "upper_disp_limit"),
    "alarm": ("lower_alarm_limit", "upper_alarm_limit"),
    "warning": ("lower_warning_limit", "upper_warning_limit"),
    "control": ("lower_ctrl_limit", "upper_ctrl_limit"),
}


def native_type_name(data_type: object) -> str:
    """EPICS's name of a CA type (``SHORT`` for CA's ``INT``); ``?`` if unknown."""
    if data_type is None:
        return "?"
    try:
        return _TYPE_NAMES[native_type(int(data_type))]  # type: ignore[call-overload]
    except (KeyError, ValueError, TypeError):
        return "?"


def channel_info(native: object, count: int | None, access: object) -> ChannelInfo:
    """A CA channel's :class:`ChannelInfo`: its type, count and access rights bits."""
    name = native_type_name(native)
    bits = 0 if access is None else int(access)  # type: ignore[call-overload]
    return ChannelInfo(
        type_name=name,
        count=1 if count is None else int(count),
        readable=bool(bits & 1),
        writable=bool(bits & 2),
        limits=type_limits(name, MAX_STRING_BYTES),
    )


def control_info(metadata: Any) -> ControlInfo:
    """Decode a ``DBR_CTRL_*`` (or any) metadata structure; missing fields stay empty."""
    if metadata is None:
        return ControlInfo()
    raw_units = getattr(metadata, "units", b"")
    units = raw_units.decode(STRING_ENCODING) if isinstance(raw_units, bytes) else ""
    precision = getattr(metadata, "precision", None)
    strings = tuple(
        s.decode(STRING_ENCODING) if isinstance(s, bytes) else str(s)
        for s in getattr(metadata, "enum_strings", ())
    )
    limits: dict[str, tuple[float, float]] = {}
    for kind, (low_name, high_name) in _LIMIT_FIELDS.items():
        low = getattr(metadata, low_name, None)
        high = getattr(metadata, high_name, None)
        if low is None or high is None:
            continue
        low, high = float(low), float(high)
        if math.isnan(low) or math.isnan(high) or low == high == 0.0:
            continue  # EPICS's way of saying "no limits"
        limits[kind] = (low, high)
    return ControlInfo(
        units=units,
        precision=None if precision is None else int(precision),
        enum_strings=strings,
        limits=limits,
    )


class CADecoder:
    """The :class:`~catui.feeds.base.Decoder` of ``EventAddResponse`` (and read replies)."""

    def decode(self, update: Update) -> Decoded:
        # Ten thousand a second at scale: decode_values inlined for arrays.
        response: Any = update
        data = response.data
        value: Values = decode_values(data) if isinstance(data, list) else np.array(data)
        metadata = response.metadata
        if metadata is None:
            return value, None, None, None
        stamp = getattr(metadata, "timestamp", None)
        return (
            value,
            int(getattr(metadata, "status", 0)),
            int(getattr(metadata, "severity", 0)),
            None if stamp is None else float(stamp),
        )

    def first(self, update: Update) -> float | None:
        data = update.data  # type: ignore[attr-defined]
        if len(data) and not isinstance(data, list):
            first = float(data[0])
            if math.isfinite(first):
                return first
        return None

    def alarm(self, update: Update) -> tuple[int, int] | None:
        alarm: tuple[int, int] | None = update.alarm  # type: ignore[attr-defined]
        return alarm

    def timestamp(self, update: Update) -> float | None:
        stamp = getattr(update.metadata, "timestamp", None)  # type: ignore[attr-defined]
        return None if stamp is None else float(stamp)


CA_DECODER = CADecoder()


class CAFeed:
    """Monitors, and their control metadata, through one :class:`Blocker`."""

    def __init__(self) -> None:
        self._mailbox: Mailbox | None = None
        self._blocker = Blocker(keep_searching=True, reconnect=True, repeater=False)
        self._blocker_used = False
        self._subs: dict[str, Subscription] = {}
        # The name shown of a subscription to a ``ca://`` name (its prefix kept).
        self._shown: dict[Subscription, str] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        # Control replies, from the Blocker's thread to the control worker's (None: stop).
        self._controls: queue.Queue[tuple[str, Any, BaseException | None] | None]
        self._controls = queue.Queue()
        # The subscription holds its callbacks weakly; these bound methods live
        # as long as this feed, which the app keeps.
        self._update_cb = self._on_update
        self._connection_cb = self._on_connection
        self._control_cb = self._on_control

    def attach(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox

    def add(self, names: Iterable[str]) -> None:
        new = []
        with self._lock:
            for name in names:
                if name in self._subs:
                    continue
                bare = split_protocol(name)[1]
                sub = subscribe(bare)
                if bare != name:
                    self._shown[sub] = name
                sub.add_callback(self._update_cb)
                sub.add_connection_callback(self._connection_cb)
                sub.add_control_callback(self._control_cb)
                self._subs[name] = sub
                new.append(sub)
            blocker = self._blocker
        if new:
            blocker.add(*new)

    def remove(self, names: Iterable[str]) -> None:
        with self._lock:
            gone = [self._subs.pop(name) for name in names if name in self._subs]
            for sub in gone:
                self._shown.pop(sub, None)
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
        """Decode the control replies the Blocker got and post them, until :meth:`stop`.

        The Blocker reads them (on each PV's channel, with its subscription); decoding
        them here keeps its thread on the wire.  A reply that arrives while this worker
        is down (it failed: the app restarts it) waits for it.
        """
        while not self._stopped.is_set():
            item = self._controls.get()
            if item is None:
                break
            name, response, error = item
            if self._mailbox is None:
                continue
            if response is None:  # read again at the next reconnect
                logger.info("control metadata of %r: %s", name, error)
                self._mailbox.put_control(name, ControlInfo())  # no longer "reading…"
            else:
                self._mailbox.put_control(name, control_info(response.metadata))

    def read_many(self, names: Sequence[str], timeout: float) -> dict[str, Values]:
        """One ``DBR_TIME`` read of each of ``names``, over channels opened together."""
        from protocol.sync.channels import open_channels

        found: dict[str, Values] = {}
        shown = {split_protocol(name)[1]: name for name in names}
        with open_channels(list(shown), timeout=timeout, repeater=False) as channels:
            for bare, channel in channels.items():
                name = shown[bare]
                try:
                    found[name] = decode_values(channel.read(timeout=timeout).data)
                except CACancelledError:
                    raise
                except CAError as exc:  # no read access, refused, slow: left out
                    logger.info("reading %r: %s", name, exc)
        return found

    def read(self, name: str, timeout: float) -> Values:
        """One ``DBR_TIME`` read of ``name``."""
        return self.read_many([name], timeout)[name]

    def write_link(self, name: str) -> CAWriteLink:
        return CAWriteLink(name)

    def check_value(self, value: object, type_name: str, count: int) -> None:
        check_value(value, type_name, count)

    def diagnostics(self) -> Diagnostics:
        return neutral_diagnostics(self._blocker.diagnostics())

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:  # not the Blocker run_monitor is about to replace
            blocker = self._blocker
        blocker.interrupt()
        self._controls.put(None)

    # -- callbacks, in the monitor thread ------------------------------------
    def _name(self, sub: Subscription) -> str:
        name: str = sub.pv_name
        return self._shown.get(sub, name) if self._shown else name

    def _on_update(self, sub: Subscription, response: Any) -> None:
        if self._mailbox is not None:
            self._mailbox.put_update(self._name(sub), response, CA_DECODER)

    def _on_connection(
        self, sub: Subscription, state: ConnectionState, address: tuple[str, int] | None
    ) -> None:
        if self._mailbox is None:
            return
        if state is ConnectionState.CONNECTED:
            info = channel_info(sub.native_data_type, sub.native_data_count, sub.access_rights)
            event = ConnectionEvent(CONNECTED, address, info, CA_DECODER)
        else:
            event = ConnectionEvent(state.value, address)
        self._mailbox.put_connection(self._name(sub), event)

    def _on_control(self, sub: Subscription, response: Any, error: BaseException | None) -> None:
        self._controls.put((self._name(sub), response, error))
