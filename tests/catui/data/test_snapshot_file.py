"""Reading saved snapshots back: CSV or Markdown, with per-row tolerances."""

from __future__ import annotations

import pytest

from catui.data.snapshot import SnapshotError, SnapshotRow, to_csv, to_markdown
from catui.data.snapshot_file import load_snapshot, parse_snapshot, split_row

ROWS = [
    SnapshotRow("demo:ao", "3.500", 3.5, "mm", "", "2026-01-15 08:30:00.000000"),
    SnapshotRow("demo:str", "a | b \\ c", None, "", "MINOR", ""),
    SnapshotRow("demo:formula", "=1+2", None),
    SnapshotRow("demo:wf", "[3] 1.50 2.50 3.50", None, "V"),
]


def test_csv_round_trip():
    saved = parse_snapshot(to_csv(ROWS))
    assert saved.rows == ROWS
    assert saved.tolerances == {}


def test_markdown_round_trip_keeps_escaped_bars_and_backslashes():
    saved = parse_snapshot(to_markdown(ROWS))
    assert [r.name for r in saved.rows] == [r.name for r in ROWS]
    assert saved.rows[1].value == "a | b \\ c"
    assert saved.rows[1].severity == "MINOR"
    assert saved.rows[0].number == 3.5 and saved.rows[0].units == "mm"
    assert saved.rows[3].number is None


def test_markdown_inside_other_text_with_a_tolerance_column():
    text = (
        "# Shift log\n\nBefore the study:\n\n"
        "| PV | Value | Tolerance |\n| :-- | --: | --- |\n"
        "| a:1 | 1.0 | 0.5 |\n| a:2 | 2 | |\n"
        "\nAfter it:\n\n| name | value |\n|---|---|\n| b:1 | 9 |\n"
    )
    saved = parse_snapshot(text)
    assert [(r.name, r.number) for r in saved.rows] == [("a:1", 1.0), ("a:2", 2.0)]
    assert saved.tolerances == {"a:1": 0.5}


def test_csv_tolerance_column():
    text = "name,value,tolerance\na:1,1.0,0.25\na:2,2,\n"
    saved = parse_snapshot(text)
    assert saved.tolerances == {"a:1": 0.25}
    assert [r.number for r in saved.rows] == [1.0, 2.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("value,units\n1,mm\n", "no name column"),
        ("just words\n", "no name column"),
        ("| value |\n|---|\n| 1 |\n", "no Markdown table with a name column"),
        ("| name | value |\n|---|---|\n| bad name | 1 |\n", "line 3"),
        ("name,value,tolerance\na:1,1,-2\n", "line 2: a tolerance is a number ≥ 0, not '-2'"),
        ("| name | tolerance |\n|---|---|\n| a:1 | lots |\n", "not 'lots'"),
    ],
)
def test_what_is_not_a_snapshot_says_why(text, message):
    with pytest.raises(SnapshotError, match=message):
        parse_snapshot(text)


@pytest.mark.parametrize(
    "text",
    [
        "name,value\nx:y," + "a" * 200_000 + "\n",  # over csv's field size limit
        "name,value\nx:y,a\rb\n",  # a lone CR, as in a binary file
    ],
    ids=["huge-cell", "lone-cr"],
)
def test_what_csv_cannot_read_is_a_snapshot_error(text):
    # csv.Error went past the compare screen's worker: it stayed at "Reading…".
    with pytest.raises(SnapshotError, match="not CSV"):
        parse_snapshot(text)


def test_split_row():
    assert split_row("| a | b \\| c | d \\\\ |") == ["a", "b | c", "d \\"]
    assert split_row("| a | |") == ["a", ""]
    assert split_row("| a | b") == ["a", "b"]


def test_load_snapshot(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("\ufeff" + to_csv(ROWS[:1]), encoding="utf-8")
    assert load_snapshot(path).rows == ROWS[:1]
    with pytest.raises(OSError):
        load_snapshot(tmp_path / "missing.csv")


def test_columns_a_snapshot_lacks_are_not_compared():
    import numpy as np

    from catui.feeds.base import Sample
    from catui.feeds.ca import channel_info
    from catui.model import PVState
    from catui.screens.compare import judge
    from protocol.channel_types import ChannelType

    def live(value: float, severity: int) -> dict[str, PVState]:
        state = PVState("x:y")
        state.apply_connection(
            "connected", ("127.0.0.1", 5064), channel_info(ChannelType.DOUBLE, 1, 3)
        )
        state.apply_update(Sample(np.array([value]), status=3, severity=severity, timestamp=1.0))
        return {"x:y": state}

    names_values = parse_snapshot("name,value\nx:y,1.0\n")
    assert names_values.columns == {"name", "value"}
    # In alarm now, but the file never said what the severity was: not a drift.
    (verdict,) = judge(names_values.rows, live(1.0, 1), {}, 0.0, columns=names_values.columns)
    assert verdict.mark == "ok"
    (verdict,) = judge(names_values.rows, live(2.0, 1), {}, 0.0, columns=names_values.columns)
    assert verdict.mark == "DRIFT"
    # A full snapshot does compare the severity.
    full = parse_snapshot("name,value,units,severity\nx:y,1.0,,\n")
    (verdict,) = judge(full.rows, live(1.0, 1), {}, 0.0, columns=full.columns)
    assert verdict.mark == "DRIFT"
    # Names only: present or missing, nothing else.
    names = parse_snapshot("| name |\n|---|\n| x:y |\n")
    assert names.columns == {"name"}
    (verdict,) = judge(names.rows, live(5.0, 2), {}, 0.0, columns=names.columns)
    assert verdict.mark == "ok"
