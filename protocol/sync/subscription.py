"""``Subscription``: a PV to monitor and the callbacks its updates go to."""

from __future__ import annotations

import enum
import inspect
import threading
import warnings
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..alarms import SubscriptionType
from ..channel_types import DataTypeSpec
from ..commands import check_pv_name
from ..commands.base import check_priority
from ..errors import CAValueError
from .lazylog import get_logger

if TYPE_CHECKING:
    from .blocker import Blocker

__all__ = ["ConnectionState", "Subscription"]

logger = get_logger("protocol.sync.subscription")


class ConnectionState(str, enum.Enum):
    """What a subscription's connection callbacks are told."""

    SEARCHING = "searching"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


def _weak(func: Callable[..., Any], on_death: Callable[[Any], None]) -> Callable[[], Any]:
    # Bound methods need WeakMethod: a plain ref to one dies at once.
    if inspect.ismethod(func):
        return weakref.WeakMethod(func, on_death)
    return weakref.ref(func, on_death)


def _is_legacy(func: Callable[..., Any]) -> bool:
    """True for the pre-0.5 signature ``f(response)``."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return False
    return len(positional) == 1


class Subscription:
    """This object encapsulates state related to a Subscription.

    See :func:`protocol.sync.client.subscribe`.

    Parameters
    ----------
    pv_name : str
    priority : int, optional
        0 (lowest) .. 99.
    data_type : {'native', 'status', 'time', 'graphic', 'control'} or ChannelType or int, optional
        Default: the TIME type of the channel's native type.
    data_count : int, optional
        Default: as many values as the server has (0 on the wire).
    low, high, to : float, optional
        Obsolete in Channel Access; sent as given.
    mask : SubscriptionType, optional
        Default DBE_VALUE | DBE_ALARM.
    """

    def __init__(
        self,
        pv_name: str,
        priority: int = 0,
        data_type: DataTypeSpec = None,
        data_count: int | None = None,
        low: float = 0.0,
        high: float = 0.0,
        to: float = 0.0,
        mask: int | None = None,
    ) -> None:
        check_pv_name(pv_name)
        check_priority(priority)
        if mask is not None and not int(mask) & 0xF:
            raise CAValueError(f"subscription mask {mask!r} selects no events")
        self.pv_name = pv_name
        self.priority = priority
        self.data_type = data_type
        self.data_count = data_count
        self.low, self.high, self.to = low, high, to
        self.mask = (
            SubscriptionType.DBE_VALUE | SubscriptionType.DBE_ALARM if mask is None else mask
        )
        self.callbacks: dict[int, tuple[Callable[[], Any], bool]] = {}
        self.connection_callbacks: dict[int, Callable[[], Any]] = {}
        self.control_callbacks: dict[int, Callable[[], Any]] = {}
        self._next_token = 0
        self._lock = threading.RLock()
        self._blocker: Blocker | None = None
        self._interrupt_pending = False
        #: Filled in while connected: the channel as the server describes it.
        self.server_address: tuple[str, int] | None = None
        self.native_data_type: Any = None
        self.native_data_count: int | None = None
        self.access_rights: Any = None
        self.state = ConnectionState.SEARCHING

    def __repr__(self) -> str:
        return f"<Subscription to {self.pv_name!r} ({self.state.value})>"

    # -- callbacks ----------------------------------------------------------
    def add_callback(self, func: Callable[..., Any]) -> int:
        """Add a callback to receive responses.

        Parameters
        ----------
        func : callable
            Expected signature: ``func(sub, response)``. The signature
            ``func(response)`` is still accepted, with a warning. Only a weak
            reference is kept: keep your own reference to ``func``.

        Returns
        -------
        token : int
            Pass it to :meth:`remove_callback`.
        """
        legacy = _is_legacy(func)
        if legacy:
            warnings.warn(
                "The signature of callbacks is func(sub, response); func(response) "
                "is accepted for backward compatibility but may be removed",
                DeprecationWarning,
                stacklevel=2,
            )
        with self._lock:
            token = self._next_token
            self._next_token += 1
            self.callbacks[token] = (_weak(func, self._forget(self.callbacks, token)), legacy)
        return token

    def _forget(self, table: dict[int, Any], token: int) -> Callable[[Any], None]:
        """A weakref callback that removes ``token`` once its function is collected."""
        me = weakref.ref(self)

        def forget(_: Any) -> None:
            sub = me()
            if sub is not None:
                with sub._lock:
                    table.pop(token, None)

        return forget

    def remove_callback(self, cb_id: int) -> None:
        """Remove callback using token that was returned by :meth:`add_callback`."""
        with self._lock:
            self.callbacks.pop(cb_id, None)

    def process(self, response: Any) -> None:
        """Run the callbacks on a response (used by ``block()``)."""
        dead = None
        for token, (ref, legacy) in tuple(self.callbacks.items()):
            func = ref()
            if func is None:
                dead = [*(dead or ()), token]
            elif legacy:
                func(response)
            else:
                func(self, response)
        if dead:
            with self._lock:
                for token in dead:
                    self.callbacks.pop(token, None)

    def add_connection_callback(self, func: Callable[..., Any]) -> int:
        """Call ``func(sub, state, address)`` when the connection changes.

        An extension of caproto's API for long-lived watchers: ``state`` is a
        :class:`ConnectionState`, ``address`` the server's (host, port) or
        None. Held by weak reference, like :meth:`add_callback`.
        """
        with self._lock:
            token = self._next_token
            self._next_token += 1
            self.connection_callbacks[token] = _weak(
                func, self._forget(self.connection_callbacks, token)
            )
        return token

    def remove_connection_callback(self, token: int) -> None:
        """Remove a callback added by :meth:`add_connection_callback`."""
        with self._lock:
            self.connection_callbacks.pop(token, None)

    def connection_changed(self, state: ConnectionState, address: tuple[str, int] | None) -> None:
        """Record the new state and call the connection callbacks (used by the Blocker)."""
        self.state = state
        for token, ref in tuple(self.connection_callbacks.items()):
            func = ref()
            if func is None:
                self.connection_callbacks.pop(token, None)
            else:
                try:
                    func(self, state, address)
                except Exception:
                    logger.exception("connection callback of %r failed", self.pv_name)

    def add_control_callback(self, func: Callable[..., Any]) -> int:
        """Call ``func(sub, response, error)`` with the PV's control metadata.

        An extension for long-lived watchers: while this subscription has control
        callbacks, the Blocker reads the control type of the channel's native type
        (``DBR_CTRL_*``: limits, units, precision, enum strings) on the PV's own
        channel as soon as it connects, in the same write as the subscription
        (usually answered before the first update), and again after every
        reconnect.  ``response`` is the ``ReadNotifyResponse`` (its ``metadata``),
        or None when the read failed and ``error`` (a ``CAError``) tells why.
        Called in the Blocker's thread; add it before the subscription connects.
        Held by weak reference, like :meth:`add_callback`.
        """
        with self._lock:
            token = self._next_token
            self._next_token += 1
            self.control_callbacks[token] = _weak(
                func, self._forget(self.control_callbacks, token)
            )
        return token

    def remove_control_callback(self, token: int) -> None:
        """Remove a callback added by :meth:`add_control_callback`."""
        with self._lock:
            self.control_callbacks.pop(token, None)

    @property
    def wants_control(self) -> bool:
        """Whether control callbacks are registered (the Blocker reads control metadata)."""
        return bool(self.control_callbacks)

    def process_control(self, response: Any, error: BaseException | None) -> None:
        """Run the control callbacks (used by the Blocker)."""
        for token, ref in tuple(self.control_callbacks.items()):
            func = ref()
            if func is None:
                self.control_callbacks.pop(token, None)
            else:
                try:
                    func(self, response, error)
                except Exception:
                    logger.exception("control callback of %r failed", self.pv_name)

    def clear(self) -> None:
        """Remove all callbacks. If currently blocking, interrupt."""
        with self._lock:
            self.callbacks.clear()
        self.interrupt()

    # -- blocking -----------------------------------------------------------
    def attach(self, blocker: Blocker) -> bool:
        """Record that ``blocker`` runs this subscription (used by the Blocker).

        Returns True when :meth:`interrupt` was called before any blocker ran it: that
        interrupt is meant for this one, which is to end at once.
        """
        with self._lock:
            pending, self._interrupt_pending = self._interrupt_pending, False
            self._blocker = blocker
        return pending

    def detach(self, blocker: Blocker) -> None:
        """``blocker`` no longer runs this subscription (used by the Blocker)."""
        with self._lock:
            if self._blocker is blocker:
                self._blocker = None

    def block(
        self,
        duration: float | None = None,
        timeout: float = 1,
        force_int_enums: bool = False,
        repeater: bool = True,
    ) -> None:
        """Activate this subscription and process incoming responses.

        Convenience alias for :func:`protocol.sync.client.block`; see it.
        """
        from .client import block

        block(
            self, duration=duration, timeout=timeout, force_int_enums=force_int_enums,
            repeater=repeater,
        )  # fmt: skip

    def interrupt(self) -> None:
        """Signal to ``block()`` to stop blocking. Idempotent.

        If no ``block()`` runs this subscription yet, the interrupt is kept and
        ends the next ``block()`` as soon as it starts, so a call racing the
        start of a block in another thread is not lost.
        """
        with self._lock:
            blocker = self._blocker
            if blocker is None:
                self._interrupt_pending = True
        if blocker is not None:
            blocker.interrupt()
