"""The plant behind ``catui --demo``: about 30 PVs that exercise everything a console shows.

Run it with ``python -m catui.ioc_examples.demo`` (``--list-pvs`` prints the names).

It serves every record over CA and, through QSRV, over pvAccess, and three more
PVs over pvAccess only (an NTTable, an NTNDArray image and a plain structure, see
:mod:`~catui.ioc_examples.demo_pva`) from a p4p server in the same process;
``--no-pva`` leaves pvAccess out.

Every CA native type, scalar and array; units, precision and the three kinds of
limits on a value that drifts through MINOR and MAJOR alarms; PVs fixed in MINOR,
MAJOR and INVALID alarm; read-only PVs; a setpoint whose put completes only after
:data:`MOVE_SECONDS` (a put-callback round trip you can see); a 1,000-point trace at
10 Hz and a counter at 50 Hz.  :data:`PVS` is the table; ``build`` adds behaviour.

The slow put
    ``motor:setpoint`` is a blocking ``aOut``: softioc leaves the record active (PACT)
    until its async ``on_update`` handler returns, and EPICS answers a put with
    notify (WRITE_NOTIFY) only when processing completes.  The handler ramps
    ``motor:readback`` to the new value over :data:`MOVE_SECONDS` while
    ``motor:moving`` reads ``Moving``.
"""

from __future__ import annotations

import asyncio
import functools
import math
import random
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import numpy as np

from catui import __version__
from catui.ioc_examples import demo_pva
from catui.ioc_examples._common import Animation, ExampleIoc, PvSpec, RecordMaker, every, serve

MOVE_SECONDS = 2.0
MOVE_STEPS = 20
TRACE_POINTS = 1000
DRIFT_PERIOD = 40.0  # seconds for the temperature to sweep through all its alarm bands


def _pv(
    suffix: str, record: str, native: str, doc: str, *args: Any, count: int = 1, **fields: Any
) -> PvSpec:
    """A table row, shorter to write: positional ``args`` and keyword ``fields``."""
    return PvSpec(suffix, record, native, count, args, fields, doc)


PVS = (
    # -- a drifting value with every kind of metadata, and its alarm band as an enum
    _pv("temperature", "aOut", "DOUBLE", "drifts through MINOR and MAJOR alarm bands",
        initial_value=50.0, EGU="degC", PREC=2, LOPR=0.0, HOPR=100.0, DRVL=5.0, DRVH=95.0,
        LOLO=15.0, LLSV="MAJOR", LOW=25.0, LSV="MINOR", HIGH=75.0, HSV="MINOR",
        HIHI=85.0, HHSV="MAJOR"),
    _pv("status", "mbbIn", "ENUM", "alarm band of temperature, with state severities",
        "OK", ("Warning", "MINOR"), ("Alarm", "MAJOR"), initial_value=0),
    # -- setpoint and readback; the slow put
    _pv("setpoint", "aOut", "DOUBLE", "a plain setpoint, copied to readback",
        initial_value=1.5, EGU="mm", PREC=3, DRVL=-50.0, DRVH=50.0),
    _pv("readback", "aIn", "DOUBLE", "follows setpoint",
        initial_value=1.5, EGU="mm", PREC=3, LOPR=-50.0, HOPR=50.0),
    _pv("motor:setpoint", "aOut", "DOUBLE", f"put completes after {MOVE_SECONDS:g} s",
        initial_value=0.0, EGU="mm", PREC=2, DRVL=-100.0, DRVH=100.0),
    _pv("motor:readback", "aIn", "DOUBLE", "ramps to motor:setpoint",
        initial_value=0.0, EGU="mm", PREC=2, LOPR=-100.0, HOPR=100.0),
    _pv("motor:moving", "boolIn", "ENUM", "Moving during a move",
        ZNAM="Idle", ONAM="Moving", initial_value=0),
    # -- one writable scalar of each remaining native type
    _pv("gain", "WaveformOut", "FLOAT", "FLOAT scalar (waveform NELM=1)",
        initial_value=[1.25], datatype="float32", length=1, PREC=3),
    _pv("samples", "longOut", "LONG", "LONG with drive limits",
        initial_value=100, EGU="counts", DRVL=1, DRVH=10000),
    _pv("offset", "WaveformOut", "SHORT", "SHORT scalar (waveform NELM=1)",
        initial_value=[-12], datatype="int16", length=1, EGU="counts"),
    _pv("byte", "WaveformOut", "CHAR", "CHAR scalar (waveform NELM=1)",
        initial_value=[65], datatype="uint8", length=1),
    _pv("mode", "mbbOut", "ENUM", "four states; Fault is a MAJOR alarm state",
        "Off", "Standby", "Run", ("Fault", "MAJOR"), initial_value=2),
    _pv("shutter", "boolOut", "ENUM", "two-state enum",
        ZNAM="Closed", ONAM="Open", initial_value=0),
    _pv("message", "stringOut", "STRING", "a string (at most 40 characters)",
        initial_value="hello from catui"),
    _pv("description", "longStringOut", "CHAR", "long string (CHAR waveform)", count=256,
        length=256, initial_value="A long string, longer than the 40 characters of a "
        "DBR_STRING: CA carries it as an array of CHAR, and a console shows it as text."),
    # -- writable arrays
    _pv("names", "WaveformOut", "STRING", "array of strings", count=4,
        initial_value=["alpha", "beta", "gamma", "delta"]),
    _pv("table", "WaveformOut", "DOUBLE", "array of doubles", count=8,
        initial_value=[float(i * i) for i in range(8)], datatype="float64", EGU="mm", PREC=1),
    # -- read-only, most of them live
    _pv("uptime", "longIn", "LONG", "seconds since start",
        initial_value=0, EGU="s"),
    _pv("counter", "longIn", "LONG", "counts at 50 Hz",
        initial_value=0),
    _pv("heartbeat", "boolIn", "ENUM", "toggles every second",
        ZNAM="Off", ONAM="On", initial_value=0),
    _pv("clock", "stringIn", "STRING", "local time, every second",
        initial_value=""),
    _pv("version", "stringIn", "STRING", "a constant string",
        initial_value=f"catui {__version__} demo IOC"),
    _pv("flow", "aIn", "DOUBLE", "noisy value without alarms, every second",
        initial_value=12.0, EGU="l/min", PREC=1, LOPR=0.0, HOPR=20.0),
    _pv("pressure", "aIn", "DOUBLE", "always in MINOR alarm (HIGH)",
        initial_value=7.8, EGU="bar", PREC=2, LOPR=0.0, HOPR=10.0,
        HIGH=7.5, HSV="MINOR", HIHI=9.0, HHSV="MAJOR"),
    _pv("level", "aIn", "DOUBLE", "always in MAJOR alarm (HIHI)",
        initial_value=96.0, EGU="%", PREC=0, LOPR=0.0, HOPR=100.0,
        HIGH=80.0, HSV="MINOR", HIHI=95.0, HHSV="MAJOR"),
    _pv("gauge", "aIn", "DOUBLE", "always INVALID (COMM): lost communication",
        initial_value=1013.2, EGU="mbar", PREC=1),
    _pv("trace", "WaveformIn", "DOUBLE", "1,000-point trace at 10 Hz", count=TRACE_POINTS,
        length=TRACE_POINTS, datatype="float64", EGU="V", PREC=3, LOPR=-1.5, HOPR=1.5),
    _pv("spectrum", "WaveformIn", "FLOAT", "256-point FLOAT array at 2 Hz", count=256,
        length=256, datatype="float32", EGU="dB", PREC=1, LOPR=-80.0, HOPR=0.0),
    _pv("adc", "WaveformIn", "SHORT", "64 raw SHORT samples at 2 Hz", count=64,
        length=64, datatype="int16", EGU="counts"),
    _pv("histogram", "WaveformIn", "LONG", "32-bin LONG histogram, every second", count=32,
        length=32, datatype="int32"),
)  # fmt: skip
_TEMPERATURE_LIMITS = next(pv.fields for pv in PVS if pv.suffix == "temperature")


def build(records: RecordMaker) -> Sequence[Animation]:
    """Create every record of :data:`PVS`; return the coroutines that animate the plant."""
    from softioc import alarm  # only here: importing this module must not need softioc

    t0 = time.monotonic()
    temperature = records("temperature")
    status = records("status")
    readback = records("readback")
    records("setpoint", on_update=readback.set)
    motor_readback = records("motor:readback")
    motor_moving = records("motor:moving")
    move = _mover(motor_readback, motor_moving)
    # blocking=True: the put is not complete (and WRITE_NOTIFY not answered) until
    # ``move`` returns; always_update=True: a put of the current value moves too.
    records("motor:setpoint", on_update=move, always_update=True, blocking=True)
    for name in ("gain", "samples", "offset", "byte", "mode", "shutter", "message"):
        records(name)
    for name in ("description", "names", "table", "version", "pressure", "level"):
        records(name)
    gauge = records("gauge")
    # Before iocInit this only stores the alarm; the record's PINI processing posts it.
    gauge.set(gauge.get(), severity=alarm.INVALID_ALARM, alarm=alarm.COMM_ALARM)

    counter = records("counter")
    trace = records("trace", initial_value=_trace_frame(0.0))
    spectrum = records("spectrum")
    adc = records("adc")
    slow = _SlowPvs(
        t0, records("uptime"), records("heartbeat"), records("clock"), records("flow"),
        records("histogram"),
    )  # fmt: skip

    def count(t: float) -> None:
        counter.set(counter.get() + 1)

    def drift(t: float) -> None:
        target = 50.0 + 42.0 * math.sin(2.0 * math.pi * t / DRIFT_PERIOD)
        # Relax towards the target, so that a value a client writes is visible
        # for a few seconds before the drift takes it back.
        value = temperature.get()
        value += 0.25 * (target - value) + random.gauss(0.0, 0.15)
        temperature.set(value)
        status.set(_alarm_band(value))

    def sample(t: float) -> None:
        spectrum.set(_spectrum_frame(t))
        adc.set(_adc_frame())

    return [
        functools.partial(every, 1 / 50, t0, count),
        functools.partial(every, 1 / 10, t0, lambda t: trace.set(_trace_frame(t))),
        functools.partial(every, 1 / 5, t0, drift),
        functools.partial(every, 1 / 2, t0, sample),
        functools.partial(every, 1.0, t0, slow.update),
    ]


def _mover(readback: Any, moving: Any) -> Callable[[float], Coroutine[Any, Any, None]]:
    """The ``on_update`` handler of ``motor:setpoint``: ramp ``readback`` to the target."""

    async def move(target: float) -> None:
        moving.set(1)
        start = readback.get()
        for step in range(1, MOVE_STEPS + 1):
            await asyncio.sleep(MOVE_SECONDS / MOVE_STEPS)
            readback.set(start + (target - start) * step / MOVE_STEPS)
        moving.set(0)

    return move


class _SlowPvs:
    """The PVs that change once a second."""

    def __init__(
        self, t0: float, uptime: Any, heartbeat: Any, clock: Any, flow: Any, histogram: Any
    ) -> None:
        self.t0 = t0
        self.uptime, self.heartbeat, self.clock = uptime, heartbeat, clock
        self.flow, self.histogram = flow, histogram

    def update(self, t: float) -> None:
        self.uptime.set(int(t))
        self.heartbeat.set(1 - self.heartbeat.get())
        self.clock.set(time.strftime("%Y-%m-%d %H:%M:%S"))
        self.flow.set(12.0 + random.gauss(0.0, 0.3))
        samples = np.random.normal(16.0, 5.0, 500).astype(int)
        self.histogram.set(np.bincount(np.clip(samples, 0, 31), minlength=32).astype(np.int32))


def _alarm_band(value: float) -> int:
    """Index into ``status``'s states (OK, Warning, Alarm) of the temperature ``value``.

    The same comparisons as the ao record's alarm checks, on its own limits.
    """
    limits = _TEMPERATURE_LIMITS
    if value <= limits["LOLO"] or value >= limits["HIHI"]:
        return 2
    if value <= limits["LOW"] or value >= limits["HIGH"]:
        return 1
    return 0


def _trace_frame(t: float) -> np.ndarray:
    """A travelling wave with a little noise, ``TRACE_POINTS`` long."""
    x = np.linspace(0.0, 4.0 * np.pi, TRACE_POINTS)
    noise = np.random.normal(0.0, 0.03, TRACE_POINTS)
    frame: np.ndarray = np.sin(x - 2.0 * t) * (1.0 + 0.2 * np.sin(0.5 * t)) + noise
    return frame


def _spectrum_frame(t: float) -> np.ndarray:
    """Two peaks, one wandering, on a noise floor, in dB."""
    f = np.arange(256, dtype=np.float64)
    peaks = np.exp(-(((f - 64.0) / 3.0) ** 2)) + 0.3 * np.exp(
        -(((f - 160.0 - 40.0 * math.sin(0.2 * t)) / 5.0) ** 2)
    )
    power = peaks + 1e-6 * np.random.exponential(1.0, 256)
    decibels: np.ndarray = (10.0 * np.log10(power)).astype(np.float32)
    return decibels


def _adc_frame() -> np.ndarray:
    """Raw samples around mid-scale of a 12-bit converter."""
    return np.random.normal(2048.0, 40.0, 64).astype(np.int16)


IOC = ExampleIoc(
    name="demo",
    default_prefix="demo:",
    description="The plant behind 'catui --demo': every CA native type, alarms, limits, "
    "a slow put, waveforms and fast updates; over pvAccess too, with an NTTable, an "
    "NTNDArray image and a plain structure that only pvAccess serves.",
    pvs=PVS,
    build=build,
    qsrv=True,
    pva_pvs=demo_pva.PVA_PVS,
    build_pva=demo_pva.build,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the demo plant; see ``--help``."""
    return serve(IOC, argv)


if __name__ == "__main__":
    sys.exit(main())
