"""Every PV name the console has met, for completion and glob patterns in the add dialog.

Names come from the watchlist (and the session it was restored from), from
text pasted into the add dialog, and from browsing (link targets, PV tree
nodes). :func:`expand_pattern` turns ``SR:*:current`` or ``HX:{a,b}`` into names:
braces give names of their own, ``*``, ``?`` and ``[...]`` match names seen.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from collections.abc import Iterable

__all__ = ["SeenNames", "common_prefix", "expand_braces", "expand_pattern", "is_pattern"]

# A brace group of alternatives (``{a,b}``); a channel filter (``{"dbnd":{…}}``) quotes.
_BRACES = re.compile(r"\{([^{}\"']*,[^{}\"']*)\}")
_WILDCARDS = re.compile(r"[*?\[]")


class SeenNames:
    """An ordered set of names, safe to add to from worker threads."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._names: dict[str, None] = {}
        self._lock = threading.Lock()
        self.add(names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def add(self, names: Iterable[str]) -> None:
        """Remember ``names`` (empty ones are passed over)."""
        with self._lock:
            for name in names:
                if name:
                    self._names.setdefault(name, None)

    def names(self) -> list[str]:
        """Every name, first seen first."""
        with self._lock:
            return list(self._names)

    def starting(self, prefix: str, limit: int | None = None) -> list[str]:
        """The names that begin with ``prefix`` (and are longer), sorted."""
        found = sorted(n for n in self.names() if n.startswith(prefix) and n != prefix)
        return found[:limit] if limit is not None else found


def common_prefix(names: list[str]) -> str:
    """What every name of ``names`` begins with (``""`` for none)."""
    if not names:
        return ""
    first, last = min(names), max(names)
    size = 0
    while size < len(first) and size < len(last) and first[size] == last[size]:
        size += 1
    return first[:size]


def is_pattern(word: str) -> bool:
    """Whether ``word`` is a glob (``*``, ``?``, ``[...]``) or holds a ``{a,b}`` group."""
    return bool(_BRACES.search(word) or _WILDCARDS.search(word))


def expand_braces(word: str) -> list[str]:
    """``HX:{a,b}:x`` -> ``HX:a:x``, ``HX:b:x`` (groups one after another, left to right)."""
    match = _BRACES.search(word)
    if match is None:
        return [word]
    head, tail = word[: match.start()], word[match.end() :]
    out: list[str] = []
    for choice in match.group(1).split(","):
        out += expand_braces(head + choice + tail)
    return list(dict.fromkeys(out))


def expand_pattern(word: str, seen: Iterable[str]) -> list[str]:
    """The names ``word`` stands for: brace groups expanded, then globs matched in ``seen``.

    A brace alternative with no wildcard is a name in its own right (seen or not);
    one with wildcards gives the names seen that it matches, in the order seen.
    """
    names = list(seen)
    out: list[str] = []
    for alternative in expand_braces(word):
        if _WILDCARDS.search(alternative):
            out += [n for n in names if fnmatch.fnmatchcase(n, alternative)]
        else:
            out.append(alternative)
    return list(dict.fromkeys(out))
