"""A write given up while the path to the IOC is cut: run in a network namespace.

Started by ``test_blocker_partition.py`` as ``ip netns exec NS python partition_scenario.py
MODE``: everything here (the IOC, the client, ``tc``) is in that namespace, whose
loopback is its own.  Prints one JSON object with what happened.

1. An EPICS Base IOC serves ``requests.db``; a Blocker subscribes to ``ao0``.
2. The path is cut: a ``blackhole`` queueing discipline on ``lo`` drops every packet
   (as a broken link would; nothing is refused, nothing answers).
3. ``write(ao0, 42, timeout=0.5)``: sent, not acknowledged, given up at its deadline.
4. The path is restored; after 4 s (TCP's retransmissions would have delivered the
   write by then) the IOC's value is read from its shell.

MODE ``as-built`` runs the client as it is; ``without-reset`` makes the client
believe the server's host acknowledged everything (``Connection.unacknowledged``
returns 0), so it keeps the circuit: what the code does without its reset.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

os.environ["EPICS_CA_AUTO_ADDR_LIST"] = "NO"
os.environ["EPICS_CA_ADDR_LIST"] = "127.0.0.1"

from protocol.errors import CAError  # noqa: E402
from protocol.sync import client  # noqa: E402
from protocol.sync.blocker import Blocker  # noqa: E402
from protocol.sync.connection import Connection  # noqa: E402
from protocol.sync.subscription import ConnectionState, Subscription  # noqa: E402
from tests.support.iocs import SUPPORT_DIR, EpicsBaseIoc, free_port  # noqa: E402

os.environ["EPICS_CA_REPEATER_PORT"] = str(free_port())


def cut(on: bool) -> None:
    """Drop every packet on this namespace's loopback (or stop dropping)."""
    verb = ["add", "dev", "lo", "root", "blackhole"] if on else ["del", "dev", "lo", "root"]
    subprocess.run(["tc", "qdisc", *verb], check=True, capture_output=True)


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.01)


def main(mode: str) -> dict[str, Any]:
    if mode == "without-reset":
        Connection.unacknowledged = lambda self: 0  # type: ignore[method-assign]
    result: dict[str, Any] = {"mode": mode}
    with EpicsBaseIoc("part:", db=SUPPORT_DIR / "requests.db") as ioc:
        os.environ.update(ioc.env)
        states: list[ConnectionState] = []

        def on_connection(sub: Subscription, state: ConnectionState, address: Any) -> None:
            states.append(state)

        sub = client.subscribe("part:ao0")
        sub.add_connection_callback(on_connection)
        blocker = Blocker(sub, keep_searching=True, reconnect=True, repeater=False)
        thread = threading.Thread(target=blocker.run, daemon=True)
        thread.start()
        try:
            wait_for(lambda: ConnectionState.CONNECTED in states, 10.0, "connected")
            result["before"] = ioc.dbgf("ao0")
            cut(True)
            try:
                request = blocker.write("part:ao0", 42.0, timeout=0.5)
                try:
                    request.wait()
                    result["error"] = None
                except CAError as exc:
                    result["error"] = f"{type(exc).__name__}: {exc}"
                result["wrote"] = request.wrote
                result["circuit_reset"] = request.circuit_reset
                time.sleep(0.5)
            finally:
                cut(False)
            time.sleep(4.0)
            result["after"] = ioc.dbgf("ao0")
            wait_for(lambda: states.count(ConnectionState.CONNECTED) >= 2 or mode != "as-built",
                     10.0, "connected again")  # fmt: skip
            result["states"] = [state.value for state in states]
            result["read_after"] = blocker.read("part:ao0").wait(5.0).data.tolist()
        finally:
            blocker.interrupt()
            thread.join(5.0)
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])), flush=True)
