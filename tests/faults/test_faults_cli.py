"""The command-line tools against a misbehaving server: one stderr line, no traceback.

``python -m catui get|put|monitor`` runs in a subprocess whose environment points
at a fake server (``tests/faults/fake_server.py``) with a representative fault.
The session's EPICS_CA_REPEATER_PORT is inherited (conftest ends its repeaters).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.fake_server import FAULTS, FakeServer, Scenario

ROOT = Path(__file__).resolve().parents[2]
PV = "fake:pv"
# Python's start-up and catui's imports, on a loaded CI machine.
START_UP = 3.0


def _run(server: FakeServer, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, **server.env()}
    env.pop("EPICS_CLI_TIMEOUT", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "catui", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=30,
    )
    return proc, time.monotonic() - start


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[FakeServer]:
    fault = request.param
    with FakeServer(Scenario(fault=FAULTS[fault] if fault else None)) as fake:
        yield fake
    assert not fake.errors


def _one_clean_line(proc: subprocess.CompletedProcess[str], prog: str) -> str:
    assert proc.returncode == 1, proc
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"catui {prog}: {PV}: "), lines[0]
    return lines[0]


GET_FAULTS = {
    "malformed": "unknown command id",
    "gigantic_header": "announces a payload of 2147483648 bytes",
    "close_mid_message": "closed the circuit",
    "silence": "no answer",
    "silence_after_accept": "no answer",
    "error_response": "ECA_INTERNAL",
    "create_ch_fail": "refused to create",
    "wrong_id": "matches no request in flight",
}


@pytest.mark.parametrize(
    ("server", "reason"), list(GET_FAULTS.items()), ids=list(GET_FAULTS), indirect=["server"]
)
def test_get_fails_cleanly(server: FakeServer, reason: str) -> None:
    proc, elapsed = _run(server, "get", PV, "-w", "1")
    line = _one_clean_line(proc, "get")
    assert reason in line
    assert proc.stdout == ""
    assert elapsed < 1.0 + START_UP


@pytest.mark.parametrize("server", [None], indirect=True, ids=["no-fault"])
def test_get_against_the_well_behaved_fake(server: FakeServer) -> None:
    proc, _ = _run(server, "get", PV, "-w", "1")
    assert proc.returncode == 0, proc
    assert proc.stdout.split() == [PV, "1.5"]


@pytest.mark.parametrize(
    ("server", "reason"),
    [
        ("error_response", "ECA_INTERNAL"),
        ("close", "closed the circuit"),
        ("silence", "no answer"),
    ],
    ids=["error_response", "close", "silence"],
    indirect=["server"],
)
def test_put_fails_cleanly(server: FakeServer, reason: str) -> None:
    proc, elapsed = _run(server, "put", "-c", PV, "3", "-w", "1")
    assert reason in _one_clean_line(proc, "put")
    assert elapsed < 1.0 + START_UP


@pytest.mark.parametrize(
    "server", ["malformed", "gigantic_header", "create_ch_fail"], indirect=True
)
def test_monitor_survives_a_faulty_server(server: FakeServer) -> None:
    """camonitor-like: keeps searching and reconnecting; ends at --duration, no traceback."""
    proc, elapsed = _run(server, "monitor", PV, "-w", "0.5", "--duration", "1")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc
    assert elapsed < 1.0 + START_UP
    assert server.connections <= 20


@pytest.mark.parametrize("server", ["silence"], indirect=True)
def test_monitor_fails_for_a_pv_that_never_delivered_data(server: FakeServer) -> None:
    """Connected, subscribed, never an update: --duration ends with status 1, as if not found."""
    proc, _ = _run(server, "monitor", PV, "-w", "0.5", "--duration", "1")
    assert _one_clean_line(proc, "monitor") == f"catui monitor: {PV}: connected, but no data came"
    assert proc.stdout == ""
