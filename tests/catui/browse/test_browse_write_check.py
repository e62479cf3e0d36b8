"""Checks on a value for a record field from its DBD type, before anything is sent."""

from __future__ import annotations

import pytest

from catui.browse.fields import TABLE, FieldDef
from catui.browse.write_check import INTEGER_RANGES, check_field_write, field_choices


def field(name: str, dbf: str, **more) -> FieldDef:
    return FieldDef(name, dbf, **more)


@pytest.mark.parametrize(("dbf", "limits"), sorted(INTEGER_RANGES.items()))
def test_integer_types_take_their_range_and_refuse_beyond(dbf, limits):
    low, high = limits
    f = field("X", dbf)
    assert check_field_write(f, str(low)).value == low
    assert check_field_write(f, str(high)).value == high
    for outside in (low - 1, high + 1):
        check = check_field_write(f, str(outside))
        assert not check.ok
        assert f"outside {dbf}'s range {low}..{high}" in check.reason
        assert check.reason.startswith("X: ")


def test_integers_in_other_spellings():
    f = field("X", "DBF_LONG")
    assert check_field_write(f, "0x1F").value == 31
    assert check_field_write(f, " -12 ").value == -12
    assert check_field_write(f, "1e3").value == 1000
    for bad in ("1.5", "abc", "", "1_000", "nan"):
        check = check_field_write(f, bad)
        assert not check.ok and "not an integer" in check.reason, bad


def test_floating_point_types():
    double = field("D", "DBF_DOUBLE")
    assert check_field_write(double, "1e300").value == 1e300
    assert check_field_write(double, "-inf").value == float("-inf")
    assert not check_field_write(double, "12,5").ok
    single = field("F", "DBF_FLOAT")
    assert check_field_write(single, "3.4e38").ok
    refused = check_field_write(single, "3.5e38")
    assert not refused.ok and "DBF_FLOAT's range" in refused.reason
    assert check_field_write(single, "inf").ok


def test_menus_offer_their_choices():
    scan = TABLE.field("ai", "SCAN")
    assert field_choices(scan)[:3] == ("Passive", "Event", "I/O Intr")
    assert check_field_write(scan, "1 second")[:4] == (True, 6, "", "1 second")
    assert check_field_write(scan, "passive").choice == "Passive"
    assert check_field_write(scan, "9").choice == ".1 second"
    refused = check_field_write(scan, "10")
    assert not refused.ok and "'Passive'" in refused.reason
    assert not check_field_write(field("M", "DBF_MENU", menu="noSuchMenu"), "x").ok


def test_device_and_enum_fields_take_the_iocs_choices():
    dtyp = TABLE.field("ai", "DTYP")
    assert field_choices(dtyp) == ()
    assert check_field_write(dtyp, "Soft Channel").value == "Soft Channel"  # the IOC decides
    choices = ("Soft Channel", "Raw Soft Channel")
    assert check_field_write(dtyp, "Raw Soft Channel", choices=choices).value == 1
    assert not check_field_write(dtyp, "asyn", choices=choices).ok
    bi_val = TABLE.field("bi", "VAL")
    assert check_field_write(bi_val, "1").value == 1
    assert not check_field_write(bi_val, "70000").ok
    assert check_field_write(bi_val, "On", choices=("Off", "On")).value == 1


def test_read_only_fields():
    for f in (TABLE.field("ai", "NAME"), TABLE.field("ai", "STAT"), TABLE.field("ai", "DPVT")):
        check = check_field_write(f, "x")
        assert not check.ok and "read-only" in check.reason, f.name
    assert "SPC_NOMOD" in check_field_write(TABLE.field("ai", "STAT"), "x").reason
    assert "DBF_NOACCESS" in check_field_write(TABLE.field("ai", "DPVT"), "x").reason


def test_array_fields_typed_at_run_time():
    val = TABLE.field("waveform", "VAL")
    assert not check_field_write(val, "1 2").ok  # the channel's type is needed
    check = check_field_write(val, "1, 2.5 3", native="DOUBLE", count=10)
    assert check.ok and check.value == [1.0, 2.5, 3.0]
    assert not check_field_write(val, "1 2 3", native="DOUBLE", count=2).ok
    assert not check_field_write(val, "1 x", native="DOUBLE", count=5).ok
    assert not check_field_write(val, "", native="DOUBLE", count=5).ok
    assert not check_field_write(val, "300", native="CHAR", count=5).ok
    assert check_field_write(val, "-1 255", native="CHAR", count=5).value == [-1, 255]
    assert check_field_write(val, "7", native="LONG", count=1).value == 7


def test_strings_fit_their_size_and_long_ones_go_through_dollar():
    desc = TABLE.field("ai", "DESC")  # size 41: 40 bytes of text
    assert check_field_write(desc, "short").long is False
    forty = check_field_write(desc, "x" * 40)
    assert forty.ok and forty.long
    refused = check_field_write(desc, "x" * 41)
    assert not refused.ok and "at most 40" in refused.reason
    egu = TABLE.field("ai", "EGU")  # size 16
    assert not check_field_write(egu, "é" * 8).ok  # 16 bytes in UTF-8


def test_links_are_checked_as_the_ioc_parses_them():
    inp = TABLE.field("ai", "INP")
    assert check_field_write(inp, "other:rec PP MS").value == "other:rec PP MS"
    assert check_field_write(inp, "x" * 50 + " NPP").long
    for bad in ("#X1", "{calc: oops}", '{"a": 1, "b": 2}'):
        check = check_field_write(inp, bad)
        assert not check.ok and "cannot parse this link" in check.reason, bad


def test_writes_that_process_say_so():
    assert check_field_write(TABLE.field("ai", "VAL"), "1").processes
    assert not check_field_write(TABLE.field("ai", "PREC"), "1").processes
    assert check_field_write(TABLE.field("ai", "HIHI"), "x").processes  # even when refused
