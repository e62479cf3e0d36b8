"""JSON and the JSON5 forms EPICS 7 accepts in JSON links."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catui.browse.json_text import MAX_DEPTH, loads


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ("{a: 1}", {"a": 1}),
        ("{'a': 'b'}", {"a": "b"}),
        ("{a: [1, 2,],}", {"a": [1, 2]}),
        ("// c\n{a: /* inline */ 1}", {"a": 1}),
        ("0x1F", 31),
        ("-0x10", -16),
        ("+5", 5),
        (".5", 0.5),
        ("5.", 5.0),
        ("Infinity", math.inf),
        ("-Infinity", -math.inf),
        ("'it\\'s'", "it's"),
        ('"tab\\there"', "tab\there"),
        ('"\\u00e9\\x41"', "éA"),
        ("[true, false, null]", [True, False, None]),
        ("{$a_1: 2}", {"$a_1": 2}),
        ("  [ ]  ", []),
    ],
)
def test_json5_forms(text, value):
    assert loads(text) == value


def test_nan():
    assert math.isnan(loads("NaN"))
    assert math.isnan(loads("-NaN"))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "unexpected end of text"),
        ("{a 1}", "expected ':'"),
        ("{a: 1", "unterminated object"),
        ("[1 2]", "expected ',' or ']'"),
        ("[1,", "unterminated array"),
        ('"abc', "unterminated string"),
        ('"a\nb"', "line break in a string"),
        ("1 2", "unexpected text after the value"),
        ("nope", "unexpected word 'nope'"),
        ("/* open", "unterminated comment"),
        ('"\\u12"', "bad \\\\u escape"),
        ("{1: 2}", "expected a key"),
        ("-", "expected a number"),
        ("Inf", "expected a number"),
        ("1e5e5", "bad number"),
    ],
)
def test_bad_text_says_where(text, why):
    with pytest.raises(ValueError, match=why):
        loads(text)


def test_nesting_is_bounded():
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(ValueError, match="nested too deeply"):
        loads("[" * 10_000 + "]" * 10_000)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_what_json_writes_reads_back(value):
    assert loads(json.dumps(value)) == value


@given(st.text(max_size=100))
def test_any_text_gives_a_value_or_a_value_error_saying_where(text):
    try:
        loads(text)
    except ValueError as exc:
        assert " at character " in str(exc)
