"""A feed with fixed PVs and fixed timestamps, for snapshots and tests without an IOC.

It goes through the same :class:`~catui.feeds.mailbox.Mailbox` as the CA feed: ``add``
posts each known PV's connection, control metadata and value; :meth:`FakeFeed.play`
posts a PV's history one step at a time and drains after each, as the UI timer would.
Everything it posts is neutral (:class:`~catui.feeds.base.Sample` updates, read by the
sample decoder); the write checks and outcomes are the CA feed's, so that the dialog
behaves as it does against an IOC.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from catui.feeds.base import (
    CONNECTED,
    SAMPLE_DECODER,
    ChannelInfo,
    ConnectionEvent,
    ControlInfo,
    Diagnostics,
    Sample,
    Values,
    WriteOutcome,
    decode_values,
    type_limits,
)
from catui.feeds.ca_write import check_value, classify, unreachable
from catui.feeds.mailbox import Mailbox
from protocol.sync.cancel import CACancelledError, CancelledBeforeSendingError

__all__ = ["FakeFeed", "FakeLink", "FakePV", "TypeNames", "WriteReply", "type_name_of"]


class TypeNames:
    """EPICS's type names, spelt as attributes (``TypeNames.DOUBLE``) for plants."""

    STRING = "STRING"
    SHORT = "SHORT"
    FLOAT = "FLOAT"
    ENUM = "ENUM"
    CHAR = "CHAR"
    LONG = "LONG"
    DOUBLE = "DOUBLE"


#: CA's name of a type where EPICS's differs.
_ALIASES = {"INT": "SHORT"}


def type_name_of(native: object) -> str | None:
    """EPICS's type name of ``native``: a name (``DOUBLE``) or a member with one."""
    if native is None:
        return None
    name = str(getattr(native, "name", native))
    return _ALIASES.get(name, name)


@dataclass(frozen=True)
class _Status:
    success: bool = True
    name: str = "ECA_NORMAL"
    description: str = "Normal successful completion"


@dataclass(frozen=True)
class WriteReply:
    """A successful write's reply: its ``status`` says so, in CA's words."""

    status: _Status = field(default_factory=_Status)


@dataclass
class FakePV:
    """One fixed PV: how it is connected, its metadata and its values over time."""

    name: str
    #: Its type: ``DOUBLE``, ``ENUM``… (or anything whose ``name`` is one; None: unknown).
    native: object
    values: Sequence[Any] = ()  # the history; the last one stays
    count: int = 1
    state: str = "connected"
    access: int = 3
    severity: int = 0
    status: int = 0
    timestamp: float = 0.0
    control: ControlInfo | None = None
    #: Fields of its record a write link may read (``RTYP``, ``DRVH``…).
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def type_name(self) -> str | None:
        return type_name_of(self.native)

    def info(self) -> ChannelInfo:
        name = self.type_name or "?"
        return ChannelInfo(
            name, self.count, bool(self.access & 1), bool(self.access & 2), type_limits(name, 39)
        )

    def response(self, value: Any) -> Sample:
        """An update holding ``value``, with this PV's alarm and timestamp."""
        if self.type_name in ("STRING", "ENUM"):
            items = value if isinstance(value, list) else [value]
            data: Any = [str(v) for v in items]
        else:
            data = np.atleast_1d(np.asarray(value))
        return Sample(data, self.status, self.severity, self.timestamp)


class FakeFeed:
    """Serves ``pvs``; names it does not know stay 'searching'. Writes succeed."""

    def __init__(self, pvs: Iterable[FakePV] = (), write_delay: float = 0.0) -> None:
        self.pvs = {pv.name: pv for pv in pvs}
        self.write_delay = write_delay
        self.writes: list[tuple[str, Any]] = []
        self.added: list[str] = []
        self._mailbox: Mailbox | None = None
        self._stop = threading.Event()

    def attach(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox

    def add(self, names: Iterable[str]) -> None:
        assert self._mailbox is not None
        for name in names:
            self.added.append(name)
            pv = self.pvs.get(name)
            if pv is None or pv.state == "searching":
                self._mailbox.put_connection(name, ConnectionEvent("searching"))
                continue
            address = ("127.0.0.1", 5064)
            event = ConnectionEvent(CONNECTED, address, pv.info(), SAMPLE_DECODER)
            self._mailbox.put_connection(name, event)
            if pv.control is not None:
                self._mailbox.put_control(name, pv.control)
            if pv.values:
                self._mailbox.put_update(name, pv.response(pv.values[-1]))
            if pv.state == "disconnected":
                self._mailbox.put_connection(name, ConnectionEvent("disconnected"))

    def play(self, drain: Callable[[], None]) -> None:
        """Post every PV's values in order, draining after each step; end on the last."""
        assert self._mailbox is not None
        steps = max((len(pv.values) for pv in self.pvs.values()), default=0)
        for step in range(steps):
            for pv in self.pvs.values():
                if pv.state == "connected" and pv.name in self.added and step < len(pv.values):
                    self._mailbox.put_update(pv.name, pv.response(pv.values[step]))
            drain()

    def remove(self, names: Iterable[str]) -> None:
        for name in names:
            if name in self.added:
                self.added.remove(name)

    def run_monitor(self) -> None:
        self._stop.wait()

    def run_control_reader(self) -> None:
        self._stop.wait()

    def read(self, name: str, timeout: float) -> Sample:
        """The update a read of ``name`` would get now."""
        pv = self.pvs.get(name)
        if pv is None or pv.state != "connected":
            raise TimeoutError(f"{name}: not connected")
        last = self.writes_to(name)
        return pv.response(last[-1] if last else pv.values[-1] if pv.values else 0)

    def read_many(self, names: Sequence[str], timeout: float) -> dict[str, Values]:
        found = {}
        for name in names:
            try:
                found[name] = decode_values(self.read(name, timeout).data)
            except TimeoutError:
                continue
        return found

    def write_link(self, name: str) -> FakeLink:
        return FakeLink(self, name)

    def check_value(self, value: object, type_name: str, count: int) -> None:
        check_value(value, type_name, count)

    def writes_to(self, name: str) -> list[Any]:
        """The values written to ``name``, in order."""
        return [value for pv, value in self.writes if pv == name]

    def write(self, name: str, value: Any, timeout: float, *, delay: float | None = None) -> Any:
        """Write ``value`` after ``delay`` seconds (by default the feed's ``write_delay``)."""
        if self._stop.wait(self.write_delay if delay is None else delay):
            raise TimeoutError("stopped")
        self.writes.append((name, value))
        pv = self.pvs[name]
        if pv.type_name == "ENUM" and pv.control and value in pv.control.enum_strings:
            value = [value]
        if self._mailbox is not None:
            self._mailbox.put_update(name, pv.response(value))
        return WriteReply()

    def diagnostics(self) -> Diagnostics:
        """A fixed snapshot of the PVs added, timed at the plant's latest timestamp."""
        from catui.feeds.fake_diagnostics import fixed_diagnostics

        when = max((pv.timestamp for pv in self.pvs.values()), default=0.0)
        known = self.pvs
        states = [(n, known[n].state if n in known else "searching") for n in self.added]
        return fixed_diagnostics(states, when)

    def stop(self) -> None:
        self._stop.set()


class FakeLink:
    """A write link of a :class:`FakeFeed`: its reads and writes are the feed's.

    A write waits ``write_delay`` (an :meth:`abort` meanwhile ends it, unwritten, as
    a write sent and never answered).
    """

    def __init__(self, feed: FakeFeed, name: str) -> None:
        self.feed = feed
        self.name = name
        self.abandoned: str | None = None
        self.closed = False
        self._aborted = threading.Event()

    def _check(self) -> None:
        if self.abandoned is not None:
            raise CancelledBeforeSendingError(f"not sent to {self.name!r}: {self.abandoned}")

    def read_value(self, timeout: float) -> Values:
        self._check()
        return decode_values(self.feed.read(self.name, timeout).data)

    def read_control(self, timeout: float) -> tuple[Values, ControlInfo]:
        self._check()
        pv = self.feed.pvs[self.name]
        return self.read_value(timeout), pv.control or ControlInfo()

    def read_fields(self, names: Sequence[str], timeout: float) -> dict[str, object]:
        self._check()
        record = self.name.partition(".")[0]
        known = {}
        for pv in self.feed.pvs.values():
            if pv.name.partition(".")[0] == record:
                known.update({f"{record}.{key}": value for key, value in pv.fields.items()})
        return {name: known[name] for name in names if name in known}

    def write(self, value: object, timeout: float) -> object:
        self._check()
        if self._aborted.wait(self.feed.write_delay):
            raise CACancelledError(f"{self.abandoned} while waiting for {self.name!r}")
        return self.feed.write(self.name, value, timeout, delay=0.0)

    def outcome(
        self, text: str, reply: object, error: BaseException | None, timeout: float
    ) -> WriteOutcome:
        return classify(self.name, text, reply, error, timeout, abandoned=self.abandoned)

    def unreachable(self, error: BaseException) -> bool:
        return unreachable(error)

    def close(self) -> None:
        self.closed = True

    def abort(self, reason: str) -> None:
        if self.abandoned is None:
            self.abandoned = reason
        self._aborted.set()
