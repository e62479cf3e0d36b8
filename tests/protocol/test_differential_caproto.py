"""Differential tests against caproto's core (a test-only reference peer).

caproto decodes our encodings and we decode caproto's, for every command and
every DBR type, with the same data, data_type, data_count, ids and metadata.

Where caproto disagrees with the real IOC, the tests below name each known
caproto deviation and assert that caproto gets it *differently* (so a fixed
caproto shows up as a failing test to revisit):

* DBR_CTRL_STRING (28): caproto uses the 12-byte TIME_STRING metadata; the IOC
  (and we) use the 4-byte STS_STRING layout (ca-protocol.md §7, §8, §16.1).
* DBR_PUT_ACKT/PUT_ACKS (35, 36) on decode: caproto reads the u16 value as a
  metadata struct and then reads the data past it.
* DBR_STSACK_STRING (37): caproto's metadata struct swallows the first string
  (48 bytes), so the values come out as garbage; it cannot encode strings.
* DBR_CLASS_NAME (38): caproto puts the value into a metadata struct and returns
  no data; it cannot encode strings either.
* READ_SYNC (10) from a server: the IOC echoes it (``#read_sync``); caproto has
  no class for the echo and rejects it as a bad command id.
* VERSION from a server: caproto's server puts 1 in data_type and parameter1,
  the IOC 0 and 0 over TCP (ca-protocol.md §16.2); both decode to version 13.

DBR_GR_STRING (21), listed next to 28 in ca-protocol.md §16.1, is *not* a
decoding deviation: caproto maps it to DBR_STS_STRING as the IOC does (the
difference is only that caproto's class mapping never requests it, §8).
"""

from __future__ import annotations

import ctypes
from typing import Any

import caproto
import pytest
from caproto import _commands as caproto_commands
from caproto import _dbr as caproto_dbr

import protocol.commands as ours
from protocol import ChannelType, StreamDecoder
from protocol.commands import Message
from protocol.commands.base import CLIENT, SERVER, Role
from tests.protocol.samples import (
    ALL_TYPES,
    DATA_COMMANDS,
    data_message,
    plain,
    same,
    sample_metadata,
    sample_values,
)
from tests.protocol.vectors import load

#: DBR types whose payload caproto lays out differently from the IOC.
DECODE_DEVIATIONS = {28, 35, 36, 37, 38}
ENCODE_DEVIATIONS = {28, 37, 38}

ROLES = {CLIENT: caproto.CLIENT, SERVER: caproto.SERVER}

# caproto warns that it does not support the deprecated READ well; we test it anyway.
pytestmark = pytest.mark.filterwarnings("ignore:ReadResponse was deprecated:UserWarning")


def caproto_decode(raw: bytes, sender: Role) -> Any:
    remaining, command, needed = caproto_commands.read_from_bytestream(
        bytearray(raw), ROLES[sender]
    )
    assert needed == 0 and len(remaining) == 0
    return command


def our_decode(raw: bytes, sender: Role) -> Message:
    (msg,) = StreamDecoder(sender=sender, max_array_bytes=1 << 20).feed(raw)
    return msg


def test_role_arguments_mean_the_sender() -> None:
    """caproto's ``role`` argument, like our ``sender``, names who sent the bytes."""
    raw = bytes(ours.CreateChanRequest("VEC:ao", 1, 13))
    assert type(caproto_decode(raw, CLIENT)).__name__ == "CreateChanRequest"
    assert type(caproto_decode(raw, SERVER)).__name__ == "CreateChanResponse"
    (datagram,) = caproto_commands.read_datagram(bytearray(raw), ("127.0.0.1", 0), caproto.CLIENT)
    assert type(datagram).__name__ == "CreateChanRequest"


# -- non-data commands ---------------------------------------------------------------
SIMPLE = [
    ("VersionRequest", (0, 13), ("priority", "version")),
    ("VersionRequest", (99, 13), ("priority", "version")),
    ("SearchRequest", ("VEC:ao", 0x1234, 13, 5), ("name", "cid", "version", "reply")),
    ("SearchRequest", ("VEC:nosuch", 77, 13, 10), ("name", "cid", "version", "reply")),
    ("SearchResponse", (17064, "255.255.255.255", 0x1234, 13), ("port", "ip", "cid", "version")),
    ("SearchResponse", (5064, "10.0.0.7", 77, 13), ("port", "ip", "cid", "version")),
    ("NotFoundResponse", (13, 78), ("version", "cid")),
    ("CreateChanRequest", ("VEC:ao", 1, 13), ("name", "cid", "version")),
    ("CreateChanResponse", (6, 1, 1, 0), ("data_type", "data_count", "cid", "sid")),
    ("CreateChFailResponse", (999,), ("cid",)),
    ("ServerDisconnResponse", (7,), ("cid",)),
    ("AccessRightsResponse", (1, 3), ("cid", "access_rights")),
    ("ClearChannelRequest", (5, 6), ("sid", "cid")),
    ("ClearChannelResponse", (5, 6), ("sid", "cid")),
    ("EchoRequest", (), ()),
    ("EchoResponse", (), ()),
    ("EventsOffRequest", (), ()),
    ("EventsOnRequest", (), ()),
    ("ReadSyncRequest", (), ()),
    ("Beacon", (13, 5064, 77, "127.0.0.1"), ("version", "server_port", "beacon_id", "address")),
    ("RepeaterRegisterRequest", ("127.0.0.1",), ("client_address",)),
    ("RepeaterConfirmResponse", ("127.0.0.1",), ("repeater_address",)),
    ("WriteNotifyResponse", (6, 1, 160, 153), ("data_type", "data_count", "status", "ioid")),
    ("ReadNotifyRequest", (34, 0, 0, 116), ("data_type", "data_count", "sid", "ioid")),
    ("ReadRequest", (0, 1, 28, 150), ("data_type", "data_count", "sid", "ioid")),
    (
        "EventAddRequest",
        (31, 1, 3, 14, 1.5, -2.0, 0.25, 13),
        ("data_type", "data_count", "sid", "subscriptionid", "low", "high", "to", "mask"),
    ),
    ("EventCancelRequest", (20, 0, 11), ("data_type", "sid", "subscriptionid")),
    ("EventCancelResponse", (20, 0, 11, 1), ("data_type", "sid", "subscriptionid", "data_count")),
    ("HostNameRequest", ("vectorhost",), ("name",)),
    ("ClientNameRequest", ("vectoruser",), ("name",)),
]


def _field(msg: Any, name: str) -> Any:
    value = getattr(msg, name)
    if name == "status":
        return value.code_with_severity
    if name == "mask" and not isinstance(value, int):
        return int(value)
    return plain(value)


@pytest.mark.parametrize(("name", "args", "fields"), SIMPLE, ids=[s[0] for s in SIMPLE])
def test_commands_agree_both_ways(
    name: str, args: tuple[Any, ...], fields: tuple[str, ...]
) -> None:
    mine, theirs = getattr(ours, name)(*args), getattr(caproto, name)(*args)
    assert bytes(mine) == bytes(theirs)
    sender = CLIENT if name.endswith("Request") else SERVER
    if name == "EventCancelResponse":  # an EVENT_ADD on the wire
        decoded_by_them = caproto_decode(bytes(mine), sender)
        assert type(decoded_by_them).__name__ == "EventAddResponse"
        assert decoded_by_them.header.parameter1 == mine.sid
        return
    decoded_by_them = caproto_decode(bytes(mine), sender)
    decoded_by_us = our_decode(bytes(theirs), sender)
    assert type(decoded_by_them).__name__ == type(decoded_by_us).__name__ == name
    for field in fields:
        assert _field(decoded_by_them, field) == _field(mine, field), field
        assert _field(decoded_by_us, field) == _field(theirs, field), field


def test_error_response_agrees() -> None:
    mine = ours.ErrorResponse(
        ours.ReadNotifyRequest(0, 0, 5, 206), 0xFFFFFFFF, 142, "Bad Resource ID"
    )
    theirs = caproto.ErrorResponse(
        caproto.ReadNotifyRequest(0, 0, 5, 206), 0xFFFFFFFF, 142, "Bad Resource ID"
    )
    assert bytes(mine) == bytes(theirs)
    by_them = caproto_decode(bytes(mine), SERVER)
    by_us = our_decode(bytes(theirs), SERVER)
    assert bytes(by_them.error_message).rstrip(b"\0").decode() == by_us.error_message
    assert by_us.error_message == "Bad Resource ID"
    assert by_them.cid == by_us.cid == 0xFFFFFFFF
    assert by_them.status.code_with_severity == by_us.status.code_with_severity == 142
    assert bytes(by_them.original_request) == bytes(by_us.original_request)


def test_known_deviation_version_response() -> None:
    """caproto's server says data_type 1 / parameter1 1; the IOC 0 / 0. Same version."""
    theirs = bytes(caproto.VersionResponse(13))
    mine = bytes(ours.VersionResponse(13))
    assert theirs != mine
    assert theirs.hex() == "000000000001000d0000000100000000"
    assert mine.hex() == "000000000000000d0000000000000000"
    assert our_decode(theirs, SERVER).version == caproto_decode(mine, SERVER).version == 13


def test_known_deviation_read_sync_echo() -> None:
    """caproto cannot decode the IOC's echo of READ_SYNC; we can."""
    echo = bytes.fromhex("000a0000000000000000000000000000")
    assert type(our_decode(echo, SERVER)).__name__ == "ReadSyncResponse"
    with pytest.raises(caproto.RemoteProtocolError, match="bad command ID 0xa"):
        caproto_decode(echo, SERVER)


# -- data messages --------------------------------------------------------------------
def caproto_metadata(data_type: int) -> Any:
    mine = sample_metadata(data_type)
    if mine is None:
        return None
    cls = caproto_dbr.DBR_TYPES[caproto_dbr.ChannelType(data_type)]
    assert ctypes.sizeof(cls) == len(bytes(mine))
    return cls.from_buffer_copy(bytes(mine))


def caproto_data_message(cls: type[Message], data_type: int) -> Any:
    values, meta = sample_values(data_type), caproto_metadata(data_type)
    n = len(values)
    if cls is ours.ReadNotifyResponse:
        return caproto.ReadNotifyResponse(values, data_type, n, 1, 116, metadata=meta)
    if cls is ours.EventAddResponse:
        return caproto.EventAddResponse(values, data_type, n, 1, 17, metadata=meta)
    if cls is ours.ReadResponse:
        return caproto.ReadResponse(values, data_type, n, 300, 148, metadata=meta)
    return getattr(caproto, cls.__name__)(values, data_type, n, 47, 201, metadata=meta)


IDS = ("sid", "ioid", "subscriptionid", "status")


def assert_agree(a: Any, b: Any, data_type: int) -> None:
    assert int(a.data_type) == int(b.data_type) == data_type
    assert a.data_count == b.data_count
    for name in IDS:
        if hasattr(type(a), name) and hasattr(type(b), name):
            assert _field(a, name) == _field(b, name), name
    assert same(plain(a.data), plain(b.data))
    meta_a, meta_b = a.metadata, b.metadata
    assert (meta_a is None) == (meta_b is None)
    if meta_a is not None:
        assert bytes(meta_a) == bytes(meta_b)
        assert meta_a.status == meta_b.status and meta_a.severity == meta_b.severity


@pytest.mark.parametrize("data_type", sorted(set(ALL_TYPES) - DECODE_DEVIATIONS))
@pytest.mark.parametrize("cls", DATA_COMMANDS, ids=lambda c: c.__name__)
def test_caproto_decodes_our_data_messages(cls: type[Message], data_type: int) -> None:
    mine = data_message(cls, data_type)
    theirs = caproto_decode(bytes(mine), cls.SENDER)
    assert type(theirs).__name__ == cls.__name__
    assert_agree(theirs, mine, data_type)


@pytest.mark.parametrize("data_type", sorted(set(ALL_TYPES) - ENCODE_DEVIATIONS))
@pytest.mark.parametrize("cls", DATA_COMMANDS, ids=lambda c: c.__name__)
def test_we_decode_caproto_data_messages(cls: type[Message], data_type: int) -> None:
    theirs = caproto_data_message(cls, data_type)
    raw = bytes(theirs)
    assert raw == bytes(data_message(cls, data_type))
    mine = our_decode(raw, cls.SENDER)
    assert type(mine) is cls
    assert same(plain(mine.data), sample_values(data_type))
    assert bytes(mine) == raw
    if data_type not in DECODE_DEVIATIONS:
        assert_agree(mine, caproto_decode(raw, cls.SENDER), data_type)


# -- the named deviations ---------------------------------------------------------------
def test_known_deviation_gr_string_is_not_one() -> None:
    """GR_STRING (21): caproto and the IOC agree on the 4-byte STS_STRING layout."""
    assert ctypes.sizeof(caproto_dbr.DBR_TYPES[caproto_dbr.ChannelType.GR_STRING]) == 4
    mine = data_message(ours.ReadNotifyResponse, ChannelType.GR_STRING)
    assert plain(caproto_decode(bytes(mine), SERVER).data) == sample_values(21)


def test_known_deviation_ctrl_string() -> None:
    """CTRL_STRING (28): caproto assumes TIME_STRING's 12 bytes of metadata."""
    assert ctypes.sizeof(caproto_dbr.DBR_TYPES[caproto_dbr.ChannelType.CTRL_STRING]) == 12
    mine = data_message(ours.ReadNotifyResponse, ChannelType.CTRL_STRING)
    theirs = caproto_decode(bytes(mine), SERVER)
    assert type(theirs.metadata).__name__ == "DBR_TIME_STRING"
    assert plain(theirs.data) != sample_values(28)
    # Encoding: caproto writes 12 metadata bytes where the IOC sends 4.
    meta = caproto_dbr.DBR_TYPES[caproto_dbr.ChannelType.CTRL_STRING]()
    encoded = caproto.ReadNotifyResponse([b"hello"], 28, 1, 1, 1, metadata=meta)
    assert bytes(encoded)[16:28] == bytes(12) and bytes(encoded)[28:33] == b"hello"
    assert bytes(ours.ReadNotifyResponse([b"hello"], 28, 1, 1, 1))[20:25] == b"hello"


@pytest.mark.parametrize("data_type", [ChannelType.PUT_ACKT, ChannelType.PUT_ACKS])
def test_known_deviation_put_ack_types(data_type: int) -> None:
    """PUT_ACKT/PUT_ACKS (35, 36): caproto decodes the value as metadata."""
    mine = data_message(ours.WriteNotifyRequest, data_type)
    theirs = caproto_decode(bytes(mine), CLIENT)
    assert type(theirs.metadata).__name__ in ("DBR_PUT_ACKT", "DBR_PUT_ACKS")
    assert theirs.metadata.value == sample_values(data_type)[0]
    assert plain(theirs.data) != sample_values(data_type)
    assert our_decode(bytes(mine), CLIENT).metadata is None


def test_known_deviation_stsack_string() -> None:
    """STSACK_STRING (37): caproto's 48-byte struct holds the first value; data is garbage."""
    mine = data_message(ours.ReadNotifyResponse, ChannelType.STSACK_STRING)
    theirs = caproto_decode(bytes(mine), SERVER)
    assert theirs.metadata.ackt == 1 and theirs.metadata.acks == 2
    assert theirs.metadata.value == sample_values(37)[0]
    assert plain(theirs.data) != sample_values(37)
    with pytest.raises(ValueError):
        caproto.ReadNotifyResponse([b"3.500"], 37, 1, 1, 1)


def test_known_deviation_class_name() -> None:
    """CLASS_NAME (38): caproto returns the value in metadata and no data."""
    mine = data_message(ours.ReadNotifyResponse, ChannelType.CLASS_NAME)
    theirs = caproto_decode(bytes(mine), SERVER)
    assert theirs.metadata.value == b"ao"
    assert plain(theirs.data) == []
    assert plain(our_decode(bytes(mine), SERVER).data) == [b"ao"]
    with pytest.raises(ValueError):
        caproto.ReadNotifyResponse([b"ao"], 38, 1, 1, 1)


# -- real IOC replies through both decoders -------------------------------------------------
def _matrix_replies() -> list[Any]:
    params = []
    for exchange in load("read_matrix.json")["exchanges"]:
        for record in exchange["messages"]:
            if record["dir"] == "S->C":
                params.append(pytest.param(record, id=exchange["id"]))
    return params


@pytest.mark.parametrize("record", _matrix_replies())
def test_ioc_replies_decode_alike_except_the_deviations(record: dict[str, Any]) -> None:
    raw = bytes.fromhex(record["hex"])
    mine = our_decode(raw, SERVER)
    data_type = record["header"]["data_type"]
    values = [v.decode("latin-1") if isinstance(v, bytes) else v for v in plain(mine.data)]
    assert same(values, record["decoded"]["payload"]["value"])
    if data_type in (ChannelType.PUT_ACKT, ChannelType.PUT_ACKS):
        # The IOC answers these reads with ECA_GETFAIL and no payload at all;
        # caproto's decoder then fails to build its (value-as-metadata) struct.
        assert mine.payload_size == 0 and mine.status.name == "ECA_GETFAIL"
        with pytest.raises(ValueError):
            caproto_decode(raw, SERVER)
        return
    theirs = caproto_decode(raw, SERVER)
    if data_type not in DECODE_DEVIATIONS:
        assert_agree(theirs, mine, data_type)
    elif mine.data_count:
        assert plain(theirs.data) != plain(mine.data)


def test_caproto_omits_metadata_it_is_not_given() -> None:
    """Not an IOC deviation but a trap: caproto without ``metadata`` writes no
    metadata at all for a TIME type (a malformed payload); we write zeros."""
    theirs = bytes(caproto.ReadNotifyResponse([1.0], 20, 1, 1, 1))
    mine = bytes(ours.ReadNotifyResponse([1.0], 20, 1, 1, 1))
    assert len(theirs) == 16 + 8
    assert len(mine) == 16 + 16 + 8 and mine[16:32] == bytes(16)
