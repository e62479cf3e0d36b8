"""Recording relays on loopback: what a client and a server really send each other.

:class:`TcpRelay` accepts connections on a port of its own and passes each one on
to the server's TCP port; :class:`UdpRelay` does the same for datagrams (a client
searches the relay, which searches the server and hands the replies back). Both
keep every chunk with its direction, for ``capture.py`` to write down as golden
data. Only 127.0.0.1 is ever bound or contacted.
"""

from __future__ import annotations

import selectors
import socket
import threading
from types import TracebackType

LOOPBACK = "127.0.0.1"


class _Relay:
    def __init__(self) -> None:
        self.chunks: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, sender: str, data: bytes) -> None:
        with self._lock:
            self.chunks.append((sender, data))

    def stream(self, sender: str) -> bytes:
        """Everything ``sender`` ("client" or "server") sent, in order."""
        with self._lock:
            return b"".join(data for who, data in self.chunks if who == sender)

    def start(self) -> _Relay:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)

    def _run(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Relay:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class TcpRelay(_Relay):
    """Listen on ``port`` (a free one by default) and relay to ``LOOPBACK:target``."""

    def __init__(self, target: int) -> None:
        super().__init__()
        self.target = target
        self.listener = socket.create_server((LOOPBACK, 0))
        self.port: int = self.listener.getsockname()[1]

    def _run(self) -> None:
        with selectors.DefaultSelector() as sel, self.listener:
            sel.register(self.listener, selectors.EVENT_READ, None)
            peers: dict[socket.socket, tuple[socket.socket, str]] = {}
            while not self._stop.is_set():
                for key, _ in sel.select(0.05):
                    if key.data is None:
                        client, _ = self.listener.accept()
                        server = socket.create_connection((LOOPBACK, self.target))
                        peers[client] = (server, "client")
                        peers[server] = (client, "server")
                        sel.register(client, selectors.EVENT_READ, "peer")
                        sel.register(server, selectors.EVENT_READ, "peer")
                        continue
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    other, sender = peers[sock]
                    data = sock.recv(65536)
                    if data:
                        self.record(sender, data)
                        other.sendall(data)
                        continue
                    for end in (sock, other):
                        sel.unregister(end)
                        peers.pop(end)
                    other.shutdown(socket.SHUT_WR)
                    sock.close()
                    other.close()
            for sock in peers:
                sock.close()


class UdpRelay(_Relay):
    """Take datagrams on ``port``, pass them to ``LOOPBACK:target``, and pass replies back.

    Replies go to the last client that sent something (one client at a time).
    Servers answer a SEARCH at the port it names, so the relay passes each SEARCH
    on with its own port there (and records it as the client sent it).
    """

    def __init__(self, target: int) -> None:
        super().__init__()
        self.target = target
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind((LOOPBACK, 0))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind((LOOPBACK, 0))
        self.port: int = self.front.getsockname()[1]

    def _run(self) -> None:
        client: tuple[str, int] | None = None
        with selectors.DefaultSelector() as sel, self.front, self.back:
            sel.register(self.front, selectors.EVENT_READ)
            sel.register(self.back, selectors.EVENT_READ)
            while not self._stop.is_set():
                for key, _ in sel.select(0.05):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    data, source = sock.recvfrom(65536)
                    if sock is self.front:
                        client = source
                        self.record("client", data)
                        self.back.sendto(self._via_us(data), (LOOPBACK, self.target))
                    elif client is not None:
                        self.record("server", data)
                        self.front.sendto(data, client)

    def _via_us(self, data: bytes) -> bytes:
        """``data`` with the reply port of a SEARCH (bytes 32-33) set to ours."""
        if len(data) < 34 or data[0] != 0xCA or data[3] != 3:
            return data
        order = "big" if data[2] & 0x80 else "little"
        port = self.back.getsockname()[1].to_bytes(2, order)
        return data[:32] + port + data[34:]
