"""Malformed bytes and misbehaving servers: a clear PVAError, never another exception."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.errors import CAError, RemoteProtocolError
from protocol.pva.conversation import ConversationState, RPCConversation
from protocol.pva.decoder import StreamDecoder, decode_datagram, decode_message
from protocol.pva.errors import (
    PVAError,
    PVALocalProtocolError,
    PVARemoteError,
    PVARemoteProtocolError,
    PVAValueError,
)
from protocol.pva.header import HEADER_SIZE, Header, Segment, decode_header
from protocol.pva.listing import channels_argument, parse_channels
from protocol.pva.messages import (
    ConnectionValidated,
    ConnectionValidationRequest,
    ControlMessage,
    CreateChannelResponse,
    RPCResponse,
    SearchRequest,
)
from protocol.pva.types import FieldDesc, TypeCode, decode_type
from protocol.pva.values import encode_value, nturi
from protocol.pva.wire import Reader, Status, StatusType

DATA = Path(__file__).resolve().parent / "data"
SERVER_STREAM = bytes.fromhex(
    json.loads((DATA / "catui_pvxs_channels.json").read_text())["tcp"]["server"]
)


def server_messages():
    return StreamDecoder().feed(SERVER_STREAM)


def test_errors_share_the_package_base():
    assert issubclass(PVARemoteProtocolError, RemoteProtocolError)
    assert issubclass(PVAError, CAError)
    assert issubclass(PVAValueError, ValueError)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"\xca\x02\x40", "8 bytes"),
        (b"\xcb\x02\x40\x01\0\0\0\0", "first byte 0xcb"),
        (b"\xca\x00\x40\x01\0\0\0\0", "version 0"),
    ],
)
def test_bad_headers(raw, why):
    with pytest.raises(PVARemoteProtocolError, match=why):
        decode_header(raw)


def test_every_truncation_of_every_captured_message():
    for message in server_messages():
        if isinstance(message, ControlMessage):
            continue
        raw = bytes(message)
        header = decode_header(raw)
        for cut in range(HEADER_SIZE, len(raw)):
            body = raw[HEADER_SIZE:cut]
            short = Header(header.command, len(body), server=True, big_endian=header.big_endian)
            with pytest.raises(PVARemoteProtocolError, match="malformed"):
                decode_message(short, body)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_random_bytes(data):
    with contextlib.suppress(PVAError):
        StreamDecoder().feed(b"\xca\x02\x41\x02\0\0\0\0" + data)
    with contextlib.suppress(PVAError):
        decode_datagram(data)


@settings(max_examples=300)
@given(st.integers(0, len(SERVER_STREAM) - 1), st.integers(0, 255))
def test_corrupted_server_stream(position, value):
    """One byte changed anywhere: the conversation ends cleanly or with a PVAError."""
    data = bytearray(SERVER_STREAM)
    data[position] = value
    conv = RPCConversation("server", channels_argument())
    try:
        conv.receive_data(bytes(data))
        if conv.result is not None:
            parse_channels(conv.result)
    except PVAError:
        assert conv.state is ConversationState.FAILED or conv.result is not None


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"\x62", "unknown type code 0x62"),
        (b"\x30", "fixed or bounded"),
        (b"\xfe\x05\x00", "key 5 was never defined"),
        (b"\xfd\x01\x00\xff", "defined as null"),
        (b"\x80\x00\x01\x01a\xff", "member 'a' has the null type"),
        (b"\x88\x22", "STRUCT_ARRAY whose element is not a STRUCT"),
        (b"\x80\x00\x05", "member count 5 exceeds"),
        (b"\x80\x00" + b"\x01\x01a\x80\x00" * 30 + b"\x00", "nested deeper than 20"),
        (b"\x80\x00\x02\x01a\x22\x01a\x22", "duplicate member names"),
    ],
)
def test_bad_descriptors(raw, why):
    with pytest.raises(PVARemoteProtocolError, match=why):
        decode_type(Reader(raw, False, "test"), {})


def test_bad_union_selector_and_array_length():
    from protocol.pva.values import decode_value

    union = FieldDesc.union(a=TypeCode.INT32)
    with pytest.raises(PVARemoteProtocolError, match="selector 3 beyond"):
        decode_value(Reader(b"\x03", False, "test"), union, {})
    with pytest.raises(PVARemoteProtocolError, match="array length 200 exceeds"):
        decode_value(Reader(b"\xc8abc", False, "test"), FieldDesc(TypeCode.FLOAT64_ARRAY), {})
    with pytest.raises(PVARemoteProtocolError, match="status type 7"):
        Reader(b"\x07", False, "test").status()


def test_encoding_refuses_what_does_not_fit():
    desc, value = nturi("server", {"op": "channels"})
    with pytest.raises(PVAValueError, match=r"no member\(s\) \['bogus'\]"):
        encode_value(desc, {**value, "bogus": 1}, False)
    with pytest.raises(PVAValueError, match=r"value\.x: 300 is not a uint8_t"):
        encode_value(FieldDesc.struct(x=TypeCode.UINT8), {"x": 300}, False)
    with pytest.raises(PVAValueError, match="sequence"):
        encode_value(FieldDesc(TypeCode.STRING_ARRAY), "abc", False)
    with pytest.raises(PVAValueError):
        SearchRequest(1, [(1, "")])
    with pytest.raises(PVAValueError):
        RPCResponse(1, 0x08, Status(), (desc, value))


def test_segment_rules():
    def seg(segment: Segment, command: int = 20) -> bytes:
        return bytes(Header(command, 1, server=True, big_endian=False, segment=segment)) + b"\0"

    with pytest.raises(PVARemoteProtocolError, match="continuation segment first"):
        StreamDecoder().feed(seg(Segment.LAST))
    with pytest.raises(PVARemoteProtocolError, match="segment of another command"):
        StreamDecoder().feed(seg(Segment.FIRST) + seg(Segment.LAST, 9))
    with pytest.raises(PVARemoteProtocolError, match="before the last segment"):
        StreamDecoder().feed(seg(Segment.FIRST) + seg(Segment.NONE))


def test_role_and_size_limits():
    client_header = bytes(Header(1, 0, server=False, big_endian=False))
    with pytest.raises(PVARemoteProtocolError, match="where a server was expected"):
        StreamDecoder().feed(client_header)
    huge = bytes(Header(20, 0xFFFFFFF0, server=True, big_endian=False))
    with pytest.raises(PVARemoteProtocolError, match="more than the limit"):
        StreamDecoder(max_message_size=1 << 20).feed(huge)


def test_udp_cannot_carry_control_or_segments():
    control = bytes(Header(2, 0, server=True, big_endian=False, control=True))
    with pytest.raises(PVARemoteProtocolError, match="control or segmented"):
        decode_datagram(control)
    with pytest.raises(PVARemoteProtocolError, match="60 payload bytes announced, 2 in"):
        decode_datagram(bytes(Header(4, 60, server=True, big_endian=True)) + b"ab")


# -- the conversation ---------------------------------------------------------------------


def conversation_at_channel() -> RPCConversation:
    conv = RPCConversation("server", channels_argument())
    conv.receive_data(bytes(ConnectionValidationRequest()) + bytes(ConnectionValidated()))
    assert conv.state is ConversationState.AWAIT_CHANNEL
    return conv


def test_refused_channel():
    conv = conversation_at_channel()
    refusal = CreateChannelResponse(
        1,
        0xFFFFFFFF,
        Status(StatusType.FATAL, "Refused to create Channel", "pvx:serv:refusechan:"),
    )
    with pytest.raises(
        PVARemoteError, match="refused channel 'server': Refused to create Channel"
    ):
        conv.receive_data(bytes(refusal))
    assert conv.state is ConversationState.FAILED
    with pytest.raises(PVALocalProtocolError, match="after the conversation"):
        conv.receive_data(b"more")


def test_rpc_error_status():
    conv = conversation_at_channel()
    conv.receive_data(bytes(CreateChannelResponse(1, 9)) + bytes(RPCResponse(1, 0x08)))
    failure = RPCResponse(1, 0x10, Status(StatusType.ERROR, "Not implemented"))
    with pytest.raises(PVARemoteError, match="RPC on 'server' failed: Not implemented") as info:
        conv.receive_data(bytes(failure))
    assert isinstance(info.value.status, Status) and info.value.status.message == "Not implemented"


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (CreateChannelResponse(2, 9), "for cid 2, we asked for 1"),
        (RPCResponse(1, 0x08), "unexpected RPCResponse while awaiting the CREATE_CHANNEL"),
        (ConnectionValidated(), "unexpected ConnectionValidated"),
    ],
)
def test_messages_out_of_place(message, why):
    conv = conversation_at_channel()
    with pytest.raises(PVARemoteProtocolError, match=why):
        conv.receive_data(bytes(message))


def test_wrong_ioid_and_subcommand():
    conv = conversation_at_channel()
    conv.receive_data(bytes(CreateChannelResponse(1, 9)))
    with pytest.raises(
        PVARemoteProtocolError, match="subcommand 0x00 while awaiting the reply to RPC INIT"
    ):
        conv.receive_data(bytes(RPCResponse(1, 0x00)))
    conv = conversation_at_channel()
    conv.receive_data(bytes(CreateChannelResponse(1, 9)))
    with pytest.raises(PVARemoteProtocolError, match="ioid 5, ours is 1"):
        conv.receive_data(bytes(RPCResponse(5, 0x08)))


def test_early_close():
    conv = conversation_at_channel()
    with pytest.raises(
        PVARemoteProtocolError, match="closed the connection while awaiting the CREATE_CHANNEL"
    ):
        conv.receive_data(b"")


def test_listing_result_of_the_wrong_shape():
    with pytest.raises(PVARemoteProtocolError, match="returned nothing"):
        parse_channels((None, None))
    wrong = FieldDesc.struct(value=TypeCode.INT32_ARRAY)
    with pytest.raises(PVARemoteProtocolError, match="expected a string"):
        parse_channels((wrong, {"value": (1, 2)}))
