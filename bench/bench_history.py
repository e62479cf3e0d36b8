"""PV histories at scale: ``PYTHONPATH=. python bench/bench_history.py``.

The requirement: every watched PV keeps a bounded history, fed from the monitor stream
on the console's UI thread (10,000 updates/s for 1,000 PVs at 10 Hz), and 1,000 PVs
× 10 Hz over one hour fit in at most 200 MB.

What it does: makes a :class:`~catui.plot.history.HistoryStore` of ``--pvs`` histories,
feeds them ``--hours`` of updates at ``--rate`` Hz each (simulated time, as fast as it
goes: one "tick" is one update of every PV, what a UI drain at the PVs' rate would
apply), and reports

* the process's resident memory (``VmRSS``) before the store, once it is made (its
  rings are preallocated and written, so resident), and after the feed; the store's
  own count of its rings' bytes; tracemalloc is not used (it would slow the feed);
* the cost of an append: wall time of the feed over its updates, next to the same loop
  calling a no-op method (the loop's own cost), and the median and worst tick (every
  PV's update once, which includes the staggered batch folds into the bucket tiers);
* the cost of drawing 8 of them (``window()``, 236 columns) over 30 s, 10 min, 1 h.

No network, no IOC.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

from catui.plot.history import History, HistoryStore, history_nbytes

T0 = 1_768_000_000.0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Null:
    def append(self, t: float, value: float, severity: int = 0) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pvs", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10.0, help="updates/s per PV")
    parser.add_argument("--hours", type=float, default=1.0)
    args = parser.parse_args()
    ticks = int(args.hours * 3600 * args.rate)
    period = 1.0 / args.rate
    gc.collect()
    rss0 = rss_mb()
    store = HistoryStore()
    for p in range(args.pvs):
        store.history(f"bench:pv{p}")
    rss1 = rss_mb()
    histories: list[History] = [store[name] for name in store]
    nulls = [_Null() for _ in histories]
    base = [float(p) for p in range(args.pvs)]

    # The loop's own cost, on a sample of ticks.
    sample = min(ticks, 600)
    t = time.perf_counter()
    for tick in range(sample):
        now = T0 + tick * period
        wobble = (tick % 100) * 0.01
        for p, h in enumerate(nulls):
            h.append(now, base[p] + wobble, 0)
    loop = (time.perf_counter() - t) / (sample * args.pvs)

    tick_times: list[float] = []
    start = time.perf_counter()
    for tick in range(ticks):
        t = time.perf_counter()
        now = T0 + tick * period
        wobble = (tick % 100) * 0.01
        for p, h in enumerate(histories):
            h.append(now, base[p] + wobble, 0)
        tick_times.append(time.perf_counter() - t)
    feed = time.perf_counter() - start
    updates = ticks * args.pvs
    gc.collect()
    rss2 = rss_mb()
    now = T0 + ticks * period
    draws = {}
    for window in (30.0, 600.0, 3600.0):
        chosen = histories[:8]
        for h in chosen:  # folded once (as the console would between draws)
            h.window(now - window, now, 236)
        t = time.perf_counter()
        for _ in range(20):
            for h in chosen:
                h.window(now - window, now, 236)
        draws[window] = (time.perf_counter() - t) / 20

    per_pv = history_nbytes()
    print(f"{args.pvs} PVs × {args.rate:g} Hz × {args.hours:g} h = {updates:,} updates")
    print(f"rings per PV (stated): {per_pv:,} B; store's count: {store.nbytes:,} B "
          f"({store.nbytes / 1e6:.1f} MB)")  # fmt: skip
    print(f"resident memory: {rss0:.1f} MB before, {rss1:.1f} MB with the store made "
          f"(+{rss1 - rss0:.1f}), {rss2:.1f} MB after the feed "
          f"(+{rss2 - rss0:.1f} in all)")  # fmt: skip
    append = feed / updates - loop
    print(f"append: {1e6 * feed / updates:.3f} µs per update in the loop "
          f"(the loop alone {1e6 * loop:.3f} µs: append ≈ {1e6 * append:.3f} µs)")  # fmt: skip
    ordered = sorted(tick_times)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    p999 = ordered[int(0.999 * (len(ordered) - 1))]
    slow = sum(1 for x in tick_times if x > 0.005)
    print(f"one tick ({args.pvs} appends): median {1e3 * statistics.median(tick_times):.2f} ms, "
          f"99 % {1e3 * p99:.2f} ms, 99.9 % {1e3 * p999:.2f} ms, worst {1e3 * ordered[-1]:.2f} ms "
          f"({slow} of {len(tick_times)} ticks over 5 ms)")  # fmt: skip
    print(f"feed: {feed:.1f} s for {args.hours * 3600:.0f} s of updates "
          f"= {100 * feed / (args.hours * 3600):.1f} % of a core at this rate")  # fmt: skip
    print("window() of 8 PVs, 236 columns: " + ", ".join(
        f"{w:g} s {1e3 * d:.2f} ms" for w, d in draws.items()))  # fmt: skip
    bound = 200.0
    verdict = "met" if rss2 - rss0 <= bound else "NOT met"
    print(f"\nrequirement (≤ {bound:.0f} MB for the histories): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
