"""How values, times and ages read (catui.formats, catui.model.format_value): no Textual."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from catui.feeds.base import Sample
from catui.feeds.ca import channel_info
from catui.formats import (
    DEC,
    DEFAULT,
    EPICS_EPOCH,
    EXP,
    FULL,
    HEX,
    TEXT,
    Day,
    format_age,
    format_item,
    format_number,
    format_stamp,
)
from catui.model import ControlInfo, PVState, Watchlist, format_cycle, format_value
from protocol.channel_types import ChannelType as T
from protocol.dbr import EPICS_EPOCH_OFFSET

UTC = datetime.timezone.utc


def state(native: T, value: object, count: int = 1, control: ControlInfo | None = None,
          stamp: float = 0.0) -> PVState:  # fmt: skip
    s = PVState("pv")
    s.apply_connection("connected", ("127.0.0.1", 5064), channel_info(native, count, 3))
    if native in (T.STRING, T.ENUM) and not isinstance(value, (int, np.integer)):
        items = value if isinstance(value, list) else [value]
        data: object = [str(v).encode() for v in items]
    else:
        data = np.atleast_1d(np.asarray(value))
    s.apply_update(Sample(data, 0, 0, stamp))
    s.control = control
    return s


# -- item 6: PREC where it was meant, never a non-zero shown as 0 ------------------------


def test_an_array_with_prec_0_shows_its_small_values():
    s = state(T.DOUBLE, [0.1, 0.2, 1e-7], count=3, control=ControlInfo(precision=0))
    assert format_value(s) == "[3] 0.1 0.2 1e-07"


def test_array_elements_take_more_digits_when_prec_asks():
    assert format_item(0.123456789, 8) == "0.12345679"
    assert format_item(0.123456789, 2) == "0.123457"
    assert format_item(np.int16(-7), 2) == "-7"


def test_a_scalar_in_the_table_keeps_prec():
    assert format_value(state(T.DOUBLE, 0.75, control=ControlInfo("mm", 0))) == "1 mm"


def test_huge_values_and_limits_are_not_hundreds_of_digits():
    assert format_number(-1e300, 3) == "-1e+300"
    assert format_number(1.5e300, None) == "1.5e+300"
    assert format_number(123456.789, 2) == "123456.79"


@pytest.mark.parametrize(
    ("native", "value", "control", "display", "shown"),
    [
        (T.DOUBLE, 0.75, ControlInfo("mm", 0), FULL, "full: 0.75 mm"),
        (T.DOUBLE, 0.1 + 0.2, ControlInfo(precision=3), FULL, "full: 0.30000000000000004"),
        (T.FLOAT, np.float32(0.1), ControlInfo(precision=1), FULL, "full: 0.1"),
        (T.DOUBLE, 7.8, ControlInfo("bar", 2), EXP, "exp: 7.80e+00 bar"),
        (T.DOUBLE, 7.8, ControlInfo(precision=0), EXP, "exp: 7.800000e+00"),
        (T.LONG, np.int32(123456), ControlInfo(), HEX, "hex: 0x1E240"),
        (T.INT, np.int16(-1), ControlInfo(), HEX, "hex: 0xFFFF"),
        (T.LONG, np.int32(-2), ControlInfo(), HEX, "hex: 0xFFFFFFFE"),
        (T.LONG, np.int32(123456), ControlInfo(), EXP, "exp: 1.234560e+05"),
    ],
)
def test_the_formats_of_f(native, value, control, display, shown):
    s = state(native, value, control=control)
    assert format_value(s, display=display) == shown
    assert format_value(s) != shown  # the default is another


def test_array_formats():
    s = state(T.LONG, np.array([1, 255, -1], dtype=np.int32), count=3)
    assert format_value(s, display=HEX) == "hex: [3] 0x1 0xFF 0xFFFFFFFF"
    f = state(T.DOUBLE, [0.1, 1 / 3], count=2, control=ControlInfo(precision=2))
    assert format_value(f, display=FULL, width=60) == "full: [2] 0.1 0.3333333333333333"


def test_f_cycles_only_through_formats_that_show_something_else():
    assert format_cycle(state(T.DOUBLE, 1.5)) == (DEFAULT, FULL, EXP)
    assert format_cycle(state(T.LONG, np.int32(3))) == (DEFAULT, HEX, EXP)
    assert format_cycle(state(T.STRING, "text")) == (DEFAULT,)
    text = state(T.CHAR, list(b"Hello\0"), count=16)
    assert format_cycle(text) == (DEFAULT, DEC, HEX)
    binary = state(T.CHAR, [1, 2, 200], count=16)
    assert format_cycle(binary) == (DEFAULT, HEX, TEXT)
    labelled = state(T.ENUM, np.uint16(1), control=ControlInfo(enum_strings=("Off", "On")))
    assert format_cycle(labelled) == (DEFAULT, DEC)
    assert format_value(labelled, display=DEC) == "dec: 1"


# -- item 7: CHAR arrays as text ---------------------------------------------------------


def test_a_char_array_of_utf8_text_is_text():
    s = state(T.CHAR, list("tempé €\0".encode()), count=32)
    assert s.is_text and format_value(s) == "tempé €"


def test_a_char_array_of_text_with_an_escape_is_still_text():
    s = state(T.CHAR, list(b"\x1b[31mred alarm text\0"), count=32)
    assert s.is_text and format_value(s).startswith("\x1b[31mred")  # drawn as �[31m…


def test_binary_char_arrays_are_numbers_and_f_switches_either_way():
    binary = state(T.CHAR, [1, 2, 200], count=3)
    assert not binary.is_text and format_value(binary) == "[3] 1 2 200"
    assert format_value(binary, display=TEXT) == "text: \x01\x02\ufffd"
    text = state(T.CHAR, list(b"Hi CA\0"), count=8)
    assert format_value(text, display=DEC) == "dec: [6] 72 105 32 67 …"
    assert format_value(text, display=HEX, max_items=2) == "hex: [6] 0x48 0x69 …"


def test_the_text_is_decoded_once_per_value():
    s = state(T.CHAR, list(b"Hello\0"), count=8)
    assert s.char_text() == "Hello"
    s._text = "cached"  # the same value object: not decoded again
    assert s.char_text() == "cached"
    s.apply_update(Sample(np.array(list(b"World\0"))))
    assert s.char_text() == "World"


# -- item 8: an enum index without a label shows the number --------------------------------


@pytest.mark.parametrize(
    ("value", "labels", "shown"),
    [
        (np.uint16(1), ("Off", "", "Fault"), "1"),  # a gap in the labels
        (np.uint16(5), ("Off", "On"), "5"),  # past the last label
        (np.uint16(2), (), "2"),  # no labels read (yet)
        (np.uint16(1), ("Off", "On"), "On"),
        ("", ("Off", "", "Fault"), "1"),  # subscribed as text: its one empty label
        ("", ("Off", "", "", "D"), "(no label)"),  # two empty labels: which is not known
    ],
)
def test_an_enum_without_a_label_shows_its_number(value, labels, shown):
    s = state(T.ENUM, value, control=ControlInfo(enum_strings=labels))
    assert format_value(s) == shown


# -- item 10: dates and never processed ------------------------------------------------------


NOW = datetime.datetime(2026, 11, 30, 15, 0, tzinfo=UTC).timestamp()


def at(*args: int) -> float:
    return datetime.datetime(*args, tzinfo=UTC).timestamp()  # type: ignore[misc]


def test_the_epics_epoch_is_what_the_protocol_decodes_for_zero():
    assert float(EPICS_EPOCH_OFFSET) == EPICS_EPOCH


@pytest.mark.parametrize(
    ("stamp", "width", "shown"),
    [
        (at(2026, 11, 30, 8, 30, 1, 250000), 8, "08:30:01"),
        (at(2026, 11, 30, 8, 30, 1, 250000), 12, "08:30:01.250"),
        (at(2026, 11, 29, 8, 30, 1), 8, "11-29"),
        (at(2026, 11, 29, 8, 30, 1), 11, "11-29 08:30"),
        (at(2026, 11, 29, 8, 30, 1), 14, "11-29 08:30:01"),
        (at(2025, 11, 30, 8, 30, 1), 10, "2025-11-30"),
        (at(2025, 11, 30, 8, 30, 1), 19, "2025-11-30 08:30:01"),
        (at(2025, 11, 30, 8, 30, 1), 8, "2025-11"),
        (EPICS_EPOCH, 15, "never processed"),
        (EPICS_EPOCH, 8, "never"),
    ],
)
def test_a_timestamp_shows_its_date_when_not_today(stamp, width, shown):
    assert format_stamp(stamp, Day(NOW, UTC), width, UTC) == shown


def test_day_bounds_in_a_time_zone():
    tz = datetime.timezone(datetime.timedelta(hours=-5))
    day = Day(NOW, tz)  # 10:00 on 2026-11-30 there
    assert at(2026, 11, 30, 5, 0) in day and at(2026, 11, 30, 4, 59) not in day
    assert day.end == at(2026, 12, 1, 5, 0)


def test_alarm_changes_are_kept_in_the_order_of_their_timestamps():
    s = state(T.DOUBLE, 1.0)
    s.note_alarm(3, 1, 10.0)
    s.note_alarm(0, 0, 30.0)
    s.note_alarm(4, 2, 20.0)  # older than the newest kept: in its place
    assert [change[0] for change in s.alarm_changes] == [10.0, 20.0, 30.0]
    s.note_alarm(4, 2, 25.0)  # the same alarm as the one before it in time
    assert len(s.alarm_changes) == 3


# -- item 11: ages -------------------------------------------------------------------------


def test_ages():
    assert [format_age(s) for s in (42, 312, 3 * 3600 + 300, 2 * 86400 + 7 * 3600)] == [
        "42s", "5m12s", "3h05m", "2d07h",
    ]  # fmt: skip


# -- item 15: a removed PV put back where it was ----------------------------------------------


def test_watchlist_insert_keeps_the_order():
    wl = Watchlist(["a", "b", "c"])
    states = wl.states
    wl.remove("b")
    assert wl.insert("b", 1) is not None and wl.names == ["a", "b", "c"]
    assert wl.states is states  # the same dict the screens hold
    assert wl.insert("b", 0) is None and wl.position("c") == 2
