"""The pvAccess side of a demo IOC: its ports, its p4p server and the PVA half of its self-check.

The records reach pvAccess through QSRV, which ``softioc.iocInit(enable_pva=True)``
starts from the ``EPICS_PVAS_*`` environment.  PVs that are no record (an NTTable,
an NTNDArray, a plain structure) come from a p4p :class:`~p4p.server.Server` in
the same process, on a TCP port of its own and the same UDP search port: pvxs
servers of one process share one UDP socket, so a search reaches both.

The p4p server is given its settings explicitly (``useenv=False``), copied by
:func:`server_conf` from the variables :func:`configure_pva_environment` and
:func:`~catui.ioc_examples._common.configure_environment` have just set.

p4p is imported only when first used, by :func:`p4p`: importing this module
needs no EPICS.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catui.ioc_examples._common import Animation, ExampleIoc

__all__ = [
    "DEFAULT_PVA_BROADCAST_PORT",
    "DEFAULT_PVA_PORT",
    "PVA_SCHEME",
    "PvaMaker",
    "PvaPorts",
    "check_ports_distinct",
    "client_conf",
    "configure_pva_environment",
    "get_all",
    "p4p",
    "pva_banner",
    "server_conf",
    "start_server",
]

DEFAULT_PVA_PORT = 5075
DEFAULT_PVA_BROADCAST_PORT = 5076
#: How the console (and ``--list-pvs``) names a PV reached over pvAccess.
PVA_SCHEME = "pva://"

# The server settings a p4p server takes from the IOC's environment.
_SERVER_KEYS = (
    "EPICS_PVAS_INTF_ADDR_LIST",
    "EPICS_PVAS_BEACON_ADDR_LIST",
    "EPICS_PVAS_AUTO_BEACON_ADDR_LIST",
    "EPICS_PVAS_BROADCAST_PORT",
)


@functools.cache
def p4p() -> Any:
    """The p4p package with the modules the demo uses imported: ``.nt``, ``.server``...

    Raises ImportError without the ``demo`` extra.
    """
    # p4p ships no type information; mypy may or may not be told to skip it.
    import p4p.client.thread  # type: ignore[import-untyped, unused-ignore]
    import p4p.nt  # type: ignore[import-untyped, unused-ignore]
    import p4p.server  # type: ignore[import-untyped, unused-ignore]
    import p4p.server.thread  # type: ignore[import-untyped, unused-ignore]

    return p4p


@dataclass(frozen=True)
class PvaPorts:
    """Where an IOC serves pvAccess.

    Attributes
    ----------
    server : int
        TCP port of the records (QSRV).
    broadcast : int
        UDP port clients search on (``EPICS_PVA_BROADCAST_PORT``).
    p4p : int
        TCP port of the p4p server of the PVA-only PVs; 0 (any port) until it is bound.
    """

    server: int
    broadcast: int
    p4p: int = 0


def configure_pva_environment(
    port: int | None, broadcast_port: int | None, environ: dict[str, str] | None = None
) -> tuple[int, int]:
    """Set the PVA server (QSRV) TCP port and the UDP search port; return both.

    Each is taken, if None, from the server variable, then the client one, then
    pvxs's default; both variables of each are then set to it, so that a PVA
    client in the process searches where its servers listen.  Interface and
    beacon settings come from :func:`~catui.ioc_examples._common.configure_environment`.
    """
    env = os.environ if environ is None else environ
    if port is None:
        port = int(
            env.get("EPICS_PVAS_SERVER_PORT")
            or env.get("EPICS_PVA_SERVER_PORT")
            or DEFAULT_PVA_PORT
        )
    if broadcast_port is None:
        broadcast_port = int(
            env.get("EPICS_PVAS_BROADCAST_PORT")
            or env.get("EPICS_PVA_BROADCAST_PORT")
            or DEFAULT_PVA_BROADCAST_PORT
        )
    env["EPICS_PVA_SERVER_PORT"] = env["EPICS_PVAS_SERVER_PORT"] = str(port)
    env["EPICS_PVA_BROADCAST_PORT"] = env["EPICS_PVAS_BROADCAST_PORT"] = str(broadcast_port)
    return port, broadcast_port


def check_ports_distinct(ca: int, ports: PvaPorts) -> str | None:
    """Why the CA port and ``ports`` cannot all be served at once, or None.

    CA uses its port for TCP and UDP; the two PVA servers each need a TCP port of
    their own, and searches a UDP port that is not CA's.
    """
    tcp = {"--port": ca, "--pva-port": ports.server}
    if ports.p4p:
        tcp["--p4p-port"] = ports.p4p
    udp = {"--port": ca, "--pva-broadcast-port": ports.broadcast}
    for kind, table in (("TCP", tcp), ("UDP", udp)):
        options = list(table)
        for i, first in enumerate(options):
            for second in options[i + 1 :]:
                if table[first] == table[second]:
                    return f"{first} and {second} are both {kind} port {table[first]}"
    return None


def pva_banner(ioc: ExampleIoc, interface: str, ports: PvaPorts) -> str:
    """The line an IOC serving pvAccess prints just before its banner."""
    parts = []
    if ioc.qsrv:
        parts.append(f"{len(ioc.pvs)} records on {interface}:{ports.server} (QSRV)")
    if ioc.pva_pvs:
        more = "more " if ioc.qsrv else ""
        parts.append(f"{len(ioc.pva_pvs)} {more}on {interface}:{ports.p4p} (p4p)")
    total = len(ioc.pvs) * ioc.qsrv + len(ioc.pva_pvs)
    return (
        f"{ioc.name} IOC serving {total} PVs over PVA, searched on UDP port "
        f"{ports.broadcast}: {', '.join(parts)}"
    )


class PvaMaker:
    """Collects the p4p PVs an IOC's ``build_pva`` makes; passed to :attr:`ExampleIoc.build_pva`.

    Parameters
    ----------
    ioc : ExampleIoc
        The IOC whose :attr:`~ExampleIoc.pva_pvs` table the PVs must match.
    prefix : str
        Prefix of every name.
    records : mapping
        The IOC's softioc records by suffix, for PVs that show what records hold.
    """

    def __init__(self, ioc: ExampleIoc, prefix: str, records: Mapping[str, Any]) -> None:
        self._ioc = ioc
        self._prefix = prefix
        self.records = records
        self.pvs: dict[str, Any] = {}

    def __call__(self, suffix: str, initial: Any) -> Any:
        """A ``SharedPV`` named ``prefix + suffix`` holding the p4p ``Value`` ``initial``."""
        spec = self._ioc.pva_spec(suffix)
        if self._prefix + suffix in self.pvs:
            raise ValueError(f"PV {suffix!r} created twice")
        type_id = initial.getID()
        if type_id != spec.type_id:
            raise ValueError(f"PV {suffix!r} is a {type_id}, but the table says {spec.type_id}")
        pv = p4p().server.thread.SharedPV(initial=initial)
        self.pvs[self._prefix + suffix] = pv
        return pv

    def check_complete(self) -> None:
        """Raise if ``build_pva`` left a table entry unmade (table and code disagree)."""
        missing = [
            spec.suffix for spec in self._ioc.pva_pvs if self._prefix + spec.suffix not in self.pvs
        ]
        if missing:
            raise RuntimeError(f"{self._ioc.name}: PVs in the table but not built: {missing}")


def server_conf(env: Mapping[str, str], port: int) -> dict[str, str]:
    """The p4p server's settings: the IOC's ``EPICS_PVAS_*`` ones, with TCP ``port``.

    Port 0 lets the system choose; :meth:`p4p.server.Server.conf` tells which.
    """
    conf = {key: env[key] for key in _SERVER_KEYS if key in env}
    conf["EPICS_PVAS_SERVER_PORT"] = str(port)
    return conf


def client_conf(host: str, broadcast_port: int) -> dict[str, str]:
    """A p4p client's settings that search ``host`` only, on ``broadcast_port``."""
    return {
        "EPICS_PVA_ADDR_LIST": host,
        "EPICS_PVA_AUTO_ADDR_LIST": "NO",
        "EPICS_PVA_BROADCAST_PORT": str(broadcast_port),
        "EPICS_PVA_NAME_SERVERS": "",
    }


def start_server(
    ioc: ExampleIoc,
    prefix: str,
    records: Mapping[str, Any],
    ports: PvaPorts,
    animations: list[Animation],
) -> tuple[Any, PvaPorts]:
    """Make ``ioc``'s PVA-only PVs and serve them; add their animations to ``animations``.

    Returns the p4p server and ``ports`` with the TCP port it bound.
    """
    p4p_server = p4p().server
    if ioc.build_pva is None:
        raise RuntimeError(f"{ioc.name}: pva_pvs without build_pva")
    maker = PvaMaker(ioc, prefix, records)
    animations.extend(ioc.build_pva(maker))
    maker.check_complete()
    provider = p4p_server.StaticProvider(f"catui-{ioc.name}")
    for name, pv in maker.pvs.items():
        provider.add(name, pv)
    conf = server_conf(os.environ, ports.p4p)
    server = p4p_server.Server(providers=[provider], conf=conf, useenv=False)
    bound = int(server.conf()["EPICS_PVAS_SERVER_PORT"])
    return server, PvaPorts(ports.server, ports.broadcast, bound)


def get_all(names: Sequence[str], conf: Mapping[str, str], timeout: float) -> list[str]:
    """Get each of ``names`` over PVA; return the type ID of each.

    Raises
    ------
    RuntimeError
        A get failed or timed out; the message names the PV.
    """
    with p4p().client.thread.Context("pva", conf=dict(conf), useenv=False, nt=False) as ctx:
        values = ctx.get(list(names), timeout=timeout, throw=False)
    ids = []
    for name, value in zip(names, values, strict=True):
        if isinstance(value, Exception):
            why = "timed out" if isinstance(value, TimeoutError) else f"failed: {value!r}"
            raise RuntimeError(f"PVA get of {name!r} {why}")
        ids.append(value.getID())
    return ids
