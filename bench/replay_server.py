"""A CA server that replays monitor updates as fast as a client can take them.

For measuring a client's ingest capacity: a real IOC's fast counter is bounded by
the IOC itself on a 2-core machine, so the client under test never runs out of
work only here. It serves any name as a DOUBLE, answers EVENT_ADD with
``total`` TIME_DOUBLE updates sent back to back, and stays up until killed.

    python bench/replay_server.py PORT TOTAL

Loopback only: it binds 127.0.0.1.
"""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from protocol.commands import (
    AccessRightsResponse,
    ClearChannelRequest,
    ClearChannelResponse,
    CreateChanRequest,
    CreateChanResponse,
    EchoRequest,
    EchoResponse,
    EventAddRequest,
    EventAddResponse,
    SearchRequest,
    SearchResponse,
    VersionResponse,
)
from protocol.commands.base import CLIENT
from protocol.dbr import DBR_TYPES
from protocol.decoder import StreamDecoder, read_datagram

BATCH = 1000


def updates(subscriptionid: int) -> bytes:
    meta = DBR_TYPES[20]()  # type: ignore[index]
    return b"".join(
        bytes(EventAddResponse([float(i)], 20, 1, 1, subscriptionid, metadata=meta))
        for i in range(BATCH)
    )


def serve_udp(sock: socket.socket, port: int) -> None:
    while True:
        data, address = sock.recvfrom(65536)
        replies = [
            bytes(SearchResponse(port, "255.255.255.255", message.cid, 13))
            for message in read_datagram(data, address, CLIENT)
            if isinstance(message, SearchRequest)
        ]
        if replies:
            sock.sendto(bytes(VersionResponse(13)) + b"".join(replies), address)


def serve_tcp(conn: socket.socket, total: int) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.sendall(bytes(VersionResponse(13)))
    decoder = StreamDecoder(sender=CLIENT)
    while True:
        data = conn.recv(65536)
        if not data:
            conn.close()
            return
        for message in decoder.feed(data):
            if isinstance(message, CreateChanRequest):
                conn.sendall(
                    bytes(AccessRightsResponse(message.cid, 3))
                    + bytes(CreateChanResponse(6, 1, message.cid, message.cid))
                )
            elif isinstance(message, EventAddRequest):
                blob = updates(message.subscriptionid)
                try:
                    for _ in range(total // BATCH):
                        conn.sendall(blob)
                except OSError:
                    return
            elif isinstance(message, EchoRequest):
                conn.sendall(bytes(EchoResponse()))
            elif isinstance(message, ClearChannelRequest):
                conn.sendall(bytes(ClearChannelResponse(message.sid, message.cid)))


def main() -> None:
    port, total = int(sys.argv[1]), int(sys.argv[2])
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    tcp = socket.socket()
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", port))
    tcp.listen()
    threading.Thread(target=serve_udp, args=(udp, port), daemon=True).start()
    print("ready", flush=True)
    while True:
        conn, _ = tcp.accept()
        threading.Thread(target=serve_tcp, args=(conn, total), daemon=True).start()


if __name__ == "__main__":
    main()
