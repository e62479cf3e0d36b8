"""The record view's data, read from real IOCs: every field of the type, at once."""

from __future__ import annotations

import pytest

from catui.browse.fetch import NO_READ_ACCESS, NOT_FOUND
from catui.browse.fields import TABLE
from catui.browse.links import CONSTANT, JSON, PV
from catui.browse.record import NOT_READABLE, read_record

pytestmark = pytest.mark.interop


def test_every_field_of_a_known_type(browse):
    view = read_record(browse.pv("chain:calc"), timeout=1.0)
    assert (view.error, view.record_type, view.partial, view.absent) == ("", "calc", False, [])
    assert view.host.endswith(f":{browse.near.port}")
    assert [f.name for f in view.fields] == ["RTYP"] + [f.name for f in TABLE.fields("calc")]
    assert view.complete
    readable = [f for f in view.fields if f.readable]
    assert len(readable) == 120
    assert all(not view.values[f.name].error for f in readable), [
        (f.name, view.values[f.name].error) for f in readable if view.values[f.name].error
    ]
    assert view.text("NAME") == browse.pv("chain:calc")
    assert view.text("CALC") == browse.near.dbgf(browse.pv("chain:calc.CALC")).strip('"')
    assert view.values["DPVT"].error == NOT_READABLE


def test_menus_show_their_choice_text(browse):
    view = read_record(browse.pv("sev:src"), timeout=1.0)
    assert view.text("SCAN") == "Passive"
    assert view.text("HHSV") == "MAJOR" and view.text("HSV") == "MINOR"
    assert view.text("SEVR") == "MAJOR" and view.text("STAT") == "HIHI"
    assert view.text("LINR") == "NO CONVERSION"
    assert view.text("DTYP") == "Soft Channel"
    assert view.text("PREC") == "2" and view.text("EGU") == "mm"
    assert view.text("HIHI") == "5"
    assert view.disabled is False


def test_link_fields_are_parsed_and_long_ones_read_in_full(browse):
    view = read_record(browse.pv("chain:calc"), timeout=1.0)
    links = {v.field.name: v for v in view.links()}
    assert list(links)[:3] == ["TSEL", "SDIS", "FLNK"]
    inpa = links["INPA"].link
    assert (inpa.kind, inpa.pv, inpa.flags) == (PV, browse.pv("chain:sel"), "NPP MS")
    assert (links["INPB"].link.kind, links["INPB"].link.value) == (CONSTANT, 3.5)
    assert (links["INPC"].link.kind, links["INPC"].link.json_type) == (JSON, "const")
    assert links["INPE"].link.pv == browse.far_pv("far:val")
    assert links["INPE"].link.flags == "CA MS"
    long = links["INPF"]
    assert long.long and len(long.text) > 40
    assert long.link.pv == browse.pv("long:record:name:beyond:forty:chars")
    assert long.text == browse.pv("long:record:name:beyond:forty:chars NPP MS")
    # What a DBR_STRING read (dbgf) gives: the text cut at 39 characters.
    assert browse.near.dbgf(browse.pv("chain:calc.INPF")).strip('"') == long.text[:39]
    assert not links["INPB"].long  # short text: no second read


def test_a_long_description_is_read_through_its_dollar_form(browse):
    view = read_record(browse.pv("long:record:name:beyond:forty:chars"), timeout=1.0)
    desc = view.values["DESC"]
    assert desc.long and desc.text == "a DESC of forty characters, for DESC$ ok"


def test_a_field_name_opens_its_record(browse):
    view = read_record(browse.pv("sev:src.VAL"), timeout=1.0)
    assert view.record == browse.pv("sev:src") and view.record_type == "ai"


def test_the_type_comes_first_then_the_values_as_they_arrive(browse):
    seen = []

    def on_update(view, field):
        seen.append((field, view.record_type, len(view.values)))

    read_record(browse.pv("sev:src"), timeout=1.0, on_update=on_update)
    assert seen[0][:2] == ("", "ai")
    assert seen[0][2] == 1  # RTYP's value only
    fields = [field for field, _, _ in seen[1:]]
    assert len(fields) == len(set(fields))
    assert {"VAL", "SCAN", "INP", "HIHI"} <= set(fields)
    counts = [count for _, _, count in seen]
    assert counts == sorted(counts)


def test_write_access_and_read_only_fields(browse):
    view = read_record(browse.pv("write:long"), timeout=1.0)
    assert view.values["DESC"].writable
    assert view.values["VAL"].writable
    assert not view.values["RPRO"].writable  # SPC_NOMOD
    assert not view.values["NAME"].writable


def test_a_type_the_table_does_not_know_gets_a_partial_view(browse):
    table = TABLE.without("calc")
    order = []
    view = read_record(
        browse.pv("chain:calc"), timeout=1.0, table=table,
        on_update=lambda v, field: order.append(field),
    )  # fmt: skip
    assert view.partial and view.record_type == "calc"
    names = [f.name for f in view.fields]
    assert {"VAL", "CALC", "INPA", "INPL", "HIHI", "HHSV", "PREC", "EGU"} <= set(names)
    assert {"INP", "OUT", "DOL", "NELM"} <= set(view.absent)
    assert not set(view.absent) & set(names)
    assert "INPM" not in names  # beyond what is probed
    assert view.values["INPA"].link.pv == browse.pv("chain:sel")
    assert view.values["INPF"].long
    assert view.text("HHSV") == "NO_ALARM"
    # What the record has arrives before the probes that miss are given up.
    last_found = max(order.index(f) for f in names if f in order)
    first_absent = min(order.index(f) for f in view.absent)
    assert last_found < first_absent


def test_a_record_that_cannot_be_read_says_why(browse):
    missing = read_record(browse.pv("no:such:record"), timeout=0.5)
    assert missing.error == NOT_FOUND and browse.pv("no:such:record.RTYP") in missing.detail
    assert missing.fields == [] and missing.values == {}
    secret = read_record(browse.pv("secret"), timeout=0.5)
    assert secret.error == NO_READ_ACCESS


def test_a_waveform_value_is_read_though_its_dbd_type_is_noaccess(browse):
    view = read_record(browse.pv("wave"), timeout=1.0)
    val = view.values["VAL"]
    assert val.field.dbf == "DBF_NOACCESS" and not val.error
    assert val.text.startswith("[1000] ")
    assert view.text("NELM") == "1000" and view.text("FTVL") == "DOUBLE"


def test_cancel_stops_the_reads(browse):
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 3

    view = read_record(browse.pv("chain:calc"), timeout=1.0, cancelled=cancelled)
    assert view.record_type == "calc"
    assert not view.complete
