"""Helpers shared by the ``test_client_*`` tests of the synchronous client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from protocol.sync.subscription import ConnectionState, Subscription


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``predicate`` until true; return the seconds it took.  Fails after ``timeout``."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)
    return time.monotonic() - start


class Recorder:
    """A subscription callback ``(sub, response)`` that keeps what it gets, with times.

    Keep a reference to the recorder: subscriptions hold callbacks weakly (a
    bound method through ``WeakMethod``, so the recorder itself must live).
    """

    def __init__(self) -> None:
        self.responses: list[Any] = []
        self.times: list[float] = []
        self.subs: list[Subscription] = []
        self.states: list[ConnectionState] = []
        self.lock = threading.Lock()

    def __call__(self, sub: Subscription, response: Any) -> None:
        with self.lock:
            self.responses.append(response)
            self.times.append(time.monotonic())
            self.subs.append(sub)

    def on_connection(self, sub: Subscription, state: ConnectionState, address: Any) -> None:
        with self.lock:
            self.states.append(state)

    def attach(self, sub: Subscription, connection: bool = False) -> Recorder:
        """Add this recorder's callbacks to ``sub``; returns the recorder (keep it)."""
        sub.add_callback(self)
        if connection:
            sub.add_connection_callback(self.on_connection)
        return self

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.responses)

    def values(self) -> list[Any]:
        with self.lock:
            return [r.data[0] for r in self.responses]


class Runner:
    """Run ``target()`` in a daemon thread, keeping its exception and end time."""

    def __init__(self, target: Callable[[], Any]) -> None:
        self.error: BaseException | None = None
        self.ended_at: float | None = None
        self._target = target
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._target()
        except BaseException as exc:
            self.error = exc
        finally:
            self.ended_at = time.monotonic()

    def join(self, timeout: float) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"the thread did not end within {timeout} s"
