"""The CLI's pieces without an IOC: formatting, argument types, dispatch, lean imports."""

from __future__ import annotations

import argparse
import array
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catui.__main__ import main
from catui.cli import common, layout, options
from catui.cli import formatting as fm
from catui.cli.get import data_type_arg
from catui.cli.monitor import mask_arg
from catui.cli.put import parse_number
from protocol.channel_types import ChannelType
from tests.catui.cli.epics_c import c_stamp, escaped_from_raw, printf, raw_from_escaped

ROOT = Path(__file__).resolve().parents[3]


def test_numbers_as_caget_prints_them():
    assert fm.NumberFormat().format(3.5) == "3.5"
    assert fm.NumberFormat().format(1234567890123.0) == "1.23457e+12"
    assert fm.NumberFormat("e", 3).format(3.5) == "3.500e+00"
    assert fm.NumberFormat("f", 2).format(-0.125) == "-0.12"
    assert fm.NumberFormat("g", 2).format(123.0) == "1.2e+02"
    assert fm.NumberFormat().format(float("nan")) == "nan"
    assert fm.NumberFormat().format(-float("nan")) == "-nan"  # glibc prints the sign
    assert fm.NumberFormat().format(float("-inf")) == "-inf"


NUMBERS = [
    0.0, -0.0, 3.5, -0.125, 1e-7, 123456789.0, 1234567890123.0, 2.0**-1074, 1.7976931348623157e308,
    0.1, 2.5, 1 / 3, -1e300, float("inf"), float("-inf"), float("nan"), -float("nan"),
]  # fmt: skip


@pytest.mark.parametrize("style", ["g", "e", "f"])
@pytest.mark.parametrize("digits", [None, 0, 1, 3, 6, 17, 18])
def test_number_formats_are_c_printf(style, digits):
    number = fm.NumberFormat(style, digits)
    c_format = f"%{style}" if digits is None else f"%-.{digits}{style}"  # caget's dblFormatStr
    for value in NUMBERS:
        assert number.format(value) == printf(c_format, value), (c_format, value)


def test_integers_in_every_base_are_sprint_long():
    # caget's sprint_long: "%d", "0x%X", "0o%o" of an int (32 bits); binary without prefix.
    for value in (0, 1, 7, 31, -1, -5, 2**31 - 1, -(2**31), 100000, -200000):
        assert fm.int_text(value) == printf("%d", value)
        assert fm.int_text(value, "x") == printf("0x%X", value & 0xFFFFFFFF)
        assert fm.int_text(value, "o") == printf("0o%o", value & 0xFFFFFFFF)
        assert fm.int_text(value, "b") == (format(value & 0xFFFFFFFF, "b"))
    assert fm.int_text(0, "b") == "0"
    assert fm.int_text(5, "b") == "101"
    assert fm.int_text(-1, "b") == "1" * 32
    # Beyond 32 bits (a rounded DOUBLE): exact, signed (C's conversion is undefined).
    assert fm.int_text(2**40, "x") == "0x10000000000"
    assert fm.int_text(-(2**40), "x") == "-0x10000000000"


def test_elements_as_val2str():
    vf = fm.ValueFormat
    assert fm.element_text(3.5, ChannelType.TIME_DOUBLE) == "3.5"
    assert fm.element_text(3.5, ChannelType.DOUBLE, vf(number=fm.NumberFormat("e", 2))) == (
        "3.50e+00"
    )
    # -lx: FLOAT/DOUBLE rounded half away from zero, then as -0x.
    for value, text in ((2.5, "0x3"), (-2.5, "0xFFFFFFFD"), (0.4, "0x0"), (-0.4, "0x0")):
        assert fm.element_text(value, ChannelType.FLOAT, vf(float_base="x")) == text
    assert fm.element_text(float("nan"), ChannelType.DOUBLE, vf(float_base="x")) == "nan"
    # -0x: SHORT and LONG; never a CHAR (caget prints those "%d"), nor a float.
    hexa = vf(int_base="x")
    assert fm.element_text(-2, ChannelType.TIME_INT, hexa) == "0xFFFFFFFE"
    assert fm.element_text(255, ChannelType.LONG, hexa) == "0xFF"
    assert fm.element_text(200, ChannelType.CHAR, hexa) == "200"  # unsigned, as DBR_CHAR is
    assert fm.element_text(2.0, ChannelType.DOUBLE, hexa) == "2"
    # An ENUM: a number, or with GR/CTRL labels its label, as caget reads them.
    labels = (b"Off", b"", b"Fault")
    assert fm.element_text(2, ChannelType.TIME_ENUM) == "2"
    assert fm.element_text(2, ChannelType.CTRL_ENUM, labels=labels) == "Fault"
    assert fm.element_text(1, ChannelType.CTRL_ENUM, labels=labels) == "1"  # blank: its index
    assert fm.element_text(3, ChannelType.GR_ENUM, labels=labels) == "Enum Index Overflow (3)"
    assert fm.element_text(16, ChannelType.GR_ENUM, labels=labels) == "Illegal Value (16)"
    assert fm.element_text(2, ChannelType.CTRL_ENUM, vf(enum_numbers=True), labels) == "2"
    assert fm.element_text(b'say "hi"\n', ChannelType.STRING) == 'say \\"hi\\"\\n'


def test_escapes_are_epics_escapes():
    for byte in range(256):
        raw = bytes([byte, 65, byte])
        assert fm.escape(raw) == escaped_from_raw(raw), byte
    for raw in (b"", b"hello", b"temp\xc2\xb0C", b"C:\\temp", b'it\'s "x"', bytes(range(256))):
        assert fm.escape(raw) == escaped_from_raw(raw)
        assert fm.unescape(fm.escape(raw)) == raw


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab\\x0Fg\"'nt\u00e9 ", max_size=20))
def test_unescape_is_epics_raw_from_escaped(text):
    assert fm.unescape(text) == raw_from_escaped(text)


def test_stamps_as_epics_time_to_strftime():
    stamps = [
        (0, 0), (0, 1), (1, 0), (1_000_000_000, 123), (1_000_000_000, 499),
        (1_000_000_000, 500), (1_000_000_000, 999_999_499), (1_000_000_000, 999_999_500),
        (1_000_000_000, 999_999_999), (1_100_000_000, 1_000_000_000), (2**32 - 1, 7),
    ]  # fmt: skip
    for seconds, nanoseconds in stamps:
        assert fm.stamp_text(seconds, nanoseconds) == c_stamp(seconds, nanoseconds)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", fm.stamp_text(*fm.now_stamp()))


def test_names_alarms_and_access():
    assert fm.dbr_name(ChannelType.TIME_INT) == "DBR_TIME_SHORT"
    assert fm.dbr_name(34) == "DBR_CTRL_DOUBLE"
    assert fm.dbf_name(ChannelType.CTRL_ENUM) == "DBF_ENUM"
    assert fm.dbf_name(1) == "DBF_SHORT"
    assert (fm.status_text(4), fm.severity_text(1)) == ("HIGH", "MINOR")
    assert (fm.status_text(0), fm.severity_text(3)) == ("NO_ALARM", "INVALID")
    assert fm.status_text(99) == "99"
    assert fm.access_text(3) == "read, write"
    assert fm.access_text(1) == "read, no write"
    assert fm.access_text(0) == "no read, no write"


def test_json_values():
    assert fm.json_value(array.array("d", [1.0]), ChannelType.DOUBLE) == 1.0
    assert fm.json_value(array.array("d", [1.0, float("nan")]), ChannelType.DOUBLE) == [1.0, None]
    assert fm.json_value([b"x"], ChannelType.STRING) == "x"
    text = array.array("B", b"ab\0c")
    assert fm.json_value(text, ChannelType.CHAR, char_as_string=True) == "ab"


def test_typed_values_are_parsed_never_evaluated():
    assert parse_number("42") == 42
    assert parse_number(" -1.5e3 ") == -1500.0
    assert parse_number("1+1") is None
    assert parse_number("__import__('os')") is None
    assert parse_number("0x10") == 16  # hexadecimal, as EPICS reads it: not evaluated
    # What the IOC's own conversion would turn into another number (1, 12, 0, ...).
    for text in ("1_000", "12abc", "", " ", "1e999", "1e-999", "\u0661\u0662", "1 2", "0x"):
        assert parse_number(text) is None, text
    assert isinstance(parse_number("7"), int)  # an integer is never made a float


def test_argument_types():
    assert data_type_arg("time") == "time"
    assert data_type_arg("DBR_CTRL_DOUBLE") is ChannelType.CTRL_DOUBLE
    assert data_type_arg("time_short") is ChannelType.TIME_INT
    assert data_type_arg("20") is ChannelType.TIME_DOUBLE
    assert data_type_arg("37") is ChannelType.STSACK_STRING
    assert data_type_arg("class_name") is ChannelType.CLASS_NAME
    for bad in ("39", "DBR_NOPE", "-1", "35", "36", "PUT_ACKT"):
        with pytest.raises(argparse.ArgumentTypeError):
            data_type_arg(bad)
    assert options.count_arg("0") == 0
    assert options.digits_arg("18") == 18
    assert options.base_arg("x") == "x"
    assert options.separator_arg(",") == ","
    for parse, bad in ((options.count_arg, "-1"), (options.digits_arg, "19"),
                       (options.base_arg, "d"), (options.separator_arg, "ab")):  # fmt: skip
        with pytest.raises(argparse.ArgumentTypeError):
            parse(bad)
    assert mask_arg("va") == 5
    assert mask_arg("VALP") == 15
    for bad in ("", "vx"):
        with pytest.raises(argparse.ArgumentTypeError):
            mask_arg(bad)


def test_timeout_from_environment(monkeypatch, capsys):
    monkeypatch.delenv("EPICS_CLI_TIMEOUT", raising=False)
    assert common.resolve_timeout(None, "t") == 1.0
    monkeypatch.setenv("EPICS_CLI_TIMEOUT", "2.5")
    assert common.resolve_timeout(None, "t") == 2.5
    assert common.resolve_timeout(0.1, "t") == 0.1
    assert capsys.readouterr().err == ""
    for bad in ("0", "-3", "nan", "soon"):
        monkeypatch.setenv("EPICS_CLI_TIMEOUT", bad)
        assert common.resolve_timeout(None, "t") == 1.0
        assert "EPICS_CLI_TIMEOUT" in capsys.readouterr().err


def test_dispatch_to_the_tools(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("catui ")
    for tool, peer in (("get", "caget"), ("put", "caput"), ("monitor", "camonitor"),
                       ("info", "cainfo")):  # fmt: skip
        with pytest.raises(SystemExit) as exit_info:
            main([tool, "--help"])
        assert exit_info.value.code == 0
        assert peer in capsys.readouterr().out


def test_tools_import_neither_numpy_nor_textual():
    code = (
        "import sys\n"
        "from catui.__main__ import main\n"
        "from catui.cli import common, formatting, get, info, monitor, put\n"
        "common.prepare()\n"
        "from protocol.sync import client\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('numpy', 'textual')]\n"
        "assert not heavy, heavy\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr


def test_unescape_reads_what_caput_s_reads():
    # As EPICS's epicsStrnRawFromEscaped (caput -S): C escapes, \\0, \\x with 1-2 digits.
    assert fm.unescape(r"tab\there\n") == b"tab\there\n"
    assert fm.unescape(r"\x41\x4a\x4Z") == b"AJ\x04Z"
    assert fm.unescape(r"\x41B") == b"AB"  # two hex digits at most
    assert fm.unescape(r"a\0b\q\\") == b"a\0bq\\"
    assert fm.unescape("x\\") == b"x"  # a backslash at the end stands for nothing
    assert fm.unescape(r"\xg") == b"g"
    assert fm.unescape("caf\u00e9") == b"caf\xe9"
    for raw in (b"C:\\temp", b"a\tb\r\n", bytes(range(1, 32)), b"\xff\\x41"):
        assert fm.unescape(fm.escape(raw)) == raw
    with pytest.raises(ValueError, match="latin-1"):
        fm.unescape("\u20ac")


def test_blank_enum_labels_become_their_index():
    assert fm.numbered_blanks([b"On", b"", b"Off"], [1, 5, 0]) == [b"On", b"5", b"Off"]
    assert fm.numbered_blanks([b""], []) == [b""]  # no index read: left as it is
    assert layout.value_field(fm.numbered_blanks([b""], [7]), ChannelType.STRING) == "7"
