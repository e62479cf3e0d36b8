"""``DataMessage.alarm``: status and severity read from the payload without the structure."""

from __future__ import annotations

import pytest

from protocol.channel_types import ChannelType
from protocol.commands import EventAddResponse, ReadNotifyResponse
from protocol.dbr import DBR_TYPES

WITH_ALARM = [t for t in ChannelType if 7 <= t <= 34]


@pytest.mark.parametrize("data_type", WITH_ALARM, ids=lambda t: t.name)
@pytest.mark.parametrize("cls", [EventAddResponse, ReadNotifyResponse])
def test_alarm_matches_the_metadata(cls, data_type):
    meta = DBR_TYPES[data_type](status=17, severity=3)
    data = [b"text"] if "STRING" in data_type.name else [2]
    extra = {"subscriptionid": 1} if cls is EventAddResponse else {"ioid": 1}
    msg = cls(data=data, data_type=data_type, data_count=1, status=1, metadata=meta, **extra)
    assert msg.alarm == (msg.metadata.status, msg.metadata.severity) == (17, 3)


@pytest.mark.parametrize(
    "data_type", [ChannelType.DOUBLE, ChannelType.STRING, ChannelType.PUT_ACKT],
    ids=lambda t: t.name,
)  # fmt: skip
def test_no_alarm_for_types_without_one(data_type):
    data = [b"x"] if data_type == ChannelType.STRING else [1]
    msg = EventAddResponse(data=data, data_type=data_type, data_count=1, status=1,
                           subscriptionid=1)  # fmt: skip
    assert msg.alarm is None
