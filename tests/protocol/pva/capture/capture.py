"""Record real pvAccess exchanges on loopback as golden data: ``python capture.py [OUT_DIR]``.

Each capture runs a real client against a real server through a recording relay
(``relay.py``) and writes ``OUT_DIR/NAME.json`` (``tests/protocol/pva/data`` by
default) holding the bytes each side sent, in hex, with what produced them:

- the client is ``pvxs_list`` (``pvxs_list.cpp``: pvxs 1.5.3's C++ client, built
  here with g++ against the pvxslibs wheel) or catui's own ``protocol.pva.sync``;
- the servers are ``python -m pvxslibs.ioc`` (pvxs QSRV), p4p's server, a pvxs
  server sending big-endian (``pvxs_list serve-be``), and ``python -m
  epicscorelibs.ioc`` (the older pvAccessCPP).

Everything binds and talks to 127.0.0.1 only, on ports from ``free_port()``, with
the loopback-only variables of ``tests/support/iocs.py``. The golden tests read
only the JSON files; this script is how they were made (run it again to refresh).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.protocol.pva.capture.build import build
from tests.protocol.pva.capture.relay import TcpRelay, UdpRelay
from tests.protocol.pva.servers import (
    LOOPBACK,
    P4PServer,
    PvAccessCppIoc,
    PvaServer,
    PvxsIoc,
    client_env,
    environ,
    write_db,
)
from tests.support.iocs import free_port

DATA = Path(__file__).resolve().parents[1] / "data"
RECORDS = ("ai", "calc", "str")


class BigEndianServer(PvaServer):
    """``pvxs_list serve-be``: a pvxs server that sends big-endian."""

    kind = "pvxs big-endian"

    def __init__(self, binary: Path, names: list[str]) -> None:
        super().__init__(names)
        self.binary = binary

    def argv(self) -> list[str]:
        return [str(self.binary), "serve-be", *self.names]


def _tool(binary: Path, relay_udp: int | None, *args: str) -> str:
    # The search goes to the relay by the port in the address list; the client's own
    # UDP port (EPICS_PVA_BROADCAST_PORT, where it listens for beacons) is another.
    env = environ(client_env(free_port()))
    if relay_udp is not None:
        env["EPICS_PVA_ADDR_LIST"] = f"{LOOPBACK}:{relay_udp}"
    env["PVXS_LOG"] = "pvxs.*=ERR"
    proc = subprocess.run(
        [str(binary), *args], capture_output=True, text=True, env=env, timeout=20
    )
    if proc.returncode:
        raise RuntimeError(f"pvxs_list {' '.join(args)}: status {proc.returncode}: {proc.stderr}")
    return proc.stdout


def _record(
    name: str,
    out: Path,
    description: str,
    client: str,
    server: PvaServer,
    run: Callable[[TcpRelay, UdpRelay], str],
) -> None:
    tcp = TcpRelay(server.port)
    udp = UdpRelay(server.broadcast_port)
    with tcp, udp:
        printed = run(tcp, udp)
    udp_chunks = [{"from": who, "hex": data.hex()} for who, data in udp.chunks]
    streams = {who: tcp.stream(who).hex() for who in ("client", "server")}
    document = {
        "description": description,
        "client": client,
        "server": f"{server.kind} ({type(server).__name__} in tests/protocol/pva/servers.py)",
        "names": list(server.names),
        "printed": printed.splitlines(),
        "udp": udp_chunks,
        "tcp": streams if any(streams.values()) else None,
        "how": "tests/protocol/pva/capture/capture.py: loopback relay between the two",
    }
    path = out / f"{name}.json"
    path.write_text(json.dumps(document, indent=1) + "\n")
    print(f"{path}: {len(udp_chunks)} datagrams, tcp {[len(v) // 2 for v in streams.values()]}")


def _catui_list(tcp: TcpRelay, udp: UdpRelay) -> str:
    from protocol.pva.sync.listing import list_servers

    (listing,) = list_servers([f"{LOOPBACK}:{tcp.port}"], timeout=5.0)
    if listing.error is not None:
        raise listing.error
    return "\n".join(listing.names)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    pvxs_client = "pvxs_list (pvxs 1.5.3 C++ client, tests/protocol/pva/capture/pvxs_list.cpp)"
    catui_client = "catui protocol.pva.sync.listing.list_servers"
    with tempfile.TemporaryDirectory() as tmp:
        binary = build(Path(tmp))
        db = write_db(Path(tmp), "G:", RECORDS)

        def channels(tcp: TcpRelay, udp: UdpRelay) -> str:
            return _tool(binary, None, "channels", f"{LOOPBACK}:{tcp.port}")

        def info(tcp: TcpRelay, udp: UdpRelay) -> str:
            return _tool(binary, None, "info", f"{LOOPBACK}:{tcp.port}")

        def discover(tcp: TcpRelay, udp: UdpRelay) -> str:
            return _tool(binary, udp.port, "discover", "0.5")

        def get(tcp: TcpRelay, udp: UdpRelay) -> str:
            return _tool(binary, udp.port, "get", "G:ai")

        with PvxsIoc("G:", db, RECORDS) as ioc:
            what = "python -m pvxslibs.ioc serving G:ai, G:calc, G:str"
            _record("pvxs_discover", out, f"discovery ping and pong; {what}", pvxs_client, ioc,
                    discover)  # fmt: skip
            _record("pvxs_search", out, f"SEARCH for G:ai and its reply; {what}", pvxs_client,
                    ioc, get)  # fmt: skip
            _record("pvxs_channels", out, f"RPC server op=channels; {what}", pvxs_client, ioc,
                    channels)  # fmt: skip
            _record("pvxs_info", out, f"RPC server op=info; {what}", pvxs_client, ioc, info)
            _record("catui_pvxs_channels", out, f"catui's listing; {what}", catui_client, ioc,
                    _catui_list)  # fmt: skip
        with P4PServer(["P:a", "P:b"]) as p4p:
            what = "p4p Server with a StaticProvider of P:a, P:b"
            _record("p4p_channels", out, f"RPC server op=channels; {what}", pvxs_client, p4p,
                    channels)  # fmt: skip
        with BigEndianServer(binary, ["Q:a", "Q:b"]) as be:
            what = "pvxs server sending big-endian (pvxs_list serve-be Q:a Q:b)"
            _record("pvxs_be_channels", out, f"RPC server op=channels; {what}", pvxs_client, be,
                    channels)  # fmt: skip
        with PvAccessCppIoc("C:", db, RECORDS) as cpp:
            what = "python -m epicscorelibs.ioc (pvAccessCPP 7.1) serving C:ai, C:calc, C:str"
            _record("pvaccesscpp_discover", out, f"discovery ping and pong; {what}", pvxs_client,
                    cpp, discover)  # fmt: skip
            _record("pvaccesscpp_channels", out, f"RPC server op=channels; {what}", pvxs_client,
                    cpp, channels)  # fmt: skip
            _record("catui_pvaccesscpp_channels", out, f"catui's listing; {what}", catui_client,
                    cpp, _catui_list)  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)
