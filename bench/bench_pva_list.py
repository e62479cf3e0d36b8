"""Time listing the PVs of N pvAccess servers, beside pvxs's own client, in one run.

Run from the repository root (about a minute with the defaults)::

    python bench/bench_pva_list.py [--servers 4] [--names 1000] [--runs 20]

``--servers`` p4p servers (``tests/protocol/pva/servers.py:P4PServer``), each with
``--names`` PVs, share one UDP port on 127.0.0.1. In rounds that run every command
once (so that a change of load on the machine affects all alike), after two
warm-up rounds, it times:

* ``list_servers()``          -- catui's ``protocol.pva.sync.listing`` in this process:
  N connections driven at once, validation, channel, RPC op=channels, close
* ``catui list HOST:PORT...`` -- ``python -m catui list`` as a whole process
* ``pvxs_list channels ...``  -- pvxs 1.5.3's C++ client as a whole process
  (``tests/protocol/pva/capture/pvxs_list.cpp``, built here with g++ against the
  pvxslibs wheel, which ships no ``pvlist``; the row says so if g++ is missing)
* ``python -c pass``          -- the interpreter's start-up: the floor of a Python tool

and, once, discovery: how long after the ping each server's first reply came
(``discover_servers`` itself always waits its whole timeout, as ``pvlist`` does).
p4p has no listing call (it cannot address one server), so it has no row.

Nothing leaves 127.0.0.1: servers and clients run with the loopback-only variables
(``EPICS_PVA_AUTO_ADDR_LIST=NO``, ``EPICS_PVA_ADDR_LIST=127.0.0.1``, own ports).
Every server is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from protocol.pva.decoder import decode_datagram  # noqa: E402
from protocol.pva.listing import discovery_ping  # noqa: E402
from protocol.pva.messages import SearchResponse  # noqa: E402
from protocol.pva.sync.listing import list_servers  # noqa: E402
from tests.protocol.pva.capture.build import build  # noqa: E402
from tests.protocol.pva.servers import P4PServer, client_env, environ, running  # noqa: E402
from tests.support.iocs import LOOPBACK, free_port  # noqa: E402


def _process(argv: list[str], env: dict[str, str]) -> Callable[[], None]:
    def run() -> None:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
        if proc.returncode:
            raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}): {proc.stderr}")

    return run


def _first_replies(port: int, count: int) -> list[float]:
    """Seconds from the ping to each distinct server's first reply."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.settimeout(1.0)
        start = time.perf_counter()
        sock.sendto(bytes(discovery_ping(7, reply_port=sock.getsockname()[1])), (LOOPBACK, port))
        seen: dict[bytes, float] = {}
        while len(seen) < count:
            data, _ = sock.recvfrom(65536)
            for message in decode_datagram(data):
                if isinstance(message, SearchResponse):
                    seen.setdefault(message.guid, time.perf_counter() - start)
    return sorted(seen.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--names", type=int, default=1000, help="PVs per server")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()

    udp = free_port()
    servers = [
        P4PServer([f"S{i}:pv{j:05d}" for j in range(args.names)], broadcast_port=udp)
        for i in range(args.servers)
    ]
    with tempfile.TemporaryDirectory() as tmp, running(*servers):
        addresses = [s.address for s in servers]
        env = environ(client_env(udp))
        env["PYTHONPATH"] = str(ROOT)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        env["PVXS_LOG"] = "pvxs.*=ERR"

        def in_process() -> None:
            listings = list_servers(addresses, timeout=10.0)
            assert all(len(item.names) == args.names for item in listings), listings

        commands: dict[str, Callable[[], None] | str] = {
            "list_servers() in-process": in_process,
            "catui list HOST:PORT...": _process(
                [sys.executable, "-m", "catui", "list", "-w", "10", *addresses], env
            ),
        }
        if shutil.which("g++"):
            binary = build(Path(tmp))
            commands["pvxs_list channels ..."] = _process(
                [str(binary), "channels", *addresses], env
            )
        else:
            commands["pvxs_list channels ..."] = "not run: g++ is not installed"
        commands["python -c pass"] = _process([sys.executable, "-c", "pass"], env)

        times: dict[str, list[float]] = {name: [] for name in commands}
        for round_ in range(args.warmup + args.runs):
            for name, command in commands.items():
                if isinstance(command, str):
                    continue
                start = time.perf_counter()
                command()
                if round_ >= args.warmup:
                    times[name].append(time.perf_counter() - start)
        replies = _first_replies(udp, args.servers)

    print(
        f"{args.servers} p4p servers x {args.names} PVs on loopback; "
        f"{args.runs} rounds (+{args.warmup} warm-up); {os.cpu_count()} cores"
    )
    print(f"{'command':<28} {'median':>9} {'min':>9} {'max':>9}")
    for name, command in commands.items():
        if isinstance(command, str):
            print(f"{name:<28} {command}")
            continue
        series = times[name]
        print(
            f"{name:<28} {statistics.median(series) * 1e3:8.1f}ms "
            f"{min(series) * 1e3:8.1f}ms {max(series) * 1e3:8.1f}ms"
        )
    print("discovery: first reply of each server after the ping: "
          + ", ".join(f"{t * 1e3:.1f} ms" for t in replies))  # fmt: skip


if __name__ == "__main__":
    main()
