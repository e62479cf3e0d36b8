"""The PV tree's data without a network: severity origin, live updates, rows and text."""

from __future__ import annotations

from catui.browse.links import parse_link
from catui.browse.text import tree_data, tree_lines
from catui.browse.tree import PVTree, TreeNode

NO, MINOR, MAJOR, INVALID = 0, 1, 2, 3
HIHI, LINK = 3, 14


def child(parent: TreeNode, field: str, link_text: str, severity: int | None,
          value: str = "1") -> TreeNode:  # fmt: skip
    link = parse_link(link_text)
    node = TreeNode(link.pv, field=field, link=link, parent=parent, order=len(parent.children))
    node.severity, node.status, node.value, node.pending = severity, 0, value, False
    parent.children.append(node)
    return node


def tree_of(severity: int | None) -> PVTree:
    tree = PVTree("top")
    tree.root.severity, tree.root.value, tree.root.pending = severity, "5", False
    tree.expanded["top"] = tree.root
    return tree


def test_the_origin_is_the_deepest_node_reached_through_ms_links_of_that_severity():
    tree = tree_of(MAJOR)
    l2 = child(tree.root, "DOL", "l2 PP MS", MAJOR)
    l1 = child(l2, "INPA", "l1 PP MS", MAJOR)
    src = child(l1, "INPA", "src PP MS", MAJOR)
    child(l1, "INPB", "minor NPP NMS", MINOR)
    child(l2, "INPB", "other PP MSS", MINOR)
    assert tree.mark_origin() is src
    assert [n.origin for n in tree.nodes()] == [n is src for n in tree.nodes()]
    assert tree.origin() is src


def test_an_nms_link_stops_the_search():
    tree = tree_of(MAJOR)
    a = child(tree.root, "INPA", "a PP MS", MAJOR)
    child(a, "INPA", "b NPP NMS", MAJOR)  # same severity, but not carried: a is the origin
    assert tree.mark_origin() is a


def test_only_links_of_the_roots_severity_are_followed():
    tree = tree_of(MAJOR)
    child(tree.root, "INPA", "a PP MS", MINOR)
    assert tree.mark_origin() is tree.root  # the root's own alarm


def test_msi_carries_only_invalid():
    tree = tree_of(MAJOR)
    child(tree.root, "INPA", "a NPP MSI", MAJOR)
    assert tree.mark_origin() is tree.root
    tree = tree_of(INVALID)
    a = child(tree.root, "INPA", "a NPP MSI", INVALID)
    assert tree.mark_origin() is a


def test_no_alarm_no_origin():
    tree = tree_of(NO)
    child(tree.root, "INPA", "a PP MS", NO)
    assert tree.mark_origin() is None
    assert not any(n.origin for n in tree.nodes())
    assert tree_of(None).mark_origin() is None


def test_the_deeper_branch_wins_and_ties_go_to_the_first():
    tree = tree_of(MAJOR)
    a = child(tree.root, "INPA", "a NPP MS", MAJOR)
    b = child(tree.root, "INPB", "b NPP MS", MAJOR)
    b1 = child(b, "INPA", "b1 NPP MS", MAJOR)
    assert tree.mark_origin() is b1
    b.children.clear()
    assert tree.mark_origin() is a


def test_a_repeat_is_followed_where_its_record_is_expanded():
    tree = tree_of(MAJOR)
    a = child(tree.root, "INPA", "a NPP NMS", NO)
    shared = child(a, "INPA", "shared NPP MS", MAJOR)
    deep = child(shared, "INPA", "deep NPP MS", MAJOR)
    tree.expanded.update(a=a, shared=shared)
    again = child(tree.root, "INPB", "shared NPP MS", MAJOR)
    again.repeat = True
    assert tree.mark_origin() is deep


def test_cycles_are_not_followed():
    tree = tree_of(MAJOR)
    loop = child(tree.root, "INPA", "top NPP MS", MAJOR)
    loop.cycle = True
    assert tree.mark_origin() is tree.root


def test_a_failed_node_is_no_origin():
    tree = tree_of(MAJOR)
    a = child(tree.root, "INPA", "a NPP MS", MAJOR)
    a.error = "disconnected"
    assert tree.mark_origin() is tree.root


def test_live_updates_move_the_origin():
    tree = tree_of(MAJOR)
    a = child(tree.root, "INPA", "a NPP MS", NO)
    assert tree.mark_origin() is tree.root
    changed = tree.update("a", value="9", severity=MAJOR, status=3)
    assert a in changed and tree.root in changed  # the mark moved from the root to a
    assert a.origin and not tree.root.origin
    assert (a.value, a.status) == ("9", 3)
    assert tree.update("a", value="9", severity=MAJOR) == []  # nothing new
    assert tree.update("not-in-the-tree", value="1") == []
    # Unreadable now, and readable again: the error comes and goes.
    changed = tree.update("a", error="disconnected", detail="circuit lost")
    assert set(changed) == {a, tree.root} and (a.error, a.detail) == (
        "disconnected",
        "circuit lost",
    )
    assert tree.root.origin  # a failed node is no origin
    assert tree.update("a", error="disconnected", detail="circuit lost") == []
    changed = tree.update("a", value="9", error="")
    assert set(changed) == {a, tree.root} and (a.error, a.detail) == ("", "") and a.origin
    changed = tree.update("top", severity=NO)
    assert tree.origin() is None and set(changed) == {tree.root, a}


def test_rows_guides_and_text():
    tree = tree_of(MAJOR)
    tree.root.record_type, tree.root.status = "ao", LINK
    a = child(tree.root, "INPA", "a PP MS", MAJOR)
    a.record_type, a.status = "calc", LINK
    child(a, "INPA", "src PP MS", MAJOR, value="10").status = HIHI
    const = TreeNode("", kind="constant", field="INPB", parent=a, order=1)
    const.value, const.note, const.pending = "3.5", "constant", False
    a.children.append(const)
    last = child(tree.root, "INPB", "b NPP NMS", NO)
    last.error = "not found"
    tree.mark_origin()
    rows = tree.rows()
    assert [(r.depth, r.field, r.last, r.guides) for r in rows] == [
        (0, "", True, ()),
        (1, "INPA", False, ()),
        (2, "INPA", False, (False,)),
        (2, "INPB", True, (False,)),
        (1, "INPB", True, ()),
    ]
    assert rows[2].origin and rows[2].flags == "PP MS"
    assert tree_lines(tree) == [
        "top (ao) 5 MAJOR LINK",
        "├─ INPA: a [PP MS] (calc) 1 MAJOR LINK",
        "│  ├─ INPA: src [PP MS] 10 MAJOR HIHI <- severity origin",
        "│  └─ INPB: 3.5 (constant)",
        "└─ INPB: b [NPP NMS] <not found>",
    ]
    assert tree_lines(tree, ascii_only=True)[2] == (
        "|  |- INPA: src [PP MS] 10 MAJOR HIHI <- severity origin"
    )
    data = tree_data(tree)
    assert data["root"]["children"][0]["children"][0]["origin"] is True
    assert data["root"]["children"][1]["error"] == "not found"
    assert data["root"]["severity"] == "MAJOR"
    assert tree.pvs() == ["top", "a", "src", "b"]


def test_server_text_cannot_drive_the_terminal():
    tree = tree_of(NO)
    tree.root.value = "evil\x1b[2Jtext\n"
    assert tree_lines(tree) == ["top evil\\x1b[2Jtext\\n NO_ALARM"]
    assert "\x1b" not in "".join(tree_lines(tree))


def test_links_that_are_not_pvs_are_leaves_that_say_what_they_are():
    from catui.browse.fields import TABLE
    from catui.browse.tree import _Expansion

    tree = tree_of(NO)
    work = _Expansion(tree, TABLE, 1.0)
    work.add_node(tree.root, "INP", parse_link("#X1"), 0)
    work.add_node(tree.root, "DOL", parse_link('{calc: {args: ["rec", {const: 1}]}}'), 1)
    work.add_node(tree.root, "SDIS", parse_link(""), 2)  # an empty link: no node
    work.add_node(tree.root, "SIML", parse_link("@sim"), 3)
    assert tree_lines(tree) == [
        "top 5 NO_ALARM",
        "├─ INP: #X1 <invalid link: no hardware link type has the address '#X1'>",
        '├─ DOL: {calc: {args: ["rec", {const: 1}]}} (JSON calc link)',
        '│  ├─ arg 0: "rec" <invalid link: not a number or a JSON link>',
        '│  └─ arg 1: {"const":1} (JSON const link)',
        "└─ SIML: @sim (hardware address, INST_IO)",
    ]
    assert work.requests() == []  # nothing here to read
