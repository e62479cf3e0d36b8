"""Three uncoupled read/write PVs: ``simple:A`` (LONG), ``B`` (DOUBLE) and ``C`` (LONG[3]).

Run it with ``python -m catui.ioc_examples.simple``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from catui.ioc_examples._common import Animation, ExampleIoc, PvSpec, RecordMaker, serve

PVS = (
    PvSpec("A", "longOut", "LONG", fields={"initial_value": 1}, doc="An integer"),
    PvSpec("B", "aOut", "DOUBLE", fields={"initial_value": 2.0}, doc="A float"),
    PvSpec(
        "C",
        "WaveformOut",
        "LONG",
        count=3,
        fields={"initial_value": [1, 2, 3], "datatype": "int32", "length": 3},
        doc="An array of integers (max length 3)",
    ),
)


def build(records: RecordMaker) -> Sequence[Animation]:
    """Create the three records; nothing moves on its own."""
    for pv in PVS:
        records(pv.suffix)
    return []


IOC = ExampleIoc(
    name="simple",
    default_prefix="simple:",
    description="An IOC with three uncoupled read/writable PVs: A (int), B (float), "
    "C (array of int, max length 3).",
    pvs=PVS,
    build=build,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the three PVs; see ``--help``."""
    return serve(IOC, argv)


if __name__ == "__main__":
    sys.exit(main())
