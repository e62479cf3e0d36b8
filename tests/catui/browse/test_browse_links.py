"""The link parser: every form an IOC reads back from a link field, and never an exception."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catui.browse.links import (
    CONSTANT,
    EMPTY,
    HARDWARE,
    INVALID,
    JSON,
    PROCESS_FLAGS,
    PV,
    SEVERITY_FLAGS,
    decode_long,
    long_name,
    may_be_truncated,
    parse_link,
)


@pytest.mark.parametrize(
    ("process", "severity"), list(itertools.product(PROCESS_FLAGS, SEVERITY_FLAGS))
)
def test_every_flag_combination_as_the_ioc_prints_it(process, severity):
    link = parse_link(f"rec:a.VAL {process} {severity}")
    assert (link.kind, link.pv, link.record, link.field) == (PV, "rec:a.VAL", "rec:a", "VAL")
    assert (link.process, link.severity) == (process, severity)
    assert link.flags == f"{process} {severity}"


def test_a_link_without_flags_is_npp_nms_and_names_no_field():
    link = parse_link("rec:a")
    assert (link.kind, link.record, link.field, link.flags) == (PV, "rec:a", "", "NPP NMS")
    assert not link.maximizes_severity


@pytest.mark.parametrize(
    ("modifiers", "process", "severity"),
    [
        ("PP,MS", "PP", "MS"),  # no space needed between them, other characters ignored
        ("QQCPPXMSITT", "CPP", "MSI"),  # dbParseLink's own example
        ("NPP PP", "NPP", "NMS"),  # NPP wins over PP, as strstr order has it
        ("MS NMS", "NPP", "NMS"),
        ("MSS", "NPP", "MSS"),
        ("junk", "NPP", "NMS"),
    ],
)
def test_flags_are_found_as_dbparselink_finds_them(modifiers, process, severity):
    link = parse_link(f"rec {modifiers}")
    assert (link.process, link.severity) == (process, severity)


def test_output_and_forward_links_filter_flags_as_the_ioc_does():
    assert parse_link("rec CPP MS", "DBF_OUTLINK").flags == "NPP MS"
    assert parse_link("rec CP", "DBF_OUTLINK").process == "CP"
    assert parse_link("rec CA MS", "DBF_FWDLINK").flags == "CA"
    assert parse_link("rec PP MS", "DBF_FWDLINK").flags == ""


def test_which_links_carry_severity():
    assert parse_link("r NPP MS").maximizes_severity
    assert parse_link("r NPP MSS").maximizes_severity
    assert parse_link("r NPP MSI").maximizes_severity
    assert not parse_link("r NPP NMS").maximizes_severity


def test_white_space_around_is_dropped_and_tabs_do_not_separate_flags():
    assert parse_link("  rec PP  \n").flags == "PP NMS"
    link = parse_link("rec\tPP")
    assert link.pv == "rec\tPP" and link.process == "NPP"


def test_field_modifiers_and_filters_stay_in_the_pv_name():
    link = parse_link('rec.VAL{"dbnd":{"d":1}} CP MS')
    assert (link.pv, link.record, link.field) == ('rec.VAL{"dbnd":{"d":1}}', "rec", "VAL")
    long = parse_link("rec.INP$ NPP")
    assert (long.record, long.field) == ("rec", "INP$")
    filtered = parse_link('rec{"ts":{}}')
    assert filtered.record == "rec" and filtered.field == ""
    assert parse_link("rec.TIME NPP").field == "TIME"  # TSEL's ".TIME"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0.0), ("3.5", 3.5), ("-2", -2.0), ("+7", 7.0), (".5", 0.5), ("5.", 5.0),
        ("1e3", 1000.0), ("-1.5E-2", -0.015), ("0x10", 16.0), ("-0x1p3", -8.0),
        ("inf", math.inf), ("-Infinity", -math.inf), ("1e-300", 1e-300),
    ],
)  # fmt: skip
def test_numbers_are_constants(text, value):
    link = parse_link(text)
    assert link.kind == CONSTANT
    assert link.value == value
    assert link.flags == "" and not link.has_target


def test_nan_is_a_constant():
    link = parse_link("nan")
    assert link.kind == CONSTANT and math.isnan(link.value)


@pytest.mark.parametrize("text", ["1e999", "1e-999", "1_000", "0x", "1.2.3", "12abc"])
def test_what_epicsparsedouble_refuses_is_a_pv_name(text):
    link = parse_link(text)
    assert link.kind == PV and link.pv == text


def test_array_constants():
    assert parse_link("[1, 2.5, 3]").value == [1, 2.5, 3]
    assert parse_link('["a", "b"]').value == ["a", "b"]
    bad = parse_link("[1, 2")  # not closed: not an array constant, a (strange) PV name
    assert bad.kind == PV
    odd = parse_link("[1, ]]")
    assert odd.kind == CONSTANT and odd.value is None


def test_empty_link():
    assert parse_link("").kind == EMPTY
    assert parse_link("   ").kind == EMPTY
    assert parse_link("").describe() == "no link"


def test_instrument_io_keeps_everything_after_the_at():
    link = parse_link("@asyn(PORT,0,1.0) CMD 7")
    assert (link.kind, link.bus, link.parm) == (HARDWARE, "INST_IO", "asyn(PORT,0,1.0) CMD 7")
    assert link.describe() == "hardware address (INST_IO)"
    assert not link.has_target


@pytest.mark.parametrize(
    ("text", "bus", "address", "parm"),
    [
        ("#C0 S1", "VME_IO", (("C", 0), ("S", 1)), ""),
        ("#C0 S1 @parm text", "VME_IO", (("C", 0), ("S", 1)), "parm text"),
        ("#C0x1F S010", "VME_IO", (("C", 31), ("S", 8)), ""),
        ("# C 2 S 3@p", "VME_IO", (("C", 2), ("S", 3)), "p"),
        ("#B1 C2 N3 A4 F5 @x", "CAMAC_IO", (("B", 1), ("C", 2), ("N", 3), ("A", 4), ("F", 5)),
         "x"),
        ("#B0 C0 N1", "CAMAC_IO", (("B", 0), ("C", 0), ("N", 1)), ""),
        ("#R1 M2 D3 E4", "RF_IO", (("R", 1), ("M", 2), ("D", 3), ("E", 4)), ""),
        ("#L0 A1 C2 S3 @x", "AB_IO", (("L", 0), ("A", 1), ("C", 2), ("S", 3)), "x"),
        ("#L0 A5 @cmd", "GPIB_IO", (("L", 0), ("A", 5)), "cmd"),
        ("#L1 N2 P3 S4 @", "BITBUS_IO", (("L", 1), ("N", 2), ("P", 3), ("S", 4)), ""),
        ("#L1 B2 G3 @g", "BBGPIB_IO", (("L", 1), ("B", 2), ("G", 3)), "g"),
        ("#V1 C2 S3 @v", "VXI_IO", (("V", 1), ("C", 2), ("S", 3)), "v"),
        ("#V1 S3 @v", "VXI_IO", (("V", 1), ("S", 3)), "v"),
    ],
)  # fmt: skip
def test_bus_addresses(text, bus, address, parm):
    link = parse_link(text)
    assert (link.kind, link.bus, link.address, link.parm) == (HARDWARE, bus, address, parm)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("#X1", "no hardware link type"),
        ("#C0", "no hardware link type"),
        ("#C S1", "is not #<letter><number>"),
        ("#C0 S1 junk", "is not #<letter><number>"),
        ("#R1 M2 D3 E4 @p", "takes no @parameter"),
    ],
)
def test_bad_bus_addresses_are_invalid(text, why):
    link = parse_link(text)
    assert link.kind == INVALID
    assert why in link.error
    assert link.describe().startswith("not a valid link")


def test_json_const_links():
    for text, value in [('{"const": 3.5}', 3.5), ("{const: [1, 2]}", [1, 2]),
                        ("{const:'Pi'}", "Pi"), ("{const: Infinity}", math.inf)]:  # fmt: skip
        link = parse_link(text)
        assert (link.kind, link.json_type, link.value) == (JSON, "const", value), text
        assert not link.has_target


def test_json_calc_link_and_its_arguments():
    link = parse_link('{calc: {expr: "A*B", args: [{const: 3}, 1.5, "rec"], prec: 3}}')
    assert (link.kind, link.json_type) == (JSON, "calc")
    assert link.json_body["expr"] == "A*B"
    kinds = [(arg.kind, arg.json_type, arg.value) for arg in link.args]
    assert kinds[:2] == [(JSON, "const", 3), (CONSTANT, "", 1.5)]
    assert link.args[2].kind == INVALID  # lnkCalc takes numbers and JSON links only
    assert link.describe() == "JSON calc link"


def test_json_pva_links_have_a_target_and_flags():
    plain = parse_link('{"pva": "other:rec.VAL"}')
    assert (plain.kind, plain.json_type, plain.pv) == (JSON, "pva", "other:rec.VAL")
    assert (plain.record, plain.field, plain.flags) == ("other:rec", "VAL", "NPP NMS")
    full = parse_link('{pva: {pv: "x:y", proc: "CPP", sevr: "MSS"}}')
    assert (full.pv, full.process, full.severity) == ("x:y", "CPP", "MSS")
    assert full.has_target and full.maximizes_severity
    assert parse_link('{pva: {sevr: true, pv: "a"}}').severity == "MS"
    assert parse_link("{pva: {field: 'x'}}").error == "no pv to link to"


def test_json_debug_and_other_link_types():
    debug = parse_link('{debug: {state: "redBeam"}}')
    assert debug.json_type == "debug"
    assert [(a.kind, a.json_type, a.json_body) for a in debug.args] == [(JSON, "state", "redBeam")]
    site = parse_link('{"z": {"whatever": 1}}')
    assert (site.kind, site.json_type, site.error) == (JSON, "z", "")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{bad json}", "bad JSON"),
        ('{"a": 1, "b": 2}', "an object of one key"),
        ("{}", "an object of one key"),
    ],
)
def test_broken_json_links_say_why(text, why):
    link = parse_link(text)
    assert link.kind == JSON and why in link.error
    assert "cannot be read" in link.describe()


def test_a_brace_that_is_not_closed_is_a_pv_name_as_for_the_ioc():
    assert parse_link("{const: 1").kind == PV


def test_non_strings_are_parsed_as_their_text():
    assert parse_link(3.5).value == 3.5  # type: ignore[arg-type]
    assert parse_link(None).kind == PV  # type: ignore[arg-type]


@given(st.text(max_size=200))
def test_never_raises_on_any_text(text):
    for dbf in ("DBF_INLINK", "DBF_OUTLINK", "DBF_FWDLINK"):
        link = parse_link(text, dbf)
        assert link.kind in (EMPTY, CONSTANT, PV, HARDWARE, JSON, INVALID)
        assert isinstance(link.describe(), str)
        for arg in link.args:
            assert arg.kind in (EMPTY, CONSTANT, PV, HARDWARE, JSON, INVALID)


@given(
    st.from_regex(r"\A[A-Za-z][A-Za-z0-9_:\-]{0,30}(\.[A-Z]{1,4})?\Z"),
    st.sampled_from(PROCESS_FLAGS),
    st.sampled_from(SEVERITY_FLAGS),
)
def test_record_names_and_flags_come_back_as_written(name, process, severity):
    link = parse_link(f"{name} {process} {severity}")
    if link.kind == CONSTANT:  # "inf", "nan", "e5"...: numbers to the IOC too
        return
    assert (link.kind, link.pv, link.process, link.severity) == (PV, name, process, severity)
    assert link.record == name.partition(".")[0]


def test_the_long_form_helpers():
    assert long_name("rec.INP") == "rec.INP$"
    assert long_name("rec.INP$") == "rec.INP$"
    assert not may_be_truncated("x" * 38)
    assert may_be_truncated("x" * 39)
    assert may_be_truncated("é" * 20)  # 40 bytes in UTF-8
    assert decode_long(b"rec.VAL NPP\0junk") == "rec.VAL NPP"
    assert decode_long([114, 101, 99, 0, 65]) == "rec"
    assert decode_long(bytearray(b"abc")) == "abc"
    assert decode_long(b"caf\xc3\xa9\0") == "café"
    assert decode_long(b"caf\xe9\0") == "café"  # not UTF-8: Latin-1
    import array

    assert decode_long(array.array("B", b"ok\0")) == "ok"
    assert decode_long(array.array("b", [-61, -87, 0])) == "é"
