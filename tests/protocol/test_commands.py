"""Every command class and every DBR type: construct, encode, decode, re-encode."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from protocol import CAValueError, ChannelType, StreamDecoder, read_datagram
from protocol.commands import (
    EventAddResponse,
    EventCancelResponse,
    Message,
    ReadNotifyRequest,
    ReadNotifyResponse,
    SearchRequest,
    VersionRequest,
    WriteNotifyRequest,
)
from protocol.commands.base import CLIENT, REQUESTS, RESPONSES, SERVER, Role
from protocol.dbr import metadata_size
from protocol.header import padded_len
from protocol.values import element_size
from tests.protocol.samples import (
    ALL_TYPES,
    DATA_COMMANDS,
    STRING_TYPES,
    assert_same_fields,
    data_message,
    plain,
    request_samples,
    response_samples,
    same,
    sample_metadata,
    sample_values,
)

BIG = 1 << 20


def decode_one(raw: bytes, sender: Role) -> Message:
    """Decode ``raw`` as exactly one message, by stream and by datagram."""
    decoder = StreamDecoder(sender=sender, max_array_bytes=BIG)
    messages = decoder.feed(raw)
    assert len(messages) == 1
    assert decoder.pending == 0
    from_datagram = read_datagram(raw, ("127.0.0.1", 5064), sender=sender, max_array_bytes=BIG)
    assert len(from_datagram) == 1
    assert bytes(from_datagram[0]) == raw
    assert from_datagram[0].sender_address == ("127.0.0.1", 5064)
    return messages[0]


def _name(msg: Message) -> str:
    return type(msg).__name__


# -- coverage of the registries ----------------------------------------------
def test_samples_cover_every_registered_command() -> None:
    assert {type(m) for m in request_samples()} == set(REQUESTS.values())
    assert {type(m) for m in response_samples()} == set(RESPONSES.values())


def test_registries_hold_the_commands_of_the_protocol() -> None:
    assert sorted(REQUESTS) == [0, 1, 2, 3, 4, 6, 8, 9, 10, 12, 15, 18, 19, 20, 21, 23, 24]
    assert sorted(RESPONSES) == [0, 1, 3, 6, 10, 11, 12, 13, 14, 15, 17, 18, 19, 22, 23, 26, 27]
    assert all(cls.SENDER is CLIENT for cls in REQUESTS.values())
    assert all(cls.SENDER is SERVER for cls in RESPONSES.values())


# -- round trips of every command ---------------------------------------------
@pytest.mark.parametrize("msg", request_samples(), ids=_name)
def test_request_round_trip(msg: Message) -> None:
    raw = bytes(msg)
    assert len(raw) % 8 == 0
    assert len(msg) == len(raw)
    decoded = decode_one(raw, CLIENT)
    assert_same_fields(decoded, msg)
    assert bytes(decoded) == raw
    assert decoded == msg


@pytest.mark.parametrize("msg", response_samples(), ids=_name)
def test_response_round_trip(msg: Message) -> None:
    raw = bytes(msg)
    assert len(raw) % 8 == 0
    decoded = decode_one(raw, SERVER)
    assert_same_fields(decoded, msg)
    assert bytes(decoded) == raw
    assert decoded == msg


def test_requests_do_not_decode_as_responses() -> None:
    """The same id means different things in each direction (CREATE_CHAN, 18)."""
    raw = bytes(request_samples()[6])  # CreateChanRequest
    assert type(decode_one(raw, SERVER)).__name__ == "CreateChanResponse"


# -- every DBR type in every data message --------------------------------------
@pytest.mark.parametrize("data_type", ALL_TYPES)
@pytest.mark.parametrize("cls", DATA_COMMANDS, ids=lambda c: c.__name__)
def test_data_message_round_trip(cls: type[Message], data_type: int) -> None:
    msg = data_message(cls, data_type)
    values = sample_values(data_type)
    raw = bytes(msg)
    meta_len, elem_len = metadata_size(data_type), element_size(data_type)
    expected_payload = padded_len(meta_len + elem_len * len(values))
    header_len = 16
    assert struct.unpack(">HH", raw[:4]) == (cls.ID, expected_payload)
    assert len(raw) == header_len + expected_payload

    decoded = decode_one(raw, cls.SENDER)
    assert type(decoded) is cls
    assert bytes(decoded) == raw
    assert_same_fields(decoded, msg)
    assert decoded.data_type == data_type
    assert decoded.data_count == len(values)
    assert same(decoded.data, values)

    want_meta = sample_metadata(data_type)
    if want_meta is None:
        assert decoded.metadata is None
    else:
        got = decoded.metadata
        assert bytes(got) == bytes(want_meta)
        assert got.to_dict() == want_meta.to_dict()
        assert got.to_dict()  # every metadata type shows some fields
    # Re-encoding the decoded fields gives the same bytes again.
    rebuilt = data_message(cls, data_type, values=plain(decoded.data))
    assert bytes(rebuilt) == raw


@pytest.mark.parametrize("data_type", ALL_TYPES)
def test_empty_data_round_trip(data_type: int) -> None:
    msg = ReadNotifyResponse([], data_type, 0, 1, 9, metadata=sample_metadata(data_type))
    raw = bytes(msg)
    assert len(raw) == 16 + padded_len(metadata_size(data_type))
    decoded = decode_one(raw, SERVER)
    assert decoded.data_count == 0
    assert plain(decoded.data) == []
    assert plain(decoded.metadata) == plain(sample_metadata(data_type))


@pytest.mark.parametrize("data_type", [t for t in ALL_TYPES if t not in STRING_TYPES])
def test_numpy_input_encodes_like_a_list(data_type: int) -> None:
    values = sample_values(data_type)
    as_list = ReadNotifyResponse(values, data_type, metadata=sample_metadata(data_type))
    as_array = ReadNotifyResponse(
        np.array(values, dtype=np.asarray(as_list.data).dtype.newbyteorder("=")),
        data_type,
        metadata=sample_metadata(data_type),
    )
    assert bytes(as_array) == bytes(as_list)


def test_char_data_from_bytes() -> None:
    msg = WriteNotifyRequest(b"Hello CA\0", ChannelType.CHAR, None, 6, 108)
    assert msg.data_count == 9
    assert bytes(msg).hex() == ("0013001000040009000000060000006c" + "48656c6c6f204341" + "00" * 8)
    assert plain(decode_one(bytes(msg), CLIENT).data) == list(b"Hello CA\0")


def test_metadata_as_tuple() -> None:
    msg = ReadNotifyResponse([1.0], ChannelType.STS_DOUBLE, metadata=(4, 1, 0))
    assert msg.metadata.status == 4 and msg.metadata.severity == 1


@pytest.mark.parametrize(
    "build",
    [
        lambda: ReadNotifyResponse([1.0], 39),
        lambda: ReadNotifyResponse([1.0], -1),
        lambda: ReadNotifyResponse([1.0], True),
        lambda: ReadNotifyResponse([1.0], "DOUBLE"),
        lambda: ReadNotifyResponse([1.0, 2.0], ChannelType.DOUBLE, 3),
        lambda: ReadNotifyResponse([1.0], ChannelType.DOUBLE, metadata=sample_metadata(20)),
        lambda: ReadNotifyResponse([1.0], ChannelType.TIME_DOUBLE, metadata=b"\0" * 8),
        lambda: ReadNotifyResponse([1.0], ChannelType.DOUBLE, ioid=2**32),
        lambda: ReadNotifyRequest(ChannelType.DOUBLE, -1, 0, 0),
        lambda: ReadNotifyRequest(ChannelType.DOUBLE, 1, 0, 1.5),
        lambda: SearchRequest("", 1),
        lambda: SearchRequest("bad name", 1),
        lambda: SearchRequest("VEC:ao", 1, reply=7),
        lambda: VersionRequest(100),
        lambda: VersionRequest(0, 13, sequence_id=-1),
    ],
)
def test_invalid_construction_raises_value_error(build: object) -> None:
    with pytest.raises(CAValueError):
        build()  # type: ignore[operator]


def test_version_request_sequence_id() -> None:
    """libca's search VERSION: data_type 1 and a sequence number in parameter1."""
    msg = VersionRequest(1, 13, sequence_id=1)
    assert bytes(msg).hex() == "000000000001000d0000000100000000"
    decoded = decode_one(bytes(msg), CLIENT)
    assert (decoded.priority, decoded.version, decoded.sequence_id) == (1, 13, 1)


def test_event_cancel_response_round_trip_through_circuit() -> None:
    """An empty EVENT_ADD for a subscription being cancelled is the cancel ack."""
    from protocol import VirtualCircuit
    from protocol.commands import CreateChanResponse

    circuit = VirtualCircuit(("127.0.0.1", 5064))
    channel = circuit.new_channel("VEC:ao")
    circuit.send(channel.create())
    circuit.feed(bytes(CreateChanResponse(ChannelType.DOUBLE, 1, channel.cid, 7)))
    sub = channel.subscribe("time")
    circuit.send(sub)
    update = EventAddResponse([3.5], ChannelType.TIME_DOUBLE, 1, 1, sub.subscriptionid)
    (got,) = circuit.feed(bytes(update))
    assert type(got) is EventAddResponse
    circuit.send(channel.unsubscribe(sub.subscriptionid))

    ack = EventCancelResponse(ChannelType.TIME_DOUBLE, 7, sub.subscriptionid, 0)
    raw = bytes(ack)
    assert raw.hex() == "0001000000140000" + "00000007" + f"{sub.subscriptionid:08x}"
    (got,) = circuit.feed(raw)
    assert type(got) is EventCancelResponse
    assert bytes(got) == raw
    assert_same_fields(got, ack)
    assert sub.subscriptionid not in circuit.event_add_requests


@pytest.mark.parametrize("data_type", ALL_TYPES)
def test_empty_event_add_response_decodes_without_circuit(data_type: int) -> None:
    """Without the circuit the cancel ack is an update with no values and no metadata."""
    raw = bytes(EventCancelResponse(data_type, 5, 11, 1))
    decoded = decode_one(raw, SERVER)
    assert type(decoded) is EventAddResponse
    assert plain(decoded.data) == []
    assert decoded.metadata is None
    assert decoded.data_type == data_type
