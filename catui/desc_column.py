"""The watch table's Description column: each PV's record ``DESC``, read once per connection.

:class:`DescriptionTracker` says which PVs to read: those connected since their
DESC was last read (first connection, or a reconnect: the IOC may have been
rebooted with another database). The reads go through the app's browse source
in a worker; :class:`DescriptionsRead` brings them back to the screen.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.message import Message

from catui.model import CONNECTED, PVState

__all__ = ["DescriptionTracker", "DescriptionsRead", "desc_pv"]


def desc_pv(name: str) -> str:
    """The DESC field of ``name``'s record (``rec.VAL`` -> ``rec.DESC``)."""
    return name.strip().partition(".")[0] + ".DESC"


class DescriptionTracker:
    """Which PVs' DESC to read: each time a PV connects, once."""

    def __init__(self) -> None:
        self._connected: dict[str, bool] = {}

    def due(self, states: Iterable[PVState]) -> list[str]:
        """The names connected now that were not when last asked (and forget the others)."""
        due = []
        seen = {}
        for state in states:
            now = state.connection == CONNECTED
            if now and not self._connected.get(state.name, False):
                due.append(state.name)
            seen[state.name] = now
        self._connected = seen
        return due


class DescriptionsRead(Message):
    """DESC texts read: PV name -> text (``""`` where there is none to read)."""

    def __init__(self, descriptions: dict[str, str]) -> None:
        super().__init__()
        self.descriptions = descriptions
