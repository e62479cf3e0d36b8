"""The sockets a process holds and the processes still alive, read from /proc (no packet sent).

For tests that check where a server listens (DEVELOPERS.md's network rule: TCP
on loopback only) and that nothing a test started outlives it.
"""

from __future__ import annotations

import os
import socket
import struct
from pathlib import Path
from typing import NamedTuple

__all__ = ["ProcSocket", "alive", "sockets_of"]

# /proc/net/tcp's state column: 0A is LISTEN (include/net/tcp_states.h).
_TCP_LISTEN = "0A"
_TABLES = {
    "tcp": socket.AF_INET,
    "tcp6": socket.AF_INET6,
    "udp": socket.AF_INET,
    "udp6": socket.AF_INET6,
}


class ProcSocket(NamedTuple):
    """One socket of a process, as /proc/net/{tcp,tcp6,udp,udp6} lists it.

    Attributes
    ----------
    protocol : str
        ``"tcp"``, ``"tcp6"``, ``"udp"`` or ``"udp6"``.
    host : str
        Local address, e.g. ``"127.0.0.1"``, ``"0.0.0.0"``, ``"::"``.
    port : int
        Local port.
    listening : bool
        A TCP socket in the LISTEN state (always False for UDP).
    """

    protocol: str
    host: str
    port: int
    listening: bool


def _address(hex_address: str, family: int) -> tuple[str, int]:
    host_hex, port_hex = hex_address.split(":")
    raw = bytes.fromhex(host_hex)
    # The kernel prints each 32-bit word in host order (little-endian here).
    words = struct.unpack(f"<{len(raw) // 4}I", raw)
    packed = struct.pack(f">{len(words)}I", *words)
    return socket.inet_ntop(family, packed), int(port_hex, 16)


def _inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def sockets_of(pid: int) -> list[ProcSocket]:
    """Every TCP and UDP socket (IPv4 and IPv6) that process ``pid`` holds."""
    inodes = _inodes(pid)
    found = []
    for table, family in _TABLES.items():
        with open(f"/proc/{pid}/net/{table}") as lines:
            next(lines)  # the header
            for line in lines:
                fields = line.split()
                if fields[9] not in inodes:
                    continue
                host, port = _address(fields[1], family)
                listening = table.startswith("tcp") and fields[3] == _TCP_LISTEN
                found.append(ProcSocket(table, host, port, listening))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs: it exists and is no zombie (dead, waiting to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
