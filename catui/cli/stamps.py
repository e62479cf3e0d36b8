"""camonitor's time field: the server's or this machine's stamps, absolute or relative (``-t``).

The keys of ``-t`` are camonitor's: ``s`` the server's stamp (the default), ``c`` the
client's (this machine's clock, in parentheses), ``n`` none; and how they print:
absolute (the default), ``r`` relative to the first update (server) or to the start
(client), ``i`` since the previous update of any PV, ``I`` since the previous update of
the same PV.  In the relative modes each PV's first line is still absolute, as
camonitor prints it.
"""

from __future__ import annotations

import argparse

from catui.cli import formatting as fm

__all__ = ["StampClock", "StampKeys", "stamp_keys_arg"]

Stamp = tuple[int, int]  # EPICS seconds, nanoseconds
_MODES = {"r": "relative", "i": "incremental", "I": "per-pv"}
# camonitor's relative stamps: 14 spaces, then %+12.6f.
_INDENT = " " * 14


class StampKeys:
    """What ``-t`` asked for: which sources, and how they print."""

    __slots__ = ("client", "mode", "server")

    def __init__(self, server: bool = True, client: bool = False, mode: str = "absolute"):
        self.server = server
        self.client = client
        self.mode = mode

    def __repr__(self) -> str:
        return f"StampKeys(server={self.server}, client={self.client}, mode={self.mode!r})"


def stamp_keys_arg(text: str) -> StampKeys:
    """argparse type for ``-t``: letters of s, c, n and one of r, i, I.

    As camonitor reads them, except that an unknown letter, or r/i/I with no source
    to apply to (camonitor then prints no time at all), is a usage error.
    """
    keys = StampKeys(server=False)
    for letter in text:
        if letter == "s":
            keys.server = True
        elif letter == "c":
            keys.client = True
        elif letter in _MODES:
            keys.mode = _MODES[letter]
        elif letter != "n":
            raise argparse.ArgumentTypeError(
                f"{text!r}: {letter!r} is not a key: use s (server), c (client), n (none), "
                "r (relative), i (incremental), I (incremental per PV)"
            )
    if keys.mode != "absolute" and not (keys.server or keys.client):
        raise argparse.ArgumentTypeError(
            f"{text!r}: r, i and I need s (server) or c (client) to say which time"
        )
    return keys


def _seconds(later: Stamp, earlier: Stamp) -> float:
    return (later[0] - earlier[0]) + (later[1] - earlier[1]) * 1e-9


class _Previous:
    __slots__ = ("client", "printed", "server")

    def __init__(self) -> None:
        self.printed = False
        self.server: Stamp = (0, 0)
        self.client: Stamp = (0, 0)


class StampClock:
    """Builds each update's time field, remembering what the relative modes need.

    Parameters
    ----------
    keys : StampKeys
    started : (int, int), optional
        The client's reference for ``r``: the program's start (now by default).
    """

    def __init__(self, keys: StampKeys | None = None, started: Stamp | None = None) -> None:
        self.keys = keys or StampKeys()
        self.started = started or fm.now_stamp()
        self._first_server: Stamp | None = None
        self._last = _Previous()
        self._by_pv: dict[str, _Previous] = {}

    def field(self, name: str, server: Stamp, client: Stamp | None = None) -> str:
        """The time field of an update of ``name`` with the server stamp ``server``.

        ``client`` is this machine's time of the update (now by default).
        """
        keys = self.keys
        client = client or fm.now_stamp()
        mine = self._by_pv.setdefault(name, _Previous())
        if self._first_server is None:
            self._first_server = server
        if keys.mode == "relative":
            ref_server, ref_client = self._first_server, self.started
        elif keys.mode == "incremental":
            ref_server, ref_client = self._last.server, self._last.client
        else:
            ref_server, ref_client = mine.server, mine.client
        parts = []
        if keys.mode == "absolute" or not mine.printed:
            if keys.server:
                parts.append(fm.stamp_text(*server))
            if keys.client:
                parts.append(f"({fm.stamp_text(*client)})")
            mine.printed = True
        else:
            if keys.server:
                parts.append(f"{_INDENT}{_seconds(server, ref_server):+12.6f}")
            if keys.client:
                parts.append(f"{_INDENT}({_seconds(client, ref_client):+12.6f})")
        mine.server, mine.client = server, client
        self._last.server, self._last.client = server, client
        return "".join(parts)
