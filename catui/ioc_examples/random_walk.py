"""The sync-client tutorial's IOC: ``x`` takes a random step every ``dt`` seconds.

Run it with ``python -m catui.ioc_examples.random_walk``; it prints::

    PVs: ['random_walk:dt', 'random_walk:x']
"""

from __future__ import annotations

import asyncio
import functools
import random
import sys
from collections.abc import Sequence
from typing import Any

from catui.ioc_examples._common import Animation, ExampleIoc, PvSpec, RecordMaker, serve

# Writing 0 or a negative dt must not turn the walk into a busy loop.
MIN_DT = 0.01

PVS = (
    PvSpec("dt", "aOut", "DOUBLE", fields={"initial_value": 3.0}, doc="Delta time [sec]"),
    PvSpec("x", "aIn", "DOUBLE", fields={"initial_value": 0.0}, doc="The random float value"),
)


def build(records: RecordMaker) -> Sequence[Animation]:
    """Create ``dt`` and ``x``; return the walk."""
    dt_changed = asyncio.Event()

    def on_dt(value: float) -> None:
        # Runs on the dispatcher's loop, like the walk, so the Event is safe to set.
        dt_changed.set()

    dt = records("dt", on_update=on_dt)
    x = records("x")
    return [functools.partial(_walk, dt, x, dt_changed)]


async def _walk(dt: Any, x: Any, dt_changed: asyncio.Event) -> None:
    """Step ``x`` by a uniform random amount in [-1, 1) every ``dt`` seconds.

    ``dt`` is read before each wait, and a write to it cuts the current wait short,
    so that a shorter ``dt`` takes effect at once rather than after the old one.
    """
    while True:
        dt_changed.clear()
        try:
            await asyncio.wait_for(dt_changed.wait(), max(dt.get(), MIN_DT))
            continue
        except asyncio.TimeoutError:
            pass
        x.set(x.get() + 2.0 * random.random() - 1.0)


IOC = ExampleIoc(
    name="random_walk",
    default_prefix="random_walk:",
    description="A PV x that takes random steps at an update rate set by a second PV, dt.",
    pvs=PVS,
    build=build,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the random walk; see ``--help``."""
    return serve(IOC, argv, preamble="PVs: {pvs}")


if __name__ == "__main__":
    sys.exit(main())
