"""Property tests of the decoders (hypothesis).

* However a valid stream is split, ``feed`` and ``recv_buffer``/``received``
  give the same messages as decoding it whole (and they stay intact after the
  decoder has moved on).
* Arbitrary bytes either decode or raise ``RemoteProtocolError``, never another
  exception; every attribute, ``data``, ``metadata`` and ``repr`` of whatever
  decodes works.
* A header that announces an oversized payload is rejected from the header
  alone, before the payload arrives or any buffer for it is allocated.

Runs are kept short for CI. For a longer fuzzing session raise the number of
examples per test with the environment variable ``CATUI_FUZZ_EXAMPLES``::

    CATUI_FUZZ_EXAMPLES=100000 python -m pytest tests/protocol/test_properties.py
"""

from __future__ import annotations

import ctypes
import itertools
import os
import struct
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import ChannelType, RemoteProtocolError, StreamDecoder, read_datagram
from protocol.channel_types import native_type
from protocol.commands import (
    AccessRightsResponse,
    Beacon,
    ClearChannelRequest,
    ClientNameRequest,
    CreateChanRequest,
    CreateChanResponse,
    CreateChFailResponse,
    EchoResponse,
    ErrorResponse,
    EventAddRequest,
    EventAddResponse,
    EventCancelRequest,
    EventCancelResponse,
    Message,
    NotFoundResponse,
    ReadNotifyRequest,
    ReadNotifyResponse,
    ReadResponse,
    RepeaterConfirmResponse,
    SearchRequest,
    SearchResponse,
    ServerDisconnResponse,
    VersionRequest,
    VersionResponse,
    WriteNotifyRequest,
    WriteNotifyResponse,
    WriteRequest,
)
from protocol.commands.base import CLIENT, REQUESTS, RESPONSES, SERVER, Role
from protocol.dbr import DBR_TYPES
from protocol.decoder import payload_limit

EXAMPLES = int(os.environ.get("CATUI_FUZZ_EXAMPLES", "300"))
LIMIT_BYTES = 1 << 17  # max_array_bytes of the decoders under test

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

u32 = st.integers(0, 0xFFFFFFFF)
small = st.integers(0, 0xFFFF)
data_types = st.integers(0, 38)


def _values(data_type: int, count: int, seed: int) -> Any:
    native = native_type(data_type)
    rng = np.random.default_rng(seed)
    if native in (ChannelType.STRING, ChannelType.STSACK_STRING, ChannelType.CLASS_NAME):
        return [
            bytes(rng.integers(1, 256, int(rng.integers(0, 40)), dtype=np.uint8))
            for _ in range(count)
        ]
    if native == ChannelType.CHAR:
        return bytes(rng.integers(0, 256, count, dtype=np.uint8))
    if native == ChannelType.DOUBLE:
        return rng.standard_normal(count) * 1e6
    if native == ChannelType.FLOAT:
        return rng.standard_normal(count).astype(np.float32)
    if native == ChannelType.LONG:
        return rng.integers(-(2**31), 2**31, count)
    if native == ChannelType.INT:
        return rng.integers(-(2**15), 2**15, count)
    return rng.integers(0, 2**16, count)  # ENUM, PUT_ACKT, PUT_ACKS


def _metadata(data_type: int, seed: int) -> Any:
    cls = DBR_TYPES.get(ChannelType(data_type))
    if cls is None:
        return None
    rng = np.random.default_rng(seed)
    return cls.from_buffer_copy(rng.bytes(ctypes.sizeof(cls)))  # junk in every field


@st.composite
def data_messages(draw: st.DrawFn, cls: type[Message]) -> Message:
    data_type = draw(data_types)
    count = draw(st.one_of(st.integers(0, 4), st.integers(0, 3000)))
    seed = draw(st.integers(0, 2**32 - 1))
    values = _values(data_type, count, seed)
    meta = _metadata(data_type, seed)
    if cls is ReadNotifyResponse:
        return ReadNotifyResponse(values, data_type, count, draw(u32), draw(u32), metadata=meta)
    if cls is EventAddResponse:
        return EventAddResponse(values, data_type, count, draw(u32), draw(u32), metadata=meta)
    if cls is ReadResponse:
        return ReadResponse(values, data_type, count, draw(u32), draw(u32), metadata=meta)
    return cls(values, data_type, count, draw(u32), draw(u32), metadata=meta)  # type: ignore[call-arg]


names = st.from_regex(r"[A-Za-z0-9:_.$]{1,60}", fullmatch=True)

server_messages = st.one_of(
    data_messages(ReadNotifyResponse),
    data_messages(EventAddResponse),
    data_messages(ReadResponse),
    st.builds(VersionResponse, small),
    st.builds(SearchResponse, small, u32, u32, st.one_of(st.none(), small)),
    st.builds(NotFoundResponse, small, u32),
    st.builds(CreateChanResponse, data_types, u32, u32, u32),
    st.builds(CreateChFailResponse, u32),
    st.builds(ServerDisconnResponse, u32),
    st.builds(AccessRightsResponse, u32, st.integers(0, 3)),
    st.builds(EchoResponse),
    st.builds(Beacon, small, small, u32, u32),
    st.builds(RepeaterConfirmResponse, u32),
    st.builds(WriteNotifyResponse, data_types, u32, u32, u32),
    st.builds(EventCancelResponse, data_types, u32, u32, u32),
    st.builds(
        lambda dt, count, sid, ioid, text: ErrorResponse(
            ReadNotifyRequest(dt, count, sid, ioid), sid, 142, text
        ),
        data_types,
        u32,
        u32,
        u32,
        st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=80),
    ),
)

client_messages = st.one_of(
    data_messages(WriteRequest),
    data_messages(WriteNotifyRequest),
    st.builds(VersionRequest, st.integers(0, 99), small),
    st.builds(SearchRequest, names, u32),
    st.builds(CreateChanRequest, names, u32, u32),
    st.builds(ClientNameRequest, names),
    st.builds(ReadNotifyRequest, data_types, u32, u32, u32),
    st.builds(
        EventAddRequest,
        data_types,
        u32,
        u32,
        u32,
        st.floats(width=32, allow_nan=False),
        st.just(0.0),
        st.just(0.0),
        st.integers(1, 15),
    ),
    st.builds(EventCancelRequest, data_types, u32, u32, u32),
    st.builds(ClearChannelRequest, u32, u32),
)


@st.composite
def splits(draw: st.DrawFn, length: int) -> list[int]:
    """Chunk sizes adding up to ``length``."""
    if length == 0:
        return []
    cuts = draw(st.lists(st.integers(1, max(1, length - 1)), max_size=40, unique=True))
    bounds = [0, *sorted(c for c in cuts if 0 < c < length), length]
    return [b - a for a, b in itertools.pairwise(bounds)]


def _feed_chunks(decoder: StreamDecoder, stream: bytes, sizes: list[int]) -> list[Message]:
    out: list[Message] = []
    offset = 0
    for size in sizes:
        out += decoder.feed(stream[offset : offset + size])
        offset += size
    return out


def _recv_chunks(decoder: StreamDecoder, stream: bytes, sizes: list[int]) -> list[Message]:
    out: list[Message] = []
    offset = 0
    for size in sizes:
        end = offset + size
        while offset < end:
            target = decoder.recv_buffer()
            n = min(len(target), end - offset)
            assert n > 0
            target[:n] = stream[offset : offset + n]
            offset += n
            out += decoder.received(n)
    return out


def _check_split(messages: list[Message], sender: Role, sizes_draw: Any) -> None:
    parts = [bytes(m) for m in messages]
    stream = b"".join(parts)
    sizes = sizes_draw(splits(len(stream)))
    whole = StreamDecoder(sender=sender, max_array_bytes=LIMIT_BYTES).feed(stream)
    fed = _feed_chunks(StreamDecoder(sender=sender, max_array_bytes=LIMIT_BYTES), stream, sizes)
    received = _recv_chunks(
        StreamDecoder(sender=sender, max_array_bytes=LIMIT_BYTES), stream, sizes
    )
    for decoded in (whole, fed, received):
        assert [bytes(m) for m in decoded] == parts
        assert [type(m) for m in decoded] == [
            EventAddResponse if type(m) is EventCancelResponse else type(m) for m in messages
        ]
    for msg in fed + received:
        _touch(msg)


@fuzz
@given(st.lists(server_messages, min_size=1, max_size=30), st.data())
def test_any_split_of_a_server_stream_decodes_the_same(messages: list[Message], data: Any) -> None:
    _check_split(messages, SERVER, data.draw)


@fuzz
@given(st.lists(client_messages, min_size=1, max_size=30), st.data())
def test_any_split_of_a_client_stream_decodes_the_same(messages: list[Message], data: Any) -> None:
    _check_split(messages, CLIENT, data.draw)


def _touch(msg: Message) -> None:
    """Everything a user may look at; none of it may raise."""
    for name in type(msg)._fields:
        getattr(msg, name)
    repr(msg)
    bytes(msg)
    repr(msg.header)
    msg.buffers  # noqa: B018
    if hasattr(msg, "data"):
        data = msg.data
        len(data)
        meta = msg.metadata
        if meta is not None:
            repr(meta)
            meta.to_dict()


@st.composite
def headers_with_junk(draw: st.DrawFn, commands: list[int]) -> bytes:
    """A plausible header (known command, aligned size) followed by random bytes."""
    command = draw(st.sampled_from(commands))
    size = (
        draw(st.sampled_from([0, 8, 16, 24, 48, 424, 0x1000]))
        if draw(st.booleans())
        else draw(small)
    )
    data_type = draw(st.one_of(st.integers(0, 40), small))
    count = draw(st.one_of(st.integers(0, 10), small, u32))
    if draw(st.booleans()):
        header = struct.pack(
            ">HHHHIIII", command, 0xFFFF, data_type, 0, draw(u32), draw(u32), size, count
        )
    else:
        header = struct.pack(
            ">HHHHII", command, size, data_type, count & 0xFFFF, draw(u32), draw(u32)
        )
    return header + draw(st.binary(min_size=0, max_size=min(size, 600) + 8))


def junk(sender: Role) -> Any:
    commands = [*sorted(REQUESTS if sender is CLIENT else RESPONSES), 99]
    return st.lists(
        st.one_of(headers_with_junk(commands), st.binary(max_size=64)), min_size=1, max_size=8
    ).map(b"".join)


def _decode_junk(raw: bytes, sender: Role, sizes: list[int]) -> None:
    decoders = [
        lambda: _feed_chunks(StreamDecoder(sender=sender), raw, sizes),
        lambda: _recv_chunks(StreamDecoder(sender=sender), raw, sizes),
        lambda: read_datagram(raw, sender=sender),
    ]
    for decode in decoders:
        try:
            messages = decode()
        except RemoteProtocolError as exc:
            messages = getattr(exc, "messages", [])
        for msg in messages:
            _touch(msg)


@fuzz
@given(st.data())
def test_arbitrary_bytes_from_a_server(data: Any) -> None:
    raw = data.draw(junk(SERVER))
    _decode_junk(raw, SERVER, data.draw(splits(len(raw))))


@fuzz
@given(st.data())
def test_arbitrary_bytes_from_a_client(data: Any) -> None:
    raw = data.draw(junk(CLIENT))
    _decode_junk(raw, CLIENT, data.draw(splits(len(raw))))


@fuzz
@given(
    st.sampled_from(sorted(RESPONSES)),
    st.integers(payload_limit(LIMIT_BYTES) // 8 + 1, 0xFFFFFFF8 // 8).map(lambda n: n * 8),
    st.booleans(),
    st.integers(1, 24),
)
def test_oversized_payload_is_rejected_from_the_header(
    command: int, size: int, chunked: bool, chunk: int
) -> None:
    header = struct.pack(">HHHHIIII", command, 0xFFFF, 6, 0, 1, 2, size, 1)
    decoder = StreamDecoder(max_array_bytes=LIMIT_BYTES)
    try:
        if chunked:
            _recv_chunks(
                decoder, header, [chunk] * (24 // chunk) + [24 % chunk] * bool(24 % chunk)
            )
        else:
            decoder.feed(header)
    except RemoteProtocolError as exc:
        assert "over the limit" in str(exc)
    else:
        raise AssertionError(f"a header announcing {size} bytes was accepted")
