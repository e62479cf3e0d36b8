"""Round trips in both byte orders: sizes, strings, type descriptors (with the cache
codes), full values, messages, and the stream decoder under any chunking and
segmentation."""

from __future__ import annotations

import itertools
import math
import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.pva.decoder import StreamDecoder, decode_datagram, decode_message
from protocol.pva.header import HEADER_SIZE, Header, Segment, decode_header
from protocol.pva.messages import (
    ConnectionValidationRequest,
    ConnectionValidationResponse,
    CreateChannelRequest,
    CreateChannelResponse,
    DestroyChannelResponse,
    RPCRequest,
    RPCResponse,
    SearchRequest,
    SearchResponse,
    ServerMessage,
)
from protocol.pva.types import FieldDesc, TypeCode, decode_type, encode_type
from protocol.pva.values import AnyValue, UnionValue, decode_value, encode_value
from protocol.pva.wire import Reader, Status, StatusType, encode_size, encode_string

orders = st.booleans()
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
ids = st.integers(0, 0xFFFFFFFF)

_INTS = {
    TypeCode.INT8: (-(2**7), 2**7 - 1),
    TypeCode.INT16: (-(2**15), 2**15 - 1),
    TypeCode.INT32: (-(2**31), 2**31 - 1),
    TypeCode.INT64: (-(2**63), 2**63 - 1),
    TypeCode.UINT8: (0, 2**8 - 1),
    TypeCode.UINT16: (0, 2**16 - 1),
    TypeCode.UINT32: (0, 2**32 - 1),
    TypeCode.UINT64: (0, 2**64 - 1),
}
_SCALARS = [*_INTS, TypeCode.BOOL, TypeCode.FLOAT32, TypeCode.FLOAT64, TypeCode.STRING]


def scalar_values(code: TypeCode) -> st.SearchStrategy[Any]:
    if code in _INTS:
        low, high = _INTS[code]
        return st.integers(low, high)
    if code is TypeCode.BOOL:
        return st.booleans()
    if code is TypeCode.FLOAT32:
        return st.floats(width=32, allow_nan=False)
    if code is TypeCode.FLOAT64:
        return st.floats(allow_nan=False)
    return st.text(max_size=20)


def member_lists(children: st.SearchStrategy[FieldDesc]) -> st.SearchStrategy[Any]:
    return st.lists(st.tuples(names, children), max_size=4, unique_by=lambda m: m[0])


def descriptors() -> st.SearchStrategy[FieldDesc]:
    leaves = st.sampled_from(
        [*_SCALARS, *(TypeCode(c | 0x08) for c in _SCALARS), TypeCode.ANY, TypeCode.ANY_ARRAY]
    ).map(FieldDesc)

    def compound(children: st.SearchStrategy[FieldDesc]) -> st.SearchStrategy[FieldDesc]:
        struct_ = st.builds(
            FieldDesc, st.just(TypeCode.STRUCT), st.text(max_size=12), member_lists(children)
        )
        union = st.builds(
            FieldDesc,
            st.just(TypeCode.UNION),
            st.text(max_size=12),
            member_lists(children).filter(bool),
        )
        arrays = st.one_of(struct_, union).map(
            lambda d: FieldDesc(TypeCode(d.code | 0x08), element=d)
        )
        return st.one_of(struct_, union, arrays)

    return st.recursive(leaves, compound, max_leaves=8)


def values_of(desc: FieldDesc, depth: int = 0) -> st.SearchStrategy[Any]:
    code = desc.code
    if code is TypeCode.STRUCT:
        return st.fixed_dictionaries({n: values_of(m, depth + 1) for n, m in desc.fields})
    if code is TypeCode.UNION:
        choices = [
            st.tuples(st.just(n), values_of(m, depth + 1)).map(lambda p: UnionValue(*p))
            for n, m in desc.fields
        ]
        return st.one_of(st.just(UnionValue()), *choices)
    if code is TypeCode.ANY:
        held = st.sampled_from([TypeCode.INT32, TypeCode.STRING, TypeCode.FLOAT64_ARRAY]).map(
            FieldDesc
        )
        return st.one_of(
            st.just(AnyValue()),
            held.flatmap(lambda d: values_of(d, depth + 1).map(lambda v: AnyValue(d, v))),
        )
    if code.is_array:
        if desc.element is not None:
            element = values_of(desc.element, depth + 1)
        elif code is TypeCode.ANY_ARRAY:
            element = values_of(FieldDesc(TypeCode.ANY), depth + 1)
        else:
            element = scalar_values(code.scalar)
        nullable = code in (TypeCode.STRUCT_ARRAY, TypeCode.UNION_ARRAY, TypeCode.ANY_ARRAY)
        items = st.one_of(st.none(), element) if nullable else element
        return st.lists(items, max_size=3).map(tuple)
    return scalar_values(code)


typed_values = descriptors().flatmap(lambda d: st.tuples(st.just(d), values_of(d)))


def same(a: Any, b: Any) -> bool:
    """Equality with -0.0 and 0.0 told apart (the bytes differ)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@given(st.integers(0, 0x7FFFFFFE), orders)
def test_sizes(size, be):
    raw = encode_size(size, be)
    assert len(raw) == (1 if size < 254 else 5)
    reader = Reader(raw, be, "test")
    assert reader.size() == size and reader.remaining == 0


@given(st.text(), orders)
def test_strings(text, be):
    reader = Reader(encode_string(text, be) + b"tail", be, "test")
    assert reader.string() == text and reader.rest() == b"tail"


@given(descriptors(), orders)
def test_descriptors(desc, be):
    cache: dict[int, FieldDesc] = {}
    reader = Reader(encode_type(desc, be) + encode_type(None, be), be, "test")
    assert decode_type(reader, cache) == desc
    assert decode_type(reader, cache) is None
    assert reader.remaining == 0 and cache == {}


@given(st.lists(descriptors(), min_size=1, max_size=4), orders)
def test_descriptor_cache(descs, be):
    """Define on first use, refer after: every descriptor comes back, twice."""
    sent: dict[FieldDesc, int] = {}
    raw = b"".join(encode_type(d, be, sent) for d in descs + descs)
    reader = Reader(raw, be, "test")
    cache: dict[int, FieldDesc] = {}
    assert [decode_type(reader, cache) for _ in descs + descs] == descs + descs
    assert set(cache.values()) == set(descs)
    assert raw.count(0xFE) >= len(descs)  # the second round is all references


@settings(max_examples=300)
@given(typed_values, orders)
def test_values(typed, be):
    desc, value = typed
    raw = encode_value(desc, value, be)
    reader = Reader(raw, be, "test")
    assert same(decode_value(reader, desc, {}), value)
    assert reader.remaining == 0


def _roundtrip(message):
    raw = bytes(message)
    header = decode_header(raw)
    assert header.payload_size == len(raw) - HEADER_SIZE
    again = decode_message(header, raw[HEADER_SIZE:])
    assert again == message and bytes(again) == raw
    return again


statuses = st.builds(
    Status, st.sampled_from(StatusType), st.text(max_size=10), st.text(max_size=10)
)


@given(
    ids,
    st.lists(st.tuples(ids, names), max_size=5),
    st.booleans(),
    st.booleans(),
    st.integers(0, 65535),
    orders,
)
def test_search(sequence, channels, must_reply, unicast, port, be):
    msg = SearchRequest(
        sequence, channels, must_reply=must_reply, unicast=unicast, reply_port=port, big_endian=be
    )
    assert decode_datagram(bytes(msg)) == [msg]


@given(
    st.binary(min_size=12, max_size=12),
    ids,
    st.integers(0, 65535),
    st.lists(ids, max_size=5),
    orders,
)
def test_search_response(guid, sequence, port, cids, be):
    msg = SearchResponse(guid, sequence, port, found=bool(cids), cids=cids, big_endian=be)
    _roundtrip(msg)


@given(st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFF), st.lists(names, max_size=3), orders)
def test_validation(buffer_size, registry, methods, be):
    _roundtrip(ConnectionValidationRequest(buffer_size, registry, methods, big_endian=be))
    cred = (
        FieldDesc.struct(user=TypeCode.STRING, host=TypeCode.STRING),
        {"user": "u", "host": "h"},
    )
    _roundtrip(ConnectionValidationResponse("ca", cred, buffer_size, registry, big_endian=be))
    _roundtrip(ConnectionValidationResponse(big_endian=be))


@given(ids, ids, statuses, st.lists(st.tuples(ids, names), min_size=1, max_size=3), orders)
def test_channels(cid, sid, status, pairs, be):
    _roundtrip(CreateChannelRequest(pairs, big_endian=be))
    _roundtrip(CreateChannelResponse(cid, sid, status, big_endian=be))
    _roundtrip(DestroyChannelResponse(sid, cid, big_endian=be))
    _roundtrip(ServerMessage(cid, 2, "note", big_endian=be))


@settings(max_examples=100)
@given(ids, ids, typed_values, statuses, orders)
def test_rpc(sid, ioid, typed, status, be):
    _roundtrip(RPCRequest.init(sid, ioid, big_endian=be))
    desc, value = typed
    assert _roundtrip(RPCRequest.execute(sid, ioid, (desc, value), big_endian=be)).data[0] == desc
    _roundtrip(RPCResponse(ioid, 0x08, status, big_endian=be))
    if status.ok:
        _roundtrip(RPCResponse(ioid, 0x00, status, (desc, value), big_endian=be))
    else:
        _roundtrip(RPCResponse(ioid, 0x00, status, big_endian=be))


def _segmented(message, pieces: list[int]) -> bytes:
    """``message`` sent as FIRST, MIDDLE..., LAST segments cut at ``pieces``."""
    raw = bytes(message)
    body = raw[HEADER_SIZE:]
    header = decode_header(raw)
    cuts = sorted({min(p, len(body)) for p in pieces} | {0, len(body)})
    parts = [body[a:b] for a, b in itertools.pairwise(cuts)] or [b""]
    if len(parts) == 1:
        parts = [parts[0], b""]
    out = b""
    for i, part in enumerate(parts):
        segment = (
            Segment.FIRST if i == 0 else Segment.LAST if i == len(parts) - 1 else Segment.MIDDLE
        )
        head = Header(
            header.command, len(part), server=True, big_endian=header.big_endian, segment=segment
        )
        out += bytes(head) + part
    return out


@settings(max_examples=100)
@given(
    st.lists(names, min_size=1, max_size=30),
    orders,
    st.lists(st.integers(1, 64), max_size=4),
    st.integers(1, 50),
)
def test_stream_chunks_and_segments(pvs, be, cuts, chunk):
    desc = FieldDesc.struct("epics:nt/NTScalarArray:1.0", value=TypeCode.STRING_ARRAY)
    reply = RPCResponse(7, 0, Status(), (desc, {"value": tuple(pvs)}), big_endian=be)
    note = ServerMessage(7, 0, "hello", big_endian=be)
    data = bytes(note) + _segmented(reply, cuts) + bytes(note)
    decoder = StreamDecoder()
    out = []
    for start in range(0, len(data), chunk):
        out += decoder.feed(data[start : start + chunk])
    assert out == [note, reply, note]
    assert decoder.buffered == 0
    assert struct.unpack("<I" if not be else ">I", bytes(reply)[4:8])[0] == len(bytes(reply)) - 8
