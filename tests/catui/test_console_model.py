"""The console's pure per-PV state and formatting (no Textual, no IOC)."""

from __future__ import annotations

import dataclasses
import datetime

import numpy as np
import pytest

from catui.feeds.base import ConnectionEvent, Sample
from catui.feeds.ca import channel_info, control_info, native_type_name
from catui.feeds.ca_write import describe_write
from catui.feeds.mailbox import Mailbox
from catui.formats import EPICS_EPOCH
from catui.model import (
    ALARM_HISTORY_LENGTH,
    ControlInfo,
    PVState,
    Watchlist,
    array_stats,
    format_number,
    format_timestamp,
    format_value,
    severity_text,
    status_text,
)
from protocol.channel_types import ChannelType as T
from protocol.dbr import DBR_CTRL_DOUBLE, DBR_CTRL_ENUM
from protocol.errors import (
    CATimeoutError,
    ChannelAccessDenied,
    ConnectTimeoutError,
    DisconnectedError,
)

UTC = datetime.timezone.utc


def state(native: T, value: object, count: int = 1, control: ControlInfo | None = None,
          severity: int = 0, status: int = 0) -> PVState:  # fmt: skip
    s = PVState("pv")
    s.apply_connection("connected", ("127.0.0.1", 5064), channel_info(native, count, 3))
    if native in (T.STRING, T.ENUM):
        items = value if isinstance(value, list) else [value]
        data: object = [str(v).encode() for v in items]
    else:
        data = np.atleast_1d(np.asarray(value))
    s.apply_update(Sample(data, status, severity, 0.0))
    s.control = control
    return s


def test_double_with_precision_and_units():
    s = state(T.DOUBLE, 3.14159, control=ControlInfo("mm", 3))
    assert format_value(s) == "3.142 mm"


def test_double_without_precision_uses_general_format():
    assert format_value(state(T.DOUBLE, 1234567.0)) == "1.23457e+06"


def test_integers_stay_integers():
    assert (
        format_value(state(T.LONG, np.int32(42), control=ControlInfo("counts", 3))) == "42 counts"
    )


def test_enum_shows_its_string():
    assert format_value(state(T.ENUM, "Run")) == "Run"


def test_enum_as_index_uses_choices():
    s = state(T.LONG, np.uint16(1), control=ControlInfo(enum_strings=("Off", "On")))
    # Subscribed with force_int_enums: values are indices.
    s.info = dataclasses.replace(s.info, type_name="ENUM")
    assert format_value(s) == "On"


def test_string_as_text():
    assert format_value(state(T.STRING, "hello world")) == "hello world"


def test_array_shows_count_and_first_values():
    s = state(T.DOUBLE, [1.5, 2.5, 3.5, 4.5, 5.5], count=8, control=ControlInfo("V", 1))
    assert format_value(s, max_items=3, width=60) == "[5] 1.5 2.5 3.5 … V"


def test_string_array():
    s = state(T.STRING, ["alpha", "beta"], count=4)
    assert format_value(s) == "[2] alpha beta"


def test_char_array_with_text_is_text():
    s = state(T.CHAR, list(b"Hello CA\0"), count=64)
    assert s.is_text and not s.is_array
    assert format_value(s) == "Hello CA"


def test_char_array_with_bytes_is_an_array():
    s = state(T.CHAR, [1, 2, 200], count=3)
    assert s.is_array
    assert format_value(s) == "[3] 1 2 200"


def test_long_values_are_clipped():
    assert format_value(state(T.STRING, "x" * 50), width=10) == "x" * 9 + "…"


def test_severity_and_status_text():
    assert [severity_text(i) for i in range(4)] == ["", "MINOR", "MAJOR", "INVALID"]
    assert severity_text(None) == ""
    assert status_text(3) == "HIHI"
    assert status_text(0) == ""


def test_native_type_names():
    assert native_type_name(T.INT) == "SHORT"
    assert native_type_name(T.TIME_DOUBLE) == "DOUBLE"
    assert native_type_name(None) == "?"


def test_format_number_precision():
    assert format_number(2.0, 0) == "2"
    assert format_number(float("nan"), 2) == "nan"
    assert format_number(np.int16(-7), 2) == "-7"


def test_timestamp_formats():
    ts = datetime.datetime(2026, 1, 15, 8, 30, 1, 250000, tzinfo=UTC).timestamp()
    assert format_timestamp(ts, tz=UTC) == "08:30:01.250"
    assert format_timestamp(ts, full=True, tz=UTC) == "2026-01-15 08:30:01.250000 UTC"
    assert format_timestamp(None) == ""


def test_history_keeps_recent_scalars():
    s = state(T.DOUBLE, 1.0)
    s.apply_update(Sample(np.array([2.0])))
    assert list(s.history) == [1.0, 2.0]


def test_stashed_update_is_decoded_when_read():
    s = state(T.DOUBLE, 1.0)
    s.stash(Sample(np.array([2.0]), 3, 2, 5.0))
    assert s.pending and s.updates == 2
    assert (s.severity, s.status, s.timestamp) == (2, 3, 5.0) and not s.pending
    assert s.scalar() == 2.0 and list(s.history) == [1.0, 2.0]
    # One replaced before it was read still counts in the trend, decoded or not.
    s.stash(Sample(np.array([3.0])))
    s.stash(Sample(np.array([4.0])))
    assert list(s.history) == [1.0, 2.0, 3.0, 4.0] and s.pending
    assert s.scalar() == 4.0 and list(s.history) == [1.0, 2.0, 3.0, 4.0] and s.updates == 4
    # A decoded update after a stashed one: the stashed one is dropped, not decoded late.
    s.stash(Sample(np.array([5.0])))
    s.apply_update(Sample(np.array([6.0])))
    assert s.scalar() == 6.0 and list(s.history)[-2:] == [5.0, 6.0] and not s.pending


def test_stash_of_strings_keeps_no_trend():
    s = state(T.STRING, "a")
    s.stash(Sample([b"b"]))
    assert list(s.history) == [] and s.value == ["b"]


def test_alarm_changes_are_kept_newest_last_without_repeats():
    s = state(T.DOUBLE, 1.0)
    s.note_alarm(0, 0, 0.5)  # no alarm at first: not a change
    for stamp, status, severity in [(1.0, 3, 1), (2.0, 3, 1), (3.0, 4, 2), (4.0, 0, 0)]:
        s.note_alarm(status, severity, stamp)
    assert list(s.alarm_changes) == [(1.0, 3, 1), (3.0, 4, 2), (4.0, 0, 0)]
    for i in range(20):
        s.note_alarm(i % 2, i % 2, float(i))
    assert len(s.alarm_changes) == ALARM_HISTORY_LENGTH and s.alarm_changes[-1][0] == 19.0


def test_stale_when_the_timestamp_stands_still():
    s = state(T.DOUBLE, 1.0)
    s.apply_update(Sample(np.array([1.0]), 0, 0, 100.0))
    assert not s.check_stale(0.0, 100.0) and s.stale_for is None  # no threshold: never stale
    s.stale_after = 5.0
    assert not s.check_stale(10.0, 100.0) and s.stale_for is None  # a fresh timestamp
    assert not s.check_stale(15.0, 105.0) and s.stale_for is None  # exactly 5 s: not yet
    assert s.check_stale(15.5, 105.5) and s.stale_for == 5.5
    assert not s.check_stale(15.9, 105.9)  # the same whole second: no redraw needed
    assert s.check_stale(17.0, 107.0) and s.stale_for == 7.0
    # The timestamp moves: fresh again.
    s.apply_update(Sample(np.array([2.0]), 0, 0, 107.5))
    assert s.check_stale(18.0, 108.0) and s.stale_for is None
    # 6 s by the stamp, 5.5 s since it was seen to move: the smaller.
    assert not s.check_stale(22.0, 112.0) and s.check_stale(23.5, 113.5) and s.stale_for == 5.5
    # Disconnected: the row says disconnected, not stale.
    s.apply_connection("disconnected", None)
    assert s.check_stale(30.0, 120.0) and s.stale_for is None


def stamped(stamp: float) -> PVState:
    s = state(T.DOUBLE, 1.0)
    s.apply_update(Sample(np.array([1.0]), 0, 0, stamp))
    return s


def test_stale_counts_from_the_timestamp_not_from_the_threshold():
    s = stamped(1000.0)  # frozen for an hour when the threshold is set
    s.stale_after = 30.0
    assert s.check_stale(50.0, 4600.0) and s.stale_for == 3600.0


def test_a_live_pv_on_an_ioc_whose_clock_is_behind_is_not_stale():
    s = stamped(1000.0)  # the IOC's clock a minute behind ours
    s.stale_after = 30.0
    s.check_stale(0.0, 1060.0)  # before it is seen to move: a minute old, by its stamp
    for tick in range(1, 5):
        s.apply_update(Sample(np.array([1.0]), 0, 0, 1000.0 + tick))  # fmt: skip
        s.check_stale(float(tick), 1060.0 + tick)
        assert s.stale_for is None  # it moves: alive, whatever its clock says
    assert not s.check_stale(20.0, 1080.0) and s.check_stale(40.0, 1100.0)
    assert s.stale_for == 36.0  # since it was last seen to move, not 96 s


def test_a_timestamp_in_the_future_counts_from_when_it_was_seen():
    s = stamped(5000.0)  # the IOC's clock ahead of ours
    s.stale_after = 30.0
    assert not s.check_stale(10.0, 1000.0) and not s.check_stale(40.0, 1030.0)
    assert s.check_stale(41.0, 1031.0) and s.stale_for == 31.0


def test_a_record_never_processed_is_not_stale():
    s = stamped(EPICS_EPOCH)
    s.stale_after = 30.0
    assert s.never_processed
    assert not s.check_stale(100.0, 2e9) and s.stale_for is None


def test_array_stats():
    assert array_stats(np.array([1.0, np.nan, 3.0])) == (1.0, 3.0, 2.0)
    assert array_stats(np.array([])) is None


def test_control_info_from_ctrl_double():
    md = DBR_CTRL_DOUBLE(precision=3, units=b"mm", upper_disp_limit=10.0, lower_disp_limit=-10.0,
                         upper_ctrl_limit=5.0, lower_ctrl_limit=-5.0)  # fmt: skip
    info = control_info(md)
    assert info.units == "mm" and info.precision == 3
    assert info.limits == {"display": (-10.0, 10.0), "control": (-5.0, 5.0)}


def test_control_info_from_ctrl_enum():
    md = DBR_CTRL_ENUM()
    md.enum_strings = ("Off", "On")
    assert control_info(md).enum_strings == ("Off", "On")


def test_watchlist_filter_and_sort():
    wl = Watchlist(["b:temp", "a:temp", "c:flow"])
    assert [s.name for s in wl.visible()] == ["b:temp", "a:temp", "c:flow"]
    wl.filter = "TEMP"
    assert [s.name for s in wl.visible()] == ["b:temp", "a:temp"]
    wl.filter = "*:f*"
    assert [s.name for s in wl.visible()] == ["c:flow"]
    wl.filter = ""
    assert wl.next_sort() == "name"
    assert [s.name for s in wl.visible()] == ["a:temp", "b:temp", "c:flow"]
    wl.states["c:flow"].apply_connection("connected", None, channel_info(T.DOUBLE, 1, 3))
    wl.states["c:flow"].severity = 2
    wl.states["a:temp"].apply_connection("connected", None, channel_info(T.DOUBLE, 1, 3))
    assert wl.next_sort() == "severity"
    assert [s.name for s in wl.visible()] == ["c:flow", "b:temp", "a:temp"]
    assert wl.next_sort() == "list"
    assert not wl.add("a:temp") and wl.remove("a:temp") and "a:temp" not in wl


def test_mailbox_keeps_only_the_newest_update():
    box = Mailbox()
    for i in range(50):
        box.put_update("pv", i)
    box.put_connection("pv", ConnectionEvent("disconnected"))
    drained = box.drain()
    assert drained.updates == {"pv": 49} and drained.dropped == 49
    assert drained.connections["pv"].state == "disconnected"
    assert not box.drain()


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (None, "completed"),
        (ChannelAccessDenied("no"), "refused: no write access"),
        (CATimeoutError("slow"), "timed out: no completion within 3 s; it was sent"),
        (ConnectTimeoutError("PV 'pv' not found"), "not written to pv: PV 'pv' not found"),
        (DisconnectedError("closed"), "the outcome is unknown, check the value"),
    ],
)
def test_write_outcome_in_words(error, words):
    ok, text = describe_write("pv", "5", object() if error is None else None, error, 3.0)
    assert ok is (error is None)
    assert words in text


def test_mailbox_keeps_every_alarm_change_of_coalesced_updates():
    box = Mailbox()
    for value, severity, status in [(1.0, 0, 0), (95.0, 2, 3), (96.0, 2, 3), (50.0, 0, 0)]:
        box.put_update("pv", Sample(np.array([value]), status, severity, value))
    drained = box.drain()
    assert float(drained.updates["pv"].data[0]) == 50.0  # only the newest update survives
    assert drained.alarms == [("pv", 0, 0, 1.0), ("pv", 3, 2, 95.0), ("pv", 0, 0, 50.0)]
    box.put_update("pv", Sample(np.array([51.0])))
    assert box.drain().alarms == []  # no change since


def test_alarm_of_a_real_time_response_is_read_without_the_structure():
    from protocol.commands import EventAddResponse
    from protocol.dbr import DBR_TIME_DOUBLE

    meta = DBR_TIME_DOUBLE(status=4, severity=2)
    response = EventAddResponse(
        data=[1.0], data_type=T.TIME_DOUBLE, data_count=1, status=1, subscriptionid=1,
        metadata=meta,
    )  # fmt: skip
    assert response.alarm == (4, 2)
    native = EventAddResponse(data=[1.0], data_type=T.DOUBLE, data_count=1, status=1,
                              subscriptionid=1)  # fmt: skip
    assert native.alarm is None
