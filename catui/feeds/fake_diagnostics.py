"""A fixed, plausible CA diagnostics snapshot for :class:`~catui.feeds.fake.FakeFeed`.

Every time is an offset from ``when`` (the fixed plant's timestamp), so that the
diagnostics screen looks the same in every snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable

from catui.feeds.base import (
    CONNECTED,
    SEARCHING,
    CircuitRow,
    Diagnostics,
    DuplicateRow,
    PVRow,
)

__all__ = ["FAKE_OTHER_SERVER", "FAKE_SERVER", "fixed_diagnostics"]

FAKE_SERVER = ("127.0.0.1", 5064)
#: A second IOC that also answers for the first connected PV (a duplicate).
FAKE_OTHER_SERVER = ("127.0.0.1", 5070)


# What CAConfig(addr_list=(FAKE_SERVER,), auto_addr_list=False, repeater_port=5065)
# shows, with the client's defaults.
_SETTINGS = (
    ("EPICS_CA_ADDR_LIST", "127.0.0.1:5064"),
    ("EPICS_CA_AUTO_ADDR_LIST", "NO"),
    ("EPICS_CA_NAME_SERVERS", "(none)"),
    ("EPICS_CA_SERVER_PORT", "5064"),
    ("EPICS_CA_REPEATER_PORT", "5065"),
    ("EPICS_CA_CONN_TMO", "30 s"),
    ("EPICS_CA_MAX_SEARCH_PERIOD", "300 s"),
    ("EPICS_CA_MAX_ARRAY_BYTES", "67108864"),
)


def fixed_diagnostics(pvs: Iterable[tuple[str, str]], when: float) -> Diagnostics:
    """The snapshot of a blocker watching ``pvs`` ((name, state) pairs) at ``when``.

    Parameters
    ----------
    pvs : iterable of (str, str)
        PV names with their console state: ``"connected"``, ``"disconnected"``
        (searched for again after losing its server) or ``"searching"``.
    when : float
        The time of the snapshot (seconds since the epoch).

    Returns
    -------
    Diagnostics
        One circuit at priority 0 carrying the connected PVs; the first of them
        also answered by :data:`FAKE_OTHER_SERVER`.
    """
    entries = []
    for name, state in pvs:
        if state == "connected":
            entries.append(PVRow(
                name, 0, CONNECTED, FAKE_SERVER, 1, when - 3600.0, when - 3600.0, None,
                when - 3599.9, 0,
            ))  # fmt: skip
        else:
            lost = state == "disconnected"
            entries.append(PVRow(
                name, 0, SEARCHING, None, 4 if lost else 7, when - 12.7, when - 2.5, when + 2.5,
                None, 1 if lost else 0,
            ))  # fmt: skip
    entries.sort(key=lambda entry: entry.name)
    connected = [entry for entry in entries if entry.state == CONNECTED]
    duplicates = (
        (DuplicateRow(connected[0].name, FAKE_SERVER, FAKE_OTHER_SERVER, when - 3599.9),)
        if connected
        else ()
    )
    circuits = (
        (CircuitRow(FAKE_SERVER, 0, len(connected), when - 3600.0, when - 0.2),)
        if connected
        else ()
    )
    return Diagnostics(
        taken_at=when,
        running=True,
        settings=_SETTINGS,
        destinations=(FAKE_SERVER,),
        pvs=tuple(entries),
        circuits=circuits,
        duplicates=duplicates,
        duplicate_count=len(duplicates),
        datagrams_sent=42,
    )
