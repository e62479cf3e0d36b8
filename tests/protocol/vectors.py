"""Loading the golden vectors captured from a real EPICS Base IOC.

The vectors are copies of the project's captures, kept in ``tests/protocol/golden``
(its README says where they come from). They are required: a missing file is an
error, never a reason to skip.
"""

from __future__ import annotations

import hashlib
import json
import struct
from functools import cache
from pathlib import Path
from typing import Any

from protocol.commands.base import CLIENT, SERVER, Role
from protocol.dbr import metadata_size

VECTORS_DIR = Path(__file__).resolve().parent / "golden"

EXCHANGE_FILES = (
    "protocol_exchanges.json",
    "read_matrix.json",
    "client_library_sessions.json",
    "lifecycle_beacons_repeater.json",
)

#: Who sent each message, by the ``dir`` label of the vectors (README.md).
#: Beacons are server messages whoever relays them; X is a fake server.
ROLE_BY_DIR: dict[str, Role] = {
    "C->S": CLIENT,
    "S->C": SERVER,
    "C->repeater-port": CLIENT,
    "A->R": CLIENT,
    "B->R": CLIENT,
    "C->R": CLIENT,
    "R->A": SERVER,
    "R->B": SERVER,
    "R->C": SERVER,
    "S->beacon-port": SERVER,
    "X->R": SERVER,
}


def vectors_dir() -> Path:
    if not VECTORS_DIR.is_dir():
        raise FileNotFoundError(f"golden vectors not found at {VECTORS_DIR}")
    return VECTORS_DIR


@cache
def load(name: str) -> Any:
    with open(vectors_dir() / name) as f:
        return json.load(f)


def wire_messages(name: str) -> list[tuple[str, int, dict[str, Any]]]:
    """(exchange id, index, record) of every message with bytes in a file."""
    out = []
    for exchange in load(name)["exchanges"]:
        for index, record in enumerate(exchange["messages"]):
            if has_bytes(record):
                out.append((exchange["id"], index, record))
    return out


def has_bytes(record: dict[str, Any]) -> bool:
    """Whether a record is a message (not a TCP event or the empty datagram)."""
    return bool(record.get("hex")) or "header_hex" in record


def _halves(count: int) -> bytes:
    return struct.pack(f">{count}d", *(0.5 * i for i in range(count)))


def message_bytes(record: dict[str, Any]) -> bytes:
    """The whole message; big payloads are rebuilt and checked against their sha256.

    The big payloads are DOUBLE arrays of ``value[i] = 0.5 * i`` (after any
    metadata, taken from ``payload_head_hex``) or all zeros (never-written
    elements of a waveform read with a large count).
    """
    if "hex" in record:
        return bytes.fromhex(record["hex"])
    header = bytes.fromhex(record["header_hex"])
    head = bytes.fromhex(record["payload_head_hex"])
    meta = head[: metadata_size(record["header"]["data_type"])]
    count = (record["payload_len"] - len(meta)) // 8
    for values in (_halves(count), bytes(8 * count)):
        payload = meta + values
        if hashlib.sha256(payload).hexdigest() == record["payload_sha256"]:
            assert len(payload) == record["payload_len"]
            return header + payload
    raise AssertionError(f"cannot rebuild the payload of {record['header_hex']}")
