"""Start a demo IOC as a subprocess and wait until it answers (tests, benchmarks, ``--demo``).

::

    with start_ioc("demo") as ioc:
        os.environ.update(ioc.client_env)  # where CA and PVA clients find it
        names = ioc.pvs + ioc.pva_pvs      # "demo:temperature", ..., "pva://demo:image"
        ...

The demo serves its records over CA and PVA, and three PVs over PVA only; the
IOC process answers a CA and a PVA get of its own before it prints its banner,
and :func:`start_ioc` then checks from outside that CA and PVA searches are
answered, on the ports it gave.

The IOC keeps our end of a pipe as its stdin and exits when the pipe closes, so
it does not outlive this process even if we are killed (SIGKILL included).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import random
import signal
import site
import socket
import subprocess
import sys
import threading
import time
from types import TracebackType

from catui.ioc_examples import IOC_NAMES
from catui.ioc_examples._common import LOOPBACK, MISSING_EXTRA, banner, demo_extra_available
from catui.ioc_examples._probes import ProbeFailed, ca_search, pva_search
from catui.ioc_examples._pva import PVA_SCHEME, PvaPorts

__all__ = [
    "PVA_SCHEME",
    "DemoExtraMissing",
    "IocStartError",
    "PvaPorts",
    "RunningIoc",
    "free_port",
    "start_ioc",
]

# Below Linux's ephemeral range (32768-60999), so no client socket grabs the port
# between our check and the IOC's bind, and far from the CA and PVA defaults.
_PORT_RANGE = (20000, 32000)


class DemoExtraMissing(ImportError):
    """pythonSoftIOC is not installed (the ``demo`` extra)."""


class IocStartError(RuntimeError):
    """A demo IOC did not start; the message includes what it printed."""


def free_port(host: str = LOOPBACK) -> int:
    """A port on ``host`` that is free for both TCP and UDP right now."""
    # Random draws rather than port 0, so that TCP and UDP get the same number.
    for _ in range(1000):
        port = random.randrange(*_PORT_RANGE)
        if all(_bindable(host, port, kind) for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM)):
            return port
    raise IocStartError(f"no port in {_PORT_RANGE} free for TCP and UDP on {host}")


def _free_ports(count: int, taken: set[int]) -> list[int]:
    """``count`` distinct free ports, none of them in ``taken``."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in taken and port not in ports:
            ports.append(port)
    return ports


def _bindable(host: str, port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class RunningIoc:
    """A demo IOC subprocess started by :func:`start_ioc`.

    Attributes
    ----------
    name : str
        Which IOC (``"demo"``, ``"simple"``, ``"random_walk"``).
    prefix : str
        Prefix of its PV names.
    port : int
        Its CA server port (TCP and UDP).
    host : str
        Address a client reaches it at (127.0.0.1 for a loopback or wildcard IOC).
    pvs : list of str
        Every PV name it serves over CA (bare names: the console's default is CA).
    env : dict
        What a CA client needs to find it: ``EPICS_CA_ADDR_LIST``,
        ``EPICS_CA_AUTO_ADDR_LIST=NO`` and ``EPICS_CA_SERVER_PORT``.
    pva_ports : PvaPorts or None
        Where it serves pvAccess (QSRV's TCP port, the UDP search port, the p4p
        server's TCP port), or None if it does not.
    pva_pvs : list of str
        Every PV it serves over PVA, prefixed ``pva://``: the records first, then
        the PVA-only ones (``pva://demo:table:runs`` ...).  Empty without PVA.
    pva_env : dict
        What a PVA client needs to find it: ``EPICS_PVA_ADDR_LIST``,
        ``EPICS_PVA_AUTO_ADDR_LIST=NO``, ``EPICS_PVA_BROADCAST_PORT``,
        ``EPICS_PVA_SERVER_PORT`` and an empty ``EPICS_PVA_NAME_SERVERS``; also
        what ``p4p.client.thread.Context("pva", conf=pva_env, useenv=False)`` takes.
        Empty without PVA.
    argv : list of str
        Its command line.
    process : subprocess.Popen
        The IOC process.
    startup_seconds : float or None
        How long it took from the start of the process until CA (and PVA)
        searches were answered.
    """

    def __init__(
        self,
        name: str,
        prefix: str,
        port: int,
        host: str,
        pvs: list[str],
        argv: list[str],
        process: subprocess.Popen[str],
        *,
        pva_ports: PvaPorts | None = None,
        pva_names: list[str] | None = None,
    ) -> None:
        self.name, self.prefix, self.port, self.host = name, prefix, port, host
        self.pvs = pvs
        self.env = {
            "EPICS_CA_ADDR_LIST": host,
            "EPICS_CA_AUTO_ADDR_LIST": "NO",
            "EPICS_CA_SERVER_PORT": str(port),
        }
        self.pva_ports = pva_ports
        self._pva_names = list(pva_names or ()) if pva_ports is not None else []
        self.pva_pvs = [PVA_SCHEME + name for name in self._pva_names]
        self.pva_env: dict[str, str] = {}
        if pva_ports is not None:
            self.pva_env = {
                "EPICS_PVA_ADDR_LIST": host,
                "EPICS_PVA_AUTO_ADDR_LIST": "NO",
                "EPICS_PVA_BROADCAST_PORT": str(pva_ports.broadcast),
                "EPICS_PVA_SERVER_PORT": str(pva_ports.server),
                "EPICS_PVA_NAME_SERVERS": "",
            }
        self.argv = argv
        self.process = process
        self.startup_seconds: float | None = None
        self._lines: list[str] = []
        self._eof = False
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, name=f"{name}-ioc-output", daemon=True)
        self._reader.start()

    def __repr__(self) -> str:
        state = "running" if self.running else f"exited {self.process.returncode}"
        pva = ""
        if self.pva_ports is not None:
            pva = f" and PVA {self.pva_ports.server}/{self.pva_ports.p4p}"
        return f"<RunningIoc {self.name} {self.prefix!r} on {self.host}:{self.port}{pva}, {state}>"

    @property
    def client_env(self) -> dict[str, str]:
        """:attr:`env` and :attr:`pva_env`: all a console needs in its environment."""
        return {**self.env, **self.pva_env}

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process.poll() is None

    @property
    def output(self) -> str:
        """Everything the IOC printed so far (stdout and stderr)."""
        with self._cond:
            return "".join(self._lines)

    def stop(self, timeout: float = 5.0) -> int:
        """Stop the IOC (SIGTERM, then SIGKILL after ``timeout``); return its exit status.

        Safe to call more than once.
        """
        proc = self.process
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdin is not None and not proc.stdin.closed:
            # OSError: the IOC is gone, and so is its end of the pipe.
            with contextlib.suppress(OSError):
                proc.stdin.close()
        self._reader.join(timeout)
        if proc.stdout is not None and not self._reader.is_alive():
            proc.stdout.close()
        return proc.returncode

    def __enter__(self) -> RunningIoc:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- start-up ---------------------------------------------------------------------

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def _failure(self, why: str) -> IocStartError:
        return IocStartError(
            f"{self.name} IOC on {self.host}:{self.port}: {why}\n"
            f"command: {' '.join(self.argv)}\n"
            f"--- IOC output ---\n{self.output}--- end of IOC output ---"
        )

    def _wait_for_banner(self, expected: str, deadline: float) -> None:
        with self._cond:
            while True:
                if any(line.startswith(expected) for line in self._lines):
                    return
                if self._eof:  # it closed its output: it is exiting
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._failure("timed out waiting for its banner")
                self._cond.wait(min(remaining, 0.1))
        try:
            status = self.process.wait(max(deadline - time.monotonic(), 1.0))
        except subprocess.TimeoutExpired:
            raise self._failure("closed its output but did not exit") from None
        raise self._failure(f"exited with status {status}")

    def _wait_until_answering(self, deadline: float) -> None:
        """Until the TCP port accepts and a CA search for the first PV is answered."""
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    break
            except OSError as err:
                if not self.running or time.monotonic() > deadline:
                    raise self._failure(f"no TCP listener: {err}") from err
                time.sleep(0.05)
        try:
            port = ca_search(self.host, self.port, self.pvs[0], deadline, lambda: self.running)
        except ProbeFailed as err:
            raise self._failure(str(err)) from None
        if port != self.port:
            # RSRV falls back to a random TCP port when ours is taken.
            raise self._failure(f"serves on TCP port {port}, not {self.port}")

    def _wait_until_pva_answers(self, qsrv_names: set[str], deadline: float) -> None:
        """Until a PVA search for every PVA name is answered, from the port it belongs on."""
        ports = self.pva_ports
        assert ports is not None
        try:
            found = pva_search(
                self.host, ports.broadcast, self._pva_names, deadline, lambda: self.running
            )
        except ProbeFailed as err:
            raise self._failure(str(err)) from None
        for name, port in found.items():
            # pvxs too falls back to another port when its own is taken.
            expected = ports.server if name in qsrv_names else ports.p4p
            if port != expected:
                raise self._failure(f"serves {name!r} over PVA on TCP port {port}, not {expected}")


def start_ioc(
    name: str,
    *,
    prefix: str | None = None,
    port: int | None = None,
    interface: str = LOOPBACK,
    timeout: float = 10.0,
    extra_env: dict[str, str] | None = None,
    pva: bool | None = None,
    pva_port: int | None = None,
    pva_broadcast_port: int | None = None,
    p4p_port: int | None = None,
) -> RunningIoc:
    """Start the demo IOC ``name`` and wait until it answers CA (and PVA) searches.

    Parameters
    ----------
    name : str
        One of :data:`catui.ioc_examples.IOC_NAMES`.
    prefix : str, optional
        PV name prefix; the IOC's default (e.g. ``"demo:"``) if None.
    port : int, optional
        CA server port; a port free for TCP and UDP on 127.0.0.1 if None.
    interface : str
        Address the IOC serves on.
    timeout : float
        Seconds to wait for the IOC to answer.
    extra_env : dict, optional
        More environment for the IOC process.
    pva : bool, optional
        Serve pvAccess too; by default, if the IOC has a pvAccess side (the demo).
    pva_port, pva_broadcast_port, p4p_port : int, optional
        The records' PVA TCP port (QSRV), the UDP port PVA clients search on, and
        the TCP port of the PVA-only PVs (p4p); free ports if None.

    Returns
    -------
    RunningIoc
        The running IOC; stop it with :meth:`RunningIoc.stop` or a ``with`` block.

    Raises
    ------
    DemoExtraMissing
        If pythonSoftIOC is not installed.
    IocStartError
        If the IOC exits or does not answer in time, or answers from another port
        than it was given; the message holds its output.
    ValueError
        An unknown IOC, or PVA asked of one that has no pvAccess side.
    """
    if name not in IOC_NAMES:
        raise ValueError(f"unknown demo IOC {name!r}; choose from {', '.join(IOC_NAMES)}")
    if not demo_extra_available():
        raise DemoExtraMissing(MISSING_EXTRA)
    ioc_def = importlib.import_module(f"catui.ioc_examples.{name}").IOC
    pva = ioc_def.serves_pva if pva is None else pva
    if pva and not ioc_def.serves_pva:
        raise ValueError(f"the {name} IOC serves CA only")
    prefix = ioc_def.default_prefix if prefix is None else prefix
    given = {p for p in (port, pva_port, pva_broadcast_port, p4p_port) if p is not None}
    spare = iter(_free_ports(4, given))
    port = next(spare) if port is None else port
    pva_ports = None
    if pva:
        pva_ports = PvaPorts(
            next(spare) if pva_port is None else pva_port,
            next(spare) if pva_broadcast_port is None else pva_broadcast_port,
            next(spare) if p4p_port is None else p4p_port,
        )
    host = LOOPBACK if interface in ("0.0.0.0", "") else interface
    argv = [sys.executable, "-m", f"catui.ioc_examples.{name}", "--exit-on-eof"]
    argv += ["--prefix", prefix, "--port", str(port), "--interface", interface]
    if pva_ports is not None:
        argv += ["--pva-port", str(pva_ports.server)]
        argv += ["--pva-broadcast-port", str(pva_ports.broadcast)]
        if ioc_def.pva_pvs:
            argv += ["--p4p-port", str(pva_ports.p4p)]
    elif ioc_def.serves_pva:
        argv.append("--no-pva")

    t0 = time.monotonic()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=_ioc_env(extra_env, pva_ports),
        text=True,
        encoding="utf-8",
        errors="replace",
        bufsize=1,
        # Its own session: a Ctrl+C meant for us does not reach it; we stop it.
        start_new_session=True,
    )
    ioc = RunningIoc(
        name,
        prefix,
        port,
        host,
        ioc_def.pv_names(prefix),
        argv,
        process,
        pva_ports=pva_ports,
        pva_names=ioc_def.pva_names(prefix),
    )
    try:
        deadline = t0 + timeout
        ioc._wait_for_banner(banner(ioc_def, interface, port, prefix), deadline)
        ioc._wait_until_answering(deadline)
        if pva_ports is not None:
            qsrv = set(ioc_def.pv_names(prefix)) if ioc_def.qsrv else set()
            ioc._wait_until_pva_answers(qsrv, deadline)
    except BaseException:
        ioc.stop()
        raise
    ioc.startup_seconds = time.monotonic() - t0
    return ioc


def _ioc_env(extra: dict[str, str] | None, pva: PvaPorts | None = None) -> dict[str, str]:
    """Our environment without its EPICS settings, plus a loopback-only CA and PVA setup.

    The IOC sets its CA (and PVA) server ports from its command line; the PVA ones
    are written here as well, so that the environment says the same.  The repeater
    port is kept, so that beacons reach a repeater the caller runs on a non-default
    port.  An IOC without PVA gets PVA ports of its own all the same, in case a
    library reads them.
    """
    keep = {"EPICS_CA_REPEATER_PORT", "EPICS_CAS_BEACON_PORT"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("EPICS_") or k in keep}
    if pva is None:
        pva_server, pva_broadcast = (str(p) for p in _free_ports(2, set()))
    else:
        pva_server, pva_broadcast = str(pva.server), str(pva.broadcast)
    env.update(
        EPICS_CA_AUTO_ADDR_LIST="NO",
        EPICS_CA_ADDR_LIST=LOOPBACK,
        EPICS_PVA_AUTO_ADDR_LIST="NO",
        EPICS_PVA_ADDR_LIST=LOOPBACK,
        EPICS_PVAS_AUTO_BEACON_ADDR_LIST="NO",
        EPICS_PVAS_BEACON_ADDR_LIST=LOOPBACK,
        EPICS_PVA_NAME_SERVERS="",
        EPICS_PVA_SERVER_PORT=pva_server,
        EPICS_PVAS_SERVER_PORT=pva_server,
        EPICS_PVA_BROADCAST_PORT=pva_broadcast,
        EPICS_PVAS_BROADCAST_PORT=pva_broadcast,
        PYTHONUNBUFFERED="1",
    )
    root = _package_root()
    if root is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env.update(extra or {})
    return env


def _package_root() -> str | None:
    """The directory holding ``catui``, if the IOC could not import it otherwise.

    ``python -m`` finds packages in the working directory and the site directories;
    a source checkout used from elsewhere is neither.  Site directories are never
    put on PYTHONPATH, where they would come before the standard library.
    """
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sites = {os.path.abspath(p) for p in (*site.getsitepackages(), site.getusersitepackages())}
    return None if root in sites else root
