"""pvAccess servers on loopback for tests and benchmarks, each on ports of its own.

Every server runs in a subprocess with the loopback-only environment of
``tests/support/iocs.py:server_env`` (search replies, beacons and TCP all on
127.0.0.1), a fresh TCP port, and a UDP (broadcast) port that several servers may
share. A server reads its stdin and ends at end of input, so it cannot outlive
the process that started it; :meth:`PvaServer.stop` closes stdin, then
terminates, then kills.

Kinds
-----
:class:`PvxsIoc`
    ``python -m pvxslibs.ioc`` (EPICS Base with pvxs's QSRV) serving a ``.db``.
:class:`QsrvSoftIoc`
    pythonSoftIOC with ``enable_pva=True`` (QSRV too).
:class:`P4PServer`
    p4p's ``Server`` with a ``StaticProvider`` (or a ``DynamicProvider``).
:class:`PvAccessCppIoc`
    ``python -m epicscorelibs.ioc``: EPICS Base with the older pvAccessCPP QSRV.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from tests.support.iocs import LOOPBACK, free_port, server_env

HERE = Path(__file__).resolve().parent
P4P_SERVER = HERE / "p4p_server.py"
QSRV_SOFTIOC = HERE / "qsrv_softioc.py"

_T = TypeVar("_T", bound="PvaServer")


class ServerError(RuntimeError):
    """A server failed to start."""


def listening(port: int) -> bool:
    """Whether some process listens on TCP ``127.0.0.1:port`` (read from /proc, no packet sent)."""
    wanted = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as table:
        next(table)
        return any(
            fields[1] == wanted and fields[3] == "0A"  # 0A: LISTEN
            for fields in (line.split() for line in table)
        )


def client_env(broadcast_port: int, server_port: int | None = None) -> dict[str, str]:
    """What a PVA client needs to search only 127.0.0.1 on ``broadcast_port``."""
    env = {
        "EPICS_PVA_ADDR_LIST": LOOPBACK,
        "EPICS_PVA_AUTO_ADDR_LIST": "NO",
        "EPICS_PVA_BROADCAST_PORT": str(broadcast_port),
        "EPICS_PVA_NAME_SERVERS": "",
    }
    if server_port is not None:
        env["EPICS_PVA_SERVER_PORT"] = str(server_port)
    return env


class PvaServer:
    """One server subprocess.

    Parameters
    ----------
    names : sequence of str
        The PV names it is expected to list (what tests compare with).
    broadcast_port : int, optional
        Its UDP search port; a free one by default. Give several servers the same.
    port : int, optional
        Its TCP port; a free one by default.
    """

    kind = "pva"
    ready_line = "@@ready"

    def __init__(
        self,
        names: Sequence[str],
        *,
        broadcast_port: int | None = None,
        port: int | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.names = tuple(sorted(names))
        self.broadcast_port = free_port() if broadcast_port is None else broadcast_port
        self.port = free_port() if port is None else port
        self.env = server_env(free_port(), free_port(), self.port, self.broadcast_port)
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self._reader: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def client_env(self) -> dict[str, str]:
        return client_env(self.broadcast_port, self.port)

    @property
    def output(self) -> str:
        with self._cond:
            return "".join(self._lines)

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def argv(self) -> list[str]:
        raise NotImplementedError

    def start(self: _T) -> _T:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EPICS_")}
        env.update(self.env)
        env["PYTHONUNBUFFERED"] = "1"
        env["PVXS_LOG"] = "pvxs.*=ERR"
        self._proc = subprocess.Popen(
            self.argv(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self._wait_ready(time.monotonic() + self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _wait_ready(self, deadline: float) -> None:
        with self._cond:
            while self.ready_line not in self.output:
                if self._proc is None or self._proc.poll() is not None:
                    raise ServerError(f"{self.kind} exited:\n{self.output}")
                if time.monotonic() > deadline:
                    raise ServerError(f"{self.kind} not ready in time:\n{self.output}")
                self._cond.wait(0.1)
        if "falling back" in self.output:
            raise ServerError(f"{self.kind}: TCP port {self.port} was taken:\n{self.output}")
        # Not by connecting: a bare connect and close wedges pvAccessCPP 7.1.8's
        # listener (it never sends CONNECTION_VALIDATION to anyone after that).
        while not listening(self.port):
            if time.monotonic() > deadline:
                raise ServerError(f"{self.kind}: no TCP listener on {self.port}:\n{self.output}")
            time.sleep(0.05)

    def stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(5.0)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(5.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._reader is not None:
            self._reader.join(5.0)
        if proc.stdout is not None:
            proc.stdout.close()
        self._proc = None

    def __enter__(self: _T) -> _T:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.address} udp {self.broadcast_port}>"


def write_db(directory: Path, prefix: str, records: Sequence[str]) -> Path:
    """A ``.db`` of ``ai`` records named ``prefix + name``."""
    path = directory / f"{prefix.strip(':') or 'pva'}.db"
    path.write_text("".join(f'record(ai, "$(P){name}") {{}}\n' for name in records))
    return path


class PvxsIoc(PvaServer):
    """EPICS Base soft IOC with pvxs's QSRV: ``python -m pvxslibs.ioc -m P=... -d DB``."""

    kind = "pvxslibs.ioc"
    ready_line = "(InteractiveConsole)"

    def __init__(self, prefix: str, db: Path, records: Sequence[str], **kwargs: object) -> None:
        super().__init__([prefix + r for r in records], **kwargs)  # type: ignore[arg-type]
        self.prefix, self.db = prefix, db

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "pvxslibs.ioc", "-m", f"P={self.prefix}", "-d", str(self.db)]


class PvAccessCppIoc(PvxsIoc):
    """EPICS Base soft IOC with the older pvAccessCPP QSRV (``epicscorelibs.ioc``)."""

    kind = "epicscorelibs.ioc"

    def argv(self) -> list[str]:
        argv = super().argv()
        argv[2] = "epicscorelibs.ioc"
        return argv


class QsrvSoftIoc(PvaServer):
    """pythonSoftIOC with QSRV (``softioc.iocInit(enable_pva=True)``)."""

    kind = "softioc+qsrv"

    def __init__(self, prefix: str, **kwargs: object) -> None:
        from tests.protocol.pva.qsrv_softioc import RECORDS

        super().__init__([prefix + r for r in RECORDS], **kwargs)  # type: ignore[arg-type]
        self.prefix = prefix

    def argv(self) -> list[str]:
        return [sys.executable, str(QSRV_SOFTIOC), self.prefix]


class P4PServer(PvaServer):
    """p4p's server; ``dynamic=True`` serves the names through a DynamicProvider."""

    kind = "p4p"

    def __init__(self, names: Sequence[str], *, dynamic: bool = False, **kwargs: object) -> None:
        super().__init__(names, **kwargs)  # type: ignore[arg-type]
        self.dynamic = dynamic

    def argv(self) -> list[str]:
        kind = "dynamic" if self.dynamic else "static"
        return [sys.executable, str(P4P_SERVER), kind, *self.names]


@contextlib.contextmanager
def running(*servers: PvaServer) -> Iterator[tuple[PvaServer, ...]]:
    """Start every server (in order); stop all of them afterwards, whatever happens."""
    started: list[PvaServer] = []
    try:
        for server in servers:
            started.append(server.start())
        yield tuple(started)
    finally:
        for server in reversed(started):
            server.stop()


def environ(env: Mapping[str, str]) -> dict[str, str]:
    """``os.environ`` with every EPICS_ variable replaced by ``env``."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("EPICS_")}
    out.update(env)
    return out
