"""What an armed write shows before anything is sent (catui.write_preview)."""

from __future__ import annotations

import numpy as np
import pytest

from catui.dialogs.write import WriteTarget
from catui.write_preview import preview, writable_value


def target(**kw) -> WriteTarget:
    base = dict(name="pv", type_name="DOUBLE", count=1, current="3.500 mm", writable=True,
                precision=3, units="mm",
                limits={"control": (-50.0, 50.0), "display": (-100.0, 100.0)})  # fmt: skip
    base.update(kw)
    return WriteTarget(**base)  # type: ignore[arg-type]


def test_number_with_units_exact_value_and_limits():
    armed = preview(target(), 60.0)
    assert (armed.old, armed.new, armed.sent) == ("3.500 mm", "60.000 mm", "DOUBLE 60.0")
    assert len(armed.warnings) == 1 and "(DRVL/DRVH)" in armed.warnings[0]
    assert len(preview(target(), 150.0).warnings) == 2
    assert preview(target(), 1.0).warnings == ()
    # What is sent is the value itself, not the value rounded to PREC for display.
    assert preview(target(), 1.23456).sent == "DOUBLE 1.23456"


def test_enum_by_label_or_index():
    t = target(type_name="ENUM", enum_strings=("Off", "On"), current="On", units="", limits={})
    assert preview(t, "Off").new == "Off (choice 0)"
    assert preview(t, "Off").sent == "ENUM choice 0 ('Off')"
    assert preview(t, 1).new == "On (choice 1)"


def test_strings_arrays_and_text():
    s = preview(target(type_name="STRING", units="", limits={}, current="a"), "b c")
    assert (s.new, s.sent) == ("'b c'", "STRING 'b c'")
    a = preview(target(count=3), [1.0, 2.0])
    assert a.new == "[2] 1.000 2.000 mm" and a.sent == "DOUBLE[2] 1.0, 2.0"
    t = preview(target(type_name="CHAR", count=40, as_text=True, units="", limits={}), "hi")
    assert t.sent == "CHAR[3] 'hi' in UTF-8 and its NUL"
    # Undo of a text: the bytes read before, as they were.
    text = target(type_name="CHAR", count=40, as_text=True, units="", limits={})
    back = preview(text, [104, 195, 169, 0, 7])
    assert back.new == "'hé'" and back.sent == "CHAR[5] the bytes read before, as they were"


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
