"""A scriptable fake Channel Access server for fault-injection tests.

It answers on 127.0.0.1 only: UDP searches and TCP circuits on the same free
port number, served by one background thread (a selector loop, no thread per
client).  Replies are built with our own encoders; what clients send is decoded
with ``StreamDecoder(sender=CLIENT)`` and ``read_datagram(..., sender=CLIENT)``.

A :class:`Scenario` decides what goes back.  By default it is a well-behaved
server of a few PVs (``fake:pv`` DOUBLE, ``fake:long`` LONG, ...).  A fault is
injected by giving the scenario ``fault=(stage, action)``:

stage
    ``"search"`` (the UDP reply), ``"accept"`` (as the TCP circuit opens),
    ``"create"`` (the reply to CREATE_CHAN) or ``"op"`` (the reply to the first
    READ / READ_NOTIFY / WRITE / WRITE_NOTIFY / EVENT_ADD of a circuit).
action
    A callable ``action(ctx) -> list[bytes | Action]`` where ``ctx`` is a
    :class:`Context` holding the request and the normal reply bytes; see
    :data:`FAULTS` for the catalogue (truncation, close mid-message, silence,
    a gigabyte header, wrong ids, unsolicited and out-of-order messages,
    ERROR, CREATE_CH_FAIL, bad command ids, misaligned sizes, ...).

Usage::

    with FakeServer(Scenario(fault=FAULTS["gigantic_header"])) as server:
        env = server.env()   # EPICS_CA_* for a client that finds only this server
        ...
    server.connections      # how many TCP circuits were accepted
    server.requests         # every decoded request, in order
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from protocol.channel_types import ChannelType, native_type
from protocol.commands import (
    AccessRightsResponse,
    ClearChannelRequest,
    ClearChannelResponse,
    CreateChanRequest,
    CreateChanResponse,
    CreateChFailResponse,
    EchoRequest,
    EchoResponse,
    ErrorResponse,
    EventAddRequest,
    EventAddResponse,
    EventCancelRequest,
    Message,
    ReadNotifyRequest,
    ReadNotifyResponse,
    ReadRequest,
    ReadResponse,
    SearchRequest,
    SearchResponse,
    ServerDisconnResponse,
    VersionRequest,
    VersionResponse,
    WriteNotifyRequest,
    WriteNotifyResponse,
    WriteRequest,
)
from protocol.commands.base import CLIENT
from protocol.commands.events import EventCancelResponse
from protocol.decoder import StreamDecoder, read_datagram
from protocol.errors import RemoteProtocolError

__all__ = ["CLOSE", "FAULTS", "SILENCE", "Context", "FakeServer", "Scenario"]

HOST = "127.0.0.1"


class Action:
    """A control step in a reply list (not bytes)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


#: Close the TCP circuit (after the bytes before it are sent).
CLOSE = Action("close")
#: Stop answering this circuit for good (it stays open; requests are read and dropped).
SILENCE = Action("silence")

OP_REQUESTS = (ReadNotifyRequest, ReadRequest, WriteNotifyRequest, WriteRequest, EventAddRequest)


@dataclass
class PV:
    data_type: ChannelType
    value: list[Any]

    @property
    def count(self) -> int:
        return len(self.value)


def default_pvs() -> dict[str, PV]:
    return {
        "fake:pv": PV(ChannelType.DOUBLE, [1.5]),
        "fake:long": PV(ChannelType.LONG, [7]),
        "fake:short": PV(ChannelType.SHORT, [3]),
        "fake:str": PV(ChannelType.STRING, [b"text"]),
        "fake:wf": PV(ChannelType.DOUBLE, [0.0, 1.0, 2.0, 3.0]),
    }


@dataclass
class Context:
    """What a fault action sees: the request, the normal reply, the circuit."""

    request: Message | None
    normal: list[bytes]
    circuit: _Circuit
    server: FakeServer

    @property
    def normal_bytes(self) -> bytes:
        return b"".join(self.normal)


FaultAction = Callable[[Context], list[Any]]


@dataclass
class Scenario:
    """What the server does.  ``fault`` is ``(stage, action)`` or None (behave).

    ``repeat``: inject the fault on every circuit (True) or only the first.
    ``op_requests``: the requests an ``"op"`` fault answers (the first of them on each
    circuit); e.g. only ``WriteNotifyRequest``, for a client that reads on the circuit
    before it writes.
    """

    pvs: dict[str, PV] = field(default_factory=default_pvs)
    fault: tuple[str, FaultAction] | None = None
    repeat: bool = True
    injected: int = 0
    op_requests: tuple[type[Message], ...] = OP_REQUESTS

    def take(self, stage: str) -> FaultAction | None:
        if self.fault is None or self.fault[0] != stage:
            return None
        if not self.repeat and self.injected:
            return None
        self.injected += 1
        return self.fault[1]


class _Circuit:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.decoder = StreamDecoder(sender=CLIENT)
        self.silent = False
        self.closed = False
        self.op_done = False
        self.channels: dict[int, tuple[str, int]] = {}  # sid -> (name, cid)
        self.next_sid = 100


class FakeServer:
    """The fake server; a context manager that starts and stops its thread."""

    def __init__(self, scenario: Scenario | None = None) -> None:
        self.scenario = scenario or Scenario()
        self.requests: list[Message] = []
        self.searches: list[str] = []
        self.connections = 0
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._circuits: list[_Circuit] = []
        self._thread: threading.Thread | None = None
        self.tcp, self.udp, self.port = _bind_pair()

    # -- life cycle -----------------------------------------------------------
    def __enter__(self) -> FakeServer:
        self._thread = threading.Thread(target=self._serve, name="fake-ca-server", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
            assert not self._thread.is_alive(), "fake server thread did not stop"
        for circuit in self._circuits:
            circuit.sock.close()
        self.tcp.close()
        self.udp.close()

    def env(self) -> dict[str, str]:
        """Environment for a client that must find this server (and nothing else)."""
        return {
            "EPICS_CA_AUTO_ADDR_LIST": "NO",
            "EPICS_CA_ADDR_LIST": HOST,
            "EPICS_CA_SERVER_PORT": str(self.port),
            "EPICS_CA_NAME_SERVERS": "",
        }

    def sent_requests(self, *types: type[Message]) -> list[Message]:
        with self._lock:
            return [m for m in self.requests if isinstance(m, types)]

    # -- loop -----------------------------------------------------------------
    def _serve(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self.tcp, selectors.EVENT_READ, "accept")
        selector.register(self.udp, selectors.EVENT_READ, "udp")
        try:
            while not self._stop.is_set():
                for key, _ in selector.select(0.02):
                    try:
                        if key.data == "accept":
                            self._accept(selector)
                        elif key.data == "udp":
                            self._search()
                        else:
                            self._receive(selector, key.data)
                    except OSError:
                        if isinstance(key.data, _Circuit):
                            self._close(selector, key.data)
        except BaseException as exc:  # recorded for the test to see
            self.errors.append(exc)
        finally:
            selector.close()

    def _search(self) -> None:
        data, source = self.udp.recvfrom(65536)
        try:
            messages = read_datagram(data, source, CLIENT)
        except RemoteProtocolError:
            return
        reply = []
        for msg in messages:
            if isinstance(msg, SearchRequest):
                with self._lock:
                    self.searches.append(msg.name)
                if msg.name in self.scenario.pvs:
                    reply.append(bytes(SearchResponse(self.port, "255.255.255.255", msg.cid, 13)))
        if not reply:
            return
        normal = [bytes(VersionResponse(13)), *reply]
        action = self.scenario.take("search")
        out = normal if action is None else action(Context(None, normal, None, self))  # type: ignore[arg-type]
        payload = b"".join(x for x in out if isinstance(x, bytes))
        if payload:
            self.udp.sendto(payload, source)

    def _accept(self, selector: selectors.BaseSelector) -> None:
        sock, _ = self.tcp.accept()
        circuit = _Circuit(sock)
        self._circuits.append(circuit)
        with self._lock:
            self.connections += 1
        selector.register(sock, selectors.EVENT_READ, circuit)
        action = self.scenario.take("accept")
        if action is not None:
            self._emit(selector, circuit, action(Context(None, [], circuit, self)))

    def _close(self, selector: selectors.BaseSelector, circuit: _Circuit) -> None:
        if not circuit.closed:
            circuit.closed = True
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(circuit.sock)
            circuit.sock.close()

    def _emit(self, selector: selectors.BaseSelector, circuit: _Circuit, out: list[Any]) -> None:
        for item in out:
            if circuit.closed or circuit.silent:
                return
            if item is CLOSE:
                self._close(selector, circuit)
            elif item is SILENCE:
                circuit.silent = True
            elif isinstance(item, (int, float)):
                time.sleep(item)
            else:
                circuit.sock.sendall(item)

    def _receive(self, selector: selectors.BaseSelector, circuit: _Circuit) -> None:
        data = circuit.sock.recv(65536)
        if not data:
            self._close(selector, circuit)
            return
        try:
            messages = circuit.decoder.feed(data)
        except RemoteProtocolError:
            self._close(selector, circuit)
            return
        for msg in messages:
            with self._lock:
                self.requests.append(msg)
            if circuit.silent or circuit.closed:
                continue
            normal = self._normal(circuit, msg)
            action = None
            if isinstance(msg, CreateChanRequest):
                action = self.scenario.take("create")
            elif isinstance(msg, self.scenario.op_requests) and not circuit.op_done:
                circuit.op_done = True
                action = self.scenario.take("op")
            out = normal if action is None else action(Context(msg, normal, circuit, self))
            self._emit(selector, circuit, out)

    def _normal(self, circuit: _Circuit, msg: Message) -> list[bytes]:
        """The reply a well-behaved server gives."""
        pvs = self.scenario.pvs
        if isinstance(msg, VersionRequest):
            return [bytes(VersionResponse(13))]
        if isinstance(msg, EchoRequest):
            return [bytes(EchoResponse())]
        if isinstance(msg, CreateChanRequest):
            pv = pvs.get(msg.name)
            if pv is None:
                return [bytes(CreateChFailResponse(msg.cid))]
            sid = circuit.next_sid
            circuit.next_sid += 1
            circuit.channels[sid] = (msg.name, msg.cid)
            return [
                bytes(AccessRightsResponse(msg.cid, 3)),
                bytes(CreateChanResponse(pv.data_type, pv.count, msg.cid, sid)),
            ]
        if isinstance(msg, (ReadNotifyRequest, ReadRequest, EventAddRequest)):
            name, _ = circuit.channels.get(msg.sid, ("", 0))
            pv = pvs.get(name)
            if pv is None:
                return []
            dtype = ChannelType(msg.data_type)
            value = _convert(pv, dtype)
            count = msg.data_count or pv.count
            value = (value * count)[:count] if count > len(value) else value[:count]
            if isinstance(msg, ReadNotifyRequest):
                return [bytes(ReadNotifyResponse(value, dtype, None, 1, msg.ioid))]
            if isinstance(msg, ReadRequest):
                return [bytes(ReadResponse(value, dtype, None, msg.sid, msg.ioid))]
            return [bytes(EventAddResponse(value, dtype, None, 1, msg.subscriptionid))]
        if isinstance(msg, WriteNotifyRequest):
            return [bytes(WriteNotifyResponse(msg.data_type, msg.data_count, 1, msg.ioid))]
        if isinstance(msg, EventCancelRequest):
            return [bytes(EventCancelResponse(msg.data_type, msg.sid, msg.subscriptionid))]
        if isinstance(msg, ClearChannelRequest):
            circuit.channels.pop(msg.sid, None)
            return [bytes(ClearChannelResponse(msg.sid, msg.cid))]
        return []  # HOST_NAME, CLIENT_NAME, WRITE, ...


def _convert(pv: PV, dtype: ChannelType) -> list[Any]:
    target = native_type(dtype)
    if target == pv.data_type:
        return list(pv.value)
    if target == ChannelType.STRING:
        return [str(v).encode() if not isinstance(v, bytes) else v for v in pv.value]
    if target in (ChannelType.DOUBLE, ChannelType.FLOAT):
        return [float(v) if not isinstance(v, bytes) else 0.0 for v in pv.value]
    return [int(v) if not isinstance(v, bytes) else 0 for v in pv.value]


def _bind_pair() -> tuple[socket.socket, socket.socket, int]:
    """A TCP listener and a UDP socket on the same free port of 127.0.0.1."""
    for _ in range(50):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind((HOST, 0))
        port = tcp.getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind((HOST, port))
        except OSError:
            tcp.close()
            udp.close()
            continue
        tcp.listen(16)
        return tcp, udp, port
    raise RuntimeError("no free port pair on 127.0.0.1")


# -- raw message building ---------------------------------------------------------

_HEADER = struct.Struct(">HHHHII")
_EXTENSION = struct.Struct(">II")


def header(command: int, payload_size: int, data_type: int, count: int, p1: int, p2: int) -> bytes:
    """A raw header; an extended one when ``payload_size`` or ``count`` do not fit 16 bits."""
    if payload_size >= 0xFFFF or count >= 0xFFFF:
        return _HEADER.pack(command, 0xFFFF, data_type, 0, p1, p2) + _EXTENSION.pack(
            payload_size, count
        )
    return _HEADER.pack(command, payload_size, data_type, count, p1, p2)


def _reply_ids(ctx: Context) -> tuple[int, int, int]:
    """(command id, parameter the reply echoes, parameter2) for the op request."""
    msg = ctx.request
    if isinstance(msg, EventAddRequest):
        return 1, 1, msg.subscriptionid
    if isinstance(msg, (ReadNotifyRequest, WriteNotifyRequest)):
        return msg.ID, 1, msg.ioid
    if isinstance(msg, ReadRequest):
        return 3, msg.sid, msg.ioid
    if isinstance(msg, WriteRequest):
        return 15, 1, 0xDEAD  # nothing answers a WRITE; reply as if to a read nobody sent
    if isinstance(msg, CreateChanRequest):
        return 18, 0, msg.cid
    return 15, 1, 0


# -- the catalogue of faults --------------------------------------------------------


def _garbage(ctx: Context) -> list[Any]:
    return [b"\xde\xad\xbe\xef" * 8]


def _bad_command_id(ctx: Context) -> list[Any]:
    return [header(200, 0, 0, 0, 0, 0)]


def _misaligned(ctx: Context) -> list[Any]:
    command, p1, p2 = _reply_ids(ctx)
    return [header(command, 7, 6, 1, p1, p2) + b"\0" * 7]


def _short_payload(ctx: Context) -> list[Any]:
    command, p1, p2 = _reply_ids(ctx)
    return [header(command, 8, 6, 1000, p1, p2) + b"\0" * 8]


def _bad_dbr_type(ctx: Context) -> list[Any]:
    command, p1, p2 = _reply_ids(ctx)
    return [header(command, 8, 99, 1, p1, p2) + b"\0" * 8]


def _gigantic_header(ctx: Context) -> list[Any]:
    command, p1, p2 = _reply_ids(ctx)
    return [header(command, 2**31, 6, 2**28, p1, p2) + b"\0" * 4096]


def _oversized(ctx: Context) -> list[Any]:
    """A plausible array just over the client's limit (EPICS_CA_MAX_ARRAY_BYTES, set
    to 16384 by the tests), its first 64 kB sent."""
    command, p1, p2 = _reply_ids(ctx)
    return [header(command, 2**17, 6, 2**14, p1, p2) + bytes(2**16)]


def _truncated(ctx: Context) -> list[Any]:
    data = ctx.normal_bytes or bytes(ReadNotifyResponse([1.0], ChannelType.DOUBLE, None, 1, 0))
    return [data[: max(len(data) // 2, 1)], SILENCE]


def _close_mid_message(ctx: Context) -> list[Any]:
    data = ctx.normal_bytes or bytes(ReadNotifyResponse([1.0], ChannelType.DOUBLE, None, 1, 0))
    return [data[: max(len(data) // 2, 1)], CLOSE]


def _silence(ctx: Context) -> list[Any]:
    return [SILENCE]


def _close(ctx: Context) -> list[Any]:
    return [CLOSE]


def _wrong_id(ctx: Context) -> list[Any]:
    """The normal reply with its id (ioid, subscription id or cid) off by 1000."""
    msg = ctx.request
    if isinstance(msg, CreateChanRequest):
        return [bytes(CreateChanResponse(ChannelType.DOUBLE, 1, msg.cid + 1000, 1))]
    if isinstance(msg, EventAddRequest):
        return [
            bytes(EventAddResponse([1.0], ChannelType.DOUBLE, None, 1, msg.subscriptionid + 1000))
        ]
    if isinstance(msg, WriteNotifyRequest):
        return [bytes(WriteNotifyResponse(msg.data_type, msg.data_count, 1, msg.ioid + 1000))]
    ioid = getattr(msg, "ioid", 0) + 1000
    return [bytes(ReadNotifyResponse([1.0], ChannelType.DOUBLE, None, 1, ioid))]


def _unsolicited_update(ctx: Context) -> list[Any]:
    """An update for a subscription nobody asked for, then the normal reply."""
    return [bytes(EventAddResponse([9.0], ChannelType.DOUBLE, None, 1, 4242)), *ctx.normal]


def _unsolicited_benign(ctx: Context) -> list[Any]:
    """ECHO, VERSION and a repeated ACCESS_RIGHTS nobody asked for: a client copes."""
    cid = next((c for _, c in ctx.circuit.channels.values()), 0)
    extra = [
        bytes(EchoResponse()),
        bytes(VersionResponse(13)),
        bytes(AccessRightsResponse(cid, 3)),
    ]
    return [*extra, *ctx.normal]


def _out_of_order(ctx: Context) -> list[Any]:
    """A second CREATE_CHAN reply (the channel is already connected), then the reply."""
    sid, (_, cid) = next(iter(ctx.circuit.channels.items()), (1, ("", 0)))
    return [bytes(CreateChanResponse(ChannelType.DOUBLE, 1, cid, sid)), *ctx.normal]


def _reply_before_create(ctx: Context) -> list[Any]:
    """A READ_NOTIFY reply before the channel even exists, then the create reply."""
    return [bytes(ReadNotifyResponse([1.0], ChannelType.DOUBLE, None, 1, 0)), *ctx.normal]


def _swapped_create(ctx: Context) -> list[Any]:
    """CREATE_CHAN's reply before ACCESS_RIGHTS (the reverse of RSRV's order)."""
    return [b"".join(reversed(ctx.normal))]  # one segment: no race with the access check


def _error_response(ctx: Context) -> list[Any]:
    msg = ctx.request
    cid = msg.cid if isinstance(msg, CreateChanRequest) else 0xFFFFFFFF
    if msg is not None and not isinstance(msg, CreateChanRequest):
        cid = next((c for _, c in ctx.circuit.channels.values()), cid)
    original = msg if msg is not None else EchoRequest()
    return [bytes(ErrorResponse(original, cid, "ECA_INTERNAL", "fake server failure"))]


def _compound_native_type(ctx: Context) -> list[Any]:
    """CREATE_CHAN's reply announcing DBR_TIME_DOUBLE as the channel's native type."""
    cid = ctx.request.cid  # type: ignore[union-attr]
    return [
        bytes(AccessRightsResponse(cid, 3)),
        bytes(CreateChanResponse(ChannelType.TIME_DOUBLE, 1, cid, 1)),
    ]


def _create_ch_fail(ctx: Context) -> list[Any]:
    return [bytes(CreateChFailResponse(ctx.request.cid))]  # type: ignore[union-attr]


def _server_disconn(ctx: Context) -> list[Any]:
    cid = next((c for _, c in ctx.circuit.channels.values()), 0)
    return [bytes(ServerDisconnResponse(cid))]


def _search_garbage(ctx: Context) -> list[Any]:
    return [b"\x00\x06\xff\xff" * 3]


def _search_wrong_cid(ctx: Context) -> list[Any]:
    reply = SearchResponse(ctx.server.port, "255.255.255.255", 0x7FFF_FFFF, 13)
    return [bytes(VersionResponse(13)), bytes(reply)]


#: name -> (stage, action).  Every fault a test parametrises over.
FAULTS: dict[str, tuple[str, FaultAction]] = {
    "search_garbage": ("search", _search_garbage),
    "search_wrong_cid": ("search", _search_wrong_cid),
    "silence_after_accept": ("accept", _silence),
    "close_after_accept": ("accept", _close),
    "garbage_after_accept": ("accept", _garbage),
    "create_silence": ("create", _silence),
    "create_ch_fail": ("create", _create_ch_fail),
    "create_error": ("create", _error_response),
    "create_wrong_cid": ("create", _wrong_id),
    "create_truncated": ("create", _truncated),
    "create_close_mid_message": ("create", _close_mid_message),
    "create_reply_before_create": ("create", _reply_before_create),
    "create_swapped": ("create", _swapped_create),
    "create_compound_type": ("create", _compound_native_type),
    "malformed": ("op", _garbage),
    "bad_command_id": ("op", _bad_command_id),
    "misaligned": ("op", _misaligned),
    "short_payload": ("op", _short_payload),
    "bad_dbr_type": ("op", _bad_dbr_type),
    "gigantic_header": ("op", _gigantic_header),
    "oversized": ("op", _oversized),
    "truncated": ("op", _truncated),
    "close_mid_message": ("op", _close_mid_message),
    "silence": ("op", _silence),
    "close": ("op", _close),
    "wrong_id": ("op", _wrong_id),
    "unsolicited_update": ("op", _unsolicited_update),
    "unsolicited_benign": ("op", _unsolicited_benign),
    "out_of_order": ("op", _out_of_order),
    "error_response": ("op", _error_response),
    "server_disconn": ("op", _server_disconn),
}


@contextlib.contextmanager
def serving(fault: str | None = None, **kwargs: Any) -> Iterator[FakeServer]:
    """``with serving("truncated") as server:`` a fake server with that fault."""
    scenario = Scenario(fault=FAULTS[fault] if fault else None, **kwargs)
    with FakeServer(scenario) as server:
        yield server
