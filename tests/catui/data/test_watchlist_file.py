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
