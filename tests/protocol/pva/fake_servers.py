"""Misbehaving pvAccess servers on loopback: each connection runs a script of ours.

A script is ``script(conn, received)``: ``conn`` is the accepted socket and
``received()`` returns the client's next message (decoded with our own core),
or None when the client closed. Scripts build their replies with the message
classes of :mod:`protocol.pva.messages`, or send raw bytes to break the protocol.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType

from protocol.pva.decoder import StreamDecoder
from protocol.pva.messages import (
    ConnectionValidated,
    ConnectionValidationRequest,
    ControlMessage,
    CreateChannelRequest,
    CreateChannelResponse,
    PVAMessage,
    RPCRequest,
    RPCResponse,
)
from protocol.pva.types import FieldDesc
from protocol.pva.wire import Status

LOOPBACK = "127.0.0.1"
Received = Callable[[], PVAMessage | None]
Script = Callable[[socket.socket, Received], None]


class FakeServer:
    """A TCP listener on a free loopback port; each connection runs ``script``."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.listener = socket.create_server((LOOPBACK, 0))
        self.port: int = self.listener.getsockname()[1]
        self.address = f"{LOOPBACK}:{self.port}"
        self.connections = 0
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> FakeServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self.listener.close()
        for thread in self._threads:
            thread.join(5.0)

    def _accept(self) -> None:
        self.listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        decoder = StreamDecoder(from_server=False)
        pending: list[PVAMessage] = []
        conn.settimeout(0.05)

        def received() -> PVAMessage | None:
            while not pending:
                if self._stop.is_set():
                    return None
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return None
                if not data:
                    return None
                pending.extend(m for m in decoder.feed(data) if isinstance(m, PVAMessage))
            return pending.pop(0)

        with conn:
            try:
                self.script(conn, received)
                # Hold the connection open until the client goes (or the test ends).
                while received() is not None:
                    pass
            except OSError:
                pass
            except BaseException as exc:  # reported by the test through .errors
                self.errors.append(exc)


def handshake(conn: socket.socket, received: Received) -> None:
    """Byte order, validation, validated: what every pvxs server says first."""
    conn.sendall(bytes(ControlMessage()) + bytes(ConnectionValidationRequest()))
    assert received() is not None  # the client's validation
    conn.sendall(bytes(ConnectionValidated()))


def up_to_rpc(conn: socket.socket, received: Received) -> RPCRequest:
    """Handshake, accept the channel, answer INIT; returns the client's RPC request."""
    handshake(conn, received)
    create = received()
    assert isinstance(create, CreateChannelRequest)
    cid = create.channels[0][0]
    conn.sendall(bytes(CreateChannelResponse(cid, 77)))
    init = received()
    assert isinstance(init, RPCRequest) and init.is_init
    conn.sendall(bytes(RPCResponse(init.ioid, 0x08)))
    request = received()
    assert isinstance(request, RPCRequest) and not request.is_init
    return request


def replying(result: tuple[FieldDesc | None, object], status: Status | None = None) -> Script:
    """A script that answers the RPC with ``result`` (or the error ``status``)."""

    def script(conn: socket.socket, received: Received) -> None:
        request = up_to_rpc(conn, received)
        if status is not None:
            conn.sendall(bytes(RPCResponse(request.ioid, request.subcommand, status)))
        else:
            conn.sendall(bytes(RPCResponse(request.ioid, request.subcommand, Status(), result)))

    return script


@contextlib.contextmanager
def udp_responder(answer: Callable[[bytes, tuple[str, int]], list[bytes]]):  # type: ignore[no-untyped-def]
    """A UDP socket on a free loopback port that sends ``answer(datagram, source)``
    back for each datagram; yields its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOOPBACK, 0))
    sock.settimeout(0.05)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                data, source = sock.recvfrom(65536)
            except (TimeoutError, OSError):
                continue
            for reply in answer(data, source):
                sock.sendto(reply, source)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(5.0)
        sock.close()
