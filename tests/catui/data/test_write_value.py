"""Values typed into the write dialog: parsed against the native type, never evaluated."""

from __future__ import annotations

import pytest

from catui.data.write_value import limit_warning, parse_value


@pytest.mark.parametrize(
    ("text", "kind", "count", "expected"),
    [
        ("1.5", "DOUBLE", 1, 1.5),
        (" -3 ", "LONG", 1, -3),
        ("0x10", "SHORT", 1, 16),
        ("255", "CHAR", 1, 255),
        ("hello", "STRING", 1, "hello"),
        ("1, 2.5,3", "DOUBLE", 8, [1.0, 2.5, 3.0]),
        ("a,b", "STRING", 4, ["a", "b"]),
    ],
)
def test_good_values(text, kind, count, expected):
    assert parse_value(text, kind, count) == expected


@pytest.mark.parametrize(
    ("text", "kind", "count", "message"),
    [
        ("abc", "DOUBLE", 1, "not a number"),
        ("__import__('os')", "DOUBLE", 1, "not a number"),
        ("1.5", "LONG", 1, "not a whole number"),
        ("40000", "SHORT", 1, "does not fit a SHORT"),
        ("256", "CHAR", 1, "does not fit a CHAR"),
        ("inf", "DOUBLE", 1, "not a finite number"),
        ("x" * 40, "STRING", 1, "at most 39 bytes"),
        ("1,2,3", "DOUBLE", 2, "at most 2 values"),
        ("1,x", "LONG", 4, "not a whole number"),
    ],
)
def test_bad_values(text, kind, count, message):
    with pytest.raises(ValueError, match=message):
        parse_value(text, kind, count)


def test_enum_by_name_or_index():
    choices = ("Off", "On", "Fault")
    assert parse_value("On", "ENUM", 1, choices) == "On"
    assert parse_value("2", "ENUM", 1, choices) == "Fault"
    with pytest.raises(ValueError, match="choose one of: Off, On, Fault"):
        parse_value("Maybe", "ENUM", 1, choices)


def test_long_string_in_char_array():
    assert parse_value("some text", "CHAR", 64, as_text=True) == "some text"
    with pytest.raises(ValueError, match="at most 3 bytes"):
        parse_value("toolong", "CHAR", 4, as_text=True)


def test_limit_warning():
    limits = {"control": (-50.0, 50.0)}
    assert limit_warning(10.0, limits) is None
    assert "outside the control limits -50 … 50" in (limit_warning(60.0, limits) or "")
    assert limit_warning([1.0, 70.0], limits) is not None
    assert limit_warning(60.0, {}) is None


def test_limit_warnings_name_drive_and_display_limits():
    from catui.data.write_value import DRIVE, limit_warnings

    limits = {"control": (0.0, 10.0), "display": (-5.0, 5.0)}
    assert limit_warnings(3.0, limits, DRIVE) == []
    (display,) = limit_warnings(7.0, limits, DRIVE)
    assert display == "7 is outside the display range -5 … 5 (LOPR/HOPR); check it is meant"
    control, display = limit_warnings(-6.0, limits, DRIVE)
    assert control == "-6 is outside the drive limits 0 … 10 (DRVL/DRVH); the IOC will clip it"
    assert "LOPR/HOPR" in display
    assert limit_warnings("text", limits) == [] and limit_warnings(True, limits) == []


def test_limit_warnings_are_worded_from_where_the_limits_come_from():
    from catui.data.write_value import DISPLAY, limit_warnings

    # A longout without DRVH/DRVL, an ai, a calc: the control limits are LOPR/HOPR,
    # which the IOC does not enforce; said once.
    limits = {"control": (-10.0, 10.0), "display": (-10.0, 10.0)}
    assert limit_warnings(20.0, limits, DISPLAY) == [
        "20 is outside the display range -10 … 10 (LOPR/HOPR); the IOC accepts it; "
        "check it is meant"
    ]
    # Not known (a server that is no IOC, another field): neither promise is made.
    (unknown,) = limit_warnings(20.0, {"control": (-10.0, 10.0)})
    assert unknown == (
        "20 is outside the control limits -10 … 10 (from DRVL/DRVH or LOPR/HOPR: not "
        "known); the IOC may clip it"
    )
    # Huge limits read like values, not as 300 digits.
    (huge,) = limit_warnings(2e300, {"control": (-1e300, 1e300)}, DISPLAY)
    assert "2e+300 is outside the display range -1e+300 … 1e+300" in huge


@pytest.mark.parametrize(
    ("control", "fields", "expected"),
    [
        ((-50.0, 50.0), {"DRVL": -50.0, "DRVH": 50.0, "LOPR": -100.0, "HOPR": 100.0}, "drive"),
        # A longout without drive limits reports its display range.
        ((-1000, 1000), {"DRVL": 0, "DRVH": 0, "LOPR": -1000, "HOPR": 1000}, "display"),
        ((-10.0, 10.0), {"LOPR": -10.0, "HOPR": 10.0}, "display"),
        ((1.0, 5.0), {"LOPR": 0.0, "HOPR": 9.0}, None),  # e.g. a motor: HLM/LLM
        ((1.0, 5.0), {}, None),  # nothing read: not known
        ((1.0, 5.0), {"DRVL": "x", "DRVH": None}, None),
    ],
)
def test_limit_source(control, fields, expected):
    from catui.data.write_value import limit_source

    assert limit_source(control, fields) == expected


def test_which_fields_tell_the_limit_source():
    from catui.data.write_value import limit_fields, record_of

    assert record_of("ioc:ao") == "ioc:ao" and record_of("ioc:ao.VAL") == "ioc:ao"
    assert record_of("ioc:ao.HIHI") is None and record_of("ioc:lstr.VAL$") is None
    assert limit_fields("ao") == limit_fields("longout") == ("DRVL", "DRVH", "LOPR", "HOPR")
    assert limit_fields("calc") == ("LOPR", "HOPR")


@pytest.mark.parametrize(
    ("typed", "current", "expected"),
    [
        ("f", None, 2),
        ("O", 1, 0),
        ("on", 0, 1),
        ("o", 0, 0),  # one letter: the first label it begins
        ("oo", 0, 1),  # typed again: the next label it begins
        ("ooo", 1, 0),  # ...and round again
        ("x", 1, None),
        ("", 1, None),
    ],
)
def test_type_ahead_in_enum_choices(typed, current, expected):
    from catui.data.write_value import match_choice

    assert match_choice(("Off", "On", "Fault"), typed, current) == expected


def test_strings_are_latin1_as_the_library_encodes_them():
    assert parse_value("café", "STRING") == "café"
    with pytest.raises(ValueError, match="latin-1 characters only; '€' is not one"):
        parse_value("5 €", "STRING")
    with pytest.raises(ValueError, match="latin-1"):
        parse_value("a, b€", "STRING", 3)


def test_a_label_shared_by_two_choices_is_written_by_number():
    choices = ("Off", "Spare", "Spare", "On")
    with pytest.raises(ValueError, match=r"'Spare' is the label of choices 1, 2; give the number"):
        parse_value("Spare", "ENUM", 1, choices)
    assert parse_value("2", "ENUM", 1, choices) == 2  # the second Spare, not the first
    assert parse_value("3", "ENUM", 1, choices) == "On"  # a unique label stays a label
