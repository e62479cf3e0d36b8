"""Copying rows out and comparing snapshots (catui.data.snapshot)."""

from __future__ import annotations

import csv
import io
import math
import shlex

import pytest

from catui.cli.get import build_parser as get_parser
from catui.cli.put import build_parser as put_parser
from catui.data.paste import extract_pv_names
from catui.data.snapshot import (
    CSV_COLUMNS,
    Drift,
    SnapshotError,
    SnapshotRow,
    compare,
    from_csv,
    get_commands,
    parse_number,
    put_commands,
    to_csv,
    to_markdown,
)

STAMP = "2024-01-01 12:00:00.000000"

ROWS = [
    SnapshotRow("demo:ao", "3.500", 3.4999999, "mm", "", STAMP),
    SnapshotRow("demo:str", 'hello, "world"', None, "", "MINOR", STAMP),
    SnapshotRow("demo:mbbo", "Two", None, "", "", STAMP),
    SnapshotRow("demo:wf", "[3] 1 2 3", None, "V", "", STAMP),
    SnapshotRow("demo:neg", "-2", -2.0, "", "MAJOR", STAMP),
    SnapshotRow("demo:formula", '=HYPERLINK("x")', None, "", "", STAMP),
    SnapshotRow("demo:quote", "'=x", None, "", "", STAMP),
    SnapshotRow("demo:at", "@SUM(A1)", None, "", "", STAMP),
    SnapshotRow("demo:ninf", "-inf", -math.inf, "", "INVALID", ""),
    SnapshotRow("demo:multi", "line one\nline two", None, "", "", STAMP),
    SnapshotRow("demo:empty", "", None, "", "INVALID", ""),
    SnapshotRow("x.VAL$", "a | b", None, "µA", "", STAMP),
]


def test_csv_round_trips():
    assert from_csv(to_csv(ROWS)) == ROWS


def test_csv_header_and_quoting():
    text = to_csv(ROWS[:2])
    lines = text.splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert lines[1] == f"demo:ao,3.500,mm,,{STAMP},3.4999999"
    assert lines[2] == f'demo:str,"hello, ""world""",,MINOR,{STAMP},'
    assert list(csv.reader(io.StringIO(text)))[2][1] == 'hello, "world"'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+cmd", "'+cmd"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("'quoted", "''quoted"),
        ("-2", "-2"),  # a plain number stays a number
        ("+1.5e3", "+1.5e3"),
        ("plain", "plain"),
    ],
)
def test_csv_cells_a_spreadsheet_would_run_are_defused(value, cell):
    text = to_csv([SnapshotRow("demo:x", value)])
    assert next(iter(csv.DictReader(io.StringIO(text))))["value"] == cell
    assert from_csv(text)[0].value == value


def test_from_csv_hand_written_columns_in_any_order():
    text = "Severity,PV,Value\nMINOR,demo:a,1.5\n,demo:b,text\n\n"
    assert from_csv(text) == [
        SnapshotRow("demo:a", "1.5", 1.5, "", "MINOR", ""),
        SnapshotRow("demo:b", "text", None, "", "", ""),
    ]


def test_from_csv_short_rows_and_byte_order_mark():
    text = "\ufeffname,value,units,number\ndemo:a,7\n"
    assert from_csv(text) == [SnapshotRow("demo:a", "7", 7.0)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("value,units\n3,mm\n", "no name column"),
        ("name,value\n,3\n", "line 2: the PV name is empty"),
        ("name,value\ndemo a,3\n", "line 2: .*whitespace"),
        ("name,value,number\ndemo:a,3,three\n", "line 2: not a number: 'three'"),
        ('name,value\ndemo:a,1\n"demo:b\nc",2\n', "line 4: .*control"),
    ],
)
def test_from_csv_errors(text, message):
    with pytest.raises(SnapshotError, match=message):
        from_csv(text)


def test_markdown():
    text = to_markdown(ROWS[:1] + ROWS[-3:])
    assert text.splitlines() == [
        "| name | value | units | severity | timestamp |",
        "|---|---|---|---|---|",
        f"| demo:ao | 3.500 | mm |  | {STAMP} |",
        f"| demo:multi | line one line two |  |  | {STAMP} |",
        "| demo:empty |  |  | INVALID |  |",
        f"| x.VAL$ | a \\| b | µA |  | {STAMP} |",
    ]


def test_markdown_of_nothing_is_the_header():
    assert to_markdown([]).count("\n") == 2


def test_snapshots_paste_back_as_names():
    names = [row.name for row in ROWS]
    assert extract_pv_names(to_csv(ROWS)) == names
    assert extract_pv_names(to_markdown(ROWS)) == names


@pytest.mark.parametrize(
    ("text", "number"),
    [("3.5", 3.5), (" -2 ", -2.0), ("1e3", 1000.0), ("Two", None), ("", None), ("1,2", None)],
)
def test_parse_number(text, number):
    assert parse_number(text) == number


def test_row_from_text_reads_the_number():
    assert SnapshotRow.from_text("demo:a", "2.5", "mm").number == 2.5
    assert SnapshotRow.from_text("demo:a", "On").number is None


# Commands ------------------------------------------------------------------------------


def _run_put(line: str) -> tuple[str, list[str], bool]:
    words = shlex.split(line)
    assert words[:2] == ["catui", "put"]
    args = put_parser().parse_args(words[2:])
    return args.pv, args.values, args.array


def test_get_commands():
    assert get_commands(["demo:a", "x.VAL$"]) == ["catui get demo:a", "catui get 'x.VAL$'"]
    assert get_commands(["demo:a", "x.VAL$"], together=True) == ["catui get demo:a 'x.VAL$'"]
    assert get_commands([]) == []
    assert get_commands([], together=True) == []


def test_get_commands_parse_back():
    names = ["demo:a", 'demo:b.{"dbnd":{"d":1}}', "x.VAL$", "a;b"]
    (line,) = get_commands(names, together=True)
    assert get_parser().parse_args(shlex.split(line)[2:]).pvs == names


def test_get_commands_comment_out_unusable_names():
    assert get_commands(["demo:a", "bad\nname"]) == [
        "catui get demo:a",
        "# not a usable PV name: bad\\nname",
    ]


@pytest.mark.parametrize(
    ("row", "pv", "values", "array"),
    [
        (SnapshotRow("demo:ao", "3.5", 3.5), "demo:ao", ["3.5"], False),
        (SnapshotRow("demo:neg", "-2", -2.0), "demo:neg", ["-2"], False),
        (SnapshotRow("demo:str", "-a", None), "demo:str", ["-a"], False),
        (SnapshotRow("demo:str", "hello  world", None), "demo:str", ["hello  world"], False),
        (SnapshotRow("demo:str", "'; rm -rf ~ #", None), "demo:str", ["'; rm -rf ~ #"], False),
        (SnapshotRow("demo:str", "$(reboot) `id`", None), "demo:str", ["$(reboot) `id`"], False),
        (SnapshotRow("demo:mbbo", "Two", None), "demo:mbbo", ["Two"], False),
        (SnapshotRow("x.VAL$", "a", None), "x.VAL$", ["a"], False),
        (SnapshotRow("demo:wf", "[3] 1 2 3", None), "demo:wf", ["3", "1", "2", "3"], True),
        (SnapshotRow("demo:wf", "[2] -1 5", None), "demo:wf", ["2", "-1", "5"], True),
    ],
)
def test_put_commands_parse_back_to_the_value(row, pv, values, array):
    (line,) = put_commands([row])
    assert "\n" not in line
    assert _run_put(line) == (pv, values, array)


@pytest.mark.parametrize(
    ("row", "comment"),
    [
        (SnapshotRow("demo:x", "", None), "# demo:x: no value, not written"),
        (SnapshotRow("demo:wf", "[10] 1 2 3 …", None), "# demo:wf: array shown in part"),
        (SnapshotRow("demo:wf", "[10] 1 2 3", None), "# demo:wf: array shown in part"),
        (SnapshotRow("demo:s", "a\nb", None), "# demo:s: control characters"),
        (SnapshotRow("bad\nname", "1", 1.0), "# bad\\nname: control characters"),
    ],
)
def test_put_commands_comment_out_what_cannot_be_written_back(row, comment):
    (line,) = put_commands([row])
    assert line.startswith(comment)
    assert "\n" not in line


def test_put_commands_never_write_another_value():
    # Python 3.10/3.11 argparse drops the value "--" after the "--" ending the options:
    # the line wrote "" (blanking a string PV) instead of "--".
    for value in ("--", "-", "---", "-- x"):
        (line,) = put_commands([SnapshotRow("demo:str", value)])
        if line.startswith("#"):
            assert value == "--" and "cannot be given on a command line" in line
            continue
        pv, values, _ = _run_put(line)
        assert (pv, " ".join(values)) == ("demo:str", value), line


def test_put_commands_keep_row_order():
    lines = put_commands(ROWS[:3])
    assert [shlex.split(line)[2] for line in lines] == ["demo:ao", "demo:str", "demo:mbbo"]


# Comparing -----------------------------------------------------------------------------


def _row(name: str, value: str, severity: str = "") -> SnapshotRow:
    return SnapshotRow.from_text(name, value, severity=severity)


@pytest.mark.parametrize(
    ("saved", "live", "tolerance", "expected"),
    [
        pytest.param([_row("a", "1.0")], [_row("a", "1.05")], 0.1, [], id="within"),
        pytest.param([_row("a", "1.0")], [_row("a", "1.1")], 0.1, [], id="at-edge"),
        pytest.param([_row("a", "1.0")], [_row("a", "1.2")], 0.1, [("a", "changed")], id="beyond"),
        pytest.param([_row("a", "1.0")], [_row("a", "0.8")], 0.1, [("a", "changed")], id="below"),
        pytest.param([_row("a", "1")], [_row("a", "1.0")], 0.0, [], id="same-number-text"),
        pytest.param(
            [_row("a", "1")], [_row("a", "1.0000001")], 0.0, [("a", "changed")], id="exact"
        ),
        pytest.param([_row("a", "On")], [_row("a", "On")], 0.0, [], id="same-text"),
        pytest.param([_row("a", "On")], [_row("a", "Off")], 5.0, [("a", "changed")], id="text"),
        pytest.param(
            [_row("a", "1.0")], [_row("a", "")], 5.0, [("a", "changed")], id="number-to-none"
        ),
        pytest.param(
            [_row("a", "1", "")], [_row("a", "1", "MINOR")], 0.0, [("a", "severity")], id="sev"
        ),
        pytest.param(
            [_row("a", "1", "MAJOR")],
            [_row("a", "9", "")],
            0.0,
            [("a", "changed"), ("a", "severity")],
            id="value-and-severity",
        ),
        pytest.param([_row("a", "1")], [], 0.0, [("a", "missing")], id="missing"),
        pytest.param([], [_row("b", "1")], 0.0, [("b", "added")], id="added"),
        pytest.param(
            [_row("a", "1"), _row("b", "1"), _row("c", "1")],
            [_row("d", "1"), _row("c", "5"), _row("a", "1")],
            0.0,
            [("b", "missing"), ("c", "changed"), ("d", "added")],
            id="order",
        ),
        pytest.param([_row("a", "nan")], [_row("a", "nan")], 0.0, [], id="nan-nan"),
        pytest.param(
            [_row("a", "nan")], [_row("a", "1")], 9.0, [("a", "changed")], id="nan-number"
        ),
        pytest.param([_row("a", "inf")], [_row("a", "inf")], 0.0, [], id="inf-inf"),
        pytest.param(
            [_row("a", "inf")], [_row("a", "-inf")], 9.0, [("a", "changed")], id="inf-ninf"
        ),
        pytest.param(
            [_row("a", "1"), _row("b", "1")],
            [_row("a", "1.5"), _row("b", "1.5")],
            {"a": 1.0},
            [("b", "changed")],
            id="per-row",
        ),
        pytest.param(
            [_row("a", "1"), _row("a", "7")], [_row("a", "1")], 0.0, [], id="first-of-duplicates"
        ),
    ],
)
def test_compare(saved, live, tolerance, expected):
    drifts = compare(saved, live, tolerance)
    assert [(d.name, d.kind) for d in drifts] == expected


def test_compare_per_row_default_tolerance():
    saved = [_row("a", "1"), _row("b", "1")]
    live = [_row("a", "1.5"), _row("b", "1.5")]
    assert compare(saved, live, {"a": 0.1}, default_tolerance=1.0)[0].name == "a"
    assert len(compare(saved, live, {"a": 0.1}, default_tolerance=1.0)) == 1


def test_compare_uses_full_precision_numbers():
    # Shown alike, but the numbers behind differ by more than the tolerance.
    saved = [SnapshotRow("a", "1.00", 1.0)]
    live = [SnapshotRow("a", "1.00", 1.004)]
    (drift,) = compare(saved, live, 0.001)
    assert drift.difference == pytest.approx(0.004)
    assert compare(saved, live, 0.01) == []


@pytest.mark.parametrize("tolerance", [-0.1, math.nan, {"a": -1.0}])
def test_compare_refuses_bad_tolerances(tolerance):
    with pytest.raises(ValueError, match="zero or more"):
        compare([_row("a", "1")], [_row("a", "1")], tolerance)


@pytest.mark.parametrize(
    ("drift", "text"),
    [
        (Drift("a", "missing", _row("a", "1"), None), "a: in the snapshot, not in the table"),
        (Drift("a", "added", None, _row("a", "1")), "a: in the table, not in the snapshot"),
        (
            Drift("a", "changed", _row("a", "3.5"), _row("a", "3.9"), 0.4, 0.1),
            "a: 3.5 → 3.9 (+0.4, tolerance 0.1)",
        ),
        (Drift("a", "changed", _row("a", "On"), _row("a", "Off")), "a: 'On' → 'Off'"),
        (
            Drift("a", "severity", _row("a", "1"), _row("a", "1", "MAJOR")),
            "a: severity none → MAJOR",
        ),
    ],
)
def test_drift_text(drift, text):
    assert drift.text == text
