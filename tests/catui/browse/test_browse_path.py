"""The breadcrumb path of the record view."""

from __future__ import annotations

from catui.browse.path import BrowsePath


def test_follow_and_back():
    path = BrowsePath("a")
    assert path.back() is None and path.records == ("a",)
    path.follow("b")
    path.follow("c")
    assert (path.current, path.records) == ("c", ("a", "b", "c"))
    assert path.back() == "b" and path.current == "b"
    assert path.back() == "a" and path.back() is None


def test_a_link_back_to_a_record_on_the_path_returns_to_it():
    path = BrowsePath("a")
    for record in ("b", "c", "d"):
        path.follow(record)
    path.follow("b")  # a loop: d links to b
    assert path.records == ("a", "b")


def test_the_breadcrumb_is_cut_from_the_left():
    path = BrowsePath("first:record")
    path.follow("second:record")
    path.follow("third")
    assert path.text() == "first:record › second:record › third"
    assert path.text(40) == "first:record › second:record › third"
    assert path.text(30) == "… › second:record › third"
    assert path.text(10) == "… › third"
    assert path.text(4) == "…ird"
    assert path.text(1) == "…"
    assert path.text(separator=" > ") == "first:record > second:record > third"
