"""The launcher with pvAccess: the ports it gives are the ports served, TCP on loopback only,
what it hands the console, and no demo process outliving the one that started it.

Sockets and processes are read from /proc (``tests/support/proc_net.py``), never probed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from catui.ioc_examples import demo
from catui.ioc_examples._common import _self_check
from catui.ioc_examples._pva import PvaPorts, client_conf, get_all
from catui.ioc_examples.launch import IocStartError, _ioc_env, start_ioc
from tests.support.iocs import LOOPBACK, free_port
from tests.support.proc_net import alive, sockets_of
from tests.support.processes import end_processes

ROOT = Path(__file__).resolve().parents[3]
PVA_ONLY = ["demo:table:runs", "demo:image", "demo:plant"]


def _ports() -> dict[str, int]:
    return {
        "port": free_port(),
        "pva_port": free_port(),
        "pva_broadcast_port": free_port(),
        "p4p_port": free_port(),
    }


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# -- without a network ---------------------------------------------------------------------


def test_the_environment_names_the_pva_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPICS_PVA_NAME_SERVERS", "10.0.0.1:5075")
    env = _ioc_env(None, PvaPorts(24001, 24002, 24003))
    assert env["EPICS_PVA_SERVER_PORT"] == env["EPICS_PVAS_SERVER_PORT"] == "24001"
    assert env["EPICS_PVA_BROADCAST_PORT"] == env["EPICS_PVAS_BROADCAST_PORT"] == "24002"
    assert env["EPICS_PVA_NAME_SERVERS"] == ""  # no search over TCP to anywhere


@pytest.mark.parametrize(
    ("args", "clash"),
    [
        (["--port", "24100", "--pva-port", "24100"], "--port and --pva-port are both TCP"),
        (["--pva-port", "24101", "--p4p-port", "24101"], "--pva-port and --p4p-port"),
        (["--port", "24102", "--pva-broadcast-port", "24102"], "both UDP port 24102"),
    ],
)
def test_ports_that_clash_are_refused(args: list[str], clash: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "catui.ioc_examples.demo", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert clash in result.stderr


def test_pva_asked_of_a_ca_only_ioc() -> None:
    with pytest.raises(ValueError, match="the simple IOC serves CA only"):
        start_ioc("simple", pva=True)


def test_the_self_check_names_what_does_not_answer() -> None:
    """Nothing serves on these ports: the IOC would say so instead of its banner."""
    port, broadcast = free_port(), free_port()
    with pytest.raises(RuntimeError, match=f"CA read of 'demo:temperature' at 127.0.0.1:{port}"):
        _self_check(demo.IOC, LOOPBACK, port, ["demo:temperature"], PVA_ONLY, None)
    with pytest.raises(RuntimeError, match="PVA get of 'demo:table:runs' timed out"):
        get_all(PVA_ONLY, client_conf(LOOPBACK, broadcast), timeout=0.3)


# -- against the demo IOC ------------------------------------------------------------------


@pytest.mark.interop
def test_the_launcher_gives_the_console_names_and_environment() -> None:
    ports = _ports()
    with start_ioc("demo", prefix="hand:", **ports) as ioc:
        assert ioc.pvs == demo.IOC.pv_names("hand:")
        assert ioc.pva_pvs == [f"pva://{name}" for name in demo.IOC.pva_names("hand:")]
        assert ioc.pva_pvs[-3:] == [
            "pva://hand:table:runs",
            "pva://hand:image",
            "pva://hand:plant",
        ]
        assert ioc.pva_ports == PvaPorts(
            ports["pva_port"], ports["pva_broadcast_port"], ports["p4p_port"]
        )
        assert ioc.env == {
            "EPICS_CA_ADDR_LIST": "127.0.0.1",
            "EPICS_CA_AUTO_ADDR_LIST": "NO",
            "EPICS_CA_SERVER_PORT": str(ports["port"]),
        }
        assert ioc.pva_env == {
            "EPICS_PVA_ADDR_LIST": "127.0.0.1",
            "EPICS_PVA_AUTO_ADDR_LIST": "NO",
            "EPICS_PVA_BROADCAST_PORT": str(ports["pva_broadcast_port"]),
            "EPICS_PVA_SERVER_PORT": str(ports["pva_port"]),
            "EPICS_PVA_NAME_SERVERS": "",
        }
        assert ioc.client_env == {**ioc.env, **ioc.pva_env}
        lines = ioc.output.splitlines()
        assert lines[-2] == (
            "demo IOC serving 33 PVs over PVA, searched on UDP port "
            f"{ports['pva_broadcast_port']}: 30 records on 127.0.0.1:{ports['pva_port']} "
            f"(QSRV), 3 more on 127.0.0.1:{ports['p4p_port']} (p4p)"
        )


@pytest.mark.interop
def test_the_ports_given_are_served_and_tcp_is_loopback_only() -> None:
    ports = _ports()
    with start_ioc("demo", prefix="net:", **ports) as ioc:
        held = sockets_of(ioc.process.pid)
    listening = {(s.host, s.port) for s in held if s.listening}
    assert listening == {
        (LOOPBACK, ports["port"]),  # CA (RSRV)
        (LOOPBACK, ports["pva_port"]),  # the records over PVA (QSRV)
        (LOOPBACK, ports["p4p_port"]),  # the PVA-only PVs (p4p)
    }
    assert not [s for s in held if s.protocol == "tcp6" and s.listening]
    udp = {(s.host, s.port) for s in held if s.protocol == "udp"}
    assert (LOOPBACK, ports["port"]) in udp  # CA searches
    # pvxs binds its search socket to the wildcard address by design (pva-facts.md,
    # section 0); it answers only searches sent to EPICS_PVAS_INTF_ADDR_LIST.
    assert ("0.0.0.0", ports["pva_broadcast_port"]) in udp
    fixed = {port for host, port in udp if port in ports.values()}
    assert fixed == {ports["port"], ports["pva_broadcast_port"]}


@pytest.mark.interop
def test_without_pva_nothing_pva_is_served() -> None:
    with start_ioc("demo", prefix="ca:", port=free_port(), pva=False) as ioc:
        assert ioc.pva_pvs == [] and ioc.pva_env == {} and ioc.pva_ports is None
        listening = {s.port for s in sockets_of(ioc.process.pid) if s.listening}
        assert "--no-pva" in ioc.argv
        assert "over PVA" not in ioc.output
    assert listening == {ioc.port}


@pytest.mark.interop
@pytest.mark.parametrize("option", ["pva_port", "p4p_port"])
def test_a_busy_pva_port_is_a_clear_error(option: str) -> None:
    ports = _ports()
    flag = "--" + option.replace("_", "-")
    with socket.socket() as taken:
        taken.bind((LOOPBACK, ports[option]))
        taken.listen()
        with pytest.raises(IocStartError, match=f"127.0.0.1:{ports[option]}.*another {flag}"):
            start_ioc("demo", prefix="busy:", **ports)


@pytest.mark.interop
def test_stop_leaves_no_process() -> None:
    ioc = start_ioc("demo", prefix="stop:", **_ports())
    pid = ioc.process.pid
    assert alive(pid)
    assert ioc.stop() == 0
    assert not alive(pid)
    assert not _demo_processes("stop:")


def _demo_processes(prefix: str) -> list[int]:
    """Live demo IOC processes serving ``prefix``, from their command lines in /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        serving = b"catui.ioc_examples.demo" in argv and prefix.encode() in argv
        if serving and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


# The console, as far as the demo is concerned: starts it, prints its pid, waits.
_CONSOLE = textwrap.dedent(
    """
    import sys, time
    from catui.ioc_examples.launch import start_ioc
    ioc = start_ioc("demo", prefix=sys.argv[1], port=int(sys.argv[2]),
                    pva_port=int(sys.argv[3]), pva_broadcast_port=int(sys.argv[4]),
                    p4p_port=int(sys.argv[5]))
    print(ioc.process.pid, flush=True)
    time.sleep(60)
    """
)


@pytest.mark.interop
@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda s: signal.Signals(s).name
)
def test_the_demo_does_not_outlive_a_console_that_is_ended(signum: int) -> None:
    """Whatever ends the console (no cleanup of its own for any of these), the demo goes."""
    prefix = f"sig{int(signum)}:"
    ports = _ports()
    args = [str(ports[key]) for key in ("port", "pva_port", "pva_broadcast_port", "p4p_port")]
    console = subprocess.Popen(
        [sys.executable, "-c", _CONSOLE, prefix, *args],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    pid = None
    try:
        assert console.stdout is not None
        pid = int(console.stdout.readline())
        assert alive(pid)
        console.send_signal(signum)
        console.wait(10)
        assert _wait_gone(pid, 5.0), f"the demo (pid {pid}) outlived its console"
        assert not _demo_processes(prefix)
    finally:
        if console.poll() is None:
            console.kill()
            console.wait()
        if console.stdout is not None:
            console.stdout.close()
        if pid is not None and alive(pid):
            end_processes([pid])
