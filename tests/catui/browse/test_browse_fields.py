"""The field table's lookups: record types, input links, probes for unknown types."""

from __future__ import annotations

from catui.browse.fields import PROBE_INPUT_LINKS, RTYP, TABLE
from catui.browse.record import plan_fields, record_name


def test_lookups_of_a_known_type():
    assert TABLE.knows("calc")
    assert TABLE.field("calc", "CALC").dbf == "DBF_STRING"
    assert TABLE.field("calc", "RTYP") == RTYP
    assert TABLE.field("calc", "NOPE") is None
    assert TABLE.fields("motor") == ()
    assert not TABLE.knows("motor")


def test_input_links_are_the_types_inlink_fields_in_dbd_order():
    assert TABLE.input_links("ai") == ("TSEL", "SDIS", "INP", "SIOL", "SIML")
    assert TABLE.input_links("ao") == ("TSEL", "SDIS", "DOL", "SIML")  # its SIOL is an output
    calc = TABLE.input_links("calc")
    assert calc[2:] == tuple(f"INP{c}" for c in "ABCDEFGHIJKLMNOPQRSTU")
    assert "NVL" in TABLE.input_links("sel")
    assert {"DOL0", "DOLF", "SELL"} <= set(TABLE.input_links("seq"))
    assert "SELL" in TABLE.input_links("fanout")
    assert "DOL" in TABLE.input_links("dfanout")


def test_an_unknown_type_gets_the_usual_links_to_try():
    links = TABLE.input_links("motor")
    assert links[:2] == ("TSEL", "SDIS")
    assert links[2:] == PROBE_INPUT_LINKS


def test_a_table_without_a_type_treats_it_as_unknown():
    table = TABLE.without("calc")
    assert not table.knows("calc") and table.knows("ai")
    assert TABLE.knows("calc")  # the original is untouched


def test_plans():
    fields, partial = plan_fields("ai")
    assert not partial
    assert fields[0] == RTYP
    assert [f.name for f in fields[1:]] == [f.name for f in TABLE.fields("ai")]
    probed, partial = plan_fields("motor")
    assert partial
    names = [f.name for f in probed]
    assert names[0] == "RTYP"
    assert names[1 : 1 + len(TABLE.common)] == [f.name for f in TABLE.common]
    assert {"VAL", "INP", "OUT", "DOL", "EGU", "PREC", "HIHI", "HHSV"} <= set(names)
    assert len(names) == len(set(names))
    # a probed field is described as Base declares it
    assert next(f for f in probed if f.name == "HHSV").menu == "menuAlarmSevr"


def test_record_name_of_a_pv():
    assert record_name("rec:a.VAL") == "rec:a"
    assert record_name(" rec:a ") == "rec:a"
    assert record_name("rec:a.INP$") == "rec:a"
