"""What an armed write shows before anything is sent (catui.write_preview)."""

from __future__ import annotations

import numpy as np
import pytest

from catui.data.write_value import DRIVE
from catui.write_preview import (
    WriteTarget,
    enum_index,
    exact_number,
    exact_text,
    preview,
    same_value,
    writable_value,
)


def target(**kw) -> WriteTarget:
    base = dict(name="pv", type_name="DOUBLE", count=1, current="3.5 mm", writable=True,
                precision=3, units="mm", limit_source=DRIVE,
                limits={"control": (-50.0, 50.0), "display": (-100.0, 100.0)})  # fmt: skip
    base.update(kw)
    return WriteTarget(**base)  # type: ignore[arg-type]


def test_number_with_units_exact_value_and_limits():
    armed = preview(target(), 60.0)
    assert (armed.old, armed.new, armed.sent) == ("3.5 mm", "60 mm", "DOUBLE 60.0")
    assert len(armed.warnings) == 1 and "(DRVL/DRVH)" in armed.warnings[0]
    assert len(preview(target(), 150.0).warnings) == 2
    assert preview(target(), 1.0).warnings == ()
    # What is shown and sent is the value itself, not the value rounded to PREC.
    assert preview(target(), 1.23456).sent == "DOUBLE 1.23456"
    assert preview(target(precision=0), 0.75).new == "0.75 mm"
    # A fresh read's old, and what changed since the dialog opened, said first.
    armed = preview(target(), 60.0, old="7 mm", notice="changed since you opened this")
    assert armed.old == "7 mm" and armed.warnings[0] == "changed since you opened this"


def test_exact_numbers():
    assert [exact_number(v) for v in (60.0, 0.75, -1e300, 3, np.int16(-4))] == [
        "60", "0.75", "-1e+300", "3", "-4"
    ]  # fmt: skip
    assert exact_number(np.float32(0.1)) == "0.1"  # not 0.10000000149011612
    assert exact_number(np.float64(1e16)) == "1e+16"
    assert exact_number(float("nan")) == "nan"


def test_exact_text_of_reads():
    t = target()
    assert exact_text(np.array([0.75]), t) == "0.75 mm"
    assert exact_text(None, t) == "?"
    assert exact_text(np.array([1.0, 2.5, 3.0]), target(count=8)) == "[3] 1 2.5 3 mm"
    many = exact_text(np.arange(10.0), target(count=10, units=""))
    assert many == "[10] 0 1 2 3 4 5 6 7 …"
    e = target(type_name="ENUM", enum_strings=("Off", "On"), units="", limits={})
    assert exact_text(np.array([1], dtype=np.uint16), e) == "'On' (choice 1)"
    assert exact_text(np.array([1]), e, plain=True) == "On"
    assert exact_text(["Off"], e) == "'Off' (choice 0)" and enum_index(["Off"], e) == 0
    assert exact_text(np.array([5]), e) == "choice 5"
    s = target(type_name="STRING", units="", limits={})
    assert exact_text([b"hi"], s) == "'hi'" and exact_text([b"hi"], s, plain=True) == "hi"
    c = target(type_name="CHAR", count=16, as_text=True, units="", limits={})
    assert exact_text(np.array([104, 105, 0, 7], dtype=np.uint8), c) == "'hi'"
    assert exact_text(b"25 \xc2\xb0C\x00", c, plain=True) == "25 °C"
    assert exact_text(np.zeros(0, dtype=np.uint8), c) == "''"


def test_same_value():
    assert same_value(np.array([3.5]), np.array([3.5]))
    assert not same_value(np.array([3.5]), np.array([3.5001]))
    assert same_value(np.array([float("nan")]), np.array([float("nan")]))
    assert not same_value(np.array([1.0, 2.0]), np.array([1.0]))
    assert same_value(["a"], [b"a"]) and not same_value(["a"], ["b"])
    assert not same_value(None, np.array([1.0])) and same_value(None, None)
    # An enum as the monitor has it (its label) and as a read has it (its index).
    e = target(type_name="ENUM", enum_strings=("Closed", "Open"), units="", limits={})
    assert same_value(["Closed"], np.array([0], dtype=np.uint16), e)
    assert not same_value(["Closed"], np.array([1], dtype=np.uint16), e)


def test_enum_by_label_or_index():
    t = target(type_name="ENUM", enum_strings=("Off", "On"), current="On", units="", limits={})
    assert preview(t, "Off").new == "'Off' (choice 0)"
    assert preview(t, "Off").sent == "ENUM choice 0 ('Off')"
    assert preview(t, 1).new == "'On' (choice 1)"


def test_strings_arrays_and_text():
    s = preview(target(type_name="STRING", units="", limits={}, current="a"), "b c")
    assert (s.new, s.sent) == ("'b c'", "STRING 'b c'")
    a = preview(target(count=3), [1.0, 2.0])
    assert a.new == "[2] 1 2 mm" and a.sent == "DOUBLE[2] 1.0, 2.0"
    t = preview(target(type_name="CHAR", count=40, as_text=True, units="", limits={}), "hé")
    # The text and the bytes sent.
    assert t.sent == "CHAR[4] 'hé' in UTF-8 and its NUL: 68 c3 a9 00"
    long = preview(target(type_name="CHAR", count=99, as_text=True, units="", limits={}),
                   "x" * 30)  # fmt: skip
    assert long.sent.endswith(" 78 …") and long.sent.count("78") == 24
    # A long text is shown cut, saying how long it is.
    longer = preview(target(type_name="CHAR", count=999, as_text=True, units="", limits={}),
                     "y" * 300)  # fmt: skip
    assert longer.new == repr("y" * 100) + "… (300 characters)"
    assert longer.sent.startswith("CHAR[301] " + repr("y" * 100) + "… (300 characters) in")
    # Undo of a text: the bytes read before, as they were.
    text = target(type_name="CHAR", count=40, as_text=True, units="", limits={})
    back = preview(text, [104, 195, 169, 0, 7])
    assert back.new == "'hé'"
    assert back.sent == "CHAR[5] the bytes read before, as they were: 68 c3 a9 00 07"


def test_writable_value_from_a_read():
    assert writable_value(np.array([3.5]), 1) == 3.5
    assert isinstance(writable_value(np.array([3], dtype=np.int16), 1), int)
    assert writable_value(np.array([1.0, 2.0]), 3) == [1.0, 2.0]
    assert writable_value([b"text"], 1) == "text"
    assert writable_value(["a", "b"], 2) == ["a", "b"]
    with pytest.raises(ValueError, match="not known"):
        writable_value(None, 1)
    with pytest.raises(ValueError, match="empty"):
        writable_value(np.array([]), 1)


def test_dialog_limits_line_says_where_they_come_from():
    from catui.data.write_value import DISPLAY

    assert target().describe_limits() == (
        "Drive limits (DRVL/DRVH): -50 … 50 mm; the IOC clips to them"
    )
    huge = target(limits={"control": (-1e300, 1e300)}, limit_source=DISPLAY, units="")
    assert huge.describe_limits() == (
        "Display range (LOPR/HOPR): -1e+300 … 1e+300; not enforced by the IOC"
    )
    assert target(limit_source=None).describe_limits() == "Control limits: -50 … 50 mm"
    chars = target(type_name="CHAR", count=16, as_text=True, units="", limits={})
    assert chars.describe_limits() == "Text, at most 15 bytes in UTF-8 (ctrl+t: numbers)"
