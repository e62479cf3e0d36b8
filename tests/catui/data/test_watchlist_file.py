"""Watchlist files and typed PV names (catui.data.watchlist)."""

from __future__ import annotations

import pytest

from catui.data.watchlist import WatchlistError, load_watchlist, parse_pv_names, save_watchlist


def test_load_skips_comments_and_blank_lines(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("# header\n\ndemo:a\n  demo:b   # trailing comment\ndemo:a\n")
    assert load_watchlist(path) == ["demo:a", "demo:b"]


def test_load_rejects_two_names_on_a_line(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("demo:a demo:b\n")
    with pytest.raises(WatchlistError, match=r"w.txt:1: one PV name a line"):
        load_watchlist(path)


def test_save_then_load_round_trips(tmp_path):
    path = tmp_path / "saved.txt"
    save_watchlist(path, ["x:1", "x:2.VAL$"], header="catui watchlist")
    assert path.read_text().startswith("# catui watchlist\n")
    assert load_watchlist(path) == ["x:1", "x:2.VAL$"]


def test_parse_typed_names():
    assert parse_pv_names(" a:b, c:d\ne:f a:b ") == ["a:b", "c:d", "e:f"]
    assert parse_pv_names("   ") == []


@pytest.mark.parametrize("text", ["bad\x00name", "caf\u00e9"])
def test_parse_rejects_non_names(text):
    with pytest.raises(WatchlistError, match="not a PV name"):
        parse_pv_names(text)


def test_stale_thresholds_round_trip(tmp_path):
    from catui.data.watchlist import read_watchlist

    path = tmp_path / "w.txt"
    path.write_text("a:b stale=30   # thirty seconds\nc:d\ne:f stale=2m\n")
    assert read_watchlist(path) == {"a:b": 30.0, "c:d": None, "e:f": 120.0}
    assert load_watchlist(path) == ["a:b", "c:d", "e:f"]
    save_watchlist(path, ["e:f", "c:d"], stale={"e:f": 120.0})
    assert path.read_text() == "e:f stale=120\nc:d\n"
    assert read_watchlist(path) == {"e:f": 120.0, "c:d": None}


@pytest.mark.parametrize("line", ["a:b stale=soon", "a:b stale=-1", "a:b stale=nan", "stale=5"])
def test_bad_stale_options_name_the_line(tmp_path, line):
    path = tmp_path / "w.txt"
    path.write_text(f"x:y\n{line}\n")
    if line == "stale=5":  # no name before it: nothing to watch on that line
        assert load_watchlist(path) == ["x:y"]
        return
    with pytest.raises(WatchlistError, match=r"w.txt:2: stale=: not a duration"):
        load_watchlist(path)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 30.0), (" 30s ", 30.0), ("2m", 120.0), ("1.5h", 5400.0), ("", None), ("0", None)],
)
def test_durations(text, seconds):
    from catui.data.durations import parse_seconds

    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["soon", "-1", "inf", "nan", "5 minutes", "m"])
def test_bad_durations(text):
    from catui.data.durations import parse_seconds

    with pytest.raises(ValueError, match="not a duration"):
        parse_seconds(text)
