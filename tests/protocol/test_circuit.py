"""The client's VirtualCircuit: ids, matching replies to requests, channel states."""

from __future__ import annotations

import pytest

from protocol import (
    CAValueError,
    ChannelState,
    ChannelType,
    LocalProtocolError,
    RemoteProtocolError,
    VirtualCircuit,
)
from protocol.circuit import ClientChannel
from protocol.commands import (
    AccessRights,
    AccessRightsResponse,
    ClearChannelResponse,
    CreateChanResponse,
    CreateChFailResponse,
    EchoResponse,
    ErrorResponse,
    EventAddResponse,
    EventCancelResponse,
    ReadNotifyRequest,
    ReadNotifyResponse,
    ReadResponse,
    ServerDisconnResponse,
    VersionResponse,
    WriteNotifyRequest,
    WriteNotifyResponse,
    WriteRequest,
)
from protocol.states import TRANSITIONS, next_state

ADDRESS = ("127.0.0.1", 5064)


def connect(
    circuit: VirtualCircuit, name: str = "VEC:ao", native: int = ChannelType.DOUBLE, sid: int = 40
) -> ClientChannel:
    channel = circuit.new_channel(name)
    circuit.send(channel.create())
    assert channel.state is ChannelState.AWAIT_CREATE_CHAN_RESPONSE
    circuit.feed(bytes(AccessRightsResponse(channel.cid, 3)))
    circuit.feed(bytes(CreateChanResponse(native, 1, channel.cid, sid)))
    assert channel.state is ChannelState.CONNECTED
    return channel


@pytest.fixture
def circuit() -> VirtualCircuit:
    return VirtualCircuit(ADDRESS, priority=1)


def test_create_sequence(circuit: VirtualCircuit) -> None:
    channel = circuit.new_channel("VEC:ao")
    assert channel.state is ChannelState.SEND_CREATE_CHAN_REQUEST
    raw = circuit.send(channel.create())
    assert raw.hex() == "0012000800000000000000000000000d5645433a616f0000"
    circuit.feed(bytes(VersionResponse(13)))
    circuit.feed(bytes(AccessRightsResponse(0, 1)))
    assert channel.access_rights is AccessRights.READ
    circuit.feed(bytes(CreateChanResponse(ChannelType.ENUM, 1, 0, 17)))
    assert channel.state is ChannelState.CONNECTED
    assert (channel.sid, channel.native_data_type, channel.native_data_count) == (17, 3, 1)
    assert circuit.channels_by_sid[17] is channel
    circuit.feed(bytes(AccessRightsResponse(0, 3)))  # rights may change later
    assert channel.access_rights is AccessRights.READ_WRITE
    assert "VEC:ao" in repr(channel) and "connected" in repr(channel)
    assert "127.0.0.1:5064" in repr(circuit)


def test_ids_are_allocated_in_order_and_skip_ids_in_use(circuit: VirtualCircuit) -> None:
    channels = [circuit.new_channel(f"PV{i}") for i in range(3)]
    assert [c.cid for c in channels] == [0, 1, 2]
    channel = connect(circuit)
    assert channel.cid == 3
    reads = [channel.read() for _ in range(3)]
    assert [r.ioid for r in reads] == [0, 1, 2]
    circuit.send(*reads)
    subs = [channel.subscribe() for _ in range(2)]
    assert [s.subscriptionid for s in subs] == [0, 1]
    circuit.send(*subs)
    # Wrap the counter around: ids still pending are skipped.
    circuit._io_ids._next = 0
    assert circuit.new_ioid() == 3
    circuit._sub_ids._next = 0
    assert circuit.new_subscriptionid() == 2


def test_requests_resolve_data_types(circuit: VirtualCircuit) -> None:
    channel = connect(circuit, native=ChannelType.DOUBLE, sid=5)
    read = channel.read("control", 1)
    assert (read.data_type, read.data_count, read.sid) == (ChannelType.CTRL_DOUBLE, 1, 5)
    assert channel.read().data_type is ChannelType.DOUBLE
    assert channel.subscribe("time").data_type is ChannelType.TIME_DOUBLE
    assert channel.subscribe().mask == 5
    write = channel.write([1.0, 2.0], notify=True)
    assert isinstance(write, WriteNotifyRequest) and write.data_count == 2
    assert isinstance(channel.write(3.0), WriteRequest)
    assert channel.resolve("graphic") is ChannelType.GR_DOUBLE


def test_replies_are_matched_by_ioid_in_any_order(circuit: VirtualCircuit) -> None:
    channel = connect(circuit)
    first, second = channel.read(), channel.write([1.0], notify=True)
    circuit.send(first, second)
    assert set(circuit.pending_ioids) == {first.ioid, second.ioid}
    reply = WriteNotifyResponse(ChannelType.DOUBLE, 1, 1, second.ioid)
    (got,) = circuit.feed(bytes(reply))
    assert got == reply
    assert set(circuit.pending_ioids) == {first.ioid}
    (got,) = circuit.feed(bytes(ReadNotifyResponse([3.5], ChannelType.DOUBLE, 1, 1, first.ioid)))
    assert got.data[0] == 3.5
    assert not circuit.pending_ioids


def test_unknown_ioid_from_server(circuit: VirtualCircuit) -> None:
    channel = connect(circuit)
    circuit.send(channel.read())
    with pytest.raises(RemoteProtocolError, match="ioid 99"):
        circuit.feed(bytes(ReadNotifyResponse([1.0], ChannelType.DOUBLE, 1, 1, 99)))


def test_read_response_must_answer_a_read(circuit: VirtualCircuit) -> None:
    channel = connect(circuit)
    request = channel.read()
    circuit.send(request)
    with pytest.raises(RemoteProtocolError, match="answers a ReadNotifyRequest"):
        circuit.feed(bytes(ReadResponse([1.0], ChannelType.DOUBLE, 1, 0, request.ioid)))


def test_unknown_subscription_from_server(circuit: VirtualCircuit) -> None:
    connect(circuit)
    with pytest.raises(RemoteProtocolError, match="subscription id 5"):
        circuit.feed(bytes(EventAddResponse([1.0], ChannelType.DOUBLE, 1, 1, 5)))


def test_unknown_cid_from_server(circuit: VirtualCircuit) -> None:
    with pytest.raises(RemoteProtocolError, match="cid 9"):
        circuit.feed(bytes(CreateChanResponse(ChannelType.DOUBLE, 1, 9, 1)))


@pytest.mark.parametrize("native", [ChannelType.STS_STRING, ChannelType.TIME_DOUBLE, 38])
def test_compound_native_type_from_server(circuit: VirtualCircuit, native: int) -> None:
    """Nothing could be requested of such a channel: the stream is refused, not the user."""
    channel = circuit.new_channel("VEC:ao")
    circuit.send(channel.create())
    with pytest.raises(RemoteProtocolError, match=f"'VEC:ao' announces native type {native}"):
        circuit.feed(bytes(CreateChanResponse(native, 1, channel.cid, 1)))
    assert channel.sid is None


def test_error_response_clears_the_pending_ioid(circuit: VirtualCircuit) -> None:
    channel = connect(circuit)
    request = channel.write([1.0], notify=True)
    other = channel.read()
    circuit.send(request, other)
    error = ErrorResponse(request, channel.cid, "ECA_PUTFAIL", "VEC:ao")
    (got,) = circuit.feed(bytes(error))
    assert got.status.name == "ECA_PUTFAIL"
    assert got.original_request.parameter2 == request.ioid
    assert set(circuit.pending_ioids) == {other.ioid}


def test_misuse_raises_local_protocol_error(circuit: VirtualCircuit) -> None:
    channel = circuit.new_channel("VEC:ao")
    with pytest.raises(LocalProtocolError, match="cannot send ReadNotifyRequest"):
        channel.read()
    with pytest.raises(LocalProtocolError):
        channel.write(1.0)
    with pytest.raises(LocalProtocolError):
        channel.subscribe()
    with pytest.raises(LocalProtocolError):
        channel.clear()
    with pytest.raises(LocalProtocolError, match="not connected"):
        channel.resolve("time")
    circuit.send(channel.create())
    with pytest.raises(LocalProtocolError):
        circuit.send(channel.create())  # twice
    with pytest.raises(LocalProtocolError, match="sid 3"):
        circuit.send(ReadNotifyRequest(ChannelType.DOUBLE, 1, 3, 0))  # a sid we never got
    with pytest.raises(CAValueError, match="priority"):  # a bad argument, not a misuse
        VirtualCircuit(ADDRESS, priority=100)


def test_subscription_mask_zero_is_refused(circuit: VirtualCircuit) -> None:
    channel = connect(circuit)
    with pytest.raises(LocalProtocolError, match="selects no events"):
        channel.subscribe(mask=0)
    with pytest.raises(LocalProtocolError, match="no subscription 4"):
        channel.unsubscribe(4)


def test_cancel_acknowledgement(circuit: VirtualCircuit) -> None:
    channel = connect(circuit, sid=8)
    sub = channel.subscribe("time", mask=5)
    circuit.send(sub)
    empty_update = EventAddResponse([], ChannelType.DOUBLE, 0, 1, sub.subscriptionid)
    # Before a cancel, an empty payload is an update (a zero-length array).
    sub2 = channel.subscribe()
    circuit.send(sub2)
    (got,) = circuit.feed(
        bytes(EventAddResponse([], ChannelType.DOUBLE, 0, 1, sub2.subscriptionid))
    )
    assert type(got) is EventAddResponse
    circuit.send(channel.unsubscribe(sub.subscriptionid))
    update = EventAddResponse([2.0], ChannelType.TIME_DOUBLE, 1, 1, sub.subscriptionid)
    ack = EventCancelResponse(ChannelType.TIME_DOUBLE, 8, sub.subscriptionid, 0)
    got = circuit.feed(bytes(update) + bytes(ack))
    assert [type(m) for m in got] == [EventAddResponse, EventCancelResponse]
    assert got[1].sid == 8
    assert sub.subscriptionid not in circuit.event_add_requests
    assert sub.subscriptionid not in circuit._cancelling
    assert empty_update.payload_size == 0
    # Nothing should follow the ack; a stray update for the old id is an error.
    with pytest.raises(RemoteProtocolError):
        circuit.feed(bytes(update))


def test_create_failed(circuit: VirtualCircuit) -> None:
    channel = circuit.new_channel("VEC:nosuch")
    circuit.send(channel.create())
    circuit.feed(bytes(CreateChFailResponse(channel.cid)))
    assert channel.state is ChannelState.CREATE_FAILED
    with pytest.raises(LocalProtocolError):
        channel.read()


def test_server_disconnect(circuit: VirtualCircuit) -> None:
    channel = connect(circuit, sid=3)
    sub, read = channel.subscribe(), channel.read()
    circuit.send(sub, read)
    circuit.feed(bytes(ServerDisconnResponse(channel.cid)))
    assert channel.state is ChannelState.DISCONNECTED
    assert not circuit.pending_ioids
    assert not circuit.event_add_requests
    assert 3 not in circuit.channels_by_sid
    with pytest.raises(LocalProtocolError):
        channel.read()


def test_clear_channel(circuit: VirtualCircuit) -> None:
    channel = connect(circuit, sid=5)
    sub = channel.subscribe()
    circuit.send(sub)
    raw = circuit.send(channel.clear())
    assert raw == bytes.fromhex("000c000000000000" + "00000005" + f"{channel.cid:08x}")
    assert channel.state is ChannelState.MUST_CLOSE
    with pytest.raises(LocalProtocolError):
        channel.read()
    circuit.feed(bytes(ClearChannelResponse(5, channel.cid)))
    assert channel.state is ChannelState.CLOSED
    assert channel.cid not in circuit.channels
    assert not circuit.event_add_requests  # clearing cancels its subscriptions
    with pytest.raises(RemoteProtocolError):
        circuit.feed(bytes(ClearChannelResponse(5, channel.cid)))


def test_clear_echo_while_connected_is_a_remote_error(circuit: VirtualCircuit) -> None:
    channel = connect(circuit, sid=5)
    with pytest.raises(RemoteProtocolError, match="ClearChannelResponse"):
        circuit.feed(bytes(ClearChannelResponse(5, channel.cid)))


def test_disconnected(circuit: VirtualCircuit) -> None:
    waiting = circuit.new_channel("A")
    circuit.send(waiting.create())
    connected = connect(circuit, "B", sid=1)
    closing = connect(circuit, "C", sid=2)
    circuit.send(connected.read(), connected.subscribe(), closing.clear())
    never = circuit.new_channel("D")
    circuit.disconnected()
    assert circuit.lost
    assert waiting.state is ChannelState.DISCONNECTED
    assert connected.state is ChannelState.DISCONNECTED
    assert closing.state is ChannelState.CLOSED
    assert never.state is ChannelState.SEND_CREATE_CHAN_REQUEST
    assert not circuit.pending_ioids and not circuit.event_add_requests
    assert not circuit.channels_by_sid


def test_housekeeping_messages_pass_through(circuit: VirtualCircuit) -> None:
    got = circuit.feed(bytes(VersionResponse(13)) + bytes(EchoResponse()))
    assert [type(m) for m in got] == [VersionResponse, EchoResponse]


def test_receive_through_recv_buffer(circuit: VirtualCircuit) -> None:
    channel = connect(circuit)
    request = channel.read()
    circuit.send(request)
    raw = bytes(ReadNotifyResponse([4.0], ChannelType.DOUBLE, 1, 1, request.ioid))
    target = circuit.recv_buffer()
    target[: len(raw)] = raw
    (got,) = circuit.received(len(raw))
    assert got.data[0] == 4.0


def test_state_table() -> None:
    S = ChannelState
    assert next_state(S.CONNECTED, "ServerDisconnResponse") is S.DISCONNECTED
    assert next_state(S.CLOSED, "CreateChanRequest") is None
    for (state, _event), new in TRANSITIONS.items():
        assert isinstance(state, ChannelState) and isinstance(new, ChannelState)
    assert not any(state is S.CLOSED for state, _ in TRANSITIONS)  # CLOSED is final
