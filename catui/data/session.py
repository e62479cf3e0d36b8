"""Save and restore the console's session: its watchlist, filter and sort.

The console writes the session to a JSON state file whenever it exits (``q``, a lost
terminal, ``SIGHUP``, ``SIGTERM``), and ``catui`` without PV arguments starts from it.
The file is replaced atomically (a temporary file in the same directory, then
``os.replace``), so a crash or a second console never leaves half a file; a file that
cannot be read back is reported and ignored, never fatal.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from catui.data.watchlist import WatchlistError, parse_pv_names
from catui.model import SORTS

__all__ = [
    "SessionError",
    "SessionState",
    "default_state_path",
    "load_session",
    "save_session",
]

#: Bumped when the file's layout changes incompatibly; other versions are ignored.
FORMAT_VERSION = 1


class SessionError(ValueError):
    """A state file exists but does not hold a session (the message names the file)."""


@dataclass(frozen=True)
class SessionState:
    """What the next start restores.

    Attributes
    ----------
    names : tuple of str
        The watchlist, in list order.
    filter : str
        The filter pattern ('' for none).
    sort : str
        One of :data:`catui.model.SORTS`.
    """

    names: tuple[str, ...] = field(default_factory=tuple)
    filter: str = ""
    sort: str = "list"

    def to_json(self) -> str:
        data = {
            "version": FORMAT_VERSION,
            "names": list(self.names),
            "filter": self.filter,
            "sort": self.sort,
        }
        return json.dumps(data, indent=1) + "\n"

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> SessionState:
        """Validate a decoded state file.

        Raises
        ------
        ValueError
            Wrong version, or a field of the wrong type or value.
        """
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unknown version {data.get('version')!r}")
        names, filter_, sort = data.get("names"), data.get("filter", ""), data.get("sort", "list")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError("'names' is not a list of PV names")
        parsed: list[str] = []
        for name in names:
            try:
                valid = parse_pv_names(name) == [name]
            except WatchlistError:
                valid = False
            if not valid:
                raise ValueError(f"not a PV name: {name!r}")
            if name not in parsed:
                parsed.append(name)
        if not isinstance(filter_, str):
            raise ValueError("'filter' is not a string")
        if sort not in SORTS:
            raise ValueError(f"'sort' is not one of {', '.join(SORTS)}")
        return cls(tuple(parsed), filter_, str(sort))


def default_state_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/catui/session.json``, or ``~/.local/state/catui/session.json``.

    An unset, empty or relative ``$XDG_STATE_HOME`` is ignored, as the XDG base
    directory specification says.
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "catui" / "session.json"


def load_session(path: str | os.PathLike[str]) -> SessionState | None:
    """The session saved in ``path``; None if there is no such file.

    Raises
    ------
    SessionError
        The file cannot be read or does not hold a session; the message is one line
        naming the file.
    """
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionError(f"{target}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return SessionState.from_mapping(data)
    except ValueError as exc:  # json.JSONDecodeError is one
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SessionError(f"{target}: not a catui session ({reason})") from None


def save_session(path: str | os.PathLike[str], state: SessionState) -> None:
    """Write ``state`` to ``path`` atomically, creating its directory (mode 0700).

    Raises
    ------
    OSError
        The directory or the file cannot be written; ``path`` is then unchanged.
    """
    target = Path(path)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(state.to_json())
            file.flush()
            # Renamed only once on disk: after a power cut, the old session or the
            # new one, never an empty file.
            os.fsync(file.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
