"""The PV tree read from the real IOCs: links followed across both, origin, cycles, failures."""

from __future__ import annotations

import itertools

import pytest

from catui.browse.fetch import ALARM, DISCONNECTED, NO_READ_ACCESS, NOT_FOUND, Request, fetch
from catui.browse.fields import TABLE
from catui.browse.links import CONSTANT, HARDWARE, JSON, PROCESS_FLAGS, SEVERITY_FLAGS
from catui.browse.tree import DEFAULT_DEPTH, expand_tree
from tests.faults.fake_server import serving

pytestmark = pytest.mark.interop
NO_ALARM, MINOR, MAJOR, INVALID = 0, 1, 2, 3
HIHI, HIGH, LINK = 3, 4, 14


def by_path(tree):
    """Nodes by their path of link fields from the root: ``("DOL", "INPA")``."""
    out = {}

    def walk(node, path):
        out[path] = node
        for child in node.children:
            walk(child, (*path, child.field))

    walk(tree.root, ())
    return out


def test_severity_from_three_links_down_is_marked_where_it_starts(browse):
    tree = expand_tree(browse.pv("sev:top"), timeout=1.0)
    assert tree.complete and not tree.root.error
    nodes = by_path(tree)
    top, l2 = nodes[()], nodes[("DOL",)]
    l1, src = nodes[("DOL", "INPA")], nodes[("DOL", "INPA", "INPA")]
    minor, other = nodes[("DOL", "INPA", "INPB")], nodes[("DOL", "INPB")]
    assert [n.record_type for n in (top, l2, l1, src)] == ["ao", "calc", "calc", "ai"]
    assert [(n.severity, n.status) for n in (top, l2, l1)] == [(MAJOR, LINK)] * 3
    assert (src.severity, src.status, src.value) == (MAJOR, HIHI, "10")
    assert (minor.severity, other.severity) == (MINOR, MINOR)
    assert [n.flags for n in (l2, l1, src, minor, other)] == [
        "PP MS", "PP MS", "PP MS", "NPP NMS", "PP MSS",
    ]  # fmt: skip
    assert tree.origin() is src
    assert [n for n in tree.nodes() if n.origin] == [src]
    assert src.depth == 3
    # the constant input of an ai is shown, not followed
    assert (nodes[("DOL", "INPA", "INPA", "INP")].kind, src.children[0].value) == (CONSTANT, "10")


def test_every_flag_combination_is_read_back(browse):
    combos = [f"{p} {s}" for p, s in itertools.product(PROCESS_FLAGS, SEVERITY_FLAGS)]
    a = expand_tree(browse.pv("flags:a"), timeout=1.0)
    b = expand_tree(browse.pv("flags:b"), timeout=1.0)
    flags = [n.flags for tree in (a, b) for n in tree.root.children]
    assert flags == combos
    targets = {n.pv for tree in (a, b) for n in tree.root.children}
    assert targets == {browse.pv("flags:t")}
    # flags:t is expanded once in each tree; the other links to it are repeats
    assert [n.repeat for n in a.root.children] == [False] + [True] * 11
    assert [n.repeat for n in b.root.children] == [False] + [True] * 7
    assert [len(n.children) for n in a.root.children] == [1] + [0] * 11


def test_a_loop_is_shown_once_and_marked(browse):
    tree = expand_tree(browse.pv("loop:a"), timeout=1.0)
    pvs = [(n.depth, n.pv, n.cycle) for n in tree.nodes()]
    assert pvs == [
        (0, browse.pv("loop:a"), False),
        (1, browse.pv("loop:b"), False),
        (2, browse.pv("loop:c"), False),
        (3, browse.pv("loop:a"), True),
    ]
    assert tree.complete


def test_a_chain_through_every_record_type_and_both_iocs(browse):
    tree = expand_tree(browse.pv("chain:ai"), timeout=0.5)
    nodes = by_path(tree)
    calc = nodes[("INP",)]
    assert calc.record_type == "calc"
    assert {n.record_type for n in tree.nodes()} >= {
        "ai", "calc", "sel", "seq", "fanout", "dfanout", "ao", "stringin"
    }  # fmt: skip
    assert nodes[("INP", "INPA", "NVL")].pv == browse.pv("chain:seq.VAL")
    assert nodes[("INP", "INPA", "NVL", "DOL0")].pv == browse.pv("chain:fanout.SELN")
    assert nodes[("INP", "INPA", "INPA", "DOL")].flags == "NPP MS"
    constant = nodes[("INP", "INPB")]
    assert (constant.kind, constant.value) == (CONSTANT, "3.5")
    json = nodes[("INP", "INPC")]
    assert json.kind == JSON and json.note == "JSON const link"
    hardware = nodes[("INP", "INPD", "INP")]
    assert (hardware.kind, hardware.value) == (HARDWARE, "@%Y-%m-%d")
    assert hardware.link.bus == "INST_IO"
    far = nodes[("INP", "INPE")]
    assert (far.pv, far.record_type, far.flags) == (browse.far_pv("far:val"), "ai", "CA MS")
    far_src = nodes[("INP", "INPE", "INP")]
    assert (far_src.pv, far_src.value) == (browse.far_pv("far:src"), "2")
    long = nodes[("INP", "INPF")]
    assert long.pv == browse.pv("long:record:name:beyond:forty:chars")
    assert (long.value, long.record_type) == ("6", "ao")
    missing = nodes[("INP", "INPG")]
    assert missing.error == NOT_FOUND and browse.pv("nowhere:to:be:found") in missing.detail
    secret = nodes[("INP", "INPH")]
    assert secret.error == NO_READ_ACCESS and not secret.children
    assert tree.complete and not any(n.pending for n in tree.nodes())


def test_unreachable_targets_say_why(browse, monkeypatch):
    with serving("close_after_accept") as server:
        monkeypatch.setenv(
            "EPICS_CA_ADDR_LIST", f"{browse.env['EPICS_CA_ADDR_LIST']} 127.0.0.1:{server.port}"
        )
        tree = expand_tree(browse.pv("reach:mixed"), timeout=0.5)
    reasons = {n.field: n.error for n in tree.root.children}
    assert reasons == {"INPA": DISCONNECTED, "INPB": NO_READ_ACCESS, "INPC": NOT_FOUND}
    assert tree.root.error == ""


def test_the_depth_is_capped(browse):
    tree = expand_tree(browse.pv("deep:0"), timeout=1.0)
    chain = [n for n in tree.nodes() if n.pv]
    assert [n.pv for n in chain] == [browse.pv(f"deep:{i}") for i in range(DEFAULT_DEPTH + 1)]
    assert chain[-1].capped and not chain[-1].children and chain[-1].record_type == ""
    assert not any(n.capped for n in chain[:-1])
    short = expand_tree(browse.pv("deep:0"), max_depth=2, timeout=1.0)
    assert [(n.depth, n.capped) for n in short.nodes()] == [(0, False), (1, False), (2, True)]
    alone = expand_tree(browse.pv("deep:0"), max_depth=0, timeout=1.0)
    assert alone.root.capped and not alone.root.children
    with pytest.raises(ValueError, match="max_depth"):
        expand_tree(browse.pv("deep:0"), max_depth=-1)


def test_a_record_type_the_table_does_not_know_is_probed(browse):
    tree = expand_tree(browse.pv("sev:top"), timeout=0.5, table=TABLE.without("calc"))
    nodes = by_path(tree)
    l2 = nodes[("DOL",)]
    assert l2.partial and l2.record_type == "calc"
    assert [c.field for c in l2.children] == ["INPA", "INPB"]  # the probes that missed say nothing
    assert tree.origin() is nodes[("DOL", "INPA", "INPA")]


def test_json_calc_links_show_their_arguments(browse):
    tree = expand_tree(browse.pv("json:calc"), timeout=1.0)
    (link,) = tree.root.children
    assert (link.kind, link.note) == (JSON, "JSON calc link")
    assert [(c.field, c.kind, c.value) for c in link.children] == [
        ("arg 0", JSON, '{"const":3}'), ("arg 1", CONSTANT, "1.5"),
    ]  # fmt: skip


def test_live_values_move_the_origin(browse):
    ioc = browse.near
    tree = expand_tree(browse.pv("sev:top"), timeout=1.0)
    src = by_path(tree)[("DOL", "INPA", "INPA")]
    assert tree.origin() is src and not by_path(tree)[("DOL", "INPB")].origin
    try:
        ioc.dbpf("sev:src.HHSV", "NO_ALARM")
        ioc.dbpf("sev:src.HSV", "NO_ALARM")
        ioc.dbpf("sev:top.PROC", "1")
        got = fetch([Request(pv, ALARM) for pv in tree.pvs()], timeout=1.0)
        changed = []
        for reading in got.values():
            changed += tree.update(
                reading.pv, value=reading.text, severity=reading.severity, status=reading.status
            )
        other = by_path(tree)[("DOL", "INPB")]
        assert src in changed and other in changed
        # MAJOR is gone at the source: what is left is sev:other's MINOR, through MSS.
        assert (src.severity, tree.root.severity) == (NO_ALARM, MINOR)
        assert tree.origin() is other
    finally:
        ioc.dbpf("sev:src.HHSV", "MAJOR")
        ioc.dbpf("sev:src.HSV", "MINOR")
        ioc.dbpf("sev:top.PROC", "1")


def test_a_root_that_cannot_be_read(browse):
    tree = expand_tree(browse.pv("no:such:record"), timeout=0.3)
    assert tree.root.error == NOT_FOUND and tree.root.children == []
    assert browse.pv("no:such:record") in tree.root.detail
    assert tree.complete and not tree.root.pending
    assert tree.mark_origin() is None


def test_updates_after_each_round_and_cancel(browse):
    sizes = []
    expand_tree(browse.pv("sev:top"), timeout=1.0, on_update=lambda t: sizes.append(len(t.rows())))
    assert len(sizes) >= 4 and sizes == sorted(sizes) and sizes[-1] == 9
    rounds = []

    def cancelled():
        return len(rounds) >= 2

    tree = expand_tree(
        browse.pv("sev:top"), timeout=1.0, on_update=rounds.append, cancelled=cancelled
    )
    assert not tree.complete and len(rounds) == 2
    assert any(n.pending for n in tree.nodes())


def test_a_link_field_the_iocs_base_lacks_says_nothing(browse):
    from catui.browse.fields import FieldDef, RecordTable

    own = {rtyp: TABLE.fields(rtyp)[len(TABLE.common) :] for rtyp in TABLE.record_types}
    own["calc"] = (*own["calc"], FieldDef("INPZ", "DBF_INLINK", "Input Z"))
    newer = RecordTable(TABLE.menus, TABLE.common, own, "a Base newer than the IOC's")
    tree = expand_tree(browse.pv("loop:a"), timeout=0.3, table=newer)
    assert [n.field for n in tree.root.children] == ["INPA"]
    assert tree.complete and [n.pv for n in tree.nodes()][-1] == browse.pv("loop:a")
