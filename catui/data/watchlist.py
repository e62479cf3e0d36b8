"""Load and save watchlist files, and parse PV names typed by a person.

A watchlist file holds one PV name a line; ``#`` starts a comment (a whole line
or the rest of one) and blank lines are ignored.  Nothing in it is evaluated.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["WatchlistError", "load_watchlist", "parse_pv_names", "save_watchlist"]

# Record names (with a field) are printable ASCII without spaces; be strict about
# what a person types rather than search for names no IOC can serve.
_PV_NAME = re.compile(r"[\x21-\x7e]+")
_MAX_NAME = 1024


class WatchlistError(ValueError):
    """A watchlist line or typed name is not a PV name."""


def parse_pv_names(text: str) -> list[str]:
    """PV names separated by spaces, commas or newlines; duplicates dropped, order kept.

    Raises
    ------
    WatchlistError
        A name holds characters a PV name cannot (control characters, non-ASCII).
    """
    names: list[str] = []
    for token in re.split(r"[\s,]+", text.strip()):
        if not token:
            continue
        if len(token) > _MAX_NAME or not _PV_NAME.fullmatch(token):
            raise WatchlistError(f"not a PV name: {token!r}")
        if token not in names:
            names.append(token)
    return names


def load_watchlist(path: str | os.PathLike[str]) -> list[str]:
    """The PV names of a watchlist file, in order, without duplicates.

    Raises
    ------
    OSError
        The file cannot be read.
    WatchlistError
        A line is not a PV name; the message gives the file and line number.
    """
    names: list[str] = []
    text = Path(path).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        content = line.split("#", 1)[0]
        try:
            found = parse_pv_names(content)
        except WatchlistError as exc:
            raise WatchlistError(f"{path}:{number}: {exc}") from None
        if len(found) > 1:
            raise WatchlistError(f"{path}:{number}: one PV name a line, found {len(found)}")
        names.extend(name for name in found if name not in names)
    return names


def save_watchlist(
    path: str | os.PathLike[str], names: Iterable[str], header: str | None = None
) -> None:
    """Write ``names`` one a line (with an optional ``#`` header), atomically."""
    target = Path(path)
    lines = [f"# {line}" for line in (header or "").splitlines()]
    lines.extend(names)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, target)
