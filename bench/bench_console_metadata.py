"""Control metadata at scale: ``PYTHONPATH=. python bench/bench_console_metadata.py``.

The requirement (issue 13): with 10,000 PVs watched, every PV's control metadata
(limits, units, precision, enum choices) reaches the console at most 2 s after the
last of them connected.

What it does: starts the EPICS Base test IOC (tests/support) on loopback with a
generated database of ``--count`` (10,000) ``ao`` records with units, precision and
limits; runs the console's own feed (``CAFeed`` with the console's ``Mailbox``,
without the UI: what is timed is the feed's path, not drawing) watching all of them,
its monitor worker (and, on a tree that has one, the control reader worker) in
threads as the app runs them; drains the mailbox every 10 ms as the UI timer would,
noting when each PV's connection and its control metadata were drained.  Reports
the time from the start to the last connection, to the last control metadata, and
the figure that matters: last metadata minus last connection.  Run it with
``PYTHONPATH`` set to another tree (``/work/main``) to measure that tree's feed.

Loopback only: the network rule's CA and PVA variables
(``tests.support.iocs.session_env``) and the IOC's own port; no repeater is started.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.support.iocs import EpicsBaseIoc, session_env

PREFIX = "mbench:"
PV_COUNT = 10_000
TARGET = 2.0


def write_db(path: Path, count: int) -> list[str]:
    """``count`` passive ``ao`` records with metadata; their suffixes."""
    lines = []
    for i in range(count):
        lines.append(
            f'record(ao, "$(P)m{i}") {{\n'
            f'  field(VAL, "{i}")\n  field(PINI, "YES")\n  field(EGU, "mm")\n'
            f'  field(PREC, "2")\n  field(HOPR, "100000")\n  field(LOPR, "-1")\n'
            f'  field(DRVH, "100000")\n  field(DRVL, "-1")\n'
            f"}}\n"
        )
    path.write_text("".join(lines))
    return [f"m{i}" for i in range(count)]


def feed_classes() -> tuple[Any, Any, bool]:
    """``(CAFeed, Mailbox, seam)`` of the tree on ``sys.path`` (this one, or main's)."""
    try:
        from catui.feeds.ca import CAFeed
        from catui.feeds.mailbox import Mailbox

        return CAFeed, Mailbox, True
    except ImportError:  # a tree before catui/feeds: catui/feed.py
        from catui.feed import CAFeed  # type: ignore[import-not-found,no-redef]
        from catui.messages import Mailbox  # type: ignore[attr-defined,no-redef]

        return CAFeed, Mailbox, False


def run(names: list[str], timeout: float) -> dict[str, float]:
    """Watch ``names`` until each has connected and has control metadata; the times."""
    ca_feed, mailbox_class, seam = feed_classes()
    feed = ca_feed()
    box = mailbox_class()
    feed.attach(box)
    feed.add(names)
    start = time.monotonic()
    workers = [threading.Thread(target=feed.run_monitor, daemon=True)]
    workers.append(threading.Thread(target=feed.run_control_reader, daemon=True))
    for worker in workers:
        worker.start()
    connected: dict[str, float] = {}
    controlled: dict[str, float] = {}
    limited = 0
    wanted = len(names)
    try:
        while len(connected) < wanted or len(controlled) < wanted:
            if time.monotonic() - start > timeout:
                break
            time.sleep(0.01)
            drained = box.drain()
            now = time.monotonic() - start
            for name, event in drained.connections.items():
                if event.state == "connected":
                    connected.setdefault(name, now)
            for name, control in drained.controls.items():
                if name not in controlled:
                    controlled[name] = now
                    limited += "control" in control.limits and control.units == "mm"
    finally:
        feed.stop()
        for worker in workers:
            worker.join(10)
    return {
        "seam": float(seam),
        "connected": len(connected),
        "controlled": len(controlled),
        "with limits": limited,
        "last connect": max(connected.values(), default=float("nan")),
        "last control": max(controlled.values(), default=float("nan")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=PV_COUNT, help="PVs watched")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after (s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "metadata.db"
        suffixes = write_db(db, args.count)
        with EpicsBaseIoc(PREFIX, db=db, acf=None) as ioc:
            for key in [k for k in os.environ if k.startswith("EPICS_")]:
                del os.environ[key]
            # CA and PVA on loopback, non-default ports; the IOC's port and repeater port.
            os.environ.update({**session_env(), **ioc.env})
            result = run([f"{PREFIX}{s}" for s in suffixes], args.timeout)
    lag = result["last control"] - result["last connect"]
    tree = "catui/feeds (Blocker control callbacks)" if result["seam"] else "catui/feed.py"
    print(f"feed: {tree}")
    print(
        f"{args.count} PVs: {result['connected']:.0f} connected, "
        f"{result['controlled']:.0f} with control metadata "
        f"({result['with limits']:.0f} with their limits and units)"
    )
    print(f"last connection after {result['last connect']:.2f} s")
    print(f"last control metadata after {result['last control']:.2f} s")
    verdict = "meets" if lag <= TARGET else "misses"
    print(f"metadata lag after the last connection: {lag:.2f} s ({verdict} ≤ {TARGET:g} s)")
    complete = result["controlled"] == args.count == result["with limits"]
    return 0 if complete and lag <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
