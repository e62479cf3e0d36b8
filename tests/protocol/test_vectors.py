"""Golden vectors: real EPICS Base traffic decodes to its meaning and re-encodes byte for byte.

Every message with bytes in ``protocol_exchanges.json``, ``read_matrix.json``,
``client_library_sessions.json`` and ``lifecycle_beacons_repeater.json`` is
decoded with the role of its sender, compared with the ``decoded`` fields the
capture tools recorded, and encoded again. Client messages are also built from
their decoded fields with our constructors and the channel API, and must come
out as the captured bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from protocol import (
    CAValueError,
    ChannelType,
    RemoteProtocolError,
    StreamDecoder,
    VirtualCircuit,
    read_datagram,
)
from protocol.circuit import ChannelState, ClientChannel
from protocol.commands import (
    ClearChannelRequest,
    ClientNameRequest,
    CreateChanRequest,
    EchoRequest,
    EventAddRequest,
    EventAddResponse,
    EventCancelRequest,
    EventCancelResponse,
    EventsOffRequest,
    EventsOnRequest,
    HostNameRequest,
    Message,
    ReadNotifyRequest,
    ReadRequest,
    ReadSyncRequest,
    RepeaterRegisterRequest,
    SearchRequest,
    VersionRequest,
    WriteNotifyRequest,
    WriteRequest,
)
from protocol.commands.base import CLIENT, SERVER, Role
from protocol.dbr import metadata_size
from protocol.header import padded_len
from tests.protocol.samples import plain, same
from tests.protocol.vectors import (
    EXCHANGE_FILES,
    ROLE_BY_DIR,
    has_bytes,
    load,
    message_bytes,
    wire_messages,
)

BIG = 1 << 20

#: C->S probes that break the protocol on purpose; decoding them must raise.
PROTOCOL_VIOLATIONS = {
    "misaligned_message": "payload of 3 bytes, not a multiple of 8",
    "unknown_command": "command id 99 does not exist",
    "read_bad_type_39": "READ_NOTIFY with DBR type 39",
    "write_notify_bad_type": "WRITE_NOTIFY with DBR type 40",
}

#: The hand-built capture client wrote single strings as short payloads
#: ("12.5\0" padded to 8), which the IOC accepts; our encoder (like caproto's
#: and libca's) always sends full 40-byte DBR_STRING slots.
SHORT_STRING_WRITES = {
    "write_notify_double_as_string",
    "write_notify_bad_number_string",
    "write_bad_number_string_no_notify",
    "write_notify_enum_string",
    "write_notify_enum_bad_string",
    "write_enum_bad_string_no_notify",
    "write_notify_enum_numeric_string",
    "write_notify_string",
    "write_notify_nomod_field",
    "write_nomod_field_no_notify",
    "property_change_egu",
    "property_change_egu_restore",
}

CLASS_NAMES = {
    ("VERSION", CLIENT): "VersionRequest",
    ("VERSION", SERVER): "VersionResponse",
    ("SEARCH", CLIENT): "SearchRequest",
    ("SEARCH", SERVER): "SearchResponse",
    ("NOT_FOUND", SERVER): "NotFoundResponse",
    ("CREATE_CHAN", CLIENT): "CreateChanRequest",
    ("CREATE_CHAN", SERVER): "CreateChanResponse",
    ("CREATE_CH_FAIL", SERVER): "CreateChFailResponse",
    ("ACCESS_RIGHTS", SERVER): "AccessRightsResponse",
    ("HOST_NAME", CLIENT): "HostNameRequest",
    ("CLIENT_NAME", CLIENT): "ClientNameRequest",
    ("READ_NOTIFY", CLIENT): "ReadNotifyRequest",
    ("READ_NOTIFY", SERVER): "ReadNotifyResponse",
    ("READ", CLIENT): "ReadRequest",
    ("READ", SERVER): "ReadResponse",
    ("WRITE", CLIENT): "WriteRequest",
    ("WRITE_NOTIFY", CLIENT): "WriteNotifyRequest",
    ("WRITE_NOTIFY", SERVER): "WriteNotifyResponse",
    ("EVENT_ADD", CLIENT): "EventAddRequest",
    ("EVENT_ADD", SERVER): "EventAddResponse",
    ("EVENT_CANCEL", CLIENT): "EventCancelRequest",
    ("CLEAR_CHANNEL", CLIENT): "ClearChannelRequest",
    ("CLEAR_CHANNEL", SERVER): "ClearChannelResponse",
    ("ERROR", SERVER): "ErrorResponse",
    ("ECHO", CLIENT): "EchoRequest",
    ("ECHO", SERVER): "EchoResponse",
    ("READ_SYNC", CLIENT): "ReadSyncRequest",
    ("READ_SYNC", SERVER): "ReadSyncResponse",
    ("EVENTS_OFF", CLIENT): "EventsOffRequest",
    ("EVENTS_ON", CLIENT): "EventsOnRequest",
    ("RSRV_IS_UP", SERVER): "Beacon",
    ("REPEATER_REGISTER", CLIENT): "RepeaterRegisterRequest",
    ("REPEATER_CONFIRM", SERVER): "RepeaterConfirmResponse",
}


def _all_records() -> list[Any]:
    params = []
    for name in EXCHANGE_FILES:
        for exchange_id, index, record in wire_messages(name):
            label = f"{name.split('.')[0]}:{exchange_id}#{index}"
            params.append(pytest.param(exchange_id, record, id=label))
    return params


ALL_RECORDS = _all_records()


def decode(raw: bytes, record: dict[str, Any]) -> Message:
    role = ROLE_BY_DIR[record["dir"]]
    if record["transport"] == "udp":
        messages = read_datagram(raw, ("127.0.0.1", 17064), sender=role, max_array_bytes=BIG)
    else:
        decoder = StreamDecoder(sender=role, max_array_bytes=BIG)
        messages = decoder.feed(raw)
        assert decoder.pending == 0
    assert len(messages) == 1
    return messages[0]


# -- the vectors are there -----------------------------------------------------
def test_vectors_are_in_the_repository(vectors_path: Path) -> None:
    repository = Path(__file__).resolve().parents[2]
    assert vectors_path.resolve().is_relative_to(repository), vectors_path
    for name in (*EXCHANGE_FILES, "ca_status_codes.json", "README.md"):
        assert (vectors_path / name).is_file(), name


def test_every_direction_has_a_role() -> None:
    dirs = {r["dir"] for n in EXCHANGE_FILES for e in load(n)["exchanges"] for r in e["messages"]}
    assert dirs == set(ROLE_BY_DIR)


def test_message_count() -> None:
    """Guard against silently testing nothing."""
    assert len(ALL_RECORDS) > 1100


# -- decode, meaning, re-encode -------------------------------------------------
@pytest.mark.parametrize(("exchange_id", "record"), ALL_RECORDS)
def test_vector_decodes_to_its_meaning_and_reencodes(
    exchange_id: str, record: dict[str, Any]
) -> None:
    raw = message_bytes(record)
    if exchange_id in PROTOCOL_VIOLATIONS and record["dir"] == "C->S":
        with pytest.raises(RemoteProtocolError):
            decode(raw, record)
        return
    msg = decode(raw, record)
    role = ROLE_BY_DIR[record["dir"]]
    assert type(msg).__name__ == CLASS_NAMES[(record["command"], role)]
    assert bytes(msg) == raw
    assert len(msg) == len(raw)
    check_header(msg, record)
    CHECKS[record["command"]](msg, record["decoded"], role)


def test_protocol_violations_are_named() -> None:
    """Exactly the listed probes fail to decode; the reasons name the command."""
    failing = {}
    for name in EXCHANGE_FILES:
        for exchange_id, _, record in wire_messages(name):
            try:
                decode(message_bytes(record), record)
            except RemoteProtocolError as exc:
                failing[exchange_id] = str(exc)
    assert set(failing) == set(PROTOCOL_VIOLATIONS)
    assert "HostNameRequest" in failing["misaligned_message"]
    assert "99" in failing["unknown_command"]
    assert "ReadNotifyRequest" in failing["read_bad_type_39"]
    assert "WriteNotifyRequest" in failing["write_notify_bad_type"]


def test_zero_length_repeater_registration_is_an_empty_datagram() -> None:
    (record,) = [
        r
        for e in load("lifecycle_beacons_repeater.json")["exchanges"]
        if e["id"] == "repeater_register_zero_length"
        for r in e["messages"]
        if r["dir"] == "C->R"
    ]
    assert not has_bytes(record)
    assert read_datagram(b"", sender=CLIENT) == []


def check_header(msg: Message, record: dict[str, Any]) -> None:
    header = msg.header
    want = record["header"]
    assert header.command == record["command_id"]
    assert len(bytes(header)) == (24 if record["extended_header"] else 16)
    for field in ("payload_size", "data_type", "data_count", "parameter1", "parameter2"):
        assert getattr(header, field) == want[field], field


def _status(msg: Any, d: dict[str, Any]) -> None:
    assert msg.status.code_with_severity == d["status"]["value"]
    assert msg.status.name == d["status"]["name"]


def _dbr(value: Any, d: dict[str, Any]) -> None:
    assert int(value) == d["value"]
    if d["name"] != "invalid":
        name = d["name"].removeprefix("DBR_").replace("SHORT", "INT")
        assert ChannelType(int(value)).name == name


def _text(value: Any) -> Any:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def check_payload(msg: Any, record: dict[str, Any]) -> None:
    d = record["decoded"]
    data = [_text(v) for v in plain(msg.data)]
    if "payload" not in d:  # big payloads: rebuilt from the sha256-checked pattern
        count = d["data_count"]
        assert len(data) == count
        halves = [0.5 * i for i in range(count)]
        assert data == halves or data == [0.0] * count
        return
    p = d["payload"]
    assert same(data, p["value"])
    if not p.get("short_string_element"):
        assert len(data) == msg.data_count
    assert p["metadata_bytes"] == metadata_size(msg.data_type)
    assert len(msg.buffers[0]) == p["metadata_bytes"]
    meta = msg.metadata
    if "metadata" not in p:
        assert meta is None
        return
    for name, want in p["metadata"].items():
        if name == "strs":
            assert [s.decode("latin-1") for s in meta.enum_strings] == want
        elif name == "units":
            assert meta.units.decode("latin-1") == want
        else:
            assert same(getattr(meta, name), want), name
    if "secondsSinceEpoch" in p["metadata"]:
        m = p["metadata"]
        expected = m["secondsSinceEpoch"] + 631152000 + m["nanoSeconds"] * 1e-9
        assert math.isclose(meta.timestamp, expected, abs_tol=1e-6)
        assert meta.stamp.secondsSinceEpoch == m["secondsSinceEpoch"]


def check_version(msg: Any, d: dict[str, Any], role: Role) -> None:
    assert msg.version == d["minor_version"]
    assert msg.header.data_type == d.get("data_type_field", d.get("priority"))
    assert msg.sequence_id == d.get("sequence_number", d.get("parameter1"))
    if role is CLIENT:
        assert msg.priority == msg.header.data_type


def check_search(msg: Any, d: dict[str, Any], role: Role) -> None:
    if role is CLIENT:
        assert msg.name == d["name"]
        assert msg.cid == d["cid"] == d["cid_copy"]
        assert msg.version == d["minor_version"]
        assert f"({msg.reply})" in d["reply_flag"]
    else:
        assert msg.port == d["server_tcp_port"]
        assert msg.ip == d["server_ip"]
        assert msg.header.parameter1 == d["sid_field"]
        assert msg.cid == d["cid"]
        assert msg.version == d["server_minor_version"]


def check_not_found(msg: Any, d: dict[str, Any], role: Role) -> None:
    assert msg.cid == d["cid"] == d["cid_copy"]
    assert msg.version == d["minor_version"]
    assert msg.header.data_type == d["reply_flag"]


def check_create_chan(msg: Any, d: dict[str, Any], role: Role) -> None:
    assert msg.cid == d["cid"]
    if role is CLIENT:
        assert msg.name == d["name"]
        assert msg.version == d["client_minor_version"]
    else:
        _dbr(msg.data_type, d["native_type"])
        assert msg.data_count == d["native_count"]
        assert msg.sid == d["sid"]


def check_access_rights(msg: Any, d: dict[str, Any], role: Role) -> None:
    assert msg.cid == d["cid"]
    rights = d["access_rights"]
    assert int(msg.access_rights) == rights["value"]
    assert bool(msg.access_rights & 1) == rights["read"]
    assert bool(msg.access_rights & 2) == rights["write"]


def check_name(msg: Any, d: dict[str, Any], role: Role) -> None:
    assert msg.name == d["name"]


def check_read(msg: Any, d: dict[str, Any], role: Role) -> None:
    _dbr(msg.data_type, d["data_type"])
    assert msg.data_count == d["data_count"]
    assert msg.ioid == d["ioid"]
    if role is CLIENT:
        assert msg.sid == d["sid"]
        return
    if "status" in d:
        _status(msg, d)
    else:  # the deprecated READ's reply carries the cid where others carry a sid
        assert msg.sid == d["sid"]
    check_payload(msg, {"decoded": d})


def check_write(msg: Any, d: dict[str, Any], role: Role) -> None:
    _dbr(msg.data_type, d["data_type"])
    assert msg.data_count == d["data_count"]
    assert msg.ioid == d["ioid"]
    if role is CLIENT:
        assert msg.sid == d["sid"]
        check_payload(msg, {"decoded": d})
    else:
        _status(msg, d)


def check_event_add(msg: Any, d: dict[str, Any], role: Role) -> None:
    _dbr(msg.data_type, d["data_type"])
    assert msg.data_count == d["data_count"]
    assert msg.subscriptionid == d["subscriptionid"]
    if role is CLIENT:
        assert msg.sid == d["sid"]
        assert (msg.low, msg.high, msg.to) == (d["low"], d["high"], d["to"])
        assert int(msg.mask) == d["mask"]
        assert {
            m.name for m in type(msg.mask) if m in msg.mask and m.name != "DBE_ARCHIVE"
        } == set(d["mask_bits"])
    elif "note" in d:  # the acknowledgement of EVENT_CANCEL
        assert msg.payload_size == 0
        assert plain(msg.data) == []
        assert msg.metadata is None
        ack = EventCancelResponse.from_update(msg)
        assert (ack.sid, ack.subscriptionid) == (d["sid"], d["subscriptionid"])
        assert (ack.data_type, ack.data_count) == (msg.data_type, msg.data_count)
        assert bytes(ack) == bytes(msg)
    else:
        _status(msg, d)
        check_payload(msg, {"decoded": d})


def check_event_cancel(msg: Any, d: dict[str, Any], role: Role) -> None:
    _dbr(msg.data_type, d["data_type"])
    assert (msg.data_count, msg.sid, msg.subscriptionid) == (
        d["data_count"],
        d["sid"],
        d["subscriptionid"],
    )


def check_clear(msg: Any, d: dict[str, Any], role: Role) -> None:
    assert (msg.sid, msg.cid) == (d["sid"], d["cid"])


def check_error(msg: Any, d: dict[str, Any], role: Role) -> None:
    assert msg.cid == d["cid"]
    _status(msg, d)
    original = msg.original_request
    want = d["original_request"]
    assert original.command == want["command_id"]
    for field in ("payload_size", "data_type", "data_count", "parameter1", "parameter2"):
        assert getattr(original, field) == want[field], field
    assert msg.error_message == d["message"]


def check_beacon(msg: Any, d: dict[str, Any], role: Role) -> None:
    assert msg.version == d["server_minor_version"]
    assert msg.server_port == d["server_tcp_port"]
    assert msg.beacon_id == d["beacon_id"]
    assert msg.address == d["server_ip"]


def check_repeater_register(msg: Any, d: dict[str, Any], role: Role) -> None:
    assert msg.client_address == d["client_ip"]


def check_repeater_confirm(msg: Any, d: dict[str, Any], role: Role) -> None:
    assert msg.repeater_address == d["repeater_ip"]


def check_cid(msg: Any, d: dict[str, Any], role: Role) -> None:
    assert msg.cid == d["cid"]


def check_empty(msg: Any, d: dict[str, Any], role: Role) -> None:
    assert d == {}
    assert msg.payload_size == 0


CHECKS: dict[str, Callable[[Any, dict[str, Any], Role], None]] = {
    "VERSION": check_version,
    "SEARCH": check_search,
    "NOT_FOUND": check_not_found,
    "CREATE_CHAN": check_create_chan,
    "CREATE_CH_FAIL": check_cid,
    "ACCESS_RIGHTS": check_access_rights,
    "HOST_NAME": check_name,
    "CLIENT_NAME": check_name,
    "READ_NOTIFY": check_read,
    "READ": check_read,
    "WRITE": check_write,
    "WRITE_NOTIFY": check_write,
    "EVENT_ADD": check_event_add,
    "EVENT_CANCEL": check_event_cancel,
    "CLEAR_CHANNEL": check_clear,
    "ERROR": check_error,
    "RSRV_IS_UP": check_beacon,
    "REPEATER_REGISTER": check_repeater_register,
    "REPEATER_CONFIRM": check_repeater_confirm,
    "ECHO": check_empty,
    "READ_SYNC": check_empty,
    "EVENTS_OFF": check_empty,
    "EVENTS_ON": check_empty,
}


# -- client messages from their decoded fields -----------------------------------
def _values(d: dict[str, Any]) -> Any:
    return d["payload"]["value"] if "payload" in d else [0.5 * i for i in range(d["data_count"])]


def build_request(record: dict[str, Any]) -> Message:
    """Construct a client message from the recorded meaning alone."""
    d, command = record["decoded"], record["command"]
    if command == "VERSION":
        priority = d.get("priority", d.get("data_type_field"))
        sequence = d.get("sequence_number", d.get("parameter1", 0))
        return VersionRequest(priority, d["minor_version"], sequence_id=sequence)
    if command == "SEARCH":
        reply = int(d["reply_flag"].split("(")[1].rstrip(")"))
        return SearchRequest(d["name"], d["cid"], d["minor_version"], reply)
    if command == "HOST_NAME":
        return HostNameRequest(d["name"])
    if command == "CLIENT_NAME":
        return ClientNameRequest(d["name"])
    if command == "CREATE_CHAN":
        return CreateChanRequest(d["name"], d["cid"], d["client_minor_version"])
    if command in ("READ_NOTIFY", "READ"):
        cls = ReadNotifyRequest if command == "READ_NOTIFY" else ReadRequest
        return cls(d["data_type"]["value"], d["data_count"], d["sid"], d["ioid"])
    if command in ("WRITE_NOTIFY", "WRITE"):
        cls = WriteNotifyRequest if command == "WRITE_NOTIFY" else WriteRequest
        return cls(_values(d), d["data_type"]["value"], d["data_count"], d["sid"], d["ioid"])  # type: ignore[call-arg]
    if command == "EVENT_ADD":
        return EventAddRequest(
            d["data_type"]["value"],
            d["data_count"],
            d["sid"],
            d["subscriptionid"],
            d["low"],
            d["high"],
            d["to"],
            d["mask"],
        )
    if command == "EVENT_CANCEL":
        return EventCancelRequest(
            d["data_type"]["value"], d["sid"], d["subscriptionid"], d["data_count"]
        )
    if command == "CLEAR_CHANNEL":
        return ClearChannelRequest(d["sid"], d["cid"])
    if command == "REPEATER_REGISTER":
        return RepeaterRegisterRequest(d["client_ip"])
    simple = {
        "ECHO": EchoRequest,
        "READ_SYNC": ReadSyncRequest,
        "EVENTS_OFF": EventsOffRequest,
        "EVENTS_ON": EventsOnRequest,
    }
    return simple[command]()


CLIENT_RECORDS = [p for p in ALL_RECORDS if ROLE_BY_DIR[p.values[1]["dir"]] is CLIENT]


@pytest.mark.parametrize(("exchange_id", "record"), CLIENT_RECORDS)
def test_client_message_built_from_its_meaning(exchange_id: str, record: dict[str, Any]) -> None:
    raw = message_bytes(record)
    if exchange_id in ("misaligned_message", "unknown_command"):
        assert record.get("decoded") is None  # no meaning to build from
        return
    if exchange_id in ("read_bad_type_39", "write_notify_bad_type"):
        with pytest.raises(CAValueError):
            build_request(record)
        return
    built = build_request(record)
    if exchange_id in SHORT_STRING_WRITES:
        # Same header fields and values, but full 40-byte string slots.
        assert bytes(built) != raw
        assert len(bytes(built)) == 16 + padded_len(40 * built.data_count)
        assert bytes(built)[4:16] == raw[4:16]
        assert plain(built.data) == [v.encode() for v in record["decoded"]["payload"]["value"]]
        return
    assert bytes(built) == raw


def test_short_string_writes_are_exactly_the_short_payloads() -> None:
    short = {
        p.values[0]
        for p in CLIENT_RECORDS
        if (p.values[1].get("decoded") or {}).get("payload", {}).get("short_string_element")
    }
    assert short == SHORT_STRING_WRITES


# -- several messages per datagram / segment ------------------------------------
def _runs() -> list[Any]:
    """Consecutive messages of one direction and transport within an exchange."""
    params = []
    for name in EXCHANGE_FILES:
        for exchange in load(name)["exchanges"]:
            if exchange["id"] in PROTOCOL_VIOLATIONS:
                continue
            runs: list[list[dict[str, Any]]] = [[]]
            for record in exchange["messages"]:
                if not has_bytes(record):
                    runs.append([])  # a TCP event or an empty datagram ends a run
                    continue
                key = (record["dir"], record["transport"])
                last = runs[-1]
                if last and (last[0]["dir"], last[0]["transport"]) == key:
                    last.append(record)
                else:
                    runs.append([record])
            for index, run in enumerate(runs):
                if len(run) > 1:
                    params.append(pytest.param(run, id=f"{exchange['id']}#{index}"))
    return params


@pytest.mark.parametrize("run", _runs())
def test_consecutive_messages_decode_together(run: list[dict[str, Any]]) -> None:
    raw = [message_bytes(r) for r in run]
    role = ROLE_BY_DIR[run[0]["dir"]]
    if run[0]["transport"] == "udp":
        messages = read_datagram(b"".join(raw), sender=role)
    else:
        decoder = StreamDecoder(sender=role, max_array_bytes=BIG)
        joined = b"".join(raw)
        messages = []
        for start in range(0, len(joined), 7):  # awkward segment boundaries
            messages += decoder.feed(joined[start : start + 7])
        assert decoder.pending == 0
    assert [bytes(m) for m in messages] == raw


# -- whole client sessions through the VirtualCircuit ------------------------------
SESSIONS = [e["id"] for e in load("client_library_sessions.json")["exchanges"]]


class _Replay:
    """Drive a VirtualCircuit with the channel API, as the recorded client did."""

    def __init__(self) -> None:
        self.circuit = VirtualCircuit(("127.0.0.1", 17064))
        self.channels: dict[int, ClientChannel] = {}
        self.next_ioid = 0
        self.next_subid = 0

    def _skip_ioids(self, wanted: int) -> None:
        # libca numbers from 1, we from 0: burn ids to line up with the capture.
        while self.next_ioid < wanted:
            self.circuit.new_ioid()
            self.next_ioid += 1
        self.next_ioid += 1

    def request(self, record: dict[str, Any]) -> Message:
        d, command = record["decoded"], record["command"]
        if command in ("VERSION", "HOST_NAME", "CLIENT_NAME"):
            return build_request(record)
        if command == "CREATE_CHAN":
            while True:
                channel = self.circuit.new_channel(d["name"])
                if channel.cid == d["cid"]:
                    break
            self.channels[channel.cid] = channel
            return channel.create()
        channel = next(c for c in self.channels.values() if c.sid == d["sid"])
        if command == "READ_NOTIFY":
            self._skip_ioids(d["ioid"])
            return channel.read(d["data_type"]["value"], d["data_count"])
        if command == "WRITE_NOTIFY":
            self._skip_ioids(d["ioid"])
            return channel.write(_values(d), d["data_type"]["value"], d["data_count"], notify=True)
        if command == "EVENT_ADD":
            while self.next_subid < d["subscriptionid"]:
                self.circuit.new_subscriptionid()
                self.next_subid += 1
            self.next_subid += 1
            return channel.subscribe(d["data_type"]["value"], d["data_count"], mask=d["mask"])
        if command == "EVENT_CANCEL":
            return channel.unsubscribe(d["subscriptionid"])
        if command == "CLEAR_CHANNEL":
            return channel.clear()
        raise AssertionError(command)


@pytest.mark.parametrize("session", SESSIONS)
def test_library_session_replays_through_the_circuit(session: str) -> None:
    (exchange,) = [
        e for e in load("client_library_sessions.json")["exchanges"] if e["id"] == session
    ]
    replay = _Replay()
    received: list[Message] = []
    for record in exchange["messages"]:
        if record.get("transport") != "tcp" or "hex" not in record:
            continue
        raw = bytes.fromhex(record["hex"])
        if record["dir"] == "C->S":
            assert replay.circuit.send(replay.request(record)) == raw
        else:
            (msg,) = replay.circuit.feed(raw)
            assert bytes(msg) == raw
            received.append(msg)
    circuit = replay.circuit
    assert not circuit.pending_ioids
    assert not circuit.event_add_requests
    assert all(c.state is ChannelState.CLOSED for c in replay.channels.values())
    assert not any(c.cid in circuit.channels for c in replay.channels.values())
    cancelled = [m for m in received if isinstance(m, EventCancelResponse)]
    updates = [m for m in received if isinstance(m, EventAddResponse)]
    assert len(cancelled) == sum(
        1 for r in exchange["messages"] if r.get("decoded") and "note" in r["decoded"]
    )
    for update in updates:
        assert update.data_count == len(update.data) >= 1
        assert np.isfinite(np.asarray(plain(update.data), dtype=float)).all()
