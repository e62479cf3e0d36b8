"""The demo over pvAccess: every record over CA (our client) and PVA (p4p) alike, and the
PVA-only PVs (NTTable, NTNDArray, a plain structure) with their types and updates.

The p4p client is given its settings (``useenv=False``): the launcher's ``pva_env``,
which is loopback only.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from p4p.client.thread import Context, RemoteError

from catui.ioc_examples import demo, demo_pva
from catui.ioc_examples._common import PvSpec
from catui.ioc_examples._pva import PvaMaker
from catui.ioc_examples.launch import RunningIoc, start_ioc
from protocol.alarms import AlarmStatus
from protocol.dbr import EPICS_EPOCH_OFFSET
from protocol.sync.client import read
from tests.support.iocs import free_port

# -- without a network ---------------------------------------------------------------------


def test_the_table_names_the_pva_pvs() -> None:
    ioc = demo.IOC
    assert ioc.qsrv and ioc.serves_pva
    assert [pv.suffix for pv in ioc.pva_pvs] == ["table:runs", "image", "plant"]
    names = ioc.pva_names("x:")
    assert names[: len(ioc.pvs)] == ioc.pv_names("x:")  # every record over PVA too
    assert names[len(ioc.pvs) :] == ["x:table:runs", "x:image", "x:plant"]
    assert not set(ioc.pv_names()) & {f"demo:{pv.suffix}" for pv in ioc.pva_pvs}


def test_runs_keep_the_newest_and_one_running() -> None:
    now = 1_800_000_000.0
    runs = demo_pva.Runs(now)
    assert [run.number for run in runs.runs] == [1, 2, 3, 4, 5]
    assert [run.state for run in runs.runs][-1] == "running"
    runs.advance(now + 4.0)
    assert runs.runs[-1].seconds == 4.0 and runs.runs[-1].events > 0
    runs.advance(now + demo_pva.RUN_SECONDS + 0.1)  # the running run ends, another starts
    assert [run.number for run in runs.runs] == [2, 3, 4, 5, 6]
    assert [run.state for run in runs.runs][-2:] == ["done", "running"]
    value = runs.value(now)
    assert value.getID() == "epics:nt/NTTable:1.0"
    assert list(value.labels) == [label for _, _, label in demo_pva.TABLE_COLUMNS]
    assert list(value.value.run) == [2, 3, 4, 5, 6]
    assert value.timeStamp.secondsPastEpoch == int(now)


def test_image_frames() -> None:
    frame = demo_pva.image_frame(3.0)
    assert frame.shape == (demo_pva.IMAGE_HEIGHT, demo_pva.IMAGE_WIDTH)
    assert frame.dtype == np.uint16
    assert 0 < frame.max() <= demo_pva.IMAGE_MAX
    assert not np.array_equal(frame, demo_pva.image_frame(6.0))  # the spot moves
    value = demo_pva.image_value(7, 3.0, 1_800_000_000.5)
    assert value.uniqueId == 7
    assert [d.size for d in value.dimension] == [demo_pva.IMAGE_WIDTH, demo_pva.IMAGE_HEIGHT]
    assert value.dataTimeStamp.nanoseconds == value.timeStamp.nanoseconds == 500_000_000


class _Record:
    def __init__(self, value: Any) -> None:
        self.value = value

    def get(self) -> Any:
        return self.value


def test_pva_maker_holds_the_ioc_to_its_table() -> None:
    records = {pv.suffix: _Record(0) for pv in demo.PVS}
    maker = PvaMaker(demo.IOC, "t:", records)
    with pytest.raises(RuntimeError, match="not built: \\['table:runs', 'image', 'plant'\\]"):
        maker.check_complete()
    with pytest.raises(ValueError, match=r"is a epics:nt/NTNDArray:1\.0, but the table says"):
        maker("table:runs", demo_pva.image_value(0, 0.0, 0.0))
    with pytest.raises(KeyError):
        maker("nope", demo_pva.image_value(0, 0.0, 0.0))
    animations = demo_pva.build(maker)
    maker.check_complete()
    assert sorted(maker.pvs) == ["t:image", "t:plant", "t:table:runs"]
    assert len(animations) == 3
    with pytest.raises(ValueError, match="created twice"):
        maker("image", demo_pva.image_value(0, 0.0, 0.0))


def test_plant_shows_the_records() -> None:
    records = {pv.suffix: _Record(0) for pv in demo.PVS}
    records["motor:readback"].value = 12.5
    records["mode"].value = 3
    records["status"].value = 1
    value = demo_pva.plant_value(records, ["a", "b", "c", "d"], ["OK", "Warn"], 2.0, 0.0)
    assert value.getID() == "structure"
    assert value.motor.position == 12.5 and value.motor.limits.high == 100.0
    assert (value.mode.index, list(value.mode.choices)) == (3, ["a", "b", "c", "d"])
    assert value.temperature.band == "Warn"


# -- against the demo IOC ------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_ioc() -> Iterator[RunningIoc]:
    ioc = start_ioc(
        "demo",
        port=free_port(),
        pva_port=free_port(),
        pva_broadcast_port=free_port(),
        p4p_port=free_port(),
    )
    try:
        yield ioc
    finally:
        ioc.stop()


@pytest.fixture(scope="module")
def pva(demo_ioc: RunningIoc) -> Iterator[Context]:
    """A p4p client that finds the demo from the launcher's ``pva_env`` alone."""
    ctx = Context("pva", conf=demo_ioc.pva_env, useenv=False, nt=False)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def ca(demo_ioc: RunningIoc, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``ca(name, data_type)``: a read with our CA client, pointed at the demo."""
    for key, value in demo_ioc.env.items():
        monkeypatch.setenv(key, value)

    def ca_read(name: str, data_type: Any = "time") -> Any:
        return read(name, data_type=data_type, timeout=2, repeater=False, force_int_enums=True)

    return ca_read


def _ca_values(spec: PvSpec, reply: Any) -> list[Any]:
    if spec.native == "STRING":
        return [item.decode() for item in reply.data]
    if spec.record == "longStringOut":  # CHAR array up to its NUL, the text PVA sends
        return [bytes(reply.data).split(b"\0")[0].decode()]
    return [item.item() for item in reply.data]


def _pva_values(value: Any) -> list[Any]:
    if value.getID().startswith("epics:nt/NTEnum:"):
        return [value.value.index]
    inner = value.value
    if isinstance(inner, np.ndarray):
        return [item.item() for item in inner]
    return list(inner) if isinstance(inner, list) else [inner]


def _stamp(value: Any) -> tuple[int, int]:
    return value.timeStamp.secondsPastEpoch, value.timeStamp.nanoseconds


@pytest.mark.interop
@pytest.mark.parametrize("spec", demo.PVS, ids=lambda spec: spec.suffix)
def test_every_record_is_the_same_over_ca_and_pva(
    spec: PvSpec, demo_ioc: RunningIoc, pva: Context, ca: Callable[..., Any]
) -> None:
    """Value and severity agree whenever both protocols read the same processing.

    Live records change between the two reads; the time stamps tell when both
    saw the same update, and then everything must agree.
    """
    name = demo_ioc.prefix + spec.suffix
    for _ in range(50):
        over_pva = pva.get(name, timeout=2)
        over_ca = ca(name)
        stamp = over_ca.metadata.stamp
        if (stamp.secondsSinceEpoch + EPICS_EPOCH_OFFSET, stamp.nanoSeconds) == _stamp(over_pva):
            break
    else:
        pytest.fail(f"{name}: no CA read and PVA get of the same update in 50 tries")
    assert _ca_values(spec, over_ca) == _pva_values(over_pva)
    # QSRV sends the CA alarm status by name in the message ("HIGH", "COMM").
    status = AlarmStatus(over_ca.metadata.status)
    assert over_pva.alarm.message == ("" if status == AlarmStatus.NO_ALARM else status.name)
    assert int(over_ca.metadata.severity) == over_pva.alarm.severity


@pytest.mark.interop
def test_units_and_limits_agree(pva: Context, ca: Callable[..., Any]) -> None:
    for spec in demo.PVS:
        units = spec.fields.get("EGU")
        if units is None:
            continue
        name = "demo:" + spec.suffix
        over_pva = pva.get(name, timeout=2)
        assert over_pva.display.units == units, name
        assert ca(name, "control").metadata.units == units.encode(), name
    temperature = pva.get("demo:temperature", timeout=2)
    assert (temperature.control.limitLow, temperature.control.limitHigh) == (5.0, 95.0)
    assert temperature.valueAlarm.highAlarmLimit == 85.0


@pytest.mark.interop
def test_a_pva_put_is_read_over_ca_and_read_only_holds(
    pva: Context, ca: Callable[..., Any]
) -> None:
    pva.put("demo:setpoint", 6.75, wait=True, timeout=2)
    deadline = time.monotonic() + 2.0
    while ca("demo:readback").data[0] != 6.75:  # the record's on_update copies it
        assert time.monotonic() < deadline, "a PVA put of setpoint did not reach readback"
        time.sleep(0.02)
    assert ca("demo:setpoint").data[0] == 6.75
    # An input record: softioc's DISP=1, and ASG READONLY; QSRV names the first.
    with pytest.raises(RemoteError, match=r"Field Disabled|Put not permitted"):
        pva.put("demo:counter", 1, timeout=2)
    with pytest.raises(RemoteError, match="Put not supported"):
        pva.put("demo:plant", {"uptime": 1.0}, timeout=2)  # the PVA-only PVs are read-only


def _collect(pva: Context, name: str, count: int, timeout: float) -> list[Any]:
    """The first ``count`` values a monitor of ``name`` delivers (fewer after ``timeout``)."""
    values: list[Any] = []
    done = threading.Event()

    def on_value(value: Any) -> None:
        if isinstance(value, Exception):
            return
        values.append(value)
        if len(values) >= count:
            done.set()

    sub = pva.monitor(name, on_value)
    try:
        done.wait(timeout)
    finally:
        sub.close()
    return values[:count]


@pytest.mark.interop
def test_the_runs_table(pva: Context) -> None:
    first = pva.get("demo:table:runs", timeout=2)
    assert first.getID() == "epics:nt/NTTable:1.0"
    assert list(first.labels) == ["Run", "Started", "Duration [s]", "Events", "Rate [Hz]", "State"]
    columns = first.value
    assert list(columns.keys()) == [name for name, _, _ in demo_pva.TABLE_COLUMNS]
    assert columns.run.dtype == np.int32 and columns.events.dtype == np.int64
    assert len(columns.run) == demo_pva.RUNS_KEPT
    assert list(columns.state)[-1] == "running"
    assert "runs" in first.descriptor
    # It updates now and then: a monitor sees the running run go on.
    updates = _collect(pva, "demo:table:runs", 2, timeout=2 * demo_pva.TABLE_PERIOD + 2)
    assert len(updates) == 2
    before, after = (list(update.value.seconds) for update in updates)
    assert after[-1] > before[-1] or after[-2] >= before[-1]  # it ran on, or a new run began
    assert _stamp(updates[1]) > _stamp(updates[0])


@pytest.mark.interop
def test_the_image(pva: Context) -> None:
    image = pva.get("demo:image", timeout=2)
    assert image.getID() == "epics:nt/NTNDArray:1.0"
    pixels = image.value
    assert pixels.dtype == np.uint16
    width, height = (d.size for d in image.dimension)
    assert (width, height) == (demo_pva.IMAGE_WIDTH, demo_pva.IMAGE_HEIGHT)
    assert len(pixels) == width * height
    assert image.codec.name == ""  # no codec
    assert image.compressedSize == image.uncompressedSize == pixels.nbytes
    assert {a.name: a.value for a in image.attribute} == {"ColorMode": 0}
    assert abs(image.timeStamp.secondsPastEpoch - time.time()) < 5
    assert _stamp(image) == (
        image.dataTimeStamp.secondsPastEpoch,
        image.dataTimeStamp.nanoseconds,
    )
    # A new frame about once a second, each with its own uniqueId and pixels.
    frames = _collect(pva, "demo:image", 4, timeout=5.0)
    assert len(frames) == 4, [f.uniqueId for f in frames]
    ids = [frame.uniqueId for frame in frames]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert not np.array_equal(frames[1].value, frames[2].value)
    # The pace is the IOC's own, from its timestamps (not this client's clock, which a
    # loaded machine stretches): frames after the first ~1 s apart.
    stamps = [sec + ns * 1e-9 for sec, ns in map(_stamp, frames[1:])]
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    assert all(0.5 < gap < 2.0 for gap in gaps), gaps


@pytest.mark.interop
def test_the_plant_structure(pva: Context, ca: Callable[..., Any]) -> None:
    plant = pva.get("demo:plant", timeout=2)
    assert plant.getID() == "structure"
    assert plant.keys() == [
        "name", "uptime", "mode", "motor", "temperature", "channels", "gains", "timeStamp",
    ]  # fmt: skip
    assert list(plant.mode.choices) == ["Off", "Standby", "Run", "Fault"]
    assert plant.mode.index == ca("demo:mode").data[0]
    assert plant.motor.position == ca("demo:motor:readback").data[0]
    assert plant.motor.limits.todict() == {"low": -100.0, "high": 100.0}
    updates = _collect(pva, "demo:plant", 2, timeout=2 * demo_pva.PLANT_PERIOD + 2)
    assert len(updates) == 2 and updates[1].uptime > updates[0].uptime
