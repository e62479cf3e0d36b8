"""Shared fixtures: real EPICS IOCs on loopback, and a CA environment that never broadcasts.

Fixtures
--------
epics_base_ioc
    Session-wide :class:`~tests.support.iocs.EpicsBaseIoc` (EPICS Base soft IOC)
    serving ``tests/support/records.db``.  Restarted before a test that uses it if an
    earlier test left it stopped.
softioc_ioc
    Session-wide :class:`~tests.support.iocs.SoftIoc` (pythonSoftIOC), same rules.
any_ioc
    Parametrised over both; use the records the two share (``ao``, ``long``,
    ``mbbo``, ``str``, ``wf:double``).
ioc_factory
    ``ioc_factory(kind="epics-base" | "softioc", **kwargs)`` starts a private IOC
    that is stopped after the test; for tests that kill or reconfigure IOCs.
ca_env
    Applies an IOC's ``.env`` to ``os.environ`` for the test: ``ca_env(ioc)``.

The session environment keeps CA and PVA on loopback (DEVELOPERS.md's network rule)
with its own CA repeater port and PVA ports.

At the end of the session, every ``protocol.sync.repeater`` process started on the
session's repeater port (by a client called with ``repeater=True``) is ended.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.iocs import EpicsBaseIoc, IocProcess, SoftIoc, session_env, stop_all
from tests.support.processes import end_processes

# Nothing in a test run may search, serve or broadcast beyond loopback, over CA or
# PVA, and no test may talk to (or start) a CA repeater on the default port 5065 or
# use the default PVA ports. IOCs get ports of their own; these are for everything
# else the session starts, subprocesses included.
os.environ.update(session_env())
SESSION_REPEATER_PORT = os.environ["EPICS_CA_REPEATER_PORT"]

SESSION_PREFIX = f"cat{os.getpid()}:"

IOC_KINDS: dict[str, type[IocProcess]] = {"epics-base": EpicsBaseIoc, "softioc": SoftIoc}


def _repeater_pids(port: str) -> list[int]:
    """Processes of this user running ``protocol.sync.repeater --port <port>``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if "protocol.sync.repeater" not in argv:
            continue
        args = argv[argv.index("protocol.sync.repeater") + 1 :]
        if f"--port={port}" in args or any(
            pair == ("--port", port) for pair in itertools.pairwise(args)
        ):
            pids.append(int(entry.name))
    return pids


@pytest.fixture(scope="session", autouse=True)
def _end_session_repeaters() -> Iterator[None]:
    """At session end, end the repeaters that ``repeater=True`` spawned on the session port."""
    yield
    pids = _repeater_pids(SESSION_REPEATER_PORT)
    end_processes(pids)
    # Reap the ones this process spawned, so that no Popen warns at exit.
    from protocol.sync import repeater

    for child in list(repeater._children):
        if isinstance(child, subprocess.Popen) and child.pid in pids:
            with contextlib.suppress(Exception):
                child.wait(5.0)


@pytest.fixture(scope="session")
def _epics_base_ioc() -> Iterator[EpicsBaseIoc]:
    ioc = EpicsBaseIoc(SESSION_PREFIX)
    ioc.start()
    yield ioc
    ioc.stop()


@pytest.fixture(scope="session")
def _softioc_ioc() -> Iterator[SoftIoc]:
    ioc = SoftIoc(SESSION_PREFIX + "soft:")
    ioc.start()
    yield ioc
    ioc.stop()


@pytest.fixture
def epics_base_ioc(_epics_base_ioc: EpicsBaseIoc) -> EpicsBaseIoc:
    """The session's EPICS Base soft IOC, running."""
    return _epics_base_ioc.ensure_running()


@pytest.fixture
def softioc_ioc(_softioc_ioc: SoftIoc) -> SoftIoc:
    """The session's pythonSoftIOC, running."""
    return _softioc_ioc.ensure_running()


@pytest.fixture(params=list(IOC_KINDS))
def any_ioc(request: pytest.FixtureRequest) -> IocProcess:
    """Each session IOC in turn (``epics-base``, ``softioc``)."""
    name = "epics_base_ioc" if request.param == "epics-base" else "softioc_ioc"
    ioc: IocProcess = request.getfixturevalue(name)
    return ioc


@pytest.fixture
def ioc_factory() -> Iterator[Callable[..., IocProcess]]:
    """Start private IOCs for one test; all are stopped afterwards."""
    started: list[IocProcess] = []

    def make(kind: str = "epics-base", *, prefix: str | None = None, **kwargs: Any) -> IocProcess:
        cls = IOC_KINDS[kind]
        ioc = cls(prefix or f"{SESSION_PREFIX}p{len(started)}:", **kwargs)
        started.append(ioc)
        return ioc.start()

    yield make
    stop_all(started)


@pytest.fixture
def ca_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[IocProcess], None]:
    """``ca_env(ioc)`` points this process's CA clients at ``ioc`` for the test."""

    def apply(ioc: IocProcess) -> None:
        for key, value in ioc.env.items():
            monkeypatch.setenv(key, value)

    return apply
