"""The IOC fixtures serve what they claim, restart on the same port, and clean up.

caproto's clients are the test-only peer here: they check the fixtures, not our code.
"""

from __future__ import annotations

import os
import re
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from caproto import AccessRights, ChannelType
from caproto.sync.client import read, write
from caproto.threading.client import Context

from tests.support.iocs import LOOPBACK, EpicsBaseIoc, IocError, IocProcess, SoftIoc, free_port

pytestmark = pytest.mark.interop

# DEVELOPERS.md's network rule, written out again rather than taken from conftest.
LOOPBACK_SETTINGS = {
    "EPICS_CA_AUTO_ADDR_LIST": "NO",
    "EPICS_CA_ADDR_LIST": "127.0.0.1",
    "EPICS_CAS_INTF_ADDR_LIST": "127.0.0.1",
    "EPICS_PVA_AUTO_ADDR_LIST": "NO",
    "EPICS_PVA_ADDR_LIST": "127.0.0.1",
    "EPICS_PVAS_INTF_ADDR_LIST": "127.0.0.1",
    "EPICS_PVAS_AUTO_BEACON_ADDR_LIST": "NO",
    "EPICS_PVAS_BEACON_ADDR_LIST": "127.0.0.1",
}
PVA_PORTS = (
    "EPICS_PVA_SERVER_PORT",
    "EPICS_PVAS_SERVER_PORT",
    "EPICS_PVA_BROADCAST_PORT",
    "EPICS_PVAS_BROADCAST_PORT",
)

# (record suffix, native type, native element count): the table in records.db
RECORDS_DB_NATIVE = [
    ("ao", ChannelType.DOUBLE, 1),
    ("alarm", ChannelType.DOUBLE, 1),
    ("long", ChannelType.LONG, 1),
    ("short", ChannelType.INT, 1),
    ("float", ChannelType.FLOAT, 1),
    ("char", ChannelType.CHAR, 1),
    ("mbbo", ChannelType.ENUM, 1),
    ("bo", ChannelType.ENUM, 1),
    ("str", ChannelType.STRING, 1),
    ("i64", ChannelType.DOUBLE, 1),
    ("wf:double", ChannelType.DOUBLE, 8),
    ("wf:float", ChannelType.FLOAT, 8),
    ("wf:short", ChannelType.INT, 8),
    ("wf:long", ChannelType.LONG, 8),
    ("wf:char", ChannelType.CHAR, 64),
    ("wf:string", ChannelType.STRING, 4),
    ("wf:empty", ChannelType.DOUBLE, 5),
    ("lstr", ChannelType.STRING, 1),
    ("lstr.VAL$", ChannelType.CHAR, 100),
    ("bigwf", ChannelType.DOUBLE, 1_000_000),
    ("disabled", ChannelType.DOUBLE, 1),
    ("ro", ChannelType.DOUBLE, 1),
    ("ops", ChannelType.DOUBLE, 1),
    ("counter", ChannelType.DOUBLE, 1),
    ("tick", ChannelType.DOUBLE, 1),
    ("fast:run", ChannelType.ENUM, 1),
    ("fast:cnt", ChannelType.DOUBLE, 1),
    ("fast:loop", ChannelType.DOUBLE, 1),
    ("fast:fan", ChannelType.LONG, 1),
]

SOFTIOC_NATIVE = [
    ("ao", ChannelType.DOUBLE, 1),
    ("ai", ChannelType.DOUBLE, 1),
    ("long", ChannelType.LONG, 1),
    ("mbbo", ChannelType.ENUM, 1),
    ("str", ChannelType.STRING, 1),
    ("wf:double", ChannelType.DOUBLE, 8),
]


def caget(pv: str, **kwargs: Any) -> Any:
    """Read ``pv`` with caproto's sync client, without a repeater."""
    return read(pv, timeout=2, repeater=False, **kwargs)


def native_types(prefix: str, suffixes: list[str]) -> dict[str, tuple[ChannelType, int]]:
    """Native type and element count of each PV, from caproto's threading client."""
    ctx = Context()
    try:
        pvs = ctx.get_pvs(*(prefix + s for s in suffixes), timeout=2)
        found = {}
        for suffix, pv in zip(suffixes, pvs, strict=True):
            pv.wait_for_connection(timeout=5)
            found[suffix] = (pv.channel.native_data_type, pv.channel.native_data_count)
        return found
    finally:
        ctx.disconnect()


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # still there: a zombie (our child not yet reaped) would also be "there"
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ", 1)[1].startswith("Z")


def test_session_environment_stays_on_loopback() -> None:
    """The network rule of DEVELOPERS.md, for CA and PVA, clients and servers."""
    assert {key: os.environ.get(key) for key in LOOPBACK_SETTINGS} == LOOPBACK_SETTINGS
    assert int(os.environ["EPICS_CA_REPEATER_PORT"]) != 5065
    pva = {key: int(os.environ[key]) for key in PVA_PORTS}
    assert pva["EPICS_PVA_SERVER_PORT"] == pva["EPICS_PVAS_SERVER_PORT"]
    assert pva["EPICS_PVA_BROADCAST_PORT"] == pva["EPICS_PVAS_BROADCAST_PORT"]
    assert not set(pva.values()) & {5075, 5076}  # PVA's defaults
    assert pva["EPICS_PVA_SERVER_PORT"] != pva["EPICS_PVA_BROADCAST_PORT"]


def test_ci_script_keeps_traffic_on_loopback() -> None:
    """``.ci/run`` exports the network rule for everything it runs (ports: conftest)."""
    script = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    exported = dict(re.findall(r"^export (EPICS_\w+)=(\S+)$", script, flags=re.MULTILINE))
    assert exported == LOOPBACK_SETTINGS


@pytest.mark.parametrize("kind", [EpicsBaseIoc, SoftIoc])
def test_iocs_run_on_loopback_and_ports_of_their_own(kind: type[IocProcess]) -> None:
    env = kind("unstarted:").server_env
    assert {key: env.get(key) for key in LOOPBACK_SETTINGS} == LOOPBACK_SETTINGS
    assert env["EPICS_CAS_BEACON_ADDR_LIST"] == "127.0.0.1"
    assert env["EPICS_CAS_AUTO_BEACON_ADDR_LIST"] == "NO"
    ports = {key: env[key] for key in PVA_PORTS}
    assert ports["EPICS_PVA_SERVER_PORT"] == ports["EPICS_PVAS_SERVER_PORT"]
    assert ports["EPICS_PVA_BROADCAST_PORT"] == ports["EPICS_PVAS_BROADCAST_PORT"]
    assert not set(ports.values()) & {os.environ[key] for key in PVA_PORTS}


def test_free_port_is_free_for_tcp_and_udp() -> None:
    port = free_port()
    assert port not in (5064, 5065)
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.bind((LOOPBACK, port))
    assert free_port() != port


def test_epics_base_ioc_serves_records_db(
    epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]
) -> None:
    ioc = epics_base_ioc
    assert ioc.env == {
        "EPICS_CA_ADDR_LIST": "127.0.0.1",
        "EPICS_CA_AUTO_ADDR_LIST": "NO",
        "EPICS_CA_SERVER_PORT": str(ioc.port),
        "EPICS_CA_REPEATER_PORT": os.environ["EPICS_CA_REPEATER_PORT"],
    }
    ca_env(ioc)
    response = caget(ioc.prefix + "ao", data_type=ChannelType.CTRL_DOUBLE)
    assert response.data[0] == pytest.approx(3.5)
    assert response.metadata.units == b"mm"
    assert response.metadata.precision == 3
    assert response.metadata.upper_ctrl_limit == 50
    assert caget(ioc.prefix + "mbbo").data == [b"On"]
    assert list(caget(ioc.prefix + "wf:string").data) == [b"alpha", b"beta", b"gamma"]
    alarm = caget(ioc.prefix + "alarm", data_type=ChannelType.STS_DOUBLE).metadata
    assert (alarm.severity, alarm.status) == (1, 4)  # MINOR, HIGH


def test_records_db_native_types(
    epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]
) -> None:
    ca_env(epics_base_ioc)
    expected = {suffix: (kind, count) for suffix, kind, count in RECORDS_DB_NATIVE}
    assert native_types(epics_base_ioc.prefix, list(expected)) == expected


def test_bigwf_is_filled(
    epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]
) -> None:
    ca_env(epics_base_ioc)
    data = caget(epics_base_ioc.prefix + "bigwf").data
    assert len(data) == 1_000_000
    assert (data[0], data[1], data[-1]) == (0.0, 0.5, 499_999.5)


def test_epics_base_ioc_shell(
    epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]
) -> None:
    ca_env(epics_base_ioc)
    assert epics_base_ioc.dbpf("long", 7) == "7"
    assert caget(epics_base_ioc.prefix + "long").data == [7]
    assert epics_base_ioc.dbgf(epics_base_ioc.prefix + "long") == "7"
    epics_base_ioc.dbpf("long", 42)
    with pytest.raises(IocError, match="not registered"):
        epics_base_ioc.shell("no_such_command")
    with pytest.raises(IocError, match="not found"):
        epics_base_ioc.dbpf("no:such:record", 1)


def test_access_security_and_disp(
    epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]
) -> None:
    ca_env(epics_base_ioc)
    prefix = epics_base_ioc.prefix
    ctx = Context()
    try:
        ro, ao = ctx.get_pvs(prefix + "ro", prefix + "ao", timeout=2)
        ro.wait_for_connection(timeout=5)
        ao.wait_for_connection(timeout=5)
        assert ro.channel.access_rights == AccessRights.READ
        assert ao.channel.access_rights == AccessRights.READ | AccessRights.WRITE
    finally:
        ctx.disconnect()
    response = write(prefix + "disabled", [8.0], notify=True, timeout=2, repeater=False)
    assert response.status.name == "ECA_PUTFAIL"
    assert caget(prefix + "disabled").data == [7.0]


def test_counters_run(epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]) -> None:
    ca_env(epics_base_ioc)
    prefix = epics_base_ioc.prefix
    first = caget(prefix + "tick").data[0]
    time.sleep(0.5)
    assert caget(prefix + "tick").data[0] >= first + 2
    before = caget(prefix + "fast:cnt").data[0]
    epics_base_ioc.dbpf("fast:run", 1)
    try:
        time.sleep(0.2)
    finally:
        epics_base_ioc.dbpf("fast:run", 0)
    # at least 100k updates per second, i.e. 20k in 0.2 s
    assert caget(prefix + "fast:cnt").data[0] - before > 20_000


def test_epics_base_ioc_restarts_on_same_port(
    ioc_factory: Callable[..., IocProcess], ca_env: Callable[[IocProcess], None]
) -> None:
    ioc = ioc_factory("epics-base")
    assert isinstance(ioc, EpicsBaseIoc)
    ca_env(ioc)
    ioc.dbpf("ao", 1.25)
    assert caget(ioc.prefix + "ao").data == [1.25]
    port, old_pid = ioc.port, ioc.pid
    assert old_pid is not None

    ioc.restart()
    assert ioc.port == port and ioc.pid != old_pid
    assert process_gone(old_pid)
    assert caget(ioc.prefix + "ao").data == [3.5]  # fresh IOC: initial value again

    new_pid = ioc.pid
    assert new_pid is not None
    ioc.stop()
    assert not ioc.running and process_gone(new_pid)
    with pytest.raises(OSError):
        socket.create_connection((LOOPBACK, port), timeout=1).close()
    with pytest.raises(TimeoutError):
        caget(ioc.prefix + "ao")


def test_killed_ioc_comes_back(
    ioc_factory: Callable[..., IocProcess], ca_env: Callable[[IocProcess], None]
) -> None:
    ioc = ioc_factory("epics-base")
    ca_env(ioc)
    pid = ioc.pid
    assert pid is not None
    ioc.kill()
    assert process_gone(pid)
    ioc.ensure_running()
    assert caget(ioc.prefix + "str").data == [b"hello"]


def test_port_conflict_is_reported(epics_base_ioc: EpicsBaseIoc) -> None:
    clash = EpicsBaseIoc(epics_base_ioc.prefix + "clash:", port=epics_base_ioc.port)
    with pytest.raises(IocError, match=r"port \d+ was taken") as info:
        clash.start()
    assert "IOC output" in str(info.value)
    assert not clash.running


def test_startup_failure_shows_output(tmp_path: os.PathLike[str]) -> None:
    bad_db = os.path.join(tmp_path, "bad.db")
    with open(bad_db, "w") as db:
        db.write('record(nosuchtype, "x") {}\n')
    with pytest.raises(IocError, match="exited") as info:
        EpicsBaseIoc("bad:", db=bad_db, acf=None).start()
    assert "nosuchtype" in str(info.value)


def test_softioc_serves_records(
    softioc_ioc: IocProcess, ca_env: Callable[[IocProcess], None]
) -> None:
    ca_env(softioc_ioc)
    prefix = softioc_ioc.prefix
    expected = {suffix: (kind, count) for suffix, kind, count in SOFTIOC_NATIVE}
    assert native_types(prefix, list(expected)) == expected
    response = caget(prefix + "ao", data_type=ChannelType.CTRL_DOUBLE)
    assert response.metadata.units == b"mm"
    assert response.metadata.precision == 3
    write(prefix + "ao", [2.5], notify=True, timeout=2, repeater=False)
    deadline = time.monotonic() + 2
    while caget(prefix + "ai").data[0] != 2.5 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert caget(prefix + "ai").data == [2.5]
    assert list(caget(prefix + "wf:double").data) == [1.5, 2.5, 3.5]


def test_any_ioc_shares_common_records(
    any_ioc: IocProcess, ca_env: Callable[[IocProcess], None]
) -> None:
    ca_env(any_ioc)
    assert caget(any_ioc.prefix + "str").data == [b"hello"]
    assert caget(any_ioc.prefix + "mbbo", force_int_enums=True).data == [1]


def test_softioc_stops(ioc_factory: Callable[..., IocProcess]) -> None:
    ioc = ioc_factory("softioc")
    pid = ioc.pid
    assert pid is not None
    assert ioc.stop() == 0
    assert process_gone(pid)


def test_beacons_go_to_the_loopback_beacon_port(ioc_factory: Callable[..., IocProcess]) -> None:
    beacon_port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind((LOOPBACK, beacon_port))
        listener.settimeout(5)
        ioc = ioc_factory("epics-base", beacon_port=beacon_port)
        assert ioc.server_env["EPICS_CAS_BEACON_PORT"] == str(beacon_port)
        data, (host, _) = listener.recvfrom(1024)
    command, _, _, server_port = struct.unpack(">HHHH", data[:8])
    assert command == 13  # CA_PROTO_RSRV_IS_UP
    assert host == LOOPBACK
    assert server_port == ioc.port
