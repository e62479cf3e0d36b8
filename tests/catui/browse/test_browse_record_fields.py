"""The generated field table: regenerated from epicscorelibs' DBD files it must not differ."""

from __future__ import annotations

import difflib

import pytest

from catui.browse import gen_record_fields, record_fields
from catui.browse.fields import TABLE, group_fields, group_label


def test_the_table_matches_the_dbd_files(tmp_path):
    out = tmp_path / "record_fields.py"
    assert gen_record_fields.main(["-o", str(out)]) == 0
    fresh = out.read_text(encoding="utf-8")
    committed = gen_record_fields.OUTPUT.read_text(encoding="utf-8")
    if fresh != committed:
        diff = "".join(
            list(difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True),
                                      "committed", "regenerated"))[:60]
        )  # fmt: skip
        pytest.fail(
            "catui/browse/record_fields.py differs from the DBD files; run "
            f"python -m catui.browse.gen_record_fields\n{diff}"
        )


def test_the_table_says_it_is_generated():
    text = gen_record_fields.OUTPUT.read_text(encoding="utf-8")
    assert "generated — do not edit" in text.splitlines()[0]
    assert record_fields.BASE_VERSION.startswith("7.")


def test_every_base_record_type_is_there():
    expected = {
        "ai", "ao", "bi", "bo", "calc", "calcout", "sel", "seq", "fanout", "dfanout",
        "longin", "longout", "mbbi", "mbbo", "stringin", "stringout", "waveform", "aSub",
        "sub", "subArray", "compress", "histogram", "int64in", "int64out", "lsi", "lso",
        "aai", "aao", "event", "permissive", "printf", "state", "mbbiDirect", "mbboDirect",
    }  # fmt: skip
    assert expected <= set(TABLE.record_types)


def test_fields_are_described_as_the_dbd_declares_them():
    ai = {f.name: f for f in TABLE.fields("ai")}
    assert ai["VAL"].dbf == "DBF_DOUBLE"
    assert ai["VAL"].prompt == "Current EGU Value"
    assert ai["VAL"].group == "40 - Input"
    assert ai["VAL"].pp is True
    assert ai["LINR"].menu == "menuConvert"
    assert ai["LINR"].special == "SPC_LINCONV"
    assert ai["EGU"].size == 16
    assert ai["ASLO"].initial == "1"
    assert ai["NAME"].special == "SPC_NOMOD" and ai["NAME"].size == 61
    assert ai["DPVT"].dbf == "DBF_NOACCESS" and not ai["DPVT"].readable
    assert TABLE.field("waveform", "VAL").special == "SPC_DBADDR"
    assert TABLE.field("waveform", "VAL").readable


def test_dbcommon_comes_first_in_every_record_type():
    names = [f.name for f in TABLE.common]
    assert names[:3] == ["NAME", "DESC", "ASG"]
    for rtyp in TABLE.record_types:
        assert [f.name for f in TABLE.fields(rtyp)[: len(names)]] == names, rtyp


def test_every_menu_a_field_names_is_in_the_table():
    for rtyp in TABLE.record_types:
        for field in TABLE.fields(rtyp):
            if field.dbf == "DBF_MENU":
                assert TABLE.menu(field.menu), (rtyp, field.name, field.menu)
    assert TABLE.menu("menuAlarmSevr") == ("NO_ALARM", "MINOR", "MAJOR", "INVALID")
    assert TABLE.menu("menuScan")[0] == "Passive"
    assert TABLE.menu("menuScan")[-1] == ".1 second"


def test_field_counts_of_some_record_types():
    # dbCommon has 48 fields in Base 7.0.10; calc adds 86 (INPA..INPU and their values).
    assert len(TABLE.common) == 48
    assert len(TABLE.fields("calc")) == 134
    assert len(TABLE.fields("calcout")) == 171


def test_groups_follow_the_promptgroup_numbers_run_time_last():
    groups = [group for group, _ in group_fields(TABLE.fields("calc"))]
    numbered = [g for g in groups if g]
    assert numbered == sorted(numbered, key=lambda g: int(g.split(" - ")[0]))
    assert groups[-1] == ""
    assert group_label("40 - Input") == "Input"
    assert group_label("") == "Run-time"
    assert group_label("odd group") == "odd group"
