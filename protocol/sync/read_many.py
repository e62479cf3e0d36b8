"""Many reads at once on open channels: every request sent before any reply is awaited.

A read with :meth:`Channel.read <protocol.sync.channels.Channel.read>` waits for its
reply before the next one is sent, so thousands of reads on one circuit cost
thousands of round trips.  :func:`read_channels` queues every request of a
circuit in one write, then takes the replies as they come, in any order.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ..channel_types import DataTypeSpec
from ..commands import (
    AccessRights,
    ErrorResponse,
    Message,
    ReadNotifyResponse,
    ServerDisconnResponse,
)
from ..errors import CAError, CATimeoutError, DisconnectedError, ErrorResponseReceived
from .channels import Channel
from .connection import Connection
from .operations import need, read_type, server_error

__all__ = ["read_channels"]


def read_channels(
    reads: Sequence[tuple[Channel, DataTypeSpec, int | None]], timeout: float
) -> list[Any]:
    """Read every ``(channel, data_type, data_count)`` at once; replies or errors, in order.

    Parameters
    ----------
    reads : sequence of (Channel, data type, data count)
        As :meth:`Channel.read` takes them (an ENUM as its strings when the data
        type is None).
    timeout : float
        Seconds for all the replies.

    Returns
    -------
    list
        For each read, its ``ReadNotifyResponse``, or the :class:`CAError` that
        :meth:`Channel.read` would have raised (naming the PV).
    """
    results: list[Any] = [None] * len(reads)
    circuits: dict[int, tuple[Connection, dict[int, int]]] = {}
    for index, (channel, data_type, data_count) in enumerate(reads):
        conn, raw = channel._conn, channel._channel
        try:
            need(raw, AccessRights.READ, "read")
            request = raw.read(read_type(raw, data_type, False), data_count, True)
            conn.queue(request)
        except CAError as exc:
            results[index] = exc
            continue
        circuits.setdefault(id(conn), (conn, {}))[1][request.ioid] = index
    deadline = time.monotonic() + timeout
    for conn, pending in circuits.values():
        _collect(conn, pending, reads, results, deadline)
    return results


def _collect(
    conn: Connection,
    pending: dict[int, int],
    reads: Sequence[tuple[Channel, DataTypeSpec, int | None]],
    results: list[Any],
    deadline: float,
) -> None:
    """Send the queued requests of ``conn``; take their replies into ``results``."""
    by_cid: dict[int, list[int]] = {}
    for ioid, index in pending.items():
        by_cid.setdefault(reads[index][0]._channel.cid, []).append(ioid)

    def name(index: int) -> str:
        return reads[index][0].pv_name

    def take(ioid: int, outcome: Any) -> None:
        index = pending.pop(ioid)
        results[index] = outcome
        by_cid[reads[index][0]._channel.cid].remove(ioid)

    def done(msg: Message) -> bool:
        if isinstance(msg, ReadNotifyResponse) and msg.ioid in pending:
            index = pending[msg.ioid]
            if msg.status.success:
                take(msg.ioid, msg)
            else:
                take(msg.ioid, ErrorResponseReceived(
                    f"reading {name(index)!r} failed: {msg.status.name} "
                    f"({msg.status.description})", msg,
                ))  # fmt: skip
        elif isinstance(msg, ErrorResponse) and by_cid.get(msg.cid):
            # The server answers in order: the oldest read of that channel failed.
            ioid = by_cid[msg.cid][0]
            take(ioid, server_error(f"reading {name(pending[ioid])!r}", msg))
        elif isinstance(msg, ServerDisconnResponse):
            for ioid in list(by_cid.get(msg.cid, ())):
                take(ioid, DisconnectedError(
                    f"reading {name(pending[ioid])!r}: the server dropped the channel"
                ))  # fmt: skip
        return not pending

    try:
        conn.flush()
        if pending:
            conn.recv_until(done, deadline, lambda: f"reading {len(pending)} channel(s)")
    except CAError as exc:
        for ioid in list(pending):
            index = pending[ioid]
            reason = str(exc).partition(": ")[2] or str(exc)
            if isinstance(exc, CATimeoutError):
                reason += " (timeout)"
            take(ioid, type(exc)(f"reading {name(index)!r}: {reason}"))
