"""The demo IOCs, started through ``launch.start_ioc`` and read with caproto as the peer.

caproto's sync client is a test-only peer here (catui itself never imports it):
it checks that what the IOCs serve is what their PV tables say.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from caproto import AlarmSeverity, AlarmStatus, ChannelType
from caproto.sync.client import block, read, subscribe, write

from catui.ioc_examples import IOC_NAMES, demo, random_walk, simple
from catui.ioc_examples._common import MISSING_EXTRA, ExampleIoc, PvSpec
from catui.ioc_examples.launch import DemoExtraMissing, IocStartError, RunningIoc, start_ioc
from tests.support.iocs import free_port

ROOT = Path(__file__).resolve().parents[3]
IOCS: dict[str, ExampleIoc] = {
    "random_walk": random_walk.IOC,
    "simple": simple.IOC,
    "demo": demo.IOC,
}
# caproto's names for the CA native types where they differ from the spec's.
CAPROTO_TYPE = {"SHORT": ChannelType.INT}


# -- helpers -------------------------------------------------------------------------------


def launch(name: str, **kwargs: Any) -> RunningIoc:
    """start_ioc on a port from the test session's registry, so no other IOC gets it."""
    return start_ioc(name, port=free_port(), **kwargs)


def _start(name: str) -> Iterator[RunningIoc]:
    ioc = launch(name)
    try:
        yield ioc
    finally:
        ioc.stop()


@pytest.fixture(scope="module")
def demo_ioc() -> Iterator[RunningIoc]:
    yield from _start("demo")


@pytest.fixture(scope="module")
def walk_ioc() -> Iterator[RunningIoc]:
    yield from _start("random_walk")


@pytest.fixture(scope="module")
def simple_ioc() -> Iterator[RunningIoc]:
    yield from _start("simple")


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[RunningIoc], RunningIoc]:
    """``at(ioc)`` points caproto (which reads os.environ on each call) at ``ioc``."""

    def apply(ioc: RunningIoc) -> RunningIoc:
        for key, value in ioc.env.items():
            monkeypatch.setenv(key, value)
        return ioc

    return apply


def ca_read(name: str, data_type: Any = None) -> Any:
    # force_int_enums: caproto would otherwise ask for an ENUM as a STRING.
    return read(name, data_type=data_type, timeout=2, repeater=False, force_int_enums=True)


def ca_write(name: str, value: Any, timeout: float = 2.0) -> Any:
    return write(name, value, notify=True, timeout=timeout, repeater=False)


def native(spec: PvSpec) -> ChannelType:
    return CAPROTO_TYPE.get(spec.native) or ChannelType[spec.native]


def run_module(name: str, *args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m catui.ioc_examples.NAME ARGS`` (or ``code``) from the repository root."""
    argv = (
        [sys.executable, "-c", code]
        if code
        else [sys.executable, "-m", f"catui.ioc_examples.{name}"]
    )
    return subprocess.run(
        [*argv, *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )


# -- without a network ---------------------------------------------------------------------


def test_every_ioc_has_a_table() -> None:
    assert set(IOCS) == set(IOC_NAMES)
    for ioc in IOCS.values():
        suffixes = [pv.suffix for pv in ioc.pvs]
        assert len(suffixes) == len(set(suffixes)), ioc.name


def test_demo_covers_every_native_type() -> None:
    natives = {pv.native for pv in demo.PVS}
    assert natives == {"DOUBLE", "FLOAT", "LONG", "SHORT", "CHAR", "ENUM", "STRING"}
    assert 25 <= len(demo.PVS) <= 35


@pytest.mark.parametrize("name", IOC_NAMES)
@pytest.mark.parametrize("prefix", [None, "x1:"])
def test_list_pvs(name: str, prefix: str | None) -> None:
    args = ["--list-pvs"] + (["--prefix", prefix] if prefix else [])
    result = run_module(name, *args)
    assert result.returncode == 0, result.stderr
    ioc = IOCS[name]
    pva_only = [f"pva://{prefix or ioc.default_prefix}{pv.suffix}" for pv in ioc.pva_pvs]
    assert result.stdout.splitlines() == ioc.pv_names(prefix) + pva_only
    if pva_only:  # without pvAccess, the PVA-only PVs are not served
        result = run_module(name, "--no-pva", *args)
        assert result.stdout.splitlines() == ioc.pv_names(prefix)


def test_random_walk_default_names() -> None:
    assert random_walk.IOC.pv_names() == ["random_walk:dt", "random_walk:x"]


def test_bad_prefix_is_refused() -> None:
    with pytest.raises(SystemExit) as info:
        simple.main(["--prefix", "has space:", "--list-pvs"])
    assert info.value.code == 2


def test_missing_softioc_is_one_clear_line() -> None:
    code = (
        "import sys; sys.modules['softioc'] = None; "
        "from catui.ioc_examples.simple import main; sys.exit(main(sys.argv[1:]))"
    )
    result = run_module("simple", "--port", str(free_port()), code=code)
    assert result.returncode == 1
    assert result.stderr.strip() == MISSING_EXTRA


def test_launch_without_softioc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "softioc", None)
    with pytest.raises(DemoExtraMissing, match="pip install 'catui\\[demo\\]'"):
        start_ioc("simple")


def test_launch_unknown_ioc() -> None:
    with pytest.raises(ValueError, match="unknown demo IOC"):
        start_ioc("nope")


# -- random_walk ----------------------------------------------------------------------------


@pytest.mark.interop
def test_random_walk_tutorial(walk_ioc: RunningIoc, at: Callable[..., RunningIoc]) -> None:
    at(walk_ioc)
    assert "PVs: ['random_walk:dt', 'random_walk:x']\n" in walk_ioc.output
    dt = ca_read("random_walk:dt")
    assert dt.data_type == ChannelType.DOUBLE
    assert list(dt.data) == [3.0]
    x0 = ca_read("random_walk:x").data[0]

    # A write of a small dt takes effect at once, not after the current 3 s wait.
    assert ca_write("random_walk:dt", 0.05).status.success
    deadline = time.monotonic() + 1.5
    while ca_read("random_walk:x").data[0] == x0:
        assert time.monotonic() < deadline, "x did not move after dt = 0.05"
        time.sleep(0.05)
    ca_write("random_walk:dt", 3.0)


# -- simple ---------------------------------------------------------------------------------


@pytest.mark.interop
def test_simple_values_and_writes(simple_ioc: RunningIoc, at: Callable[..., RunningIoc]) -> None:
    at(simple_ioc)
    a, b, c = (ca_read(name) for name in simple_ioc.pvs)
    assert (a.data_type, list(a.data)) == (ChannelType.LONG, [1])
    assert (b.data_type, list(b.data)) == (ChannelType.DOUBLE, [2.0])
    assert (c.data_type, list(c.data)) == (ChannelType.LONG, [1, 2, 3])
    assert ca_write("simple:A", 7).status.success
    assert list(ca_read("simple:A").data) == [7]


# -- demo -----------------------------------------------------------------------------------


@pytest.mark.interop
def test_demo_native_types(demo_ioc: RunningIoc, at: Callable[..., RunningIoc]) -> None:
    at(demo_ioc)
    for spec in demo.PVS:
        res = ca_read(demo_ioc.prefix + spec.suffix)
        assert res.data_type == native(spec), spec.suffix
        if spec.record == "longStringOut":  # a long string sends what it holds and a NUL
            raw = bytes(res.data)
            assert len(raw) <= spec.count and raw.index(b"\0") == len(raw) - 1, spec.suffix
        else:
            assert len(res.data) == spec.count, spec.suffix


@pytest.mark.interop
def test_demo_temperature_metadata(demo_ioc: RunningIoc, at: Callable[..., RunningIoc]) -> None:
    at(demo_ioc)
    res = ca_read("demo:temperature", "control")
    meta = res.metadata
    assert (meta.units, meta.precision) == (b"degC", 2)
    assert (meta.lower_disp_limit, meta.upper_disp_limit) == (0.0, 100.0)
    assert (meta.lower_ctrl_limit, meta.upper_ctrl_limit) == (5.0, 95.0)
    assert (meta.lower_alarm_limit, meta.lower_warning_limit) == (15.0, 25.0)
    assert (meta.upper_warning_limit, meta.upper_alarm_limit) == (75.0, 85.0)
    # Value and severity arrive in one message, so they must agree.
    value = res.data[0]
    if value >= 85.0 or value <= 15.0:
        expected = AlarmSeverity.MAJOR_ALARM
    elif value >= 75.0 or value <= 25.0:
        expected = AlarmSeverity.MINOR_ALARM
    else:
        expected = AlarmSeverity.NO_ALARM
    assert meta.severity == expected

    later = ca_read("demo:temperature").data[0]
    time.sleep(0.5)
    assert ca_read("demo:temperature").data[0] != later  # it drifts


@pytest.mark.interop
def test_demo_writes_are_clamped_to_drive_limits(
    demo_ioc: RunningIoc, at: Callable[..., RunningIoc]
) -> None:
    at(demo_ioc)
    assert ca_write("demo:temperature", 500.0).status.success
    assert ca_read("demo:temperature").data[0] <= 95.0 + 5.0  # DRVH, plus one drift step


@pytest.mark.interop
def test_demo_alarms(demo_ioc: RunningIoc, at: Callable[..., RunningIoc]) -> None:
    at(demo_ioc)
    expected = {
        "gauge": (AlarmSeverity.INVALID_ALARM, AlarmStatus.COMM),
        "pressure": (AlarmSeverity.MINOR_ALARM, AlarmStatus.HIGH),
        "level": (AlarmSeverity.MAJOR_ALARM, AlarmStatus.HIHI),
        "flow": (AlarmSeverity.NO_ALARM, AlarmStatus.NO_ALARM),
    }
    for suffix, (severity, status) in expected.items():
        meta = ca_read("demo:" + suffix, "time").metadata
        assert (meta.severity, meta.status) == (severity, status), suffix


@pytest.mark.interop
def test_demo_enums_strings_and_arrays(
    demo_ioc: RunningIoc, at: Callable[..., RunningIoc]
) -> None:
    at(demo_ioc)
    assert ca_read("demo:mode", "control").metadata.enum_strings == (
        b"Off",
        b"Standby",
        b"Run",
        b"Fault",
    )
    assert ca_read("demo:status", "control").metadata.enum_strings == (b"OK", b"Warning", b"Alarm")
    assert ca_read("demo:message").data == [b"hello from catui"]
    assert ca_read("demo:names").data == [b"alpha", b"beta", b"gamma", b"delta"]
    text = bytes(ca_read("demo:description").data).rstrip(b"\0").decode()
    assert len(text) > 40 and text.startswith("A long string")

    first = ca_read("demo:trace", "control")
    assert first.data_type == ChannelType.CTRL_DOUBLE
    assert len(first.data) == 1000
    assert (first.metadata.units, first.metadata.precision) == (b"V", 3)
    time.sleep(0.25)  # the trace changes at 10 Hz
    assert list(ca_read("demo:trace").data) != list(first.data)


@pytest.mark.interop
def test_demo_slow_put(demo_ioc: RunningIoc, at: Callable[..., RunningIoc]) -> None:
    at(demo_ioc)
    target = 12.5 if ca_read("demo:motor:readback").data[0] != 12.5 else -12.5
    t0 = time.monotonic()
    res = ca_write("demo:motor:setpoint", target, timeout=10.0)
    elapsed = time.monotonic() - t0
    assert res.status.success
    assert elapsed >= 0.75 * demo.MOVE_SECONDS, "completed before the motor moved"
    assert elapsed < demo.MOVE_SECONDS + 3.0, "the put callback came far too late"
    assert ca_read("demo:motor:readback").data[0] == target
    assert list(ca_read("demo:motor:moving").data) == [0]


@pytest.mark.interop
def test_demo_fast_put_is_fast(demo_ioc: RunningIoc, at: Callable[..., RunningIoc]) -> None:
    at(demo_ioc)
    t0 = time.monotonic()
    assert ca_write("demo:setpoint", 4.25).status.success
    assert time.monotonic() - t0 < 1.0
    assert list(ca_read("demo:readback").data) == [4.25]


@pytest.mark.interop
def test_demo_read_only_pvs_refuse_writes(
    demo_ioc: RunningIoc, at: Callable[..., RunningIoc]
) -> None:
    at(demo_ioc)
    read_only = [pv for pv in demo.PVS if pv.read_only]
    assert {"uptime", "counter", "gauge", "trace"} <= {pv.suffix for pv in read_only}
    for spec in read_only:
        value: Any = "x" if spec.native == "STRING" else 1
        res = ca_write("demo:" + spec.suffix, value)
        assert not res.status.success, spec.suffix
        assert res.status.name == "ECA_NOWTACCESS", spec.suffix
    assert ca_read("demo:version").data == [f"catui {demo.__version__} demo IOC".encode()]


@pytest.mark.interop
def test_demo_counter_runs_at_50_hz(demo_ioc: RunningIoc, at: Callable[..., RunningIoc]) -> None:
    at(demo_ioc)
    updates: list[int] = []

    def on_update(sub: Any, response: Any) -> None:
        updates.append(int(response.data[0]))

    sub = subscribe("demo:counter")
    sub.add_callback(on_update)
    block(sub, duration=1.0, timeout=2, repeater=False)
    assert 35 <= len(updates) <= 65
    assert updates == sorted(updates)


# -- start and stop -------------------------------------------------------------------------


@pytest.mark.interop
@pytest.mark.parametrize("name", IOC_NAMES)
def test_sigterm_exits_cleanly_and_quickly(name: str) -> None:
    ioc = launch(name)
    try:
        assert ioc.startup_seconds is not None and ioc.startup_seconds < 10
        t0 = time.monotonic()
        ioc.process.send_signal(signal.SIGTERM)
        status = ioc.process.wait(5.0)
        assert status == 0, ioc.output
        assert time.monotonic() - t0 < 3.0
    finally:
        ioc.stop()


@pytest.mark.interop
def test_closing_stdin_stops_the_ioc() -> None:
    ioc = launch("simple")
    try:
        assert ioc.process.stdin is not None
        ioc.process.stdin.close()
        assert ioc.process.wait(5.0) == 0
    finally:
        ioc.stop()


@pytest.mark.interop
def test_busy_port_is_a_clear_error() -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        with pytest.raises(IocStartError, match=f"cannot serve on 127.0.0.1:{port}"):
            start_ioc("simple", port=port)


@pytest.mark.interop
def test_custom_prefix(at: Callable[..., RunningIoc]) -> None:
    with launch("simple", prefix="p9:") as ioc:
        at(ioc)
        assert ioc.pvs == ["p9:A", "p9:B", "p9:C"]
        assert list(ca_read("p9:B").data) == [2.0]
        assert ioc.env == {
            "EPICS_CA_ADDR_LIST": "127.0.0.1",
            "EPICS_CA_AUTO_ADDR_LIST": "NO",
            "EPICS_CA_SERVER_PORT": str(ioc.port),
        }
    assert not ioc.running


def test_environment_is_loopback_only() -> None:
    from catui.ioc_examples._common import configure_environment

    env: dict[str, str] = {}
    assert configure_environment(24680, "127.0.0.1", env) == 24680
    assert env["EPICS_CAS_INTF_ADDR_LIST"] == "127.0.0.1"
    assert env["EPICS_CAS_BEACON_ADDR_LIST"] == "127.0.0.1"
    assert env["EPICS_CAS_AUTO_BEACON_ADDR_LIST"] == "NO"
    assert env["EPICS_CA_SERVER_PORT"] == env["EPICS_CAS_SERVER_PORT"] == "24680"
    assert env["EPICS_CA_ADDR_LIST"] == env["EPICS_PVA_ADDR_LIST"] == "127.0.0.1"
    assert env["EPICS_CA_AUTO_ADDR_LIST"] == env["EPICS_PVA_AUTO_ADDR_LIST"] == "NO"
    assert env["EPICS_PVAS_INTF_ADDR_LIST"] == "127.0.0.1"
    assert env["EPICS_PVAS_BEACON_ADDR_LIST"] == "127.0.0.1"
    assert env["EPICS_PVAS_AUTO_BEACON_ADDR_LIST"] == "NO"
    # The user's own choice stands.
    env = {"EPICS_CAS_BEACON_ADDR_LIST": "127.0.0.2", "EPICS_CAS_SERVER_PORT": "24682"}
    assert configure_environment(None, "127.0.0.1", env) == 24682
    assert env["EPICS_CAS_BEACON_ADDR_LIST"] == "127.0.0.2"


def test_launched_iocs_get_a_loopback_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What launch.py hands the IOC process: CA and PVA on loopback, nothing inherited."""
    from catui.ioc_examples.launch import _ioc_env

    monkeypatch.setenv("EPICS_PVA_ADDR_LIST", "10.0.0.255")
    monkeypatch.setenv("EPICS_CAS_INTF_ADDR_LIST", "0.0.0.0")
    env = _ioc_env(None)
    assert "EPICS_CAS_INTF_ADDR_LIST" not in env  # the IOC sets it from --interface
    assert env["EPICS_CA_ADDR_LIST"] == env["EPICS_PVA_ADDR_LIST"] == "127.0.0.1"
    assert env["EPICS_CA_AUTO_ADDR_LIST"] == env["EPICS_PVA_AUTO_ADDR_LIST"] == "NO"
    assert env["EPICS_PVAS_BEACON_ADDR_LIST"] == "127.0.0.1"
    assert env["EPICS_PVAS_AUTO_BEACON_ADDR_LIST"] == "NO"
    assert env["EPICS_PVA_SERVER_PORT"] == env["EPICS_PVAS_SERVER_PORT"]
    assert env["EPICS_PVA_BROADCAST_PORT"] == env["EPICS_PVAS_BROADCAST_PORT"]
    assert not {env["EPICS_PVA_SERVER_PORT"], env["EPICS_PVA_BROADCAST_PORT"]} & {"5075", "5076"}
