"""Benchmark of the sans-I/O core against caproto's, on identical bytes.

Run ``python bench/bench_core.py`` (caproto and numpy installed). It prints:

1. messages/s for a stream of 100,000 DBR_TIME_DOUBLE monitor updates
   (EVENT_ADD replies, count 1, with metadata), fed in 64 KiB chunks, reading
   ``.data[0]``, ``.metadata.severity`` and ``.metadata.timestamp`` of each:
   decoders alone (ours against caproto's ``read_from_bytestream``), then as a
   client runs them, through a virtual circuit that matches each update to its
   subscription (ours against caproto's ``VirtualCircuit.recv`` +
   ``process_command``);
2. the time to decode a 1,000,000-element DOUBLE array (a READ_NOTIFY reply of
   8,000,000 bytes) and read ``.data``, and whether ``.data`` is a view of the
   received buffer or a copy.

Ours runs with the numpy backend and with the ``array`` backend. Timings are
the best of several runs (``time.perf_counter``).
"""

from __future__ import annotations

import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import caproto
from caproto import SERVER as CAPROTO_SERVER
from caproto import _commands as caproto_commands
from caproto._utils import NEED_DATA

from protocol import ChannelType, StreamDecoder, VirtualCircuit, select_backend
from protocol.commands import (
    AccessRightsResponse,
    CreateChanResponse,
    EventAddRequest,
    EventAddResponse,
    ReadNotifyResponse,
    VersionRequest,
    VersionResponse,
)
from protocol.dbr import DBR_TYPES

UPDATES = 100_000
CHUNK = 64 * 1024
ARRAY_ELEMENTS = 1_000_000
REPEAT = 5


def best_of(n: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``n`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(n):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


# -- inputs (encoded once, by our encoder; both decoders see the same bytes) -----
def monitor_stream() -> bytes:
    template = bytes(
        EventAddResponse(
            [0.0], ChannelType.TIME_DOUBLE, 1, 1, 7, metadata=DBR_TYPES[ChannelType.TIME_DOUBLE]()
        )
    )
    header, meta_and_value = template[:16], bytearray(template[16:])
    parts = []
    for i in range(UPDATES):
        struct.pack_into(">hhIId", meta_and_value, 0, 0, i % 4, 1164463352 + i, i * 997, i * 0.5)
        parts.append(header + bytes(meta_and_value))
    return b"".join(parts)


def chunks(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


# -- monitor stream ----------------------------------------------------------------
def ours_feed(pieces: list[bytes]) -> int:
    decoder = StreamDecoder()
    n = 0
    for piece in pieces:
        for msg in decoder.feed(piece):
            msg.data[0]
            meta = msg.metadata
            meta.severity  # noqa: B018
            meta.timestamp  # noqa: B018
            n += 1
    return n


def ours_recv_into(pieces: list[bytes]) -> int:
    """As a socket's ``recv_into`` would fill the decoder's own buffer."""
    decoder = StreamDecoder()
    n = 0
    for piece in pieces:
        offset = 0
        while offset < len(piece):
            target = decoder.recv_buffer()
            size = min(len(target), len(piece) - offset)
            target[:size] = piece[offset : offset + size]
            offset += size
            for msg in decoder.received(size):
                msg.data[0]
                meta = msg.metadata
                meta.severity  # noqa: B018
                meta.timestamp  # noqa: B018
                n += 1
    return n


def caproto_stream(pieces: list[bytes]) -> int:
    """What caproto's ``VirtualCircuit.recv`` does with each received buffer."""
    data = bytearray()
    n = 0
    for piece in pieces:
        data += piece
        while True:
            data, command, _ = caproto_commands.read_from_bytestream(data, CAPROTO_SERVER)
            if command is NEED_DATA:
                break
            command.data[0]
            meta = command.metadata
            meta.severity  # noqa: B018
            meta.timestamp  # noqa: B018
            n += 1
    return n


# -- the same stream through a client circuit (decode + matching to subscriptions) ----
def ours_circuit(pieces: list[bytes]) -> int:
    circuit = VirtualCircuit(("127.0.0.1", 5064))
    channel = circuit.new_channel("bench:pv")
    circuit.send(VersionRequest(0, 13), channel.create())
    circuit.feed(
        bytes(VersionResponse(13))
        + bytes(AccessRightsResponse(channel.cid, 3))
        + bytes(CreateChanResponse(ChannelType.DOUBLE, 1, channel.cid, 0))
    )
    circuit.send(EventAddRequest(ChannelType.TIME_DOUBLE, 0, 0, 7))
    n = 0
    for piece in pieces:
        for msg in circuit.feed(piece):
            msg.data[0]
            meta = msg.metadata
            meta.severity  # noqa: B018
            meta.timestamp  # noqa: B018
            n += 1
    return n


def caproto_circuit(pieces: list[bytes]) -> int:
    """caproto's VirtualCircuit.recv + process_command, as its clients run them."""
    circuit = caproto.VirtualCircuit(
        our_role=caproto.CLIENT, address=("127.0.0.1", 5064), priority=0
    )
    circuit.send(caproto.VersionRequest(priority=0, version=13))
    channel = caproto.ClientChannel("bench:pv", circuit, cid=0)
    circuit.send(channel.create())
    setup = (
        bytes(caproto.VersionResponse(13)),
        bytes(caproto.AccessRightsResponse(cid=0, access_rights=3))
        + bytes(caproto.CreateChanResponse(data_type=6, data_count=1, cid=0, sid=0)),
    )
    for data in setup:
        commands, _ = circuit.recv(data)
        for command in commands:
            circuit.process_command(command)
    circuit.send(channel.subscribe(data_type=20, data_count=0, subscriptionid=7, mask=5))
    n = 0
    for piece in pieces:
        commands, _ = circuit.recv(piece)
        for command in commands:
            circuit.process_command(command)
            command.data[0]
            meta = command.metadata
            meta.severity  # noqa: B018
            meta.timestamp  # noqa: B018
            n += 1
    return n


# -- one big array -------------------------------------------------------------------
def big_array_message() -> bytes:
    values = np.arange(ARRAY_ELEMENTS, dtype=float) * 0.5
    return bytes(ReadNotifyResponse(values, ChannelType.DOUBLE, ARRAY_ELEMENTS, 1, 1))


def is_view(data: Any, buffer: Any) -> bool:
    if isinstance(data, np.ndarray):
        return bool(np.shares_memory(data, np.frombuffer(buffer, dtype=np.uint8)))
    return False  # array.array always owns its memory


def ours_array_whole(received: bytearray) -> tuple[Any, bool]:
    (msg,) = StreamDecoder(max_array_bytes=8_000_000).feed(received)
    data = msg.data
    return data, is_view(data, received)


def ours_array_recv_into(pieces: list[bytes]) -> tuple[Any, bool]:
    decoder = StreamDecoder(max_array_bytes=8_000_000)
    out = []
    for piece in pieces:
        offset = 0
        while offset < len(piece):
            target = decoder.recv_buffer()
            size = min(len(target), len(piece) - offset)
            target[:size] = piece[offset : offset + size]
            offset += size
            out += decoder.received(size)
    (msg,) = out
    data = msg.data
    return data, is_view(data, target.obj)


def ours_array_feed_chunks(pieces: list[bytes]) -> tuple[Any, bool]:
    decoder = StreamDecoder(max_array_bytes=8_000_000)
    out = []
    for piece in pieces:
        out += decoder.feed(piece)
    (msg,) = out
    data = msg.data
    return data, bool(any(is_view(data, p) for p in pieces))


def caproto_array_whole(received: bytearray) -> tuple[Any, bool]:
    _, command, _ = caproto_commands.read_from_bytestream(received, CAPROTO_SERVER)
    data = command.data
    return data, is_view(data, received)


def caproto_array_chunks(pieces: list[bytes]) -> tuple[Any, bool]:
    data = bytearray()
    for piece in pieces:
        data += piece
        data, command, _ = caproto_commands.read_from_bytestream(data, CAPROTO_SERVER)
    values = command.data
    return values, is_view(values, data)


def main() -> None:
    stream = monitor_stream()
    pieces = chunks(stream)
    rows: list[tuple[str, str, str]] = []

    def stream_row(label: str, run: Callable[[list[bytes]], int]) -> None:
        seconds, count = best_of(REPEAT, lambda: run(pieces))
        assert count == UPDATES, (label, count)
        rows.append((label, f"{UPDATES / seconds:,.0f} msg/s", f"{seconds * 1e3:.0f} ms"))

    select_backend("numpy")
    stream_row("ours, numpy, feed()", ours_feed)
    stream_row("ours, numpy, recv_buffer()", ours_recv_into)
    select_backend("array")
    stream_row("ours, array, feed()", ours_feed)
    stream_row("ours, array, recv_buffer()", ours_recv_into)
    select_backend("numpy")
    stream_row("caproto 1.3 (read_from_bytestream loop)", caproto_stream)
    stream_row("ours, numpy, VirtualCircuit.feed()", ours_circuit)
    stream_row("caproto 1.3, VirtualCircuit recv+process", caproto_circuit)

    big = big_array_message()
    big_pieces = chunks(big)
    received = bytearray(big)  # as if it arrived in one recv_into
    expected_last = (ARRAY_ELEMENTS - 1) * 0.5
    array_rows: list[tuple[str, str, str]] = []

    def array_row(label: str, run: Callable[[], tuple[Any, bool]]) -> None:
        seconds, (data, view) = best_of(REPEAT, run)
        assert len(data) == ARRAY_ELEMENTS and data[-1] == expected_last, label
        array_rows.append(
            (label, f"{seconds * 1e6:,.0f} us", "view (no copy)" if view else "copy")
        )

    for backend in ("numpy", "array"):
        select_backend(backend)
        array_row(f"ours, {backend}, one buffer", lambda: ours_array_whole(received))
        array_row(
            f"ours, {backend}, recv_buffer() 64 KiB", lambda: ours_array_recv_into(big_pieces)
        )
        array_row(f"ours, {backend}, feed() 64 KiB", lambda: ours_array_feed_chunks(big_pieces))
    select_backend("numpy")
    array_row("caproto 1.3, one buffer", lambda: caproto_array_whole(received))
    array_row("caproto 1.3, 64 KiB pieces", lambda: caproto_array_chunks(big_pieces))

    print(
        f"Monitor stream: {UPDATES:,} TIME_DOUBLE updates, {len(stream):,} bytes, "
        f"{CHUNK // 1024} KiB chunks, best of {REPEAT}"
    )
    print(f"{'decoder':<36} {'throughput':>18} {'total':>10}")
    for label, rate, total in rows:
        print(f"{label:<36} {rate:>18} {total:>10}")
    print()
    print(
        f"Array: {ARRAY_ELEMENTS:,} DOUBLE elements ({len(big) - 24:,}-byte payload), "
        f"decode + .data, best of {REPEAT}"
    )
    print(f"{'decoder':<36} {'time':>12} {'.data':>16}")
    for label, seconds, view in array_rows:
        print(f"{label:<36} {seconds:>12} {view:>16}")
    print()
    print("'view' = numpy.shares_memory(.data, received buffer); array.array always copies.")


if __name__ == "__main__":
    main()
