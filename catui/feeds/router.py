"""One feed for the console, routing each PV by its name's protocol prefix.

``ca://NAME`` and bare names go to the Channel Access feed; ``pva://NAME`` to the
pvAccess feed when there is one.  Without it (today), such a name is refused with
one clear line in the log and shows as disconnected, and CA keeps working.  Names
keep their prefix above this module; the CA feed strips ``ca://`` itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from catui.feeds.base import (
    DISCONNECTED,
    ConnectionEvent,
    Diagnostics,
    Feed,
    Values,
    WriteLink,
)
from catui.feeds.mailbox import Mailbox
from catui.feeds.names import split_protocol

__all__ = ["PVA_MISSING", "RouterFeed"]

logger = logging.getLogger("catui.feed")

#: Why a ``pva://`` name is not monitored (yet).
PVA_MISSING = "pvAccess not available yet (pip install 'catui[pva]' once it is)"


class RouterFeed:
    """A :class:`~catui.feeds.base.Feed` over one feed per protocol.

    Parameters
    ----------
    ca : Feed
        For ``ca://`` and bare names.
    pva : Feed, optional
        For ``pva://`` names (None: refused, see :data:`PVA_MISSING`).
    """

    def __init__(self, ca: Feed, pva: Feed | None = None) -> None:
        self.ca = ca
        self.pva = pva
        self._mailbox: Mailbox | None = None
        self._refused: set[str] = set()

    def _feed(self, name: str) -> Feed | None:
        return self.pva if split_protocol(name)[0] == "pva" else self.ca

    def _split(self, names: Iterable[str]) -> dict[int, tuple[Feed, list[str]]]:
        groups: dict[int, tuple[Feed, list[str]]] = {}
        for name in names:
            feed = self._feed(name)
            if feed is None:
                self._refuse(name)
                continue
            groups.setdefault(id(feed), (feed, []))[1].append(name)
        return groups

    def _refuse(self, name: str) -> None:
        if name not in self._refused:
            self._refused.add(name)
            logger.error("%s: %s", name, PVA_MISSING)
        if self._mailbox is not None:
            self._mailbox.put_connection(name, ConnectionEvent(DISCONNECTED))

    def _feeds(self) -> list[Feed]:
        return [self.ca] if self.pva is None else [self.ca, self.pva]

    def attach(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox
        for feed in self._feeds():
            feed.attach(mailbox)

    def add(self, names: Iterable[str]) -> None:
        for feed, group in self._split(names).values():
            feed.add(group)

    def remove(self, names: Iterable[str]) -> None:
        for feed, group in self._split(n for n in names if self._feed(n) is not None).values():
            feed.remove(group)

    def run_monitor(self) -> None:
        # One worker per protocol would be the pvAccess issue's; CA's is the app's.
        self.ca.run_monitor()

    def run_control_reader(self) -> None:
        self.ca.run_control_reader()

    def read_many(self, names: Sequence[str], timeout: float) -> dict[str, Values]:
        found: dict[str, Values] = {}
        for feed, group in self._split(names).values():
            found.update(feed.read_many(group, timeout))
        return found

    def write_link(self, name: str) -> WriteLink:
        feed = self._feed(name)
        if feed is None:
            raise ValueError(f"{name}: {PVA_MISSING}")
        return feed.write_link(name)

    def check_value(self, value: object, type_name: str, count: int) -> None:
        self.ca.check_value(value, type_name, count)

    def stop(self) -> None:
        for feed in self._feeds():
            feed.stop()

    def diagnostics(self) -> Diagnostics:
        return self.ca.diagnostics()
