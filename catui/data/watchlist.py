"""Load and save watchlist files, and parse PV names typed by a person.

A watchlist file holds one PV name a line; ``#`` starts a comment (a whole line
or the rest of one) and blank lines are ignored.  Nothing in it is evaluated.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from catui.data.durations import parse_seconds
from catui.feeds.names import MAX_NAME_LENGTH

__all__ = [
    "WatchlistError",
    "load_watchlist",
    "parse_pv_names",
    "read_watchlist",
    "save_watchlist",
]

# Record names (with a field) are printable ASCII without spaces; be strict about
# what a person types rather than search for names no IOC can serve.
_PV_NAME = re.compile(r"[\x21-\x7e]+")
# What a search datagram holds: a longer name could never be searched for.
_MAX_NAME = MAX_NAME_LENGTH
# Characters of a rejected token quoted in the error: a 100 kB line is not echoed whole.
_MAX_QUOTED = 60


class WatchlistError(ValueError):
    """A watchlist line or typed name is not a PV name."""


def parse_pv_names(text: str) -> list[str]:
    """PV names separated by spaces, commas or newlines; duplicates dropped, order kept.

    Raises
    ------
    WatchlistError
        A name holds characters a PV name cannot (control characters, non-ASCII).
    """
    names: dict[str, None] = {}  # ordered, and a membership test in O(1)
    for token in re.split(r"[\s,]+", text.strip()):
        if not token:
            continue
        if len(token) > _MAX_NAME:
            raise WatchlistError(f"not a PV name (over {_MAX_NAME} characters): {_quoted(token)}")
        if not _PV_NAME.fullmatch(token):
            raise WatchlistError(f"not a PV name: {_quoted(token)}")
        names[token] = None
    return list(names)


def _quoted(token: str) -> str:
    if len(token) <= _MAX_QUOTED:
        return repr(token)
    return f"{token[:_MAX_QUOTED]!r}… ({len(token)} characters)"


def load_watchlist(path: str | os.PathLike[str]) -> list[str]:
    """The PV names of a watchlist file, in order, without duplicates.

    Raises
    ------
    OSError
        The file cannot be read.
    WatchlistError
        A line is not a PV name, or the file is not UTF-8 text; the message gives the
        file and line number.
    """
    return list(read_watchlist(path))


def read_watchlist(path: str | os.PathLike[str]) -> dict[str, float | None]:
    """The PV names of a watchlist file, in order, each with its stale threshold or None.

    Raises
    ------
    OSError
        The file cannot be read.
    WatchlistError
        As :func:`load_watchlist`; also a ``stale=`` that is not a duration.
    """
    names: dict[str, float | None] = {}
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        number = raw.count(b"\n", 0, exc.start) + 1
        raise WatchlistError(
            f"{path}:{number}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
            "a watchlist holds one PV name a line"
        ) from None
    for number, line in enumerate(text.splitlines(), 1):
        content = line.split("#", 1)[0]
        try:
            found, stale = _entry(content)
        except WatchlistError as exc:
            raise WatchlistError(f"{path}:{number}: {exc}") from None
        if len(found) > 1:
            raise WatchlistError(f"{path}:{number}: one PV name a line, found {len(found)}")
        for name in found:
            names.setdefault(name, stale)
    return names


def _entry(content: str) -> tuple[list[str], float | None]:
    """A line's names and its ``stale=`` threshold (the options follow the name)."""
    tokens = content.split()
    stale: float | None = None
    while tokens and tokens[-1].startswith("stale="):
        try:
            stale = parse_seconds(tokens.pop()[len("stale=") :])
        except ValueError as exc:
            raise WatchlistError(f"stale=: {exc}") from None
    return parse_pv_names(" ".join(tokens)), stale


def save_watchlist(
    path: str | os.PathLike[str],
    names: Iterable[str],
    header: str | None = None,
    stale: Mapping[str, float | None] | None = None,
) -> None:
    """Write ``names`` one a line (with an optional ``#`` header), atomically.

    ``stale`` gives names a ``stale=`` threshold, written after the name.
    """
    target = Path(path)
    lines = [f"# {line}" for line in (header or "").splitlines()]
    thresholds = stale or {}
    for name in names:
        seconds = thresholds.get(name)
        lines.append(name if seconds is None else f"{name} stale={seconds:g}")
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, target)
