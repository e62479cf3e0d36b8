"""A Channel Access repeater, and the client side: starting one and registering with it.

Run it as ``python -m protocol.sync.repeater`` or ``catui-repeater``. It
behaves as EPICS Base's ``caRepeater`` (facts sheet §14.2):

- It binds UDP ``EPICS_CA_REPEATER_PORT`` (5065); when the port is taken,
  another repeater is running and it exits at once with status 0.
- REPEATER_REGISTER (or an empty datagram) from a local client registers it:
  the client gets REPEATER_CONFIRM carrying its address as seen, and every
  other client gets an all-zero VERSION header (a liveness probe).
- Every other datagram is forwarded to every client except its sender; a
  beacon whose address field is 0 gets the sender's address filled in.
- Clients whose socket has gone away are dropped (see :meth:`Repeater.verify_clients`).

Clients call :func:`ensure_repeater` (start one unless the port is taken) and
:func:`register_with_repeater`. A repeater that ``ensure_repeater`` starts is
handed the socket already bound (``--fd``), so that clients starting at once
share one repeater (see :func:`ensure_repeater`).
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from subprocess import DEVNULL, Popen
from types import FrameType

from ..commands import Beacon, RepeaterConfirmResponse, RepeaterRegisterRequest, VersionResponse
from ..commands.base import CLIENT, SERVER, Message
from ..decoder import read_datagram
from ..errors import RemoteProtocolError
from ..header import HEADER_SIZE
from .config import load_config
from .lazylog import get_logger

__all__ = [
    "VERIFY_PERIOD",
    "Repeater",
    "ensure_repeater",
    "is_local_address",
    "main",
    "register_with_repeater",
    "spawn_repeater",
    "udp_port_in_use",
]

log = get_logger(__name__)

Address = tuple[str, int]

#: Seconds between sweeps that drop clients whose socket is gone.
VERIFY_PERIOD = 10.0
_MAX_DATAGRAM = 65536
_PROBE = bytes(VersionResponse(version=0))
_IN_USE = {errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)}
# The directory holding the ``protocol`` package, so that a spawned repeater
# finds it even when catui runs from a source tree rather than installed.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
# Handing a bound socket to a child needs POSIX descriptor inheritance; elsewhere
# the repeater binds the port itself, and clients starting at once may start a few.
_PASS_SOCKET = os.name == "posix"
# Repeaters this process started. Holding them lets poll() reap one that exits
# (ended by a signal) instead of leaving a zombie, and keeps Popen.__del__ from
# warning about a child that is meant to outlive us.
_children: list[Popen[bytes]] = []
_children_lock = threading.Lock()


def udp_port_in_use(port: int) -> bool:
    """Whether some socket on this host holds UDP ``port``.

    Parameters
    ----------
    port : int

    Returns
    -------
    bool
        True when binding the port on all interfaces fails. The test socket is
        closed at once and sends nothing.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("", port))
        except OSError:
            return True
    return False


def is_local_address(ip: str) -> bool:
    """Whether ``ip`` belongs to this host (loopback, or bindable here).

    Parameters
    ----------
    ip : str
        Dotted quad.

    Returns
    -------
    bool
    """
    if ipaddress.IPv4Address(ip).is_loopback:
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((ip, 0))
        except OSError:
            return False
    return True


class Repeater:
    """The repeater's state and logic around one bound UDP socket.

    Parameters
    ----------
    sock : socket.socket
        Bound UDP socket; only ``sendto`` (and ``recvfrom`` in
        :meth:`serve_forever`) are used.
    port_in_use : callable, optional
        ``port -> bool``, the liveness test of a client's port.
    is_local : callable, optional
        ``ip -> bool``; registrations from other hosts are refused.

    Notes
    -----
    Clients are kept by port, as EPICS does: all of them are on this host, so
    a port names one socket whether it registered from 127.0.0.1 or from an
    interface address.

    How gone clients are noticed: EPICS gives each client a connected socket
    and learns of a closed client port from ECONNREFUSED. We send from the
    one unconnected socket, which Linux never reports such errors on, so we
    use EPICS's other check alone: a client whose port can be bound is gone.
    It runs on every new registration (as EPICS), after any failed send, and
    every :data:`VERIFY_PERIOD` seconds. A client that vanished is sent at
    most that long of beacons, which the kernel drops.
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        port_in_use: Callable[[int], bool] = udp_port_in_use,
        is_local: Callable[[str], bool] = is_local_address,
    ) -> None:
        self._sock = sock
        self._port_in_use = port_in_use
        self._is_local = is_local
        self._clients: dict[int, Address] = {}

    @property
    def clients(self) -> list[Address]:
        """The registered clients' addresses, oldest first."""
        return list(self._clients.values())

    def handle(self, data: bytes, source: Address) -> None:
        """Act on one datagram received from ``source``."""
        if not data:
            self.register(source)
            return
        # As caRepeater, only the first header decides what a datagram is.
        first = _first_message(data)
        if isinstance(first, RepeaterRegisterRequest):
            self.register(source)
            data = data[HEADER_SIZE:]
            if not data:
                return
        elif isinstance(first, Beacon) and first.address == "0.0.0.0":
            filled = Beacon(first.version, first.server_port, first.beacon_id, source[0])
            data = bytes(filled) + data[HEADER_SIZE:]
        self.fan_out(data, source)

    def register(self, source: Address) -> None:
        """Register (or re-register) the client at ``source`` and confirm it."""
        ip, port = source
        if not self._is_local(ip):
            log.warning("refusing registration from %s:%d, not an address of this host", ip, port)
            return
        new = port not in self._clients
        self._clients[port] = source
        try:
            self._sock.sendto(bytes(RepeaterConfirmResponse(ip)), source)
        except OSError as exc:
            log.debug("cannot confirm %s:%d (%s); dropping it", ip, port, exc)
            del self._clients[port]
            return
        log.debug("registered %s:%d (%d clients)", ip, port, len(self._clients))
        self.fan_out(_PROBE, source)
        if new:
            self.verify_clients()

    def fan_out(self, data: bytes, source: Address) -> None:
        """Send ``data`` to every registered client except ``source``."""
        for port, address in list(self._clients.items()):
            if address == source:
                continue
            try:
                self._sock.sendto(data, address)
            except OSError as exc:
                log.debug("sending to %s:%d failed (%s)", *address, exc)
                self._verify(port)

    def verify_clients(self) -> None:
        """Drop every client whose socket no longer exists."""
        for port in list(self._clients):
            self._verify(port)

    def _verify(self, port: int) -> None:
        if not self._port_in_use(port):
            address = self._clients.pop(port)
            log.debug("dropped %s:%d, its socket is gone", *address)

    def serve_forever(self, verify_period: float = VERIFY_PERIOD) -> None:
        """Receive and handle datagrams until an exception (a signal) stops it."""
        next_verify = time.monotonic() + verify_period
        while True:
            timeout = next_verify - time.monotonic()
            if timeout <= 0:
                self.verify_clients()
                next_verify = time.monotonic() + verify_period
                continue
            ready, _, _ = select.select([self._sock], [], [], timeout)
            if not ready:
                continue
            try:
                data, source = self._sock.recvfrom(_MAX_DATAGRAM)
            except OSError as exc:
                log.debug("receive failed: %s", exc)
                continue
            self.handle(data, source)


def _first_message(data: bytes) -> Message | None:
    """The first message of ``data`` if it is a header-only one we recognise."""
    head = data[:HEADER_SIZE]
    for sender in (CLIENT, SERVER):
        try:
            messages = read_datagram(head, sender=sender)
        except RemoteProtocolError:
            continue
        if messages:
            return messages[0]
    return None


# -- client side ---------------------------------------------------------------


def ensure_repeater(
    port: int | None = None, env: Mapping[str, str] | None = None, *, bind: str | None = None
) -> bool:
    """Start a detached repeater on ``port`` unless that UDP port is taken.

    Parameters
    ----------
    port : int, optional
        Repeater port; EPICS_CA_REPEATER_PORT from ``env`` when omitted.
    env : mapping, optional
        Environment for the configuration and the child; ``os.environ`` when
        omitted.
    bind : str, optional
        Address for the repeater to bind (its default is 0.0.0.0, as EPICS).

    Returns
    -------
    bool
        True when a repeater process was started; False when the port was
        busy (a repeater, or something else, holds it) or starting failed.
        Never raises: a client works the same without a repeater, it only
        misses beacons.

    Notes
    -----
    Finding the port free and taking it are one step: this function binds the
    port itself and hands the bound socket to the repeater it starts, which
    serves on it. Were the check a bind-and-close and the repeater to bind
    later, every client call in between (other threads, the next call of the
    same script, other processes) would find the port free too and start one
    more repeater; the window is the child's start-up, 0.1 s on a quiet machine
    and seconds on a loaded one, and each extra repeater lives through its own
    start-up before it finds the port taken.
    """
    try:
        if port is None:
            port = load_config(env).repeater_port
        claimed = _claim_port(port, bind)
        if claimed is None:
            return False
        with claimed:
            if _PASS_SOCKET:
                spawn_repeater(port, env, bind=bind, sock=claimed)
            else:
                claimed.close()
                spawn_repeater(port, env, bind=bind)
    except Exception as exc:  # the contract is "never raises"
        log.warning("could not start a CA repeater on port %s: %s", port, exc)
        return False
    return True


def _claim_port(port: int, bind: str | None) -> socket.socket | None:
    """A UDP socket bound to ``port``, or None when something holds the port.

    Raises
    ------
    OSError
        When binding fails for another reason (an address not of this host).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # No SO_REUSEADDR: a second claim (or repeater) must fail to bind.
        sock.bind((bind or "0.0.0.0", port))
    except OSError as exc:
        sock.close()
        if exc.errno in _IN_USE:
            return None
        raise
    return sock


def spawn_repeater(
    port: int,
    env: Mapping[str, str] | None = None,
    *,
    bind: str | None = None,
    sock: socket.socket | None = None,
) -> Popen[bytes]:
    """Start ``python -m protocol.sync.repeater --port PORT``, detached.

    Parameters
    ----------
    port : int
        Repeater port.
    env : mapping, optional
        The child's environment; ``os.environ`` when omitted. The source root
        of this package is put first on its PYTHONPATH.
    bind : str, optional
        Address for the repeater to bind (ignored with ``sock``).
    sock : socket.socket, optional
        A UDP socket bound to ``port`` for the repeater to serve on (POSIX):
        the child inherits it (``--fd``). The caller may close its own copy
        once this returns.

    Returns
    -------
    subprocess.Popen
        The child, in its own session (so a Ctrl-C in the client's terminal
        does not stop it) with stdio on /dev/null. It is meant to outlive the
        client; nobody needs to wait for it.

    Raises
    ------
    OSError
        When the process cannot be started.
    """
    child_env = dict(os.environ if env is None else env)
    path = child_env.get("PYTHONPATH")
    child_env["PYTHONPATH"] = _PACKAGE_ROOT + (os.pathsep + path if path else "")
    argv = [sys.executable, "-m", "protocol.sync.repeater", "--port", str(port)]
    pass_fds: tuple[int, ...] = ()
    if sock is not None:
        pass_fds = (sock.fileno(),)
        argv += ["--fd", str(sock.fileno())]
    elif bind is not None:
        argv += ["--bind", bind]
    log.debug("starting a CA repeater: %s", " ".join(argv))
    child = Popen(
        argv,
        env=child_env,
        stdin=DEVNULL,
        stdout=DEVNULL,
        stderr=DEVNULL,
        start_new_session=True,
        pass_fds=pass_fds,
    )
    with _children_lock:
        _children[:] = [c for c in _children if c.poll() is None]
        _children.append(child)
    return child


def register_with_repeater(sock: socket.socket, port: int) -> bool:
    """Send REPEATER_REGISTER to the repeater at 127.0.0.1:``port`` (no wait).

    Parameters
    ----------
    sock : socket.socket
        The client's UDP socket: the one that will receive the beacons.
    port : int
        Repeater port.

    Returns
    -------
    bool
        Whether the datagram was sent. A client re-sends until it receives
        REPEATER_CONFIRM on ``sock``, as libca does.
    """
    try:
        sock.sendto(bytes(RepeaterRegisterRequest()), ("127.0.0.1", port))
    except OSError as exc:
        log.debug("REPEATER_REGISTER to 127.0.0.1:%d failed: %s", port, exc)
        return False
    return True


# -- command line ----------------------------------------------------------------


class _Stop(Exception):
    """Raised by the signal handler to leave the receive loop."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _port_number(text: str) -> int:
    port = int(text)
    if not 0 < port <= 0xFFFF:
        raise argparse.ArgumentTypeError(f"{port} is not a port number 1..65535")
    return port


def _inherited_socket(fd: int, port: int | None) -> socket.socket:
    """The bound UDP socket at descriptor ``fd`` (from :func:`ensure_repeater`).

    Raises
    ------
    OSError
        When ``fd`` is not an IPv4 UDP socket bound to ``port``.
    """
    sock = socket.socket(fileno=fd)
    try:
        if sock.family != socket.AF_INET or sock.type != socket.SOCK_DGRAM:
            raise OSError(f"descriptor {fd} is not an IPv4 UDP socket")
        bound = sock.getsockname()[1]
        if bound == 0 or (port is not None and bound != port):
            raise OSError(f"descriptor {fd} is bound to port {bound}, not {port}")
    except OSError:
        sock.detach()  # not ours to close
        raise
    return sock


def main(argv: Sequence[str] | None = None) -> int:
    """Run the repeater until SIGINT or SIGTERM.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments without the program name (``sys.argv[1:]``
        when omitted): ``--port N``, ``--bind ADDRESS``, ``--fd N``,
        ``--verbose``.

    Returns
    -------
    int
        0 after a signal, and also when the port is taken (a repeater is
        running already); 1 when the socket cannot be bound otherwise, or
        ``--fd`` is not a UDP socket bound to the port.
    """
    parser = argparse.ArgumentParser(
        prog="catui-repeater", description="Channel Access repeater (relays beacons)."
    )
    parser.add_argument(
        "--port", type=_port_number, help="UDP port (default: EPICS_CA_REPEATER_PORT or 5065)"
    )
    parser.add_argument(
        "--bind", default="0.0.0.0", help="address to bind (default: 0.0.0.0, as EPICS)"
    )
    parser.add_argument(
        "--fd",
        type=int,
        help="serve on this inherited UDP socket, already bound to the port "
        "(how clients start a repeater); --bind is then not used",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every registration")
    args = parser.parse_args(argv)
    import logging  # the repeater's own process: configure logging

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s catui-repeater: %(message)s",
    )
    if args.fd is not None:
        try:
            sock = _inherited_socket(args.fd, args.port)
        except OSError as exc:
            log.error("cannot serve on descriptor %d: %s", args.fd, exc)
            return 1
        host, port = sock.getsockname()
    else:
        host = args.bind
        port = args.port if args.port is not None else load_config().repeater_port
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # No SO_REUSEADDR: a second repeater must fail to bind.
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            if exc.errno in _IN_USE:
                log.info("UDP port %d is in use: a repeater is already running; exiting", port)
                return 0
            log.error("cannot bind %s:%d: %s", host, port, exc)
            return 1

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info("listening on %s:%d", host, port)
    try:
        Repeater(sock).serve_forever()
    except _Stop as stop:
        log.info("exiting on %s", stop)
    finally:
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
