"""``read_channels``: many reads on open channels, every request sent before any reply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from protocol.sync import client
from protocol.sync.read_many import read_channels
from tests.support.iocs import EpicsBaseIoc, IocProcess

pytestmark = pytest.mark.interop


@pytest.fixture
def ioc(epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]) -> EpicsBaseIoc:
    ca_env(epics_base_ioc)
    return epics_base_ioc


def test_replies_match_one_by_one_reads_in_order_and_leave_in_one_write(
    ioc: EpicsBaseIoc, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = ("ao", "long", "mbbo", "str", "wf:double", "ao.DESC", "ao.EGU", "mbbo.ZRST")
    names = [ioc.prefix + f for f in fields]
    with client.open_channels(names, timeout=2, repeater=False) as channels:
        expected = [channels[n].read().data for n in names for _ in range(40)]
        conn = channels[names[0]]._conn
        writes: list[int] = []
        sock = conn.sock
        sendall = sock.sendall

        def counted(data: bytes) -> None:
            writes.append(len(data))
            sendall(data)

        monkeypatch.setattr(conn, "sock", _Wrapped(sock, counted))
        replies = read_channels([(channels[n], None, None) for n in names for _ in range(40)], 2.0)
        monkeypatch.setattr(conn, "sock", sock)
        assert len(replies) == len(expected) == 320
        for reply, data in zip(replies, expected, strict=True):
            assert not isinstance(reply, BaseException), reply
            assert list(reply.data) == list(data)
        assert len(writes) == 1  # 320 requests, one write


class _Wrapped:
    """A socket whose ``sendall`` is counted; everything else is the socket's."""

    def __init__(self, sock: Any, sendall: Callable[[bytes], None]) -> None:
        self._sock = sock
        self.sendall = sendall

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)
