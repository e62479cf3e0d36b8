"""One TCP circuit: a socket driving a sans-I/O ``VirtualCircuit``."""

from __future__ import annotations

import array
import contextlib
import errno
import os
import socket
import struct
import sys
import time
from collections.abc import Callable

from ..circuit import VirtualCircuit
from ..commands import ClientNameRequest, HostNameRequest, Message, VersionRequest
from ..commands.base import parse_ipv4
from ..errors import (
    CATimeoutError,
    ConnectTimeoutError,
    DisconnectedError,
    RemoteProtocolError,
)
from .cancel import CACancelledError, Cancellation, CancelledBeforeSendingError

__all__ = ["Connection", "client_identity"]

# connect_ex() results of a non-blocking connect still under way.
_IN_PROGRESS = frozenset({errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY})

# SO_LINGER on with a zero timeout: close() sends a RST instead of a FIN.
_LINGER_RESET = struct.pack("ii", 1, 0)

_identity: list[tuple[str, str]] = []


def _user_name() -> str:
    """``getpass.getuser()``, without importing getpass (and termios) at start-up."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        user = os.environ.get(name)
        if user:
            return user
    import pwd

    return pwd.getpwuid(os.getuid())[0]


def client_identity() -> tuple[str, str]:
    """(host name, user name) sent to servers for their access security."""
    if not _identity:
        try:
            user = _user_name()
        except Exception:  # no passwd entry in some containers
            user = "unknown"
        _identity.append((socket.gethostname(), user))
    return _identity[0]


def connect_tcp(
    address: tuple[str, int], timeout: float, cancel: Cancellation | None = None
) -> socket.socket:
    """``socket.create_connection(address, timeout)``, quicker for a dotted quad.

    create_connection resolves through getaddrinfo, which imports the idna codec
    (~1 ms of a command-line tool's start-up) even for ``127.0.0.1``; servers
    come from search replies as dotted quads, which need no resolving.  With
    ``cancel``, the socket is registered before the connect starts, so that
    cancelling wakes the connect.
    """
    host, port = address
    if parse_ipv4(host) is None:
        if cancel is None:
            return socket.create_connection(address, timeout=timeout)
        host = socket.gethostbyname(host)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if cancel is not None:
            cancel.register(sock, f"connecting to {host}:{port}")
        sock.settimeout(timeout)
        sock.connect((host, port))
    except BaseException:
        if cancel is not None:
            cancel.unregister(sock)
        sock.close()
        raise
    return sock


def _cannot_connect(address: tuple[str, int], why: object) -> str:
    return f"cannot connect to the server at {address[0]}:{address[1]}: {why}"


class Connection:
    """A connected socket and the circuit state behind it.

    Built with ``timeout`` it connects at once, blocking; :meth:`begin` builds
    one whose connect is still under way (see :attr:`pending`).

    Parameters
    ----------
    address : (host, port)
    priority : int
    max_array_bytes : int
    timeout : float
        Seconds allowed for the TCP connect (unused with ``sock``).
    sock : socket.socket, optional
        A socket already connected to ``address``, or (with ``pending``) one
        whose non-blocking connect has begun; nothing is connected then.
    pending : bool
        ``sock`` is still connecting: call :meth:`finish_connect` once it is
        writable, and send nothing before (:meth:`queue` may collect).
    cancel : Cancellation, optional
        Makes every blocking call on this connection abort when it is cancelled
        (from another thread): the socket is reset, nothing more is sent.

    Raises
    ------
    ConnectTimeoutError
        When the connect does not finish within ``timeout`` (nothing was sent).
    DisconnectedError
        When the server refuses the connect (or it fails otherwise).
    CancelledBeforeSendingError
        When ``cancel`` was cancelled before or during the connect.
    """

    def __init__(
        self,
        address: tuple[str, int],
        priority: int,
        max_array_bytes: int,
        timeout: float = 2.0,
        *,
        sock: socket.socket | None = None,
        pending: bool = False,
        cancel: Cancellation | None = None,
    ) -> None:
        self.circuit = VirtualCircuit(address, priority, max_array_bytes=max_array_bytes)
        self._cancel = cancel
        if sock is None:
            try:
                timeout = max(timeout, 0.001)
                sock = (
                    connect_tcp(address, timeout, cancel)
                    if cancel
                    else connect_tcp(address, timeout)
                )
            except OSError as exc:
                if cancel is not None and cancel.cancelled:
                    raise CancelledBeforeSendingError(
                        _cannot_connect(address, cancel.reason)
                    ) from None
                if isinstance(exc, TimeoutError):
                    raise ConnectTimeoutError(_cannot_connect(address, "timed out")) from None
                raise DisconnectedError(_cannot_connect(address, exc)) from None
        elif cancel is not None:
            cancel.register(sock, _cannot_connect(address, "cancelled"))
        self.sock = sock
        #: True until :meth:`finish_connect` saw the non-blocking connect succeed.
        self.pending = pending
        # Nagle plus delayed ACKs stall small request/reply exchanges by ~40 ms.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.closed = False
        # Messages received but not yet claimed by a recv_until caller.
        self._backlog: list[Message] = []
        self._outgoing = bytearray()

    @classmethod
    def begin(cls, address: tuple[str, int], priority: int, max_array_bytes: int) -> Connection:
        """Start a non-blocking connect to ``address``; return without waiting for it.

        For a caller multiplexing many sockets, which must not stall on a server
        host that drops SYNs.  The socket is left non-blocking.  When the connect
        finished at once (``pending`` is False) the connection is usable now;
        otherwise wait for the socket to be writable, then :meth:`finish_connect`,
        or give up with :meth:`abandon_connect` at the caller's deadline.

        Parameters
        ----------
        address : (host, port)
            A dotted quad, as search replies give; a host name is resolved here,
            blocking.
        priority : int
        max_array_bytes : int

        Returns
        -------
        Connection

        Raises
        ------
        DisconnectedError
            When the connect fails at once (no route, an unknown host, ...).
        """
        host, port = address
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if parse_ipv4(host) is None:
                host = socket.gethostbyname(host)
            sock.setblocking(False)
            result = sock.connect_ex((host, port))
        except OSError as exc:
            sock.close()
            raise DisconnectedError(_cannot_connect(address, exc)) from None
        except BaseException:
            sock.close()
            raise
        if result and result not in _IN_PROGRESS:
            sock.close()
            error = OSError(result, os.strerror(result))
            raise DisconnectedError(_cannot_connect(address, error))
        return cls(address, priority, max_array_bytes, sock=sock, pending=bool(result))

    def finish_connect(self) -> None:
        """Complete a pending connect whose socket became writable.

        Raises
        ------
        DisconnectedError
            The connect failed (refused, unreachable, ...); the socket is closed.
        """
        result = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if result:
            self._lost()
            error = OSError(result, os.strerror(result))
            raise DisconnectedError(_cannot_connect(self.circuit.address, error))
        self.pending = False

    def abandon_connect(self) -> ConnectTimeoutError:
        """Give up a pending connect that took too long: close it, return the error to report."""
        self._lost()
        return ConnectTimeoutError(_cannot_connect(self.circuit.address, "timed out"))

    def handshake(self) -> list[Message]:
        """VERSION, HOST_NAME and CLIENT_NAME, to be sent before any CREATE_CHAN."""
        host, user = client_identity()
        return [
            VersionRequest(self.circuit.priority, self.circuit.protocol_version),
            HostNameRequest(host),
            ClientNameRequest(user),
        ]

    def queue(self, *commands: Message) -> None:
        """Record ``commands`` as sent; their bytes leave with the next :meth:`flush`.

        A watcher answering many replies in one pass (200 channels created, 200
        subscriptions to start) then sends one segment instead of hundreds.
        """
        self._outgoing += self.circuit.send(*commands)

    def flush(self) -> None:
        """Write what :meth:`queue` collected, in one write."""
        if self._outgoing:
            self._check_cancelled()
            data, self._outgoing = bytes(self._outgoing), bytearray()
            self._sendall(data)

    def send(self, *commands: Message) -> None:
        """Send ``commands`` in one write.

        Raises
        ------
        DisconnectedError
            The circuit is lost.
        CancelledBeforeSendingError
            The connection's cancellation was cancelled: nothing was sent.
        """
        self._check_cancelled()
        self._sendall(self.circuit.send(*commands))

    def _sendall(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            self._lost()
            if self._cancel is not None and self._cancel.cancelled:
                # Shut down before anything of it was queued: it never left.
                raise CancelledBeforeSendingError(
                    f"not sent to {self.where()}: {self._cancel.reason}"
                ) from None
            raise DisconnectedError(f"lost the circuit to {self.where()}: {exc}") from None

    def _check_cancelled(self) -> None:
        if self._cancel is not None:
            self._cancel.check(f"not sent to {self.where()}")

    @property
    def cancelled(self) -> bool:
        """Whether this connection's cancellation was cancelled."""
        return self._cancel is not None and self._cancel.cancelled

    def _cancelled_error(self) -> CACancelledError:
        reason = self._cancel.reason if self._cancel is not None else "cancelled"
        return CACancelledError(f"{reason} while waiting for {self.where()}")

    def where(self) -> str:
        """The server's ``host:port``, for messages."""
        return "{}:{}".format(*self.circuit.address)

    def _lost(self) -> None:
        self.circuit.disconnected()
        self.close()

    def recv_once(self) -> list[Message]:
        """One ``recv`` (the socket's timeout applies) decoded and processed.

        Raises
        ------
        DisconnectedError
            The server closed the circuit.
        RemoteProtocolError
            The server sent malformed bytes (the circuit is closed).
        CACancelledError
            The connection's cancellation was cancelled (the socket is reset).
        """
        view = self.circuit.recv_buffer()
        try:
            nbytes = self.sock.recv_into(view)
        except (TimeoutError, BlockingIOError, InterruptedError):
            if self.cancelled:
                self._lost()
                raise self._cancelled_error() from None
            return []
        except OSError as exc:
            self._lost()
            if self.cancelled:
                raise self._cancelled_error() from None
            raise DisconnectedError(f"lost the circuit to {self.where()}: {exc}") from None
        if not nbytes:
            self._lost()
            if self.cancelled:  # our own shutdown, not the server's
                raise self._cancelled_error()
            raise DisconnectedError(f"the server at {self.where()} closed the circuit")
        try:
            return self.circuit.received(nbytes)
        except RemoteProtocolError:
            self._lost()
            raise

    def recv_until(
        self, done: Callable[[Message], bool], deadline: float, what: str | Callable[[], str]
    ) -> Message:
        """Receive until a message satisfies ``done``; return it.

        ``what`` names the operation in errors; a callable is called only for an error
        (naming thousands of pending channels at every reply would be quadratic).

        Raises
        ------
        CATimeoutError
            When ``deadline`` (a ``time.monotonic()`` value) passes first.
        CACancelledError
            When the connection's cancellation is cancelled first.
        """
        while True:
            for index, message in enumerate(self._backlog):
                if done(message):
                    del self._backlog[: index + 1]
                    return message
            self._backlog.clear()
            if self.cancelled:
                self._lost()
                raise self._cancelled_error()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                # What already arrived still counts: one last look without waiting.
                self.sock.settimeout(0.0)
                self._backlog = self._recv_for(what)
                if not any(done(message) for message in self._backlog):
                    raise CATimeoutError(f"{_said(what)}: no answer from {self.where()}")
                continue
            self.sock.settimeout(remaining)
            self._backlog = self._recv_for(what)

    def _recv_for(self, what: str | Callable[[], str]) -> list[Message]:
        """:meth:`recv_once`, its failures prefixed with ``what`` (which names the PV)."""
        try:
            return self.recv_once()
        except (DisconnectedError, RemoteProtocolError, CACancelledError) as exc:
            exc.args = (f"{_said(what)}: {exc}", *exc.args[1:])
            raise

    def unacknowledged(self) -> int | None:
        """Bytes of this circuit the server's host has not acknowledged yet.

        Those :meth:`queue` holds plus, on Linux, those of the kernel's send queue
        not yet ACKed (``TIOCOUTQ``).  None where the kernel does not tell (other
        systems, or a failed query): assume some.  Zero means the server's host has
        received everything sent; TCP will deliver nothing more of it later.
        """
        if self.closed:
            return 0
        queued = len(self._outgoing)
        if not sys.platform.startswith("linux"):
            return None
        import fcntl
        import termios  # here: ~1 ms of a command-line tool's start-up (see _user_name)

        count = array.array("i", [0])
        try:
            fcntl.ioctl(self.sock.fileno(), termios.TIOCOUTQ, count)
        except OSError:
            return None
        return queued + count[0]

    def abort(self) -> None:
        """Close with a reset (RST): what is queued or not yet acknowledged is dropped.

        Unlike :meth:`close`, whose FIN lets TCP go on retransmitting what the
        server has not acknowledged, nothing sent on this circuit can reach the
        server after this returns.
        """
        self._outgoing.clear()
        if not self.closed:
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        self.close()

    def close(self) -> None:
        """Close the socket (a reset one sends RST: what was not delivered is dropped)."""
        if not self.closed:
            self.closed = True
            if self._cancel is not None:
                self._cancel.unregister(self.sock)
            with contextlib.suppress(OSError):
                self.sock.close()


def _said(what: str | Callable[[], str]) -> str:
    return what if isinstance(what, str) else what()
