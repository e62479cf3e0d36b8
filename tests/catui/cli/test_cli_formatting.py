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

from catui.__main__ import main
from catui.cli import common
from catui.cli import formatting as fm
from catui.cli.get import data_type_arg
from catui.cli.monitor import mask_arg
from catui.cli.put import parse_number
from protocol.channel_types import ChannelType

ROOT = Path(__file__).resolve().parents[3]


def test_numbers_as_caget_prints_them():
    assert fm.NumberFormat().format(3.5) == "3.5"
    assert fm.NumberFormat().format(1234567890123.0) == "1.23457e+12"
    assert fm.NumberFormat("e", 3).format(3.5) == "3.500e+00"
    assert fm.NumberFormat("f", 2).format(-0.125) == "-0.12"
    assert fm.NumberFormat("g", 2).format(123.0) == "1.2e+02"
    assert fm.NumberFormat().format(float("nan")) == "nan"
    assert fm.NumberFormat().format(float("-inf")) == "-inf"


def test_values_scalars_arrays_and_char_strings():
    dbl = ChannelType.TIME_DOUBLE
    assert fm.format_values(array.array("d", [3.5]), dbl) == "3.5"
    assert fm.format_values(array.array("d", [1.5, 2.0]), dbl) == "2 1.5 2"
    assert fm.format_values(array.array("d", []), dbl) == "0"
    assert fm.format_values(array.array("d", [3.5]), dbl, show_count=True) == "1 3.5"
    assert fm.format_values(array.array("d", [1.5, 2.0]), dbl, show_count=False) == "1.5 2"
    assert fm.format_values(array.array("i", [-7]), ChannelType.LONG) == "-7"
    assert fm.format_values([b"a b", b"c"], ChannelType.STRING) == "2 a b c"
    chars = array.array("B", b"Hi\tthere\0junk")
    assert fm.format_values(chars, ChannelType.CHAR, char_as_string=True) == "Hi\\tthere"
    assert fm.format_values(chars[:1], ChannelType.CHAR, char_as_string=True) == "72"


def test_json_values():
    assert fm.json_value(array.array("d", [1.0]), ChannelType.DOUBLE) == 1.0
    assert fm.json_value(array.array("d", [1.0, float("nan")]), ChannelType.DOUBLE) == [1.0, None]
    assert fm.json_value([b"x"], ChannelType.STRING) == "x"
    text = array.array("B", b"ab\0c")
    assert fm.json_value(text, ChannelType.CHAR, char_as_string=True) == "ab"


def test_names_alarms_access_and_stamps():
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
    assert fm.pad_name("x") == "x" + " " * 29
    stamp = fm.format_stamp(1_700_000_000.25, 123)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.000000123", stamp)
    assert fm.format_stamp(1_700_000_000.5).endswith(".500000000")


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
    for bad in ("39", "DBR_NOPE", "-1"):
        with pytest.raises(argparse.ArgumentTypeError):
            data_type_arg(bad)
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
    assert fm.format_values(fm.numbered_blanks([b""], [7]), ChannelType.STRING) == "7"
