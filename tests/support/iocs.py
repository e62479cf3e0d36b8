"""Start, restart and stop real EPICS IOCs on loopback, for tests and benchmarks.

Every IOC binds 127.0.0.1 only, on a non-default port picked by :func:`free_port`,
and sends beacons to 127.0.0.1 only.  Two kinds are provided:

:class:`EpicsBaseIoc`
    The EPICS Base soft IOC from ``epicscorelibs`` (RSRV) serving ``records.db``
    with access security ``records.acf``; it takes iocsh commands over stdin
    (see ``ioc_launcher.py``).
:class:`SoftIoc`
    A pythonSoftIOC process serving the records of ``softioc_server.py``.

Both are plain objects usable outside pytest (``bench/`` imports this module)::

    with EpicsBaseIoc(prefix="bench:") as ioc:
        subprocess.run([...], env={**os.environ, **ioc.env})

An IOC process reads its stdin and exits at end of input, so it cannot outlive
the Python process that started it.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

LOOPBACK = "127.0.0.1"
SUPPORT_DIR = Path(__file__).resolve().parent
RECORDS_DB = SUPPORT_DIR / "records.db"
RECORDS_ACF = SUPPORT_DIR / "records.acf"
IOC_LAUNCHER = SUPPORT_DIR / "ioc_launcher.py"
SOFTIOC_SERVER = SUPPORT_DIR / "softioc_server.py"

READY = "@@ready"
DONE = "@@done"
BIGWF_COUNT = 1_000_000

# Below Linux's ephemeral range (32768-60999) so that no client socket takes the
# port between a stop and a restart, and far from the CA defaults (5064-5065).
PORT_RANGE = (20000, 32000)
_ports_given: set[int] = set()
_ports_lock = threading.Lock()

_IocT = TypeVar("_IocT", bound="IocProcess")


class IocError(RuntimeError):
    """An IOC failed to start, to stop, or to run a command."""


def _field_value(text: str) -> str:
    """The value in dbgf/dbpf output such as ``DBF_LONG:  7 = 0x7``."""
    value = text.split(":", 1)[-1].strip()
    return re.sub(r"^(-?\d+) = 0x[0-9a-fA-F]+$", r"\1", value)


def _bindable(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((LOOPBACK, port))
            except OSError:
                return False
    return True


def free_port() -> int:
    """Return a port free for both TCP and UDP on 127.0.0.1.

    Ports are drawn at random from ``PORT_RANGE`` and never handed out twice by
    this process.
    """
    with _ports_lock:
        for _ in range(1000):
            port = random.randrange(*PORT_RANGE)
            if port not in _ports_given and _bindable(port):
                _ports_given.add(port)
                return port
    raise IocError(f"no free TCP+UDP port in {PORT_RANGE} on {LOOPBACK}")


#: DEVELOPERS.md's network rule: CA and PVA clients search, and servers serve and
#: send beacons, on loopback only.
LOOPBACK_ENV: dict[str, str] = {
    "EPICS_CA_AUTO_ADDR_LIST": "NO",
    "EPICS_CA_ADDR_LIST": LOOPBACK,
    "EPICS_CAS_INTF_ADDR_LIST": LOOPBACK,
    "EPICS_PVA_AUTO_ADDR_LIST": "NO",
    "EPICS_PVA_ADDR_LIST": LOOPBACK,
    "EPICS_PVAS_INTF_ADDR_LIST": LOOPBACK,
    "EPICS_PVAS_AUTO_BEACON_ADDR_LIST": "NO",
    "EPICS_PVAS_BEACON_ADDR_LIST": LOOPBACK,
}


def session_env() -> dict[str, str]:
    """:data:`LOOPBACK_ENV` and non-default ports, for a test session or a benchmark.

    ``EPICS_CA_REPEATER_PORT`` and the PVA server and broadcast ports come from
    :func:`free_port`; the client and server variable of a PVA port agree, as in
    :func:`server_env`. IOCs get ports of their own.
    """
    repeater, pva_server, pva_broadcast = (str(free_port()) for _ in range(3))
    return {
        **LOOPBACK_ENV,
        "EPICS_CA_REPEATER_PORT": repeater,
        "EPICS_PVA_SERVER_PORT": pva_server,
        "EPICS_PVAS_SERVER_PORT": pva_server,
        "EPICS_PVA_BROADCAST_PORT": pva_broadcast,
        "EPICS_PVAS_BROADCAST_PORT": pva_broadcast,
    }


def client_env(port: int, repeater_port: int | None = None) -> dict[str, str]:
    """Environment for a CA client that must find an IOC serving on ``port``."""
    env = {
        "EPICS_CA_ADDR_LIST": LOOPBACK,
        "EPICS_CA_AUTO_ADDR_LIST": "NO",
        "EPICS_CA_SERVER_PORT": str(port),
    }
    if repeater_port is not None:
        env["EPICS_CA_REPEATER_PORT"] = str(repeater_port)
    return env


def server_env(
    port: int, beacon_port: int, pva_server_port: int, pva_broadcast_port: int
) -> dict[str, str]:
    """Environment that confines an IOC's CA (and PVA, if any) traffic to loopback."""
    return {
        **LOOPBACK_ENV,
        **client_env(port, repeater_port=beacon_port),
        "EPICS_CAS_SERVER_PORT": str(port),
        "EPICS_CAS_BEACON_ADDR_LIST": LOOPBACK,
        "EPICS_CAS_AUTO_BEACON_ADDR_LIST": "NO",
        "EPICS_CAS_BEACON_PORT": str(beacon_port),
        "EPICS_PVA_SERVER_PORT": str(pva_server_port),
        "EPICS_PVAS_SERVER_PORT": str(pva_server_port),
        "EPICS_PVA_BROADCAST_PORT": str(pva_broadcast_port),
        "EPICS_PVAS_BROADCAST_PORT": str(pva_broadcast_port),
    }


def _close_stdin(proc: subprocess.Popen[str]) -> None:
    if proc.stdin is not None and not proc.stdin.closed:
        with contextlib.suppress(OSError):  # broken pipe: the IOC is gone already
            proc.stdin.close()


def _session_repeater_port() -> int:
    value = os.environ.get("EPICS_CA_REPEATER_PORT", "")
    return int(value) if value.isdigit() else free_port()


class IocProcess:
    """One IOC subprocess, restartable on the same ports.

    Parameters
    ----------
    prefix : str
        Prefix of every record name the IOC serves.
    port : int, optional
        CA server port (TCP and UDP); a free one by default.
    beacon_port : int, optional
        Where the IOC sends beacons (and its own CA client expects a repeater).
        Defaults to ``$EPICS_CA_REPEATER_PORT`` when set, so that a repeater of the
        test session hears the beacons; otherwise a free port.
    extra_env : mapping, optional
        More environment for the IOC process, e.g. ``EPICS_CA_MAX_ARRAY_BYTES``.
    startup_timeout : float
        Seconds to wait for the IOC to be ready.

    Attributes
    ----------
    prefix, port, beacon_port : as above
    env : dict
        What a CA client needs to reach this IOC: ``EPICS_CA_ADDR_LIST``,
        ``EPICS_CA_AUTO_ADDR_LIST=NO``, ``EPICS_CA_SERVER_PORT`` and
        ``EPICS_CA_REPEATER_PORT``.
    server_env : dict
        The EPICS variables the IOC process runs with.
    startup_seconds : float or None
        How long the last start took until the IOC accepted TCP connections.
    """

    kind = "ioc"

    def __init__(
        self,
        prefix: str,
        *,
        port: int | None = None,
        beacon_port: int | None = None,
        extra_env: Mapping[str, str] | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.prefix = prefix
        self.port = free_port() if port is None else port
        self.beacon_port = _session_repeater_port() if beacon_port is None else beacon_port
        self.server_env = server_env(self.port, self.beacon_port, free_port(), free_port())
        self.server_env.update(extra_env or {})
        self.env = client_env(self.port, repeater_port=self.beacon_port)
        self.startup_timeout = startup_timeout
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self._command_lock = threading.Lock()

    # -- to be provided by subclasses -------------------------------------------------

    def argv(self) -> list[str]:
        """The command line that runs the IOC."""
        raise NotImplementedError

    def after_start(self) -> None:
        """Hook run once the IOC is ready (e.g. to fill arrays)."""

    # -- process state ----------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """Process id of the running IOC, or None."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """Whether the IOC process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def output(self) -> str:
        """Everything the IOC printed (stdout and stderr) since its last start."""
        with self._cond:
            return "".join(self._lines)

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"<{type(self).__name__} {self.prefix!r} on {LOOPBACK}:{self.port}, {state}>"

    # -- lifecycle ----------------------------------------------------------------------

    def start(self: _IocT) -> _IocT:
        """Start the IOC and wait until it accepts CA connections on ``port``."""
        if self.running:
            raise IocError(f"{self!r} is already running")
        env = {k: v for k, v in os.environ.items() if not k.startswith("EPICS_")}
        env.update(self.server_env)
        env["PYTHONUNBUFFERED"] = "1"
        with self._cond:
            self._lines = []
        t0 = time.monotonic()
        self._proc = subprocess.Popen(
            self.argv(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            start_new_session=True,
        )
        self._reader = threading.Thread(
            target=self._read_output, args=(self._proc,), name=f"{self.kind}-output", daemon=True
        )
        self._reader.start()
        try:
            self._wait_ready(t0 + self.startup_timeout)
            self.startup_seconds = time.monotonic() - t0
            self.after_start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop the IOC: close its stdin, then terminate, then kill.  Idempotent.

        Returns the exit status, or None if the IOC was not started.
        """
        proc = self._proc
        if proc is None:
            return None
        _close_stdin(proc)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(5.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._finish()
        return proc.returncode

    def kill(self) -> None:
        """Kill the IOC at once with SIGKILL, as in a crash (no clean CA shutdown)."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        self._finish()

    def restart(self: _IocT) -> _IocT:
        """Stop (if running) and start again on the same ports."""
        self.stop()
        return self.start()

    def ensure_running(self: _IocT) -> _IocT:
        """Start the IOC again if it has been stopped or has died."""
        if not self.running:
            self.stop()
            self.start()
        return self

    def __enter__(self: _IocT) -> _IocT:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------

    def _finish(self) -> None:
        proc = self._proc
        if proc is not None:
            _close_stdin(proc)
        if self._reader is not None:
            self._reader.join(5.0)
            self._reader = None
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()

    def _read_output(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _fail(self, why: str) -> IocError:
        return IocError(
            f"{type(self).__name__} {self.prefix!r} on {LOOPBACK}:{self.port}: {why}\n"
            f"command: {' '.join(self.argv())}\n"
            f"--- IOC output ---\n{self.output}--- end of IOC output ---"
        )

    def _exited(self) -> IocError:
        status = self._proc.poll() if self._proc is not None else None
        return self._fail(f"IOC exited with status {status}")

    def _wait_for_line(self, predicate: Callable[[str], bool], start: int, deadline: float) -> int:
        """Index of the first line at or after ``start`` with ``predicate(line)``."""
        with self._cond:
            while True:
                for i in range(start, len(self._lines)):
                    if predicate(self._lines[i]):
                        return i
                start = len(self._lines)
                if not self.running and (self._reader is None or not self._reader.is_alive()):
                    raise self._exited()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._fail("timed out")
                self._cond.wait(min(remaining, 0.2))

    def _wait_ready(self, deadline: float) -> None:
        self._wait_for_line(lambda line: line.startswith(READY), 0, deadline)
        # RSRV falls back to a random port when the configured one is taken.
        if "dynamically assigned" in self.output or "port was unavailable" in self.output:
            raise self._fail(f"port {self.port} was taken")
        while True:
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=1.0):
                    return
            except OSError as err:
                if not self.running:
                    raise self._exited() from err
                if time.monotonic() > deadline:
                    raise self._fail(f"no TCP listener on port {self.port}: {err}") from err
                time.sleep(0.05)

    def _command(self, line: str, timeout: float) -> tuple[int, str]:
        """Send one stdin command line; return (status, output before ``@@done``)."""
        if "\n" in line:
            raise ValueError(f"one command per call, not {line!r}")
        with self._command_lock:
            if not self.running or self._proc is None or self._proc.stdin is None:
                raise IocError(f"{self!r} is not running")
            with self._cond:
                start = len(self._lines)
            self._proc.stdin.write(line + "\n")
            self._proc.stdin.flush()
            end = self._wait_for_line(
                lambda text: text.startswith(DONE), start, time.monotonic() + timeout
            )
            with self._cond:
                done = self._lines[end]
                text = "".join(self._lines[start:end])
        return int(done.split()[1]), text


class EpicsBaseIoc(IocProcess):
    """EPICS Base soft IOC (epicscorelibs, RSRV) serving ``records.db``.

    Parameters
    ----------
    prefix : str
        Value of the ``P`` macro of the database.
    db, acf : path, optional
        Database and access security file; ``records.db`` / ``records.acf`` by
        default.  ``acf=None`` turns access security off.
    macros : str, optional
        More macros, e.g. ``"A=1,B=2"``.
    fill_bigwf : bool
        After each start, fill ``{prefix}bigwf`` with ``0.5 * i`` (default ``records.db``
        only).
    **kwargs
        As for :class:`IocProcess`.
    """

    kind = "epics-base"

    def __init__(
        self,
        prefix: str,
        *,
        db: str | os.PathLike[str] = RECORDS_DB,
        acf: str | os.PathLike[str] | None = RECORDS_ACF,
        macros: str = "",
        fill_bigwf: bool | None = None,
        port: int | None = None,
        beacon_port: int | None = None,
        extra_env: Mapping[str, str] | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        super().__init__(
            prefix,
            port=port,
            beacon_port=beacon_port,
            extra_env=extra_env,
            startup_timeout=startup_timeout,
        )
        self.db = Path(db).resolve()
        self.acf = Path(acf).resolve() if acf is not None else None
        self.macros = ",".join(m for m in (f"P={prefix}", macros) if m)
        self.fill_bigwf = self.db == RECORDS_DB if fill_bigwf is None else fill_bigwf

    def argv(self) -> list[str]:
        argv = [sys.executable, str(IOC_LAUNCHER), str(self.db), "--macros", self.macros]
        if self.acf is not None:
            argv += ["--acf", str(self.acf)]
        return argv

    def after_start(self) -> None:
        if self.fill_bigwf:
            self.fill(f"{self.prefix}bigwf", BIGWF_COUNT, 0.0, 0.5)

    def shell(self, command: str, *, check: bool = True, timeout: float = 10.0) -> str:
        """Run one iocsh command in the IOC and return what it printed.

        Raises :class:`IocError` if ``check`` and iocsh reports a failure.
        """
        status, text = self._command(command, timeout)
        if check and status:
            raise IocError(f"iocsh {command!r} failed with status {status}:\n{text}")
        return text

    def dbpf(self, pv: str, value: object) -> str:
        """``dbpf pv value`` (puts and processes); returns the value the IOC printed.

        ``pv`` may omit the prefix.  dbpf ignores access security and ``DISP``.
        """
        return _field_value(self.shell(f'dbpf "{self._full_name(pv)}" "{value}"'))

    def dbgf(self, pv: str) -> str:
        """``dbgf pv``: the field's value as the IOC prints it."""
        return _field_value(self.shell(f'dbgf "{self._full_name(pv)}"'))

    def fill(self, pv: str, count: int, start: float = 0.0, step: float = 1.0) -> None:
        """Put ``start + step * i`` for ``i < count`` into the array ``pv`` (as DOUBLE)."""
        name = self._full_name(pv)
        status, text = self._command(f"@fill {name} {count} {start!r} {step!r}", 30.0)
        if status:
            raise IocError(f"fill {name} failed:\n{text}")

    def _full_name(self, pv: str) -> str:
        return pv if pv.startswith(self.prefix) else self.prefix + pv


class SoftIoc(IocProcess):
    """pythonSoftIOC process serving the records of ``softioc_server.py``."""

    kind = "softioc"

    def argv(self) -> list[str]:
        return [sys.executable, str(SOFTIOC_SERVER), self.prefix]


def stop_all(iocs: Sequence[IocProcess]) -> None:
    """Stop every IOC in ``iocs``, even if some fail to stop."""
    errors = []
    for ioc in iocs:
        try:
            ioc.stop()
        except Exception as err:  # pragma: no cover - best effort cleanup
            errors.append(err)
    if errors:
        raise IocError(f"{len(errors)} IOC(s) failed to stop: {errors}")


@contextlib.contextmanager
def two_iocs(
    prefix: str, second_db: str, directory: Path
) -> Iterator[tuple[EpicsBaseIoc, EpicsBaseIoc]]:
    """The test IOC and a second one serving ``second_db`` (with ``$(P)`` = ``prefix``).

    For duplicate-server tests: give the second database a record the first one also
    has.  Both are stopped on exit.
    """
    db = directory / "second.db"
    db.write_text(second_db)
    started: list[EpicsBaseIoc] = []
    try:
        for ioc in (EpicsBaseIoc(prefix, fill_bigwf=False), EpicsBaseIoc(prefix, db=db, acf=None)):
            started.append(ioc.start())
        yield started[0], started[1]
    finally:
        stop_all(started)
