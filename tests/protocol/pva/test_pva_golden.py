"""Golden bytes: real exchanges with pvxs, p4p and pvAccessCPP servers (``data/*.json``).

Decoding: every captured message decodes, and ``bytes(msg)`` is what was sent.
Encoding: our message classes, built from the decoded fields, give the same bytes;
our builders (discovery ping, channel, RPC INIT and request) reproduce what pvxs's
own client sent. Replay: our conversation, fed a server's captured stream, sends
exactly what our client sent on the wire and ends with the listed names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from protocol.pva.conversation import ConversationState, RPCConversation
from protocol.pva.decoder import StreamDecoder, decode_datagram
from protocol.pva.header import ControlCommand
from protocol.pva.listing import (
    channels_argument,
    discovery_ping,
    info_argument,
    parse_channels,
    parse_server_info,
    server_from_reply,
)
from protocol.pva.messages import (
    ConnectionValidated,
    ConnectionValidationRequest,
    ConnectionValidationResponse,
    ControlMessage,
    CreateChannelRequest,
    CreateChannelResponse,
    DestroyRequest,
    PVAMessage,
    RPCRequest,
    RPCResponse,
    SearchRequest,
    SearchResponse,
    ca_credentials,
)
from protocol.pva.types import encode_type
from protocol.pva.values import encode_value
from protocol.pva.wire import encode_status, pack

DATA = Path(__file__).resolve().parent / "data"
FILES = sorted(DATA.glob("*.json"))
CHANNEL_FILES = [p for p in FILES if p.stem.endswith("_channels")]


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return document


def stream(document: dict[str, Any], who: str) -> list[PVAMessage | ControlMessage]:
    raw = bytes.fromhex(document["tcp"][who])
    messages = StreamDecoder(from_server=who == "server").feed(raw)
    assert b"".join(bytes(m) for m in messages) == raw
    return messages


def test_the_captures_are_there():
    names = {p.stem for p in FILES}
    assert {
        "pvxs_discover",
        "pvxs_search",
        "pvxs_channels",
        "pvxs_info",
        "p4p_channels",
        "pvxs_be_channels",
        "pvaccesscpp_discover",
        "pvaccesscpp_channels",
        "catui_pvxs_channels",
        "catui_pvaccesscpp_channels",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_message_decodes_and_reencodes(path):
    document = json.loads(path.read_text())
    messages: list[Any] = []
    for chunk in document["udp"]:
        raw = bytes.fromhex(chunk["hex"])
        decoded = decode_datagram(raw)
        assert b"".join(bytes(m) for m in decoded) == raw
        messages += decoded
    if document["tcp"]:
        messages += stream(document, "client") + stream(document, "server")
    assert messages
    for message in messages:
        if isinstance(message, ControlMessage):
            assert message.to_bytes() == bytes(message)
            continue
        again = type(message)(**message.fields(), big_endian=message.big_endian)
        if path.stem.endswith("pvaccesscpp_channels") and isinstance(message, RPCResponse):
            continue  # its type is sent through the cache: test_pvaccesscpp_type_cache
        assert again.to_bytes() == bytes(message), message


@pytest.mark.parametrize("path", CHANNEL_FILES, ids=lambda p: p.stem)
def test_channel_listings(path):
    document = json.loads(path.read_text())
    replies = [m for m in stream(document, "server") if isinstance(m, RPCResponse)]
    assert [r.is_init for r in replies] == [True, False]
    assert parse_channels(replies[1].result) == tuple(document["names"])
    assert document["printed"] == document["names"]


def test_pvxs_server_handshake():
    server = stream(load("pvxs_channels"), "server")
    assert server[0] == ControlMessage(ControlCommand.SET_BYTE_ORDER, 0, big_endian=False)
    assert server[1] == ConnectionValidationRequest(0x10000, 0x7FFF, ("anonymous", "ca"))
    assert isinstance(server[2], ConnectionValidated) and server[2].status.ok
    assert isinstance(server[3], CreateChannelResponse)
    assert (server[3].cid, server[3].status.ok) == (0x12345678, True)
    # Version 2, server flag, little-endian: the first header bytes.
    assert bytes(server[1])[:4] == bytes([0xCA, 2, 0x40, 1])


def test_big_endian_server():
    document = load("pvxs_be_channels")
    server, client = stream(document, "server"), stream(document, "client")
    assert all(m.big_endian for m in server + client)
    assert bytes(server[0]) == bytes.fromhex("ca02c10200000000")
    assert server[1] == ConnectionValidationRequest(
        0x10000, 0x7FFF, ("anonymous", "ca"), big_endian=True
    )
    # pvxs's client follows the server's byte order (flags 0x80).
    assert bytes(client[0])[2] == 0x80
    assert parse_channels(server[-1].result) == ("Q:a", "Q:b")


def test_our_builders_send_what_pvxs_sends():
    """Same fields, same bytes: pvxs's client requests, rebuilt with our API."""
    client = stream(load("pvxs_channels"), "client")
    validation, create, init, request, destroy = client
    assert isinstance(validation, ConnectionValidationResponse)
    user, host = validation.credentials[1]["user"], validation.credentials[1]["host"]
    assert bytes(validation) == bytes(
        ConnectionValidationResponse("ca", ca_credentials(user, host))
    )
    assert bytes(create) == bytes(CreateChannelRequest([(0x12345678, "server")]))
    assert isinstance(init, RPCRequest)
    sid, ioid = init.sid, init.ioid
    assert bytes(init) == bytes(RPCRequest.init(sid, ioid))
    assert bytes(request) == bytes(RPCRequest.execute(sid, ioid, channels_argument()))
    assert bytes(destroy) == bytes(DestroyRequest(sid, ioid))
    info = stream(load("pvxs_info"), "client")[3]
    assert bytes(info) == bytes(RPCRequest.execute(sid, ioid, info_argument()))
    be = stream(load("pvxs_be_channels"), "client")[3]
    assert isinstance(be, RPCRequest)
    assert bytes(be) == bytes(
        RPCRequest.execute(be.sid, be.ioid, channels_argument(), big_endian=True)
    )


@pytest.mark.parametrize("name", ["pvxs_discover", "pvaccesscpp_discover"])
def test_discovery(name):
    document = load(name)
    (ping,) = decode_datagram(bytes.fromhex(document["udp"][0]["hex"]))
    assert isinstance(ping, SearchRequest)
    assert ping.must_reply and ping.unicast and ping.channels == () and ping.protocols == ()
    # pvxs's ping, byte for byte, from our builder.
    rebuilt = discovery_ping(ping.sequence, reply_port=ping.reply_port)
    assert bytes(rebuilt) == bytes(ping)
    replies = [decode_datagram(bytes.fromhex(c["hex"]))[0] for c in document["udp"][1:]]
    assert replies and all(isinstance(r, SearchResponse) for r in replies)
    # One server (pvxs answers twice: directly, and through its loopback forwarding).
    assert len({r.guid for r in replies}) == 1
    reply = replies[0]
    assert (reply.sequence, reply.found, reply.cids, reply.protocol) == (
        ping.sequence,
        False,
        (),
        "tcp",
    )
    server = server_from_reply(reply, ("127.0.0.1", 5076))
    assert server.address == document["printed"][0]


def test_pvxs_answers_from_any_address_pvaccesscpp_names_it():
    pvxs = decode_datagram(bytes.fromhex(load("pvxs_discover")["udp"][1]["hex"]))[0]
    cpp = decode_datagram(bytes.fromhex(load("pvaccesscpp_discover")["udp"][1]["hex"]))[0]
    assert isinstance(pvxs, SearchResponse) and isinstance(cpp, SearchResponse)
    assert pvxs.server_address == "0.0.0.0"  # ::ffff:0.0.0.0 on the wire
    assert cpp.server_address == "127.0.0.1"
    assert pvxs.big_endian and not cpp.big_endian
    assert server_from_reply(pvxs, ("127.0.0.9", 1)).host == "127.0.0.9"
    assert server_from_reply(cpp, ("127.0.0.9", 1)).host == "127.0.0.1"


def test_named_search_and_reply():
    document = load("pvxs_search")
    (search,) = decode_datagram(bytes.fromhex(document["udp"][0]["hex"]))
    assert isinstance(search, SearchRequest)
    assert search.channels == ((0x12345678, "G:ai"),) and search.protocols == ("tcp",)
    assert not search.must_reply and search.unicast
    rebuilt = SearchRequest(search.sequence, [(0x12345678, "G:ai")], reply_port=search.reply_port)
    assert bytes(rebuilt) == bytes(search)
    reply = decode_datagram(bytes.fromhex(document["udp"][1]["hex"]))[0]
    assert isinstance(reply, SearchResponse)
    assert reply.found and reply.cids == (0x12345678,)


def test_info():
    reply = stream(load("pvxs_info"), "server")[-1]
    assert isinstance(reply, RPCResponse)
    info = parse_server_info(reply.result)
    assert info.implementation == "cpp" and info.version.startswith("PVXS 1.5")


def test_pvaccesscpp_type_cache():
    """pvAccessCPP sends the result's type as 0xFD KEY (define): we decode it and,
    given a cache, encode exactly those bytes."""
    reply = stream(load("pvaccesscpp_channels"), "server")[-1]
    assert isinstance(reply, RPCResponse)
    raw = bytes(reply)
    body = raw[8:]
    desc, value = reply.result
    assert desc is not None and desc.type_id == "epics:nt/NTScalarArray:1.0"
    type_at = 4 + 1 + 1  # ioid, subcommand, status
    assert body[type_at] == 0xFD
    cache: dict[Any, int] = {}
    rebuilt = (
        pack(False, "I", reply.ioid)
        + bytes((reply.subcommand,))
        + encode_status(reply.status, False)
        + encode_type(desc, False, cache)
        + encode_value(desc, value, False)
    )
    assert rebuilt == body
    # The next use of that type would be the 3-byte reference.
    assert encode_type(desc, False, cache) == bytes([0xFE, 1, 0])


@pytest.mark.parametrize("name", ["catui_pvxs_channels", "catui_pvaccesscpp_channels"])
@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_replay_our_conversation(name, chunk):
    """Fed the server's captured bytes (in pieces of ``chunk``), our conversation
    sends exactly what our client sent, and ends DONE with the names."""
    document = load(name)
    server = bytes.fromhex(document["tcp"]["server"])
    conv = RPCConversation("server", channels_argument())
    sent = b""
    for start in range(0, len(server), chunk):
        conv.receive_data(server[start : start + chunk])
        sent += conv.data_to_send()
    assert sent == bytes.fromhex(document["tcp"]["client"])
    assert conv.state is ConversationState.DONE
    assert conv.result is not None and parse_channels(conv.result) == tuple(document["names"])
    assert conv.auth_method == "anonymous"


def test_replay_pvxs_client_capture_leaves_result_before_destroy():
    """pvxs's own client ends with DESTROY_REQUEST, so that server stream has no
    DESTROY_CHANNEL reply: the result is known from AWAIT_DESTROY on."""
    document = load("pvxs_channels")
    conv = RPCConversation("server", channels_argument(), cid=0x12345678, ioid=0x10002000)
    conv.receive_data(bytes.fromhex(document["tcp"]["server"]))
    assert conv.state is ConversationState.AWAIT_DESTROY
    assert conv.result is not None and parse_channels(conv.result) == ("G:ai", "G:calc", "G:str")
