"""A real IOC killed while a call waits on it: the call fails fast, naming the PV."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from catui.ioc_examples.launch import RunningIoc, start_ioc
from protocol.errors import CAError, DisconnectedError
from protocol.sync import client

pytestmark = pytest.mark.interop


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningIoc]:
    with start_ioc("demo", prefix="killed:") as ioc:
        for key, value in ioc.env.items():
            monkeypatch.setenv(key, value)
        yield ioc


def test_notify_write_fails_fast_when_the_ioc_dies(demo: RunningIoc) -> None:
    """The motor setpoint's put completes after ~2 s; the IOC dies after 0.5 s."""
    pv = "killed:motor:setpoint"
    outcome: list[BaseException | object] = []

    def write() -> None:
        try:
            outcome.append(client.write(pv, 7.0, notify=True, timeout=10, repeater=False))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.5)
    killed = time.monotonic()
    demo.process.kill()
    thread.join(5)
    assert not thread.is_alive()
    waited = time.monotonic() - killed
    assert waited < 1.0, waited  # not the 10 s timeout
    (error,) = outcome
    assert isinstance(error, DisconnectedError), error
    assert repr(pv) in str(error)


def test_read_of_a_dead_ioc_times_out_in_its_budget(demo: RunningIoc) -> None:
    pv = "killed:temperature"
    assert client.read(pv, timeout=2, repeater=False).data_count == 1
    demo.process.kill()
    demo.process.wait(5)
    started = time.monotonic()
    with pytest.raises(CAError) as caught:
        client.read(pv, timeout=0.5, repeater=False)
    assert time.monotonic() - started < 1.0
    assert repr(pv) in str(caught.value)
    assert os.environ["EPICS_CA_AUTO_ADDR_LIST"] == "NO"
