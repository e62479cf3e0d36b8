"""The CA client's diagnostics (``BlockerDiagnostics``) as the neutral rows of :mod:`.base`."""

from __future__ import annotations

from catui.feeds.base import CircuitRow, Diagnostics, DuplicateRow, PVRow
from protocol.sync.config import CAConfig
from protocol.sync.diagnostics import BlockerDiagnostics, PVDiagnostics

__all__ = ["ca_settings", "neutral_diagnostics"]


def _address(address: tuple[str, int]) -> str:
    return f"{address[0]}:{address[1]}"


def _addresses(addresses: tuple[tuple[str, int], ...]) -> str:
    return " ".join(_address(a) for a in addresses) or "(empty)"


def ca_settings(snap: BlockerDiagnostics, config: CAConfig) -> tuple[tuple[str, str], ...]:
    """The CA environment in effect, as (variable, value) rows."""
    servers = [
        f"{_address(n.address)} ({'connected' if n.connected else 'unreachable'})"
        for n in snap.name_servers
    ] or [_address(a) for a in config.name_servers]
    return (
        ("EPICS_CA_ADDR_LIST", _addresses(config.addr_list)),
        ("EPICS_CA_AUTO_ADDR_LIST", "YES" if config.auto_addr_list else "NO"),
        ("EPICS_CA_NAME_SERVERS", " ".join(servers) or "(none)"),
        ("EPICS_CA_SERVER_PORT", str(config.server_port)),
        ("EPICS_CA_REPEATER_PORT", str(config.repeater_port)),
        ("EPICS_CA_CONN_TMO", f"{config.conn_tmo:g} s"),
        ("EPICS_CA_MAX_SEARCH_PERIOD", f"{config.max_search_period:g} s"),
        ("EPICS_CA_MAX_ARRAY_BYTES", str(config.max_array_bytes)),
    )


def _row(p: PVDiagnostics) -> PVRow:
    return PVRow(
        p.name, p.priority, p.state, p.server, p.searches, p.search_started,
        p.last_search, p.next_search, p.connected_since, p.losses,
    )  # fmt: skip


def neutral_diagnostics(snap: BlockerDiagnostics) -> Diagnostics:
    """``snap`` in the console's terms (see :class:`catui.feeds.base.Diagnostics`)."""
    config = snap.config
    none = ""
    if snap.running and not snap.destinations and not snap.name_servers:
        none = "(none: EPICS_CA_AUTO_ADDR_LIST=NO and an empty address list)"
    return Diagnostics(
        taken_at=snap.taken_at,
        running=snap.running,
        settings=() if config is None else ca_settings(snap, config),
        settings_note="not read yet (the monitor has not started)" if config is None else "",
        destinations=snap.destinations,
        no_destinations=none,
        datagrams_sent=snap.datagrams_sent,
        pvs=tuple(map(_row, snap.pvs)),
        circuits=tuple(
            CircuitRow(c.address, c.priority, c.channels, c.connected_since, c.last_heard)
            for c in snap.circuits
        ),
        duplicates=tuple(DuplicateRow(d.name, d.first, d.other, d.when) for d in snap.duplicates),
        duplicate_count=snap.duplicate_count,
    )
