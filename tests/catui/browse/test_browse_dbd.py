"""The DBD reader: the grammar Base's record and menu files use, and its errors."""

from __future__ import annotations

import pytest

from catui.browse.dbd import DbdError, parse_dbd, read_dbd
from catui.browse.fields import TABLE, RecordTable

SITE_DBD = r"""
# a comment
menu(siteMode) {
    choice(siteModeOff, "Off")   # trailing comment
    choice(siteModeOn, "On \"really\"")
}
recordtype(site) {
    include "common.dbd"
    %#include "epicsTypes.h"
    %struct siteRecord;
    field(VAL, DBF_DOUBLE) {
        prompt("Value")
        promptgroup("40 - Input")
        pp(TRUE)
    }
    field(MODE, DBF_MENU) {
        prompt("Mode")
        menu(siteMode)
        interest(1)
    }
    field(INP, DBF_INLINK) {
        prompt("Input")
        promptgroup("40 - Input")
    }
    field(PVT, DBF_NOACCESS) {
        prompt("Private")
        special(SPC_NOMOD)
        extra("void *pvt")
    }
}
device(site, CONSTANT, devSiteSoft, "Soft Channel")
registrar(siteRegister)
"""
COMMON = """
field(NAME, DBF_STRING) {
    prompt("Record Name")
    special(SPC_NOMOD)
    size(61)
}
"""


def test_a_site_dbd_is_read():
    defs = parse_dbd(SITE_DBD, "site.dbd", include={"common.dbd": COMMON}.__getitem__)
    assert defs.menus == {"siteMode": ("Off", 'On "really"')}
    fields = defs.records["site"]
    assert [f.name for f in fields] == ["NAME", "VAL", "MODE", "INP", "PVT"]
    assert fields[0].included_from == "common.dbd" and fields[0].size == 61
    assert fields[1].pp and fields[1].promptgroup == "40 - Input"
    assert fields[2].menu == "siteMode" and fields[2].interest == 1
    assert fields[4].special == "SPC_NOMOD"


def test_a_site_record_type_joins_the_table():
    defs = parse_dbd(SITE_DBD, "site.dbd", include={"common.dbd": COMMON}.__getitem__)
    table = RecordTable.from_definitions(defs, base=TABLE)
    assert table.knows("site") and table.knows("ai")
    assert [f.name for f in table.fields("site")][: len(TABLE.common)] == [
        f.name for f in TABLE.common
    ]
    assert table.field("site", "MODE").menu == "siteMode"
    assert table.menu("siteMode") == ("Off", 'On "really"')
    assert table.input_links("site")[-1] == "INP"


def test_read_dbd_finds_includes_beside_the_file(tmp_path):
    (tmp_path / "common.dbd").write_text(COMMON)
    (tmp_path / "site.dbd").write_text(SITE_DBD)
    defs = read_dbd([tmp_path / "site.dbd"])
    assert defs.records["site"][0].name == "NAME"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('menu(m) { choice(a, "A" }', "site.dbd:1: expected ,"),
        ("recordtype(r) { field(VAL) { } }", "field() takes two arguments"),
        ('menu(m) { choice(a, "unterminated) }', "unterminated string"),
        ("recordtype(r) {", "expected word, got end of file"),
        ("field(A, DBF_LONG) { size(big) }", None),
        ("recordtype(r) { field(A, DBF_STRING) { size(big) } }", "invalid literal"),
        ('menu(m) { choice(a, "A") } !', "unexpected character '!'"),
        ('include "other.dbd"', "include 'other.dbd' but no include path"),
    ],
)
def test_bad_dbd_text_is_refused_with_its_line(text, why):
    if why is None:  # a top-level field() is not a record's: read and ignored
        assert parse_dbd(text, "site.dbd").records == {}
        return
    with pytest.raises(DbdError, match=why.replace("(", r"\(").replace(")", r"\)")):
        parse_dbd(text, "site.dbd")
