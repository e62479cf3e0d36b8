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
    from catui.data.write_value import limit_warnings

    limits = {"control": (0.0, 10.0), "display": (-5.0, 5.0)}
    assert limit_warnings(3.0, limits) == []
    (display,) = limit_warnings(7.0, limits)
    assert "display range -5 … 5 (LOPR/HOPR)" in display
    control, display = limit_warnings(-6.0, limits)
    assert "control limits 0 … 10 (DRVL/DRVH)" in control and "-6" in control
    assert "LOPR/HOPR" in display
    assert limit_warnings("text", limits) == [] and limit_warnings(True, limits) == []


def test_a_label_shared_by_two_choices_is_written_by_number():
    choices = ("Off", "Spare", "Spare", "On")
    with pytest.raises(ValueError, match=r"'Spare' is the label of choices 1, 2; give the number"):
        parse_value("Spare", "ENUM", 1, choices)
    assert parse_value("2", "ENUM", 1, choices) == 2  # the second Spare, not the first
    assert parse_value("3", "ENUM", 1, choices) == "On"  # a unique label stays a label
