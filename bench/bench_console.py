"""The console with many PVs and fast ones: ``PYTHONPATH=. python bench/bench_console.py``.

Starts the EPICS Base test IOC (tests/support), watches 1,000 channels (fields of its
records) plus its fast counter, runs the app headless at 120×40 through Pilot, and
prints: time until all are connected, monitor updates received and coalesced, redraws
a second, and the console process's CPU use in the steady state.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from catui.app_main import build_app
from catui.screens.watch import WatchScreen
from tests.support.iocs import EpicsBaseIoc

RECORDS = ["ao", "alarm", "long", "short", "float", "char", "mbbo", "bo", "str", "i64",
           "wf:double", "wf:float", "wf:short", "wf:long", "wf:char", "wf:string", "lstr",
           "wf:empty", "disabled", "ro", "ops", "counter", "tick", "fast:run", "fast:cnt",
           "fast:loop", "fast:fan"]  # fmt: skip
# Fields every record has (dbCommon), so that every name exists and can be opened
# (not TIME or BKPT: the IOC finds them but refuses a channel to them).
FIELDS = ["VAL", "DESC", "SCAN", "PINI", "PHAS", "EVNT", "DISV", "DISA", "SDIS", "DISS",
          "PRIO", "FLNK", "STAT", "SEVR", "NSTA", "NSEV", "ACKS", "ACKT", "DISP", "LCNT",
          "PACT", "PUTF", "RPRO", "UDF", "UDFS", "TSE", "TSEL", "NAME", "ASG", "TPRO", "TSEL$",
          "PROC", "DTYP", "AMSG", "NAMSG", "UTAG", "RTYP", "NAME$", "DESC$"]  # fmt: skip
STEADY = 5.0


def names(prefix: str, count: int = 1000) -> list[str]:
    out = [f"{prefix}{r}.{f}" for f in FIELDS for r in RECORDS]
    return out[:count]


async def measure(prefix: str, ioc: EpicsBaseIoc) -> None:
    watch = [f"{prefix}fast:cnt", *names(prefix)]
    app = build_app(watch, cursor_blink=False)
    t0 = time.monotonic()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.watch_screen
        last, since = -1, time.monotonic()
        while time.monotonic() - since < 2.0 and time.monotonic() - t0 < 60:
            count = screen.watchlist.connected_count()
            if count != last:
                last, since = count, time.monotonic()
            await pilot.pause(0.05)
        print(f"{last}/{len(watch)} connected after {since - t0:.1f} s")
        await report("idle (1 and 10 Hz counters)", screen)
        ioc.dbpf("fast:run", 1)
        await pilot.pause(1.0)
        await report("with the fast counter running", screen)
        ioc.dbpf("fast:run", 0)


async def report(what: str, screen: WatchScreen) -> None:
    """Rates over ``STEADY`` seconds of the app running."""
    r0, u0, c0 = screen.redraws, screen.updates_seen, screen.updates_coalesced
    cpu0, w0 = time.process_time(), time.monotonic()
    await asyncio.sleep(STEADY)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - w0
    print(f"{what}, over {wall:.1f} s:")
    print(f"  monitor updates received: {(screen.updates_seen - u0) / wall:,.0f}/s, "
          f"coalesced away: {(screen.updates_coalesced - c0) / wall:,.0f}/s")  # fmt: skip
    print(f"  redraws: {(screen.redraws - r0) / wall:.1f}/s (cap 10/s)")
    print(f"  console CPU: {100 * cpu / wall:.0f}% of one core")


def main() -> int:
    os.environ.setdefault("EPICS_CA_AUTO_ADDR_LIST", "NO")
    os.environ.setdefault("EPICS_CA_ADDR_LIST", "127.0.0.1")
    with EpicsBaseIoc("bench:") as ioc:
        os.environ.update(ioc.env)
        asyncio.run(measure("bench:", ioc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
