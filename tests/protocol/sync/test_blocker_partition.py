"""A write given up while the path is cut must not arrive later (issue 12's write safety).

The IOC and the client run in a private network namespace (``ip netns``; we run
as root), so that cutting the path (a ``blackhole`` queueing discipline on the
namespace's ``lo``: every packet dropped, as by a broken link) touches nothing
else, and all traffic stays on that namespace's loopback.  The scenario itself is
``partition_scenario.py``.  Without namespaces these tests fail: they do not skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.interop, pytest.mark.slow]

SCENARIO = Path(__file__).with_name("partition_scenario.py")


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)


@pytest.fixture
def netns() -> Iterator[str]:
    """A network namespace with its loopback up (and a blackhole qdisc available)."""
    name = f"catui-partition-{os.getpid()}"
    try:
        made = _ip("netns", "add", name)
    except OSError as exc:
        pytest.fail(f"cannot run ip (iproute2) to make a network namespace: {exc}")
    if made.returncode:
        pytest.fail(f"cannot make network namespace {name} (root needed): {made.stderr.strip()}")
    try:
        for command in (
            ["ip", "link", "set", "lo", "up"],
            ["tc", "qdisc", "add", "dev", "lo", "root", "blackhole"],
            ["tc", "qdisc", "del", "dev", "lo", "root"],
        ):
            step = _ip("netns", "exec", name, *command)
            if step.returncode:
                pytest.fail(f"in namespace {name}, {' '.join(command)}: {step.stderr.strip()}")
        yield name
    finally:
        _ip("netns", "delete", name)


def _scenario(netns: str, mode: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EPICS_")}
    proc = subprocess.Popen(
        ["ip", "netns", "exec", netns, sys.executable, str(SCENARIO), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # the IOC, its child, ends with its stdin
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, f"scenario failed:\n{err}"
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def test_a_write_given_up_while_the_path_is_cut_is_never_delivered(netns: str) -> None:
    result = _scenario(netns, "as-built")
    assert result["before"] == "0"
    assert result["wrote"] and result["circuit_reset"]
    assert "the circuit was reset" in result["error"]
    assert result["error"].startswith("CATimeoutError")
    assert result["after"] == "0"  # nothing arrived after the path came back
    assert result["states"][-1] == "connected"  # reconnected on a new circuit
    assert result["read_after"] == [0.0]


def test_without_the_reset_the_same_write_arrives_once_the_path_is_back(netns: str) -> None:
    """The premise of the test above: keeping the circuit, TCP delivers the write late."""
    result = _scenario(netns, "without-reset")
    assert result["wrote"] and not result["circuit_reset"]
    assert "the server's host has it" in result["error"]
    assert result["before"] == "0"
    assert result["after"] == "42"
