"""``catui list`` against a pvxs soft IOC and a p4p server that share one UDP port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.catui.cli.conftest import ROOT
from tests.protocol.pva.servers import P4PServer, PvaServer, PvxsIoc, running, write_db
from tests.support.iocs import LOOPBACK, free_port

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PvaServer, ...]]:
    udp = free_port()
    db = write_db(tmp_path_factory.mktemp("list"), "L:", ["b", "a", "c"])
    with running(
        PvxsIoc("L:", db, ["b", "a", "c"], broadcast_port=udp),
        P4PServer(["M:y", "M:x"], broadcast_port=udp),
    ) as started:
        yield started


def run(server: PvaServer | None, *args: str, broadcast_port: int | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EPICS_")}
    port = broadcast_port if server is None else server.broadcast_port
    assert port is not None
    env.update(
        EPICS_PVA_ADDR_LIST=LOOPBACK,
        EPICS_PVA_AUTO_ADDR_LIST="NO",
        EPICS_PVA_BROADCAST_PORT=str(port),
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "catui", "list", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=30,
    )


def test_discover_and_list_all(servers):
    ioc, p4p = servers
    proc = run(ioc)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    blocks = {
        f"# {ioc.address} (3 PVs)": ["L:a", "L:b", "L:c"],
        f"# {p4p.address} (2 PVs)": ["M:x", "M:y"],
    }
    lines = proc.stdout.splitlines()
    assert len(lines) == 7
    for header, names in blocks.items():
        at = lines.index(header)
        assert lines[at + 1 : at + 1 + len(names)] == names


def test_one_server_names_only(servers):
    ioc, _ = servers
    proc = run(ioc, ioc.address)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "L:a\nL:b\nL:c\n", "")


def test_json(servers):
    ioc, p4p = servers
    proc = run(ioc, "--json")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    got = {entry["server"]: entry for entry in document["servers"]}
    assert got[ioc.address]["pvs"] == ["L:a", "L:b", "L:c"]
    assert got[p4p.address]["pvs"] == ["M:x", "M:y"]
    assert all(entry["error"] is None and entry["guid"].startswith("0x") for entry in got.values())


def test_a_failure_among_good_ones(servers):
    ioc, _ = servers
    dead = f"{LOOPBACK}:{free_port()}"
    proc = run(ioc, ioc.address, dead, "-w", "0.5", "--json")
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"catui list: {dead}: connection refused (no PVA server on that port)"
    ]
    document = json.loads(proc.stdout)
    assert document["servers"][0]["pvs"] == ["L:a", "L:b", "L:c"]
    assert document["servers"][1]["error"].startswith(dead)


def test_nobody_answers():
    port = free_port()
    proc = run(None, "-w", "0.3", broadcast_port=port)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"catui list: discovery: no PVA server answered within 0.3 s ({LOOPBACK}:{port})"
    ]


@pytest.mark.parametrize("bad", ["127.0.0.1:99999", "no-such-host.invalid"])
def test_bad_server_argument(servers, bad):
    proc = run(servers[0], bad, "-w", "0.3")
    assert proc.returncode == 1
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"catui list: {bad!r}: ")


def test_help():
    proc = run(None, "--help", broadcast_port=1)
    assert proc.returncode == 0
    assert "EPICS_PVA_ADDR_LIST" in proc.stdout and "--json" in proc.stdout


def test_tool_is_registered():
    from catui.__main__ import build_parser
    from catui.cli import TOOLS

    assert "list" in TOOLS
    assert "catui list" in build_parser().format_help()


def test_imports_no_textual_numpy_or_p4p(servers):
    ioc, _ = servers
    code = (
        "import sys\n"
        "from catui.__main__ import main\n"
        f"status = main(['list', {ioc.address!r}])\n"
        "print('loaded:', *sorted(m for m in ('textual', 'numpy', 'p4p', 'pvxslibs') "
        "if m in sys.modules))\n"
        "sys.exit(status)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("EPICS_")}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "loaded:"
