"""The stream and datagram decoders: framing, extended headers, limits and errors."""

from __future__ import annotations

import struct
import tracemalloc

import numpy as np
import pytest

from protocol import (
    ChannelType,
    ExtendedMessageHeader,
    MessageHeader,
    RemoteProtocolError,
    StreamDecoder,
    read_datagram,
)
from protocol.commands import (
    EchoResponse,
    ErrorResponse,
    Message,
    ReadNotifyRequest,
    ReadNotifyResponse,
    VersionResponse,
    WriteNotifyRequest,
)
from protocol.commands.base import CLIENT, SERVER
from protocol.decoder import DEFAULT_MAX_ARRAY_BYTES, payload_limit
from protocol.header import pack_header

GB = 1 << 30


# -- extended headers -----------------------------------------------------------
def test_extended_header_for_a_big_payload() -> None:
    values = np.arange(10000) * 0.5
    msg = ReadNotifyResponse(values, ChannelType.DOUBLE, 10000, 1, 0xCC)
    raw = bytes(msg)
    assert raw[:24].hex() == "000fffff0006000000000001000000cc0001388000002710"
    assert len(raw) == 24 + 80000
    assert isinstance(msg.header, ExtendedMessageHeader)
    (decoded,) = StreamDecoder(max_array_bytes=80000).feed(raw)
    assert decoded.data_count == 10000
    assert decoded.payload_size == 80000
    assert np.array_equal(decoded.data, values)
    assert bytes(decoded) == raw


def test_extended_header_for_a_big_count_with_no_payload() -> None:
    msg = ReadNotifyRequest(ChannelType.DOUBLE, 0x10000, 11, 1)
    raw = bytes(msg)
    assert raw.hex() == "000fffff000600000000000b" + "00000001" + "00000000" + "00010000"
    (decoded,) = StreamDecoder(sender=CLIENT).feed(raw)
    assert (decoded.data_count, decoded.sid, decoded.ioid) == (0x10000, 11, 1)
    assert repr(decoded.header) == (
        "ExtendedMessageHeader(command=15, payload_size=0, data_type=6, data_count=65536, "
        "parameter1=11, parameter2=1)"
    )


@pytest.mark.parametrize(
    ("payload_size", "count", "extended"),
    [(0xFFF8, 1, False), (0x10000, 1, True), (8, 0xFFFE, False), (8, 0xFFFF, True)],
)
def test_extended_form_boundaries(payload_size: int, count: int, extended: bool) -> None:
    raw = pack_header(15, payload_size, 4, count, 1, 2)
    assert len(raw) == (24 if extended else 16)
    if extended:
        assert struct.unpack(">HHHH", raw[:8])[1::2] == (0xFFFF, 0)
        assert struct.unpack(">II", raw[16:]) == (payload_size, count)


def test_char_array_of_65535_elements() -> None:
    """A count of exactly 0xFFFF also needs the extended form (0xFFFF is the marker)."""
    data = bytes(range(256)) * 255 + bytes(range(255))
    msg = WriteNotifyRequest(data, ChannelType.CHAR, None, 1, 2)
    raw = bytes(msg)
    assert len(raw) == 24 + 0x10000
    (decoded,) = StreamDecoder(sender=CLIENT, max_array_bytes=0x10000).feed(raw)
    assert decoded.data_count == 0xFFFF
    assert bytes(decoded.data) == data


def test_header_structs() -> None:
    raw = bytes.fromhex("000f0008000600010000000100000000")
    header = MessageHeader.from_buffer_copy(raw)
    assert (header.command, header.payload_size, header.data_type, header.data_count) == (
        15,
        8,
        6,
        1,
    )
    assert bytes(header) == raw


# -- framing --------------------------------------------------------------------
def _stream() -> tuple[bytes, list[bytes]]:
    parts = [
        bytes(VersionResponse(13)),
        bytes(ReadNotifyResponse([1.0, 2.0, 3.0], ChannelType.TIME_DOUBLE, 3, 1, 7)),
        bytes(EchoResponse()),
        bytes(ReadNotifyResponse(np.arange(3000.0), ChannelType.DOUBLE, 3000, 1, 8)),
        bytes(ErrorResponse(ReadNotifyRequest(0, 0, 5, 206), 1, 142, "Bad Resource ID")),
    ]
    return b"".join(parts), parts


@pytest.mark.parametrize("chunk", [1, 3, 8, 16, 17, 23, 24, 25, 4096, 1 << 20])
def test_feed_in_chunks(chunk: int) -> None:
    stream, parts = _stream()
    decoder = StreamDecoder(max_array_bytes=24000)
    got: list[Message] = []
    for start in range(0, len(stream), chunk):
        got += decoder.feed(stream[start : start + chunk])
    assert [bytes(m) for m in got] == parts
    assert decoder.pending == 0


@pytest.mark.parametrize("chunk", [1, 5, 16, 24, 1000, 1 << 20])
def test_recv_buffer_in_chunks(chunk: int) -> None:
    stream, parts = _stream()
    decoder = StreamDecoder(max_array_bytes=24000)
    got: list[Message] = []
    offset = 0
    while offset < len(stream):
        target = decoder.recv_buffer()
        n = min(chunk, len(target), len(stream) - offset)
        target[:n] = stream[offset : offset + n]
        offset += n
        got += decoder.received(n)
    assert [bytes(m) for m in got] == parts


def test_messages_stay_valid_while_the_decoder_moves_on() -> None:
    """Buffers are never rewritten once a message views them."""
    parts = [
        bytes(ReadNotifyResponse([float(i)] * 500, ChannelType.DOUBLE, 500, 1, i))
        for i in range(60)
    ]
    decoder = StreamDecoder()
    kept: list[Message] = []
    for raw in parts:
        target = decoder.recv_buffer()
        target[: len(raw)] = raw
        kept += decoder.received(len(raw))
    for raw in parts:
        kept += decoder.feed(raw)
    assert [bytes(m) for m in kept] == parts + parts
    assert [m.data[0] for m in kept] == [float(i) for i in range(60)] * 2


def test_large_message_is_received_in_place() -> None:
    raw = bytes(ReadNotifyResponse(np.arange(20000.0), ChannelType.DOUBLE, 20000, 1, 1))
    decoder = StreamDecoder(max_array_bytes=160000)
    target = decoder.recv_buffer()
    target[:24] = raw[:24]
    assert decoder.received(24) == []
    target = decoder.recv_buffer()
    assert len(target) >= len(raw) - 24  # sized for the whole pending message
    target[: len(raw) - 24] = raw[24:]
    (msg,) = decoder.received(len(raw) - 24)
    assert np.shares_memory(msg.data, np.frombuffer(target.obj, dtype=np.uint8))


def test_big_message_fed_in_pieces_is_gathered_in_one_buffer() -> None:
    """Pieces of a pending message are copied once into a buffer sized for it all
    (not into a buffer regrown, and recopied, for every piece)."""
    raw = bytes(ReadNotifyResponse(np.arange(100_000.0), ChannelType.DOUBLE, 100_000, 1, 1))
    decoder = StreamDecoder(max_array_bytes=800_000)
    pieces = [raw[i : i + 65536] for i in range(0, len(raw), 65536)]
    assert decoder.feed(pieces[0]) == []
    assert decoder.feed(pieces[1]) == []
    gathering = decoder._buf
    assert len(gathering) >= len(raw)
    out = []
    for piece in pieces[2:]:
        out += decoder.feed(piece)
        assert decoder._buf is gathering
    (msg,) = out
    assert msg.data[-1] == 99_999.0
    assert np.shares_memory(msg.data, np.frombuffer(gathering, dtype=np.uint8))


def test_datagram_with_several_messages() -> None:
    raw = bytes.fromhex(
        "000000000001000d0000000000000000"
        "0006000842a80000ffffffff00001234000d000000000000"
        "0006000842a80000ffffffff00001240000d000000000000"
    )
    version, first, second = read_datagram(raw, ("127.0.0.1", 5064))
    assert version.version == 13
    assert (first.cid, second.cid, first.port) == (0x1234, 0x1240, 17064)
    assert first.sender_address == ("127.0.0.1", 5064)


def test_truncated_datagram() -> None:
    raw = bytes.fromhex("0006000842a80000ffffffff00001234000d0000")
    with pytest.raises(RemoteProtocolError, match="truncated"):
        read_datagram(raw, ("10.0.0.1", 5064))


# -- errors ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "sender", "words"),
    [
        ("00630000000000000000000000000000", CLIENT, ["unknown command id 99"]),
        ("00150003000000000000000000000000616200", CLIENT, ["HostNameRequest", "multiple of 8"]),
        ("000f0000002700000000001900000093", CLIENT, ["ReadNotifyRequest", "DBR type 39"]),
        ("000f0008002800010000000100000001" + "00" * 8, SERVER, ["ReadNotifyResponse", "40"]),
        (
            "000f0008000600020000000100000001" + "00" * 8,
            SERVER,
            ["ReadNotifyResponse", "2 element"],
        ),
        ("0001000800140001000000010000000b" + "00" * 8, SERVER, ["EventAddResponse", "24 bytes"]),
        ("00010008000600010000000100000002" + "00" * 8, CLIENT, ["EventAddRequest", "16 bytes"]),
        ("000b0008000000000000000100000002" + "00" * 8, SERVER, ["ErrorResponse", "16 bytes"]),
        ("00120000003200010000000100000002", SERVER, ["CreateChanResponse", "DBR type 50"]),
        (
            "000fffff0006000000000001000000010000000400000001",
            SERVER,
            ["ReadNotifyResponse", "of 8"],
        ),
    ],
)
def test_decoding_errors_name_the_command(raw: str, sender: object, words: list[str]) -> None:
    data = bytes.fromhex(raw)
    with pytest.raises(RemoteProtocolError) as stream_error:
        StreamDecoder(sender=sender).feed(data)  # type: ignore[arg-type]
    with pytest.raises(RemoteProtocolError) as datagram_error:
        read_datagram(data, sender=sender)  # type: ignore[arg-type]
    for word in words:
        assert word in str(stream_error.value)
        assert word in str(datagram_error.value)


def test_error_keeps_the_messages_before_it_and_breaks_the_decoder() -> None:
    good = bytes(EchoResponse())
    decoder = StreamDecoder()
    with pytest.raises(RemoteProtocolError) as exc:
        decoder.feed(good + good + bytes.fromhex("00630000000000000000000000000000"))
    assert [bytes(m) for m in exc.value.messages] == [good, good]  # type: ignore[attr-defined]
    with pytest.raises(RemoteProtocolError, match="broken"):
        decoder.feed(good)
    with pytest.raises(RemoteProtocolError, match="broken"):
        decoder.recv_buffer()


def test_payload_limit() -> None:
    assert DEFAULT_MAX_ARRAY_BYTES == 16384
    assert payload_limit(0) == payload_limit(16384) == 16384 + 424
    assert payload_limit(8_000_000) == 8_000_424
    limit = payload_limit(16384)
    ok = bytes(ReadNotifyResponse(bytes(limit - 424), ChannelType.CHAR))
    assert len(StreamDecoder().feed(ok)) == 1
    over = bytes(ReadNotifyResponse(bytes(limit + 8), ChannelType.CHAR))
    with pytest.raises(RemoteProtocolError, match="over the limit"):
        StreamDecoder().feed(over)


def _one_gigabyte_header() -> bytes:
    return struct.pack(">HHHHIIII", 15, 0xFFFF, 6, 0, 1, 1, GB, GB // 8)


@pytest.mark.parametrize("how", ["feed", "feed in pieces", "recv_buffer", "datagram"])
def test_oversized_header_raises_before_allocating(how: str) -> None:
    raw = _one_gigabyte_header() + bytes(64)
    decoder = StreamDecoder(max_array_bytes=8_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(RemoteProtocolError, match="1073741824 bytes, over the limit"):
            if how == "feed":
                decoder.feed(raw)
            elif how == "feed in pieces":
                for start in range(0, len(raw), 5):
                    decoder.feed(raw[start : start + 5])
            elif how == "recv_buffer":
                for start in range(0, len(raw), 10):
                    piece = raw[start : start + 10]
                    target = decoder.recv_buffer()
                    target[: len(piece)] = piece
                    decoder.received(len(piece))
            else:
                read_datagram(raw, sender=SERVER, max_array_bytes=8_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # nowhere near the gigabyte announced
