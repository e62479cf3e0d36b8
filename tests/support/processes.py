"""Ending processes that tests and benchmarks started but do not hold a handle to."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from pathlib import Path

__all__ = ["end_processes", "repeater_pids"]


def _gone(pid: int) -> bool:
    """Exited or a zombie (dead, waiting for its parent to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def end_processes(pids: list[int], grace: float = 5.0) -> None:
    """SIGTERM each of ``pids``; SIGKILL the ones still alive after ``grace`` seconds."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if not _gone(pid)]
        time.sleep(0.02)
    for pid in alive:  # ignored SIGTERM
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def repeater_pids(port: int | str) -> list[int]:
    """Live processes (not zombies) running ``protocol.sync.repeater --port <port>``."""
    port = str(port)
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if "protocol.sync.repeater" not in argv or _gone(int(entry.name)):
            continue
        args = argv[argv.index("protocol.sync.repeater") + 1 :]
        if f"--port={port}" in args or ("--port", port) in itertools.pairwise(args):
            pids.append(int(entry.name))
    return pids
