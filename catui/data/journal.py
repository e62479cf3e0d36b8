"""The write journal: every write of a session, appended to a JSON Lines file.

Each line of the file is one JSON object (UTF-8) with the fields of
:class:`JournalEntry`; a line of an older catui lacks the optional ones (``sent``,
``reported``, ``*_index``) and is read all the same.  Values are text, exact and with
their units (``"60 mm"``); an enum's value is its label, with the index beside it::

    {"pv": "demo:mode", "old": "Run", "old_index": 2, "new": "Standby", "new_index": 1,
     "sent": "ENUM choice 1 ('Standby')", "reported": "Standby", "reported_index": 1, …}
  Lines are only ever appended, one ``write`` each on a
descriptor opened with ``O_APPEND`` and locked, so that two catui processes writing
the same journal interleave whole lines and never overwrite each other.  Reading skips a
line that is not a complete entry (the last line of a process that died mid-write)
instead of failing: a journal is a record to look at, not a configuration.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import getpass
import json
import os
import re
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "JournalEntry",
    "append",
    "default_journal_path",
    "format_entry",
    "new_entry",
    "read",
]

_FIELDS = ("time", "user", "host", "pv", "old", "new", "status", "reply")
#: Fields a line may leave out (an older catui's lines do).
_OPTIONAL_TEXT = ("reply", "sent")
_OPTIONAL_INDEX = ("old_index", "new_index", "reported_index")
# Shown escaped: a string PV's value (or a hand-edited journal) could hold terminal
# escape sequences or newlines that would redraw the screen or fake extra entries.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclasses.dataclass(frozen=True)
class JournalEntry:
    """One write made by the session.

    Attributes
    ----------
    time : float
        When the write was sent, seconds since the Unix epoch.
    user, host : str
        Who wrote, from where (the login name and this machine's host name).
    pv : str
        The PV written.
    old : str or None
        The value read right before the write; None if it was not known.
    new : str
        The value written, as text (an enum's label).
    status : str
        How it completed: ``completed``, ``failed``, ``timed out``, ``refused``,
        ``not written``, ``unknown`` (disconnected after it was sent), ``abandoned``
        (sent, then given up when catui quit) or ``sent`` (a write without completion).
    reply : str
        What the server answered, or the sentence told to the operator.
    sent : str
        Exactly what went on the wire: type and value(s) (``DOUBLE 60.0``).
    reported : str or None
        What the IOC reported right after the write (it may have clipped or
        rounded it); None if not read.
    old_index, new_index, reported_index : int or None
        For an enum, the index of each choice (beside its label).
    """

    time: float
    user: str
    host: str
    pv: str
    old: str | None
    new: str
    status: str
    reply: str = ""
    sent: str = ""
    reported: str | None = None
    old_index: int | None = None
    new_index: int | None = None
    reported_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The entry as the JSON object written to the file (unknown optional fields left out)."""
        obj = dataclasses.asdict(self)
        for name in ("reported", *_OPTIONAL_INDEX):
            if obj[name] is None:
                del obj[name]
        return obj

    def text_of(self, which: str) -> str | None:
        """``old``, ``new`` or ``reported`` as shown: an enum's as ``'On' (choice 1)``."""
        value: str | None = getattr(self, which)
        index: int | None = getattr(self, f"{which}_index")
        if value is None or index is None:
            return value
        return f"{value!r} (choice {index})"

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> JournalEntry:
        """An entry from a decoded JSON object; unknown keys are ignored.

        Raises
        ------
        ValueError
            A field is missing (the optional ones may be) or of the wrong type.
        """
        values: dict[str, Any] = {}
        for name in _OPTIONAL_INDEX:
            value = obj.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"journal {name} is not an index: {value!r}")
            values[name] = value
        reported = obj.get("reported")
        if reported is not None and not isinstance(reported, str):
            raise ValueError(f"journal reported is not text: {reported!r}")
        values["reported"] = reported
        for name in (*_FIELDS, "sent"):
            if name not in obj:
                if name in _OPTIONAL_TEXT:
                    continue
                raise ValueError(f"journal entry without {name!r}")
            value = obj[name]
            if name == "time":
                # bool is an int too, and means nothing as a time.
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError(f"journal time is not a number: {value!r}")
                value = float(value)
            elif name == "old" and value is None:
                pass
            elif not isinstance(value, str):
                raise ValueError(f"journal {name} is not text: {value!r}")
            values[name] = value
        return cls(**values)


def new_entry(
    pv: str,
    old: str | None,
    new: str,
    status: str,
    reply: str = "",
    *,
    when: float | None = None,
    **more: Any,
) -> JournalEntry:
    """An entry for a write made now (or at ``when``), by this user on this host.

    ``more``: the optional fields of :class:`JournalEntry` (``sent``, ``reported``,
    ``old_index``…).
    """
    return JournalEntry(
        time=time.time() if when is None else when,
        user=_user(),
        host=socket.gethostname(),
        pv=pv,
        old=old,
        new=new,
        status=status,
        reply=reply,
        **more,
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "?"


def default_journal_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/catui/journal.jsonl``, else ``~/.local/state/catui/journal.jsonl``.

    A relative ``XDG_STATE_HOME`` is ignored, as the XDG Base Directory
    specification requires.
    """
    env = os.environ if environ is None else environ
    state = env.get("XDG_STATE_HOME", "")
    if state and os.path.isabs(state):
        base = Path(state)
    else:
        home = env.get("HOME") or os.path.expanduser("~")
        base = Path(home) / ".local" / "state"
    return base / "catui" / "journal.jsonl"


def append(path: str | os.PathLike[str], entry: JournalEntry, *, fsync: bool = False) -> None:
    """Add ``entry`` as one line at the end of the journal, creating it if needed.

    Parameters
    ----------
    path : path-like
        The journal file; missing parent directories are created.
    entry : JournalEntry
    fsync : bool
        Also wait until the line is on disk (slower; for journals that must survive
        a power cut).

    Raises
    ------
    OSError
        The file cannot be created or written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry.to_dict(), ensure_ascii=False, allow_nan=False) + "\n"
    data = line.encode("utf-8")
    # O_APPEND: every write lands at the end as one piece, whatever other processes
    # do; never O_TRUNC.  0o600: the journal tells who wrote what, for its owner.
    fd = os.open(target, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        # The lock makes "look at the last byte, then write" one step: without it a
        # write in progress in another process looks like a cut-off line.
        _lock(fd)
        if _ends_mid_line(fd):
            # A process died mid-write: start on a new line so this entry stays readable.
            data = b"\n" + data
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _lock(fd: int) -> None:
    """An exclusive advisory lock on the journal, released when ``fd`` is closed."""
    try:
        import fcntl
    except ImportError:  # Windows: O_APPEND alone still keeps lines whole
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _ends_mid_line(fd: int) -> bool:
    size = os.fstat(fd).st_size
    if size == 0:
        return False
    os.lseek(fd, size - 1, os.SEEK_SET)  # reading position only: writes still append
    return os.read(fd, 1) != b"\n"


def read(path: str | os.PathLike[str], last: int | None = None) -> list[JournalEntry]:
    """The entries of a journal, oldest first; ``[]`` if there is no journal yet.

    Parameters
    ----------
    path : path-like
    last : int, optional
        Only the newest ``last`` entries.

    Returns
    -------
    list of JournalEntry
        Lines that are not a complete entry (cut off, hand-edited) are skipped.

    Raises
    ------
    OSError
        The file exists but cannot be read.
    """
    entries: collections.deque[JournalEntry] = collections.deque(maxlen=last)
    try:
        # errors="replace": a broken byte costs one line at most, never the journal.
        with open(path, encoding="utf-8", errors="replace", newline="\n") as file:
            for line in file:
                entry = _parse_line(line)
                if entry is not None:
                    entries.append(entry)
    except FileNotFoundError:
        return []
    return list(entries)


def _parse_line(line: str) -> JournalEntry | None:
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested too deep
        return None
    if not isinstance(obj, dict):
        return None
    try:
        return JournalEntry.from_dict(obj)
    except (ValueError, OverflowError):  # OverflowError: a time of 1e400 written as an int
        return None


def format_entry(entry: JournalEntry, tz: datetime.tzinfo | None = None) -> str:
    """One line for the journal view.

    ``2026-11-25 16:14:24.123  alice@ctl01  demo:ao  3.5 → 4  completed — reply``
    (and ``(the IOC reports 3.9)`` when what it reported after the write is known).  An
    old value not known shows as ``?``, an empty one as ``""``, an enum's as ``'On'
    (choice 1)``; control characters in any field are shown escaped (``\\x1b``), so
    that a line stays one line.

    Parameters
    ----------
    entry : JournalEntry
    tz : tzinfo, optional
        Time zone of the time shown; local time by default.
    """
    try:
        when = datetime.datetime.fromtimestamp(entry.time, tz)
        stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    except (OverflowError, OSError, ValueError):  # a time no calendar can show
        stamp = f"t={entry.time!r}"
    old_text = entry.text_of("old")
    old = "?" if old_text is None else _value(old_text)
    text = (
        f"{stamp}  {_show(entry.user)}@{_show(entry.host)}  {_show(entry.pv)}  "
        f"{old} → {_value(entry.text_of('new') or '')}  {_show(entry.status)}"
    )
    if entry.reply:
        text += f" — {_show(entry.reply)}"
    reported = entry.text_of("reported")
    if reported is not None:
        text += f" (the IOC reports {_value(reported)})"
    return text


def _value(text: str) -> str:
    # An empty string is a value a string PV can have: show it, not nothing.
    return _show(text) if text else '""'


def _show(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
