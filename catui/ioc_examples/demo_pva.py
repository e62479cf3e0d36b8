"""The demo plant's PVs that are no record, served over pvAccess only by a p4p server.

``demo:table:runs``
    An NTTable of the last :data:`RUNS_KEPT` runs, one column per field with a
    label of its own; the running one grows every :data:`TABLE_PERIOD` seconds and
    a new run starts every :data:`RUN_SECONDS`.
``demo:image``
    An NTNDArray-shaped 2-D ``uint16`` image (:data:`IMAGE_WIDTH` by
    :data:`IMAGE_HEIGHT`, 12-bit): a spot wandering over a gradient, a new frame
    every :data:`IMAGE_PERIOD` seconds with its ``uniqueId``, ``dimension``,
    ``timeStamp`` and ``dataTimeStamp``.  ``codec.name`` is empty, which NTNDArray
    readers take as "no codec" (areaDetector sends uncompressed frames so).
``demo:plant``
    A plain structure (no normative type) nesting a few records' values, for a
    field-tree view: ``mode`` as an ``enum_t``, ``motor`` with nested limits, arrays.

:data:`PVA_PVS` is the table; :func:`build` makes the PVs and returns what animates
them.  p4p is imported only in the functions: importing this module needs no EPICS.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from catui.ioc_examples._common import Animation, PvaPvSpec, every
from catui.ioc_examples._pva import PvaMaker, p4p

RUNS_KEPT = 5
RUN_SECONDS = 10.0
TABLE_PERIOD = 2.0
IMAGE_WIDTH = 64
IMAGE_HEIGHT = 48
IMAGE_PERIOD = 1.0
IMAGE_MAX = 4095  # a 12-bit camera
PLANT_PERIOD = 0.5

#: (field, p4p type code, label) of each column of ``demo:table:runs``.
TABLE_COLUMNS = (
    ("run", "i", "Run"),
    ("started", "s", "Started"),
    ("seconds", "d", "Duration [s]"),
    ("events", "l", "Events"),
    ("rate", "d", "Rate [Hz]"),
    ("state", "s", "State"),
)

PVA_PVS = (
    PvaPvSpec("table:runs", "epics:nt/NTTable:1.0",
              f"NTTable: the last {RUNS_KEPT} runs, 6 labelled columns"),
    PvaPvSpec("image", "epics:nt/NTNDArray:1.0",
              f"NTNDArray: {IMAGE_WIDTH}x{IMAGE_HEIGHT} uint16 image at 1 Hz"),
    PvaPvSpec("plant", "structure",
              "plain structure: the plant at a glance, nested fields"),
)  # fmt: skip


def build(pvs: PvaMaker) -> Sequence[Animation]:
    """Make every PV of :data:`PVA_PVS`; return the coroutines that animate them."""
    from catui.ioc_examples.demo import PVS  # here: demo imports this module

    states = {pv.suffix: [s if isinstance(s, str) else s[0] for s in pv.args] for pv in PVS}
    t0 = time.monotonic()
    runs = Runs(time.time())
    table = pvs("table:runs", runs.value(time.time()))
    image = pvs("image", image_value(0, 0.0, time.time()))
    plant_of = functools.partial(plant_value, pvs.records, states["mode"], states["status"])
    plant = pvs("plant", plant_of(0.0, time.time()))
    frames = itertools.count(1)

    def step_table(t: float) -> None:
        now = time.time()
        runs.advance(now)
        table.post(runs.value(now))

    def step_image(t: float) -> None:
        image.post(image_value(next(frames), t, time.time()))

    def step_plant(t: float) -> None:
        plant.post(plant_of(t, time.time()))

    return [
        functools.partial(every, TABLE_PERIOD, t0, step_table),
        functools.partial(every, IMAGE_PERIOD, t0, step_image),
        functools.partial(every, PLANT_PERIOD, t0, step_plant),
    ]


def _stamp(now: float) -> dict[str, int]:
    seconds, fraction = divmod(now, 1.0)
    return {"secondsPastEpoch": int(seconds), "nanoseconds": int(fraction * 1e9)}


@dataclass
class _Run:
    number: int
    started: float  # POSIX seconds
    seconds: float
    events: int
    state: str
    rate: float = 100.0  # events a second, this run's own


def _history(n: int, started: float) -> _Run:
    rate = random.uniform(80.0, 120.0)
    return _Run(n, started, RUN_SECONDS, int(rate * RUN_SECONDS), "aborted" if n == 2 else "done")


class Runs:
    """The runs of ``demo:table:runs``: the newest :data:`RUNS_KEPT`, the last one running."""

    def __init__(self, now: float) -> None:
        # A history, so that the table is full from the start.
        self.runs = [_history(n, now - (RUNS_KEPT - n) * RUN_SECONDS) for n in range(1, RUNS_KEPT)]
        self.runs.append(_Run(RUNS_KEPT, now, 0.0, 0, "running", random.uniform(80.0, 120.0)))

    def advance(self, now: float) -> None:
        """Let the running run count on; end it and start another after :data:`RUN_SECONDS`."""
        run = self.runs[-1]
        run.seconds = max(now - run.started, 0.0)
        run.events = max(run.events, int(run.rate * run.seconds * random.uniform(0.95, 1.05)))
        if run.seconds >= RUN_SECONDS:
            run.state = "done"
            rate = random.uniform(80.0, 120.0)
            self.runs.append(_Run(run.number + 1, now, 0.0, 0, "running", rate))
            del self.runs[:-RUNS_KEPT]

    def value(self, now: float) -> Any:
        """The table as an NTTable ``Value`` stamped ``now``."""
        rows = [
            {
                "run": run.number,
                "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.started)),
                "seconds": round(run.seconds, 1),
                "events": run.events,
                "rate": round(run.events / run.seconds, 1) if run.seconds > 0 else 0.0,
                "state": run.state,
            }
            for run in self.runs
        ]
        value = _table_nt().wrap(rows, timestamp=now)
        value["labels"] = [label for _, _, label in TABLE_COLUMNS]
        value["descriptor"] = f"the last {RUNS_KEPT} runs of the demo plant, newest last"
        return value


# One NTTable (one type) for every post: a SharedPV takes only the exact type it opened with.
@functools.cache
def _table_nt() -> Any:
    return p4p().nt.NTTable([(name, code) for name, code, _ in TABLE_COLUMNS])


@functools.cache
def _image_nt() -> Any:
    return p4p().nt.NTNDArray()


def image_frame(t: float) -> np.ndarray:
    """The image at ``t`` seconds: a Gaussian spot on a Lissajous path over a gradient.

    Shape (:data:`IMAGE_HEIGHT`, :data:`IMAGE_WIDTH`), ``uint16``, at most :data:`IMAGE_MAX`.
    """
    y, x = np.mgrid[0:IMAGE_HEIGHT, 0:IMAGE_WIDTH].astype(np.float64)
    cx = IMAGE_WIDTH / 2 + IMAGE_WIDTH / 3 * math.sin(0.31 * t)
    cy = IMAGE_HEIGHT / 2 + IMAGE_HEIGHT / 3 * math.sin(0.47 * t + 1.0)
    spot = 3000.0 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 4.0**2))
    gradient = 200.0 + 300.0 * x / IMAGE_WIDTH
    noise = np.random.normal(0.0, 25.0, (IMAGE_HEIGHT, IMAGE_WIDTH))
    frame: np.ndarray = np.clip(spot + gradient + noise, 0, IMAGE_MAX).astype(np.uint16)
    return frame


def image_value(unique_id: int, t: float, now: float) -> Any:
    """Frame ``unique_id``, the image at ``t`` seconds, as an NTNDArray ``Value`` at ``now``."""
    value = _image_nt().wrap(image_frame(t), timestamp=now)
    value["uniqueId"] = unique_id
    value["dataTimeStamp"] = _stamp(now)
    value["codec.name"] = ""  # no codec: the pixels are sent as they are
    return value


@functools.cache
def _plant_type() -> Any:
    time_t = p4p().nt.common.timeStamp
    return p4p().Type([
        ("name", "s"),
        ("uptime", "d"),
        ("mode", ("S", "enum_t", [("index", "i"), ("choices", "as")])),
        ("motor", ("S", None, [
            ("position", "d"),
            ("target", "d"),
            ("moving", "?"),
            ("units", "s"),
            ("limits", ("S", None, [("low", "d"), ("high", "d")])),
        ])),
        ("temperature", ("S", None, [("value", "d"), ("units", "s"), ("band", "s")])),
        ("channels", "as"),
        ("gains", "ad"),
        ("timeStamp", time_t),
    ])  # fmt: skip


def plant_value(
    records: Mapping[str, Any],
    mode_states: Sequence[str],
    band_states: Sequence[str],
    t: float,
    now: float,
) -> Any:
    """``demo:plant`` at ``t`` seconds: what some of the records hold, nested."""
    mode = int(records["mode"].get())
    band = int(records["status"].get())
    return p4p().Value(
        _plant_type(),
        {
            "name": "catui demo plant",
            "uptime": round(t, 1),
            "mode": {"index": mode, "choices": list(mode_states)},
            "motor": {
                "position": float(records["motor:readback"].get()),
                "target": float(records["motor:setpoint"].get()),
                "moving": bool(records["motor:moving"].get()),
                "units": "mm",
                "limits": {"low": -100.0, "high": 100.0},
            },
            "temperature": {
                "value": round(float(records["temperature"].get()), 2),
                "units": "degC",
                "band": band_states[band] if 0 <= band < len(band_states) else "?",
            },
            "channels": ["alpha", "beta", "gamma", "delta"],
            "gains": [1.0, 2.0, 5.0, 10.0],
            "timeStamp": _stamp(now),
        },
    )
