"""Channels kept open for several operations, and many opened at once.

Extensions of caproto's synchronous API for tools that need more than one
operation per connection (``cainfo``-like descriptions, several PVs in one
command): :func:`open_channels` searches every name in the same datagrams,
opens one circuit per server and creates all of its channels in one write.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..channel_types import ChannelType, DataTypeSpec
from ..circuit import ClientChannel
from ..commands import AccessRights, ClearChannelRequest, check_pv_name
from ..errors import CAError, CAValueError
from .cancel import CACancelledError, Cancellation, not_sent
from .connection import Connection
from .operations import (
    await_created,
    connect_channel,
    naming,
    new_searcher,
    not_found,
    prepare,
    read_channel,
    write_channel,
)

__all__ = ["Channel", "ChannelSet", "open_channel", "open_channels"]


class Channel:
    """A created channel: read and write it as often as needed, then close it.

    Attributes
    ----------
    pv_name : str
    native_data_type : ChannelType
    native_data_count : int
    access_rights : AccessRights
    server_address : (host, port)
    """

    def __init__(self, conn: Connection, channel: ClientChannel, timeout: float) -> None:
        self._conn = conn
        self._channel = channel
        self._timeout = timeout
        self.pv_name = channel.name

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<Channel {self.pv_name!r} {state}>"

    @property
    def native_data_type(self) -> ChannelType:
        assert self._channel.native_data_type is not None
        return self._channel.native_data_type

    @property
    def native_data_count(self) -> int:
        return int(self._channel.native_data_count or 0)

    @property
    def access_rights(self) -> AccessRights:
        return self._channel.access_rights

    @property
    def server_address(self) -> tuple[str, int]:
        return self._conn.circuit.address

    @property
    def closed(self) -> bool:
        return self._conn.closed or self._channel.sid not in self._conn.circuit.channels_by_sid

    def _deadline(self, timeout: float | None) -> float:
        return time.monotonic() + (self._timeout if timeout is None else timeout)

    def read(
        self,
        *,
        data_type: DataTypeSpec = None,
        data_count: int | None = None,
        notify: bool = True,
        force_int_enums: bool = False,
        timeout: float | None = None,
    ) -> Any:
        """Read, as :func:`protocol.sync.client.read` does, on this channel.

        ``timeout`` defaults to the one the channel was opened with.
        """
        deadline = self._deadline(timeout)
        return read_channel(
            self._conn, self._channel, deadline, data_type, data_count, notify, force_int_enums
        )

    def write(
        self,
        data: Any,
        *,
        notify: bool = False,
        data_type: DataTypeSpec = None,
        metadata: Any = None,
        timeout: float | None = None,
    ) -> Any:
        """Write, as :func:`protocol.sync.client.write` does, on this channel."""
        deadline = self._deadline(timeout)
        return write_channel(
            self._conn, self._channel, data, notify, data_type, metadata, deadline
        )

    def _clear(self) -> None:
        channel = self._channel
        # A cancelled connection sends nothing more: closing it resets it.
        if not self._conn.closed and channel.sid is not None and not self._conn.cancelled:
            with contextlib.suppress(OSError):
                self._conn.sock.sendall(bytes(ClearChannelRequest(channel.sid, channel.cid)))

    def close(self) -> None:
        """Clear the channel and close its circuit (a channel of its own)."""
        self._clear()
        self._conn.close()

    def __enter__(self) -> Channel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ChannelSet(Mapping[str, Channel]):
    """The channels :func:`open_channels` created, by name, and why the others failed.

    Attributes
    ----------
    failures : dict of str to CAError
        The names that could not be opened, each with its error (not found,
        refused, timed out) naming the PV.
    """

    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}
        self.failures: dict[str, CAError] = {}
        self._connections: list[Connection] = []

    def __getitem__(self, name: str) -> Channel:
        return self._channels[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._channels)

    def __len__(self) -> int:
        return len(self._channels)

    def close(self) -> None:
        """Clear every channel and close every circuit."""
        # One write per circuit: a ClearChannel each, thousands of them in a PV tree.
        clears: dict[int, tuple[Connection, bytearray]] = {}
        for channel in self._channels.values():
            conn, raw = channel._conn, channel._channel
            if not conn.closed and raw.sid is not None and not conn.cancelled:
                clears.setdefault(id(conn), (conn, bytearray()))[1].extend(
                    bytes(ClearChannelRequest(raw.sid, raw.cid))
                )
        for conn, data in clears.values():
            with contextlib.suppress(OSError):
                conn.sock.sendall(data)
        for conn in self._connections:
            conn.close()

    def __enter__(self) -> ChannelSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_channels(
    pv_names: Iterable[str],
    *,
    timeout: float = 2.0,
    priority: int = 0,
    repeater: bool = True,
    cancel: Cancellation | None = None,
) -> ChannelSet:
    """Open many channels at once, within ``timeout`` seconds in all.

    Every name is searched in the same datagrams (several names each), one
    circuit is opened per server, and its channels are created in one write.
    A name that fails does not stop the others: see ``ChannelSet.failures``.

    Parameters
    ----------
    pv_names : iterable of str
    timeout : float, optional
        Seconds for searching, connecting and creating; also the default
        timeout of each later operation on the channels.
    priority : int, optional
        0 (lowest) .. 99.
    repeater : bool, optional
        Spawn a CA repeater if none runs.
    cancel : Cancellation, optional
        Cancelling it (from another thread) ends the call, and every later
        operation on the channels, at once: their sockets are reset.

    Returns
    -------
    ChannelSet
        Use it as a context manager, or call ``close()``.

    Raises
    ------
    CAValueError
        A PV name is not valid (before anything is sent).
    CancelledBeforeSendingError
        ``cancel`` was cancelled before the channels were made.

    Examples
    --------
    >>> with open_channels(['simple:A', 'simple:B']) as channels:
    ...     for name, channel in channels.items():
    ...         print(name, channel.native_data_type, channel.read().data)
    """
    names = list(dict.fromkeys(pv_names))
    if not names:
        raise CAValueError("no PV names given")
    for name in names:
        check_pv_name(name)
    config, deadline = prepare(timeout, priority, repeater)
    result = ChannelSet()
    circuits: dict[tuple[str, int], tuple[Connection, list[ClientChannel]]] = {}

    def connect(name: str, server: tuple[str, int]) -> None:
        # Called as each search reply arrives: creating channels on servers
        # already found overlaps with the wait for the names still missing.
        if server not in circuits:
            try:
                conn = Connection(
                    server,
                    priority,
                    config.max_array_bytes,
                    deadline - time.monotonic(),
                    cancel=cancel,
                )
            except CAError as exc:
                result.failures[name] = naming(exc, name)
                return
            result._connections.append(conn)
            circuits[server] = (conn, [])
            conn.queue(*conn.handshake())
        conn, channels = circuits[server]
        channel = conn.circuit.new_channel(name)
        channels.append(channel)
        conn.queue(channel.create())
        try:
            conn.flush()
        except CAError as exc:
            result.failures[name] = naming(exc, name)

    try:
        searcher = new_searcher(config, deadline, ", ".join(map(repr, names)), cancel)
        try:
            found = searcher.resolve(names, deadline, connect)
            for name in names:
                if name not in found:
                    result.failures[name] = not_found(name, searcher, timeout)
        finally:
            searcher.close()
    except CACancelledError as exc:
        result.close()
        raise not_sent(exc) from None
    for conn, channels in circuits.values():
        created = [channel for channel in channels if channel.name not in result.failures]
        try:
            failures = await_created(conn, created, deadline)
        except CACancelledError as exc:
            result.close()
            raise not_sent(exc) from None
        except CAError as exc:
            result.failures.update((channel.name, exc) for channel in created)
            conn.close()
            continue
        for channel in created:
            failure = failures.get(channel.cid)
            if failure is None:
                result._channels[channel.name] = Channel(conn, channel, timeout)
            else:
                result.failures[channel.name] = failure
    # Keep the caller's order.
    result._channels = {name: result._channels[name] for name in names if name in result._channels}
    return result


def open_channel(
    pv_name: str,
    *,
    timeout: float = 2.0,
    priority: int = 0,
    repeater: bool = True,
    cancel: Cancellation | None = None,
) -> Channel:
    """Open one channel for several operations (see :class:`Channel`).

    Parameters
    ----------
    pv_name : str
    timeout : float, optional
        Seconds for searching, connecting and creating; also the default timeout
        of each later operation on the channel.
    priority : int, optional
    repeater : bool, optional
    cancel : Cancellation, optional
        Cancelling it, from any thread, ends this call and every later read or
        write of the channel at once: the socket is reset (a TCP RST, so that
        nothing not yet delivered reaches the server later) and nothing more is
        sent.  Reads and writes then raise
        :class:`~protocol.sync.cancel.CACancelledError`, or
        :class:`~protocol.sync.cancel.CancelledBeforeSendingError` when their
        request had not been sent.

    Raises
    ------
    ConnectTimeoutError, DisconnectedError, ErrorResponseReceived
        When the PV is not found in time, its server cannot be connected to,
        or the server refuses it.
    CancelledBeforeSendingError
        When ``cancel`` is cancelled first.
    """
    conn, channel, _ = connect_channel(pv_name, timeout, priority, repeater, cancel)
    return Channel(conn, channel, timeout)
