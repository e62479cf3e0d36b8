"""Soak: ``block()`` on 500 PVs at 10 Hz for 10 minutes, RSS and CPU sampled.

    python bench/soak.py [--pvs 500] [--minutes 10] [--every 30]

A real EPICS Base IOC (tests/support/iocs.py) serves 500 ``calc`` counters scanned
at 10 Hz; one ``Blocker`` (keep_searching, reconnect) watches them all in a
thread. Every ``--every`` seconds it prints the updates received, the process's
RSS (from /proc/self/statm) and CPU % since the last sample; at the end, whether
every PV kept updating. Loopback only.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.iocs import EpicsBaseIoc, session_env

os.environ.update(session_env())  # CA and PVA on loopback, non-default ports
PREFIX = f"soak{os.getpid()}:"


def rss_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pvs", type=int, default=500)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=30.0)
    args = parser.parse_args()

    from protocol.sync.client import Blocker, subscribe

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "soak.db"
        db.write_text(
            "".join(
                f'record(calc, "$(P)c:{i:04d}") {{\n'
                f'    field(SCAN, ".1 second")\n    field(CALC, "VAL+1")\n}}\n'
                for i in range(args.pvs)
            )
        )
        ioc = EpicsBaseIoc(PREFIX, db=db, acf=None)
        ioc.start()
        os.environ.update(ioc.env)
        counts = [0] * args.pvs
        subs = [subscribe(f"{PREFIX}c:{i:04d}") for i in range(args.pvs)]

        def on_update(sub: Any, response: Any) -> None:
            counts[sub.index] += 1

        for i, sub in enumerate(subs):
            sub.index = i  # type: ignore[attr-defined]
            sub.add_callback(on_update)
        blocker = Blocker(*subs, keep_searching=True, reconnect=True, repeater=False)
        thread = threading.Thread(target=blocker.run, daemon=True)
        try:
            thread.start()
            start = last = time.monotonic()
            cpu_last = time.process_time()
            total_last = 0
            print(
                f"{args.pvs} PVs at 10 Hz for {args.minutes:g} min; loopback IOC port {ioc.port}"
            )
            print(f"{'minute':>7} {'updates':>10} {'updates/s':>10} {'RSS MiB':>8} {'CPU %':>6}")
            rss_first = None
            while time.monotonic() - start < args.minutes * 60:
                time.sleep(args.every)
                now, cpu = time.monotonic(), time.process_time()
                total = sum(counts)
                rss = rss_mib()
                rss_first = rss if rss_first is None else rss_first
                print(
                    f"{(now - start) / 60:7.1f} {total:10d} "
                    f"{(total - total_last) / (now - last):10.0f} {rss:8.1f} "
                    f"{100 * (cpu - cpu_last) / (now - last):6.1f}",
                    flush=True,
                )
                last, cpu_last, total_last = now, cpu, total
            before = list(counts)
            time.sleep(1.0)
            stalled = [i for i in range(args.pvs) if counts[i] == before[i]]
            print(f"PVs that stopped updating: {len(stalled)}; RSS growth after the first "
                  f"sample: {rss_mib() - (rss_first or 0):+.1f} MiB")  # fmt: skip
        finally:
            blocker.interrupt()
            thread.join(5)
            ioc.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
