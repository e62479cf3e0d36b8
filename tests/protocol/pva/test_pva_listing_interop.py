"""Discovery and listings against real servers, and against fake ones that misbehave."""

from __future__ import annotations

import contextlib
import os
import time

import pytest

from protocol.pva.errors import (
    PVAConnectionError,
    PVARemoteError,
    PVARemoteProtocolError,
    PVATimeoutError,
    PVAValueError,
)
from protocol.pva.listing import SERVER_PV
from protocol.pva.messages import CreateChannelResponse, SearchResponse
from protocol.pva.sync.config import (
    PVAConfig,
    is_unicast,
    load_config,
    parse_server,
    search_destinations,
)
from protocol.pva.sync.discover import discover_servers
from protocol.pva.sync.listing import (
    all_names,
    browse,
    list_channels,
    list_servers,
    server_info,
)
from protocol.pva.types import FieldDesc, TypeCode
from protocol.pva.wire import Status, StatusType
from tests.protocol.pva.fake_servers import (
    FakeServer,
    handshake,
    replying,
    udp_responder,
    up_to_rpc,
)
from tests.protocol.pva.servers import P4PServer
from tests.support.iocs import LOOPBACK, free_port

pytestmark = pytest.mark.interop

NTSCALAR_ARRAY = FieldDesc.struct("epics:nt/NTScalarArray:1.0", value=TypeCode.STRING_ARRAY)


def test_discovery_finds_every_server_sharing_the_port(pva_group, pva_config):
    """One unicast ping to 127.0.0.1 reaches one server; the others hear it through
    the loopback multicast forwarding of pvxs and pvAccessCPP."""
    found = discover_servers(pva_config, timeout=1.0)
    assert sorted(s.port for s in found) == sorted(s.port for s in pva_group)
    assert len({s.guid for s in found}) == len(pva_group)
    assert all(s.host == LOOPBACK and s.protocol == "tcp" for s in found)


def test_each_kind_lists_its_pvs(pva_group):
    listings = list_servers([s.address for s in pva_group], timeout=5.0)
    by_server = {listing.server: listing for listing in listings}
    for server in pva_group:
        listing = by_server[server.address]
        assert listing.error is None, (server, listing.error)
        assert listing.names == server.names, server


def test_browse_from_the_environment(pva_group, monkeypatch):
    """browse() reads EPICS_PVA_* as pvxs tools do (what the console calls)."""
    for name, value in pva_group[0].client_env.items():
        monkeypatch.setenv(name, value)
    listings = browse(discovery_timeout=1.0, timeout=5.0)
    assert all_names(listings) == tuple(sorted(n for s in pva_group for n in s.names))
    assert all(listing.guid is not None and listing.ok for listing in listings)


def test_server_info(pva_group):
    pvxs, _, p4p, cpp = pva_group
    assert server_info(pvxs.address).version.startswith("PVXS ")
    assert server_info(p4p.address).implementation == "cpp"
    assert server_info(cpp.address).version.startswith("7.")  # pvAccessCPP's own version


def test_listing_one_server_by_host_name(pva_group):
    pvxs = pva_group[0]
    assert list_channels(f"localhost:{pvxs.port}") == pvxs.names


def test_p4p_dynamic_provider_lists_nothing():
    """p4p's DynamicProvider serves PVs on demand and lists none: an empty listing."""
    with P4PServer(["D:a"], dynamic=True) as server:
        (listing,) = list_servers([server.address], timeout=5.0)
    assert listing.ok and listing.names == ()


def test_many_servers_take_as_long_as_the_slowest():
    """Three silent servers and a good one, 0.5 s each: about 0.5 s in all, not 1.5 s."""
    good = FakeServer(replying((NTSCALAR_ARRAY, {"value": ("b", "a")})))
    silent = [FakeServer(lambda conn, received: None) for _ in range(3)]
    with good, silent[0], silent[1], silent[2]:
        start = time.monotonic()
        listings = list_servers([s.address for s in [*silent, good]], timeout=0.5)
        elapsed = time.monotonic() - start
    assert 0.45 < elapsed < 1.2
    assert [type(item.error) for item in listings[:3]] == [PVATimeoutError] * 3
    assert "awaiting the server's CONNECTION_VALIDATION" in str(listings[0].error)
    assert listings[0].error is not None and silent[0].address in str(listings[0].error)
    assert listings[3].names == ("a", "b")


def test_refused_port():
    port = free_port()  # nothing listens there
    (listing,) = list_servers([f"{LOOPBACK}:{port}"], timeout=1.0)
    assert isinstance(listing.error, PVAConnectionError)
    assert (
        str(listing.error) == f"{LOOPBACK}:{port}: connection refused (no PVA server on that port)"
    )


def _garbage(conn, received):
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")


def _close_at_once(conn, received):
    conn.close()


def _refuse_channel(conn, received):
    handshake(conn, received)
    create = received()
    status = Status(StatusType.FATAL, "Refused to create Channel", "pvx:serv:refusechan:")
    conn.sendall(bytes(CreateChannelResponse(create.channels[0][0], 0xFFFFFFFF, status)))


def _bad_type(conn, received):
    request = up_to_rpc(conn, received)
    head = bytes([0xCA, 2, 0x40, 20, 7, 0, 0, 0])  # RPC, little-endian, 7 bytes
    conn.sendall(
        head + request.ioid.to_bytes(4, "little") + bytes([request.subcommand, 0xFF, 0x62])
    )


def _huge(conn, received):
    handshake(conn, received)
    received()
    conn.sendall(bytes([0xCA, 2, 0x40, 7]) + (0xFFFFFFF0).to_bytes(4, "little"))


def _trickle(conn, received):
    """A 1000-byte message a byte every 50 ms: the deadline, not the data, must end it."""
    conn.sendall(bytes([0xCA, 2, 0x40, 2]) + (1000).to_bytes(4, "little"))
    for _ in range(200):
        conn.sendall(b"x")
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("script", "error", "text"),
    [
        (_garbage, PVARemoteProtocolError, "not a pvAccess message: first byte 0x48"),
        (
            _close_at_once,
            PVARemoteProtocolError,
            "closed the connection while awaiting the server",
        ),
        (_refuse_channel, PVARemoteError, "refused channel 'server': Refused to create Channel"),
        (
            replying((None, None), Status(StatusType.ERROR, "Not implemented")),
            PVARemoteError,
            "RPC on 'server' failed: Not implemented",
        ),
        (
            replying((None, None)),
            PVARemoteProtocolError,
            "op=channels: the server returned nothing",
        ),
        (
            replying((FieldDesc.struct(value=TypeCode.INT32_ARRAY), {"value": (1,)})),
            PVARemoteProtocolError,
            "expected a string[] 'value'",
        ),
        (_bad_type, PVARemoteProtocolError, "unknown type code 0x62"),
        (_huge, PVARemoteProtocolError, "more than the limit"),
        (_trickle, PVATimeoutError, "no answer within 0.5 s"),
    ],
)
def test_misbehaving_servers(script, error, text):
    with FakeServer(script) as fake:
        start = time.monotonic()
        (listing,) = list_servers([fake.address], timeout=0.5)
        elapsed = time.monotonic() - start
    assert isinstance(listing.error, error), listing.error
    assert str(listing.error).startswith(fake.address + ": ")
    assert text in str(listing.error)
    assert elapsed < 1.5
    assert not fake.errors


def test_list_channels_raises_the_error():
    with FakeServer(_garbage) as fake, pytest.raises(PVARemoteProtocolError, match=fake.address):
        list_channels(fake.address, timeout=0.5)


def test_we_ask_for_the_server_pv_with_op_channels():
    seen = []

    def script(conn, received):
        request = up_to_rpc(conn, received)
        seen.append(request.data)
        conn.sendall(b"")  # leave it to time out

    with FakeServer(script) as fake:
        list_servers([fake.address], timeout=0.5)
    ((desc, value),) = seen
    assert desc.type_id == "epics:nt/NTURI:1.0"
    assert value["path"] == SERVER_PV and value["query"] == {"op": "channels"}


# -- discovery against a fake responder --------------------------------------------------


def _reply(guid: bytes, sequence: int, port: int, **kw) -> bytes:
    return bytes(SearchResponse(guid, sequence, port, **kw))


def test_discovery_dedups_guids_and_ignores_junk():
    def answer(data, source):
        sequence = int.from_bytes(data[8:12], "big")
        return [
            b"junk that is not pvAccess",
            _reply(b"A" * 12, sequence + 1, 1111),  # another search's sequence
            _reply(b"B" * 12, sequence, 2222),
            _reply(b"B" * 12, sequence, 2222),  # the same server again
            _reply(b"C" * 12, sequence, 3333, server_address="127.0.0.3"),
            _reply(b"D" * 12, sequence, 4444, protocol="udp"),  # not a TCP server
            data,  # an echo of the search itself
        ]

    with udp_responder(answer) as port:
        config = PVAConfig(addr_list=((LOOPBACK, port),), auto_addr_list=False)
        start = time.monotonic()
        found = discover_servers(config, timeout=0.4)
        elapsed = time.monotonic() - start
    assert [(s.guid, s.address) for s in found] == [
        ("0x" + (b"B" * 12).hex().upper(), f"{LOOPBACK}:2222"),
        ("0x" + (b"C" * 12).hex().upper(), "127.0.0.3:3333"),
    ]
    assert 0.35 < elapsed < 1.0


def test_discovery_needs_somewhere_to_search():
    with pytest.raises(PVAValueError, match="nowhere to search"):
        discover_servers(PVAConfig(auto_addr_list=False), timeout=0.1)
    with pytest.raises(PVAValueError, match="positive"):
        discover_servers(PVAConfig(addr_list=((LOOPBACK, 1),), auto_addr_list=False), timeout=0)


# -- configuration (computed, never sent to) ---------------------------------------------


def test_config_as_pvxs_reads_it():
    env = {
        "EPICS_PVA_ADDR_LIST": "127.0.0.1 10.1.2.255:5999 127.0.0.1",
        "EPICS_PVA_AUTO_ADDR_LIST": "NO",
        "EPICS_PVA_BROADCAST_PORT": "6076",
        "EPICS_PVAS_SERVER_PORT": "6075",
        "EPICS_PVA_NAME_SERVERS": "127.0.0.1:7000",
    }
    config = load_config(env)
    assert config.addr_list == (("127.0.0.1", 6076), ("10.1.2.255", 5999))
    assert not config.auto_addr_list
    assert (config.broadcast_port, config.server_port) == (6076, 6075)
    assert config.name_servers == (("127.0.0.1", 7000),)
    assert search_destinations(config, broadcast=["10.9.9.255"]) == list(config.addr_list)
    auto = config._replace(auto_addr_list=True)
    assert search_destinations(auto, broadcast=["10.9.9.255", "127.0.0.1"]) == [
        ("127.0.0.1", 6076),
        ("10.1.2.255", 5999),
        ("10.9.9.255", 6076),
    ]
    defaults = load_config({})
    assert (defaults.broadcast_port, defaults.server_port, defaults.auto_addr_list) == (
        5076,
        5075,
        True,
    )
    assert load_config({"EPICS_PVA_BROADCAST_PORT": "nope"}).broadcast_port == 5076


def test_unicast_or_not():
    assert is_unicast("127.0.0.1")
    assert not is_unicast("255.255.255.255")
    assert not is_unicast("224.0.0.128")
    assert not is_unicast("10.1.2.255", ["10.1.2.255"])


def test_parse_server():
    assert parse_server("127.0.0.1:5099", 5075) == ("127.0.0.1", 5099)
    assert parse_server("127.0.0.1", 5075) == ("127.0.0.1", 5075)
    with pytest.raises(ValueError, match="port must be an integer"):
        parse_server("127.0.0.1:99999", 5075)
    with pytest.raises(ValueError, match="cannot resolve host name"):
        parse_server("no-such-host.invalid:5075", 5075)


def test_no_socket_left_open(pva_group):
    """The listing closes every socket it made (counted in /proc/self/fd)."""

    def open_sockets() -> int:
        count = 0
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(FileNotFoundError):  # listdir's own descriptor
                count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        return count

    before = open_sockets()
    list_servers([s.address for s in pva_group] + [f"{LOOPBACK}:{free_port()}"], timeout=2.0)
    discover_servers(
        PVAConfig(addr_list=((LOOPBACK, pva_group[0].broadcast_port),), auto_addr_list=False),
        timeout=0.2,
    )
    assert open_sockets() == before


# -- name servers (EPICS_PVA_NAME_SERVERS): the ping over TCP -----------------------------


def test_name_server_ping_to_real_servers(pva_group):
    """pvxs and p4p servers answer a TCP ping for themselves; nothing goes over UDP."""
    pvxs, _, p4p, _ = pva_group
    config = PVAConfig(
        auto_addr_list=False,
        name_servers=((LOOPBACK, pvxs.port), (LOOPBACK, p4p.port), (LOOPBACK, free_port())),
    )
    found = discover_servers(config, timeout=0.5)
    assert sorted(s.address for s in found) == sorted([pvxs.address, p4p.address])
    assert all(s.via in ((LOOPBACK, pvxs.port), (LOOPBACK, p4p.port)) for s in found)


def test_name_server_that_names_others():
    def script(conn, received):
        handshake(conn, received)
        ping = received()
        assert ping is not None and ping.must_reply and ping.reply_port == 0
        conn.sendall(
            bytes(SearchResponse(b"N" * 12, ping.sequence, 0, big_endian=False))
            + bytes(SearchResponse(b"O" * 12, ping.sequence, 5099, server_address="127.0.0.7"))
            + bytes(SearchResponse(b"N" * 12, ping.sequence, 0))
        )

    with FakeServer(script) as fake:
        config = PVAConfig(auto_addr_list=False, name_servers=((LOOPBACK, fake.port),))
        found = discover_servers(config, timeout=0.5)
    assert [s.address for s in found] == [fake.address, "127.0.0.7:5099"]
    assert not fake.errors
