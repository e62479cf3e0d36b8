"""``open_channels`` / ``open_channel``: many PVs in one search, kept open for several calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from protocol import ChannelType
from protocol.errors import CATimeoutError, CAValueError
from protocol.sync import client, search
from tests.support.iocs import EpicsBaseIoc, IocProcess

pytestmark = pytest.mark.interop


@pytest.fixture
def ioc(epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]) -> EpicsBaseIoc:
    ca_env(epics_base_ioc)
    return epics_base_ioc


def test_several_pvs_are_searched_in_one_datagram(
    ioc: EpicsBaseIoc, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[list[str]] = []
    original = search.Searcher.send

    def spy(self: search.Searcher, names: Any) -> None:
        names = list(names)
        sent.append(names)
        original(self, names)

    monkeypatch.setattr(search.Searcher, "send", spy)
    names = [ioc.prefix + suffix for suffix in ("ao", "long", "mbbo", "str", "wf:double")]
    with client.open_channels(names, timeout=2, repeater=False) as channels:
        assert list(channels) == names
        assert not channels.failures
        assert sent[0] == names  # the first round asks for all of them at once
        assert channels[names[0]].native_data_type == ChannelType.DOUBLE
        assert channels[names[3]].native_data_count == 1
        assert channels[names[4]].read().data_count == 3
        # One circuit for the one server.
        assert len({id(ch._conn) for ch in channels.values()}) == 1


def test_failures_are_named_and_do_not_stop_the_others(ioc: EpicsBaseIoc) -> None:
    good, missing = ioc.prefix + "ao", ioc.prefix + "no:such:pv"
    with client.open_channels([missing, good], timeout=0.5, repeater=False) as channels:
        assert list(channels) == [good]
        error = channels.failures[missing]
        assert isinstance(error, CATimeoutError)
        assert repr(missing) in str(error)
        assert channels[good].read().data[0] == pytest.approx(3.5)


def test_a_channel_serves_several_operations(ioc_factory: Callable[..., IocProcess]) -> None:
    private = ioc_factory()
    import os

    os.environ.update(private.env)
    name = private.prefix + "long"
    with client.open_channel(name, timeout=2, repeater=False) as channel:
        before = channel.read().data[0]
        reply = channel.write(before + 1, notify=True)
        assert reply.status.success
        assert channel.read().data[0] == before + 1
        assert channel.server_address[1] == private.port
    assert channel.closed


def test_bad_names_fail_before_anything_is_sent() -> None:
    with pytest.raises(CAValueError):
        client.open_channels(["ok:name", "bad name"], repeater=False)
    with pytest.raises(CAValueError):
        client.open_channels([], repeater=False)
