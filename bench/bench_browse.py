"""Time the record browser's reads: a whole record at once, a 200-node PV tree; and the same
reads one ``read()`` at a time, in the same run.

Run from the repository root (about a minute with the defaults)::

    python bench/bench_browse.py [--runs 10] [--nodes 200] [--fan-out 3]

One EPICS Base IOC (``tests.support.iocs.EpicsBaseIoc``) serves a database written
here: a ``calcout`` record (171 fields in Base 7.0.10, 153 of them readable over CA,
one a link longer than a DBR_STRING holds) and a tree of ``calc`` records,
``--nodes`` of them, each linking to ``--fan-out`` others through INPA, INPB, ...
(breadth first: 200 nodes with fan-out 3 are five levels deep). Measured, in rounds
that run every case once (so that a change of load on the machine affects all alike),
after one unmeasured warm-up round:

* ``record view``      -- :func:`catui.browse.record.read_record`: ``.RTYP``, then every
  readable field in one search batch and one circuit, then the ``$`` reads of long text
* ``record, read()``   -- the same fields, each with :func:`protocol.sync.client.read`
  (a search, a circuit and a read per field): what a tool without kept channels does
* ``tree``             -- :func:`catui.browse.tree.expand_tree` of the tree's root: each
  node's value and record type, then each record's input links, level by level, each
  level in one batch
* ``tree, read()``     -- the same expansion reading every name with ``read()``
* ``record screen``    -- in the console (headless, 120×40): from ``r`` on the record's
  row to the record view showing every field (its worker's messages applied)
* ``tree screen``      -- from ``T`` on the tree's root to the PV tree screen showing the
  whole tree

Each figure is the wall-clock time from the call to the complete result; the table
gives the median, minimum and maximum. Nothing leaves 127.0.0.1: the clients run with
``EPICS_CA_AUTO_ADDR_LIST=NO``, ``EPICS_CA_ADDR_LIST=127.0.0.1`` and the IOC's port, and
no client starts a repeater. The IOC is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.iocs import EpicsBaseIoc, free_port  # noqa: E402

PREFIX = "bb:"
#: A link to this record is longer than a DBR_STRING: the record view reads it as INPB$.
LONG_NAME = "a:rather:long:record:name:for:the:link"
INPUTS = "ABCDEFGHIJKLMNOPQRSTU"


def database(nodes: int, fan_out: int) -> str:
    """A calcout record and a tree of ``nodes`` calc records, ``fan_out`` links each."""
    lines = [
        'record(calcout, "$(P)rec") {',
        '    field(DESC, "a record of 171 fields, 153 readable")',
        '    field(INPA, "$(P)t0 NPP MS")',
        f'    field(INPB, "$(P){LONG_NAME} NPP MS")',
        '    field(CALC, "A+B")',
        '    field(OUT, "$(P)t1 PP")',
        "}",
        f'record(ao, "$(P){LONG_NAME}") {{',
        '    field(VAL, "1")',
        "}",
    ]
    children: dict[int, list[int]] = {i: [] for i in range(nodes)}
    parent, next_id = 0, 1
    while next_id < nodes:
        children[parent].append(next_id)
        next_id += 1
        if len(children[parent]) == fan_out:
            parent += 1
    for i in range(nodes):
        lines.append(f'record(calc, "$(P)t{i}") {{')
        for letter, child in zip(INPUTS, children[i], strict=False):
            lines.append(f'    field(INP{letter}, "$(P)t{child} NPP MS")')
        lines += ['    field(CALC, "A+1")', "}"]
    return "\n".join(lines) + "\n"


def record_fields() -> list[str]:
    from catui.browse.fields import TABLE

    return [f.name for f in TABLE.fields("calcout") if f.readable]


def record_view() -> int:
    from catui.browse.record import read_record

    view = read_record(PREFIX + "rec", timeout=2.0)
    assert view.complete and not view.error, view
    assert view.values["INPB"].long
    reads = sum(1 for v in view.values.values() if v.reading is not None and not v.error)
    return reads + 1  # INPB read twice: as DBR_STRING, then as INPB$


def record_one_by_one() -> int:
    from protocol.sync.client import read

    names = ["RTYP", *record_fields(), "INPB$"]
    for name in names:
        read(f"{PREFIX}rec.{name}", timeout=2.0, repeater=False)
    return len(names)


def tree() -> int:
    from catui.browse.tree import expand_tree

    result = expand_tree(PREFIX + "t0", timeout=2.0)
    assert result.complete and not result.root.error
    return sum(1 for _ in result.nodes())


def tree_one_by_one() -> int:
    """The same expansion, breadth first, every name read on its own with ``read()``."""
    from catui.browse.fields import TABLE
    from catui.browse.links import PV, parse_link
    from protocol.channel_types import ChannelType
    from protocol.sync.client import read

    def text(pv: str, data_type: object = None) -> str:
        reply = read(pv, data_type=data_type, timeout=2.0, repeater=False)  # type: ignore[arg-type]
        item = reply.data[0]
        return item.decode() if isinstance(item, bytes) else str(item)

    queue, seen, count = [PREFIX + "t0"], set(), 0
    while queue:
        pv = queue.pop(0)
        count += 1
        read(pv, data_type="time", timeout=2.0, repeater=False)
        record = pv.partition(".")[0]
        if record in seen:
            continue
        seen.add(record)
        rtyp = text(f"{record}.RTYP")
        for field in TABLE.input_links(rtyp):
            link = parse_link(text(f"{record}.{field}", ChannelType.STRING))
            if link.kind == PV:
                queue.append(link.pv)
    return count


#: The console's cases: the row, the key, the case's name.
CASES = [(0, "r", "record screen"), (1, "T", "tree screen")]


def screens(runs: int) -> dict[str, tuple[list[float], int]]:
    """The record view and the PV tree in the console: key press to everything shown."""
    import asyncio

    from catui.app_main import build_app
    from catui.widgets.watch_table import WatchTable

    times: dict[str, list[float]] = {name: [] for _, _, name in CASES}
    counts: dict[str, int] = {}

    async def measure() -> None:
        names = [PREFIX + "rec", PREFIX + "t0"]
        app = build_app(names, cursor_blink=False, state_path=None)
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.watch_screen.query_one(WatchTable)
            for round_ in range(runs + 1):
                for row, key, name in CASES:
                    table.move_cursor(row=row)
                    await pilot.pause()
                    start = time.perf_counter()
                    await pilot.press(key)
                    screen = app.screen
                    while not getattr(screen, "ready", False):
                        await asyncio.sleep(0.002)
                    if round_:
                        times[name].append(time.perf_counter() - start)
                    view = getattr(screen, "view", None)
                    counts[name] = len(view.values) if view is not None else len(screen.rows)  # type: ignore[attr-defined]
                    await pilot.press("escape")
                    await pilot.pause()

    asyncio.run(measure())
    return {name: (times[name], counts[name]) for name in times}


def run(cases: dict[str, Callable[[], int]], runs: int) -> dict[str, tuple[list[float], int]]:
    times: dict[str, list[float]] = {name: [] for name in cases}
    counts: dict[str, int] = {}
    for round_ in range(runs + 1):
        for name, case in cases.items():
            start = time.perf_counter()
            counts[name] = case()
            if round_:  # the first round warms up (imports, caches)
                times[name].append(time.perf_counter() - start)
    return {name: (times[name], counts[name]) for name in cases}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--fan-out", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench_browse.db"
        db.write_text(database(args.nodes, args.fan_out))
        with EpicsBaseIoc(PREFIX, db=db, acf=None, beacon_port=free_port()) as ioc:
            os.environ.update(ioc.env)
            os.environ["EPICS_CA_AUTO_ADDR_LIST"] = "NO"
            cases = {
                "record view": record_view,
                "record, read()": record_one_by_one,
                "tree": tree,
                "tree, read()": tree_one_by_one,
            }
            results = run(cases, args.runs)
            results.update(screens(args.runs))
    print(f"{args.runs} runs; calcout record; tree of {args.nodes} calc records, fan-out "
          f"{args.fan_out}")  # fmt: skip
    print(f"{'case':<16} {'items':>6} {'median':>9} {'min':>9} {'max':>9}")
    for name, (times, count) in results.items():
        print(
            f"{name:<16} {count:>6} {statistics.median(times) * 1e3:>7.1f} ms "
            f"{min(times) * 1e3:>6.1f} ms {max(times) * 1e3:>6.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
