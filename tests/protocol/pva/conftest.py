"""Real pvAccess servers for the interop tests: four kinds sharing one UDP port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from protocol.pva.sync.config import PVAConfig
from tests.protocol.pva.servers import (
    P4PServer,
    PvAccessCppIoc,
    PvaServer,
    PvxsIoc,
    QsrvSoftIoc,
    running,
    write_db,
)
from tests.support.iocs import LOOPBACK, free_port


@pytest.fixture(autouse=True)
def _loopback_pva_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a test forgets to pass, the client searches 127.0.0.1 only, on a port
    nothing serves (the network rule); tests that want a server say which."""
    monkeypatch.setenv("EPICS_PVA_ADDR_LIST", LOOPBACK)
    monkeypatch.setenv("EPICS_PVA_AUTO_ADDR_LIST", "NO")
    monkeypatch.setenv("EPICS_PVA_BROADCAST_PORT", str(free_port()))
    monkeypatch.setenv("EPICS_PVA_NAME_SERVERS", "")


@pytest.fixture(scope="session")
def pva_group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PvaServer, ...]]:
    """pvxslibs.ioc, a QSRV softioc, a p4p server and pvAccessCPP, one UDP port for all."""
    directory: Path = tmp_path_factory.mktemp("pva")
    udp = free_port()
    servers = (
        PvxsIoc("X:", write_db(directory, "X:", ["ai", "b", "c:d"]), ["ai", "b", "c:d"],
                broadcast_port=udp),
        QsrvSoftIoc("Y:", broadcast_port=udp),
        P4PServer(["Z:a", "Z:b"], broadcast_port=udp),
        PvAccessCppIoc("W:", write_db(directory, "W:", ["one"]), ["one"], broadcast_port=udp),
    )  # fmt: skip
    with running(*servers) as started:
        yield started


@pytest.fixture(scope="session")
def pva_config(pva_group: tuple[PvaServer, ...]) -> PVAConfig:
    """Search 127.0.0.1 only, on the group's UDP port."""
    port = pva_group[0].broadcast_port
    return PVAConfig(addr_list=((LOOPBACK, port),), auto_addr_list=False, broadcast_port=port)
