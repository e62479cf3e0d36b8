"""Names seen, completion and glob patterns for the add dialog."""

from __future__ import annotations

from catui.data.seen_names import (
    SeenNames,
    common_prefix,
    expand_braces,
    expand_pattern,
    is_pattern,
)

SEEN = ["SR:a:current", "SR:b:current", "SR:b:voltage", "HX:a", "HX:b", "HX:c"]


def test_names_are_kept_once_in_the_order_first_seen() -> None:
    seen = SeenNames(["b", "a"])
    seen.add(["a", "", "c"])
    assert seen.names() == ["b", "a", "c"] and len(seen) == 3 and "c" in seen


def test_completion_offers_longer_names_sorted() -> None:
    seen = SeenNames(SEEN)
    assert seen.starting("SR:b") == ["SR:b:current", "SR:b:voltage"]
    assert seen.starting("HX:a") == []  # itself is not a completion
    assert common_prefix(seen.starting("SR:b")) == "SR:b:"
    assert common_prefix([]) == ""


def test_patterns_are_told_from_names_and_channel_filters() -> None:
    assert is_pattern("SR:*:current") and is_pattern("HX:{a,b}") and is_pattern("HX:?")
    assert not is_pattern("SR:a:current")
    assert not is_pattern('rec.VAL{"dbnd":{"d":1}}')


def test_braces_give_names_and_globs_match_what_was_seen() -> None:
    assert expand_braces("HX:{a,b}:{x,y}") == ["HX:a:x", "HX:a:y", "HX:b:x", "HX:b:y"]
    assert expand_pattern("SR:*:current", SEEN) == ["SR:a:current", "SR:b:current"]
    assert expand_pattern("HX:{a,z}", SEEN) == ["HX:a", "HX:z"]  # named outright
    assert expand_pattern("{SR:a*,HX:[bc]}", SEEN) == ["SR:a:current", "HX:b", "HX:c"]
    assert expand_pattern("QQ:*", SEEN) == []
