"""The examples of the sync client's API document hold exactly: bytes and reprs."""

from __future__ import annotations

import datetime

import numpy as np

from protocol import ChannelType, StreamDecoder, WriteNotifyResponse
from protocol.commands import EventAddResponse, ReadNotifyResponse
from protocol.dbr import DBR_TYPES, EPICS_EPOCH_OFFSET

DOC_BYTES = (
    b"\x00\x0f\x00\x08\x00\x06\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00"
    b"@\x08\x00\x00\x00\x00\x00\x00"
)
NORMAL = (
    "CAStatusCode(name='ECA_NORMAL', code=0, code_with_severity=1, "
    "severity=<CASeverity.SUCCESS: 1>, success=1, defunct=False, "
    "description='Normal successful completion')"
)


def test_read_notify_response_bytes_and_repr() -> None:
    res = ReadNotifyResponse(
        data=[3.0], data_type=ChannelType.DOUBLE, data_count=1, status=1, ioid=0
    )
    assert bytes(res) == DOC_BYTES
    assert repr(res) == (
        "ReadNotifyResponse(data=array([3.]), data_type=<ChannelType.DOUBLE: 6>, "
        f"data_count=1, status={NORMAL}, ioid=0, metadata=None)"
    )
    assert list(res.data) == [3.0]
    assert res.metadata is None


def test_decoded_response_repr_matches_the_document() -> None:
    (res,) = StreamDecoder().feed(DOC_BYTES)
    assert repr(res).startswith("ReadNotifyResponse(data=array([3.]), data_type=<ChannelType")
    assert repr(res.header) == (
        "MessageHeader(command=15, payload_size=8, data_type=6, data_count=1, "
        "parameter1=1, parameter2=0)"
    )


def test_write_notify_response_repr() -> None:
    res = WriteNotifyResponse(data_type=6, data_count=1, status=1, ioid=0)
    assert repr(res) == (
        f"WriteNotifyResponse(data_type=<ChannelType.DOUBLE: 6>, data_count=1, "
        f"status={NORMAL}, ioid=0)"
    )


def _doc_time_metadata() -> object:
    meta = DBR_TYPES[ChannelType.TIME_DOUBLE]()
    meta.stamp.secondsSinceEpoch = 1735004749 - EPICS_EPOCH_OFFSET
    meta.stamp.nanoSeconds = 760707000
    return meta


def test_time_metadata_repr_timestamp_and_datetime() -> None:
    meta = _doc_time_metadata()
    assert repr(meta) == (
        "DBR_TIME_DOUBLE(status=<AlarmStatus.NO_ALARM: 0>, "
        "severity=<AlarmSeverity.NO_ALARM: 0>, timestamp=1735004749.760707)"
    )
    assert meta.timestamp == 1735004749.760707  # type: ignore[attr-defined]
    as_dt = meta.stamp.as_datetime()  # type: ignore[attr-defined]
    assert as_dt == datetime.datetime.fromtimestamp(1735004749.760707)
    assert as_dt.microsecond == 760707
    assert as_dt.tzinfo is None


def test_buffers_of_a_native_response() -> None:
    (res,) = StreamDecoder().feed(bytearray(DOC_BYTES))
    metadata_buffer, value_buffer = res.buffers
    assert metadata_buffer == b""
    assert isinstance(value_buffer, memoryview)
    assert bytes(value_buffer) == DOC_BYTES[16:]


def test_data_is_a_view_of_the_received_bytes() -> None:
    received = bytearray(DOC_BYTES * 3)
    messages = StreamDecoder().feed(received)
    for res in messages:
        data = res.data
        assert np.shares_memory(data, np.frombuffer(res.buffers[1], dtype=np.uint8))
        assert np.shares_memory(data, np.frombuffer(received, dtype=np.uint8))
    # A change to the received bytes shows through: no copy was made.
    received[16:24] = b"@\x10" + bytes(6)
    assert messages[0].data[0] == 4.0


def test_recv_into_path_is_zero_copy() -> None:
    decoder = StreamDecoder()
    target = decoder.recv_buffer()
    target[: len(DOC_BYTES)] = DOC_BYTES
    (res,) = decoder.received(len(DOC_BYTES))
    assert np.shares_memory(res.data, np.frombuffer(res.buffers[1], dtype=np.uint8))
    assert res.data.base is not None


def test_metadata_of_a_time_update_is_a_view_too() -> None:
    update = EventAddResponse(
        [3.5], ChannelType.TIME_DOUBLE, 1, 1, 7, metadata=_doc_time_metadata()
    )
    received = bytearray(bytes(update))
    (res,) = StreamDecoder().feed(received)
    assert res.metadata.timestamp == 1735004749.760707
    meta_buffer, value_buffer = res.buffers
    assert len(meta_buffer) == 16 and len(value_buffer) == 8
    received[16:18] = b"\x00\x03"  # status HIHI, written into the received bytes
    assert res.metadata.status == 3
