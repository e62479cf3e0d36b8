"""Benchmark the synchronous client against caproto's (and pyepics) on one loopback IOC.

Run from the repository root (about 90 s with the defaults)::

    python bench/bench_client.py [--calls 300] [--ingest-seconds 3] [--cpu-seconds 10]
                                 [--replay-updates 300000] [--no-pyepics]

One EPICS Base IOC (``tests.support.iocs.EpicsBaseIoc``) serves ``records.db`` plus
200 extra ``calc`` records scanned at 10 Hz (``$(P)many:000`` .. ``many:199``), from a
database generated into a temporary directory.  Every client is measured in this
process, in the same run, one after the other:

* ``ours``     -- ``protocol.sync.client`` (``repeater=False``)
* ``caproto``  -- ``caproto.sync.client`` (``repeater=False``)
* ``pyepics``  -- ``epics.ca`` over libca.  Unlike the two sync clients, which
  search, connect and close for every call, it keeps one connected channel, so
  its per-call figures are a floor rather than a like-for-like peer.

Measured: per-call latency (median, p99, max, calls over 20 ms) of ``read()``,
``read(data_type='control')``, ``write(notify=True)`` and ``read_write_read``;
reading the 1,000,000-double ``bigwf``; monitor ingest of ``fast:cnt`` with a no-op
callback (bounded by the IOC on 2 cores); ingest capacity, from ``replay_server.py``
sending updates back to back in another process; the time until 200 subscriptions
have all had their first update; and the process CPU time for 200 PVs at 10 Hz.

Nothing leaves 127.0.0.1: the CA and PVA environment is set to loopback only and to
free non-default ports before any client library is imported (libca may print that
it cannot start ``caRepeater``; that is harmless).  ``EPICS_CA_MAX_ARRAY_BYTES``
is set to 10,000,000 for the whole process, since caproto and libca refuse the
8 MB waveform otherwise.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.iocs import RECORDS_DB, EpicsBaseIoc, free_port, session_env  # noqa: E402

# -- environment: loopback only, before any CA library is loaded ---------------------
os.environ.update(session_env())  # CA and PVA on loopback, non-default ports
# caproto and libca refuse arrays over 16 kB by default; bigwf is 8 MB.
os.environ["EPICS_CA_MAX_ARRAY_BYTES"] = "10000000"

PREFIX = f"bench{os.getpid()}:"
MANY = 200
SLOW_MS = 20.0

Stats = dict[str, float]
Callback = Callable[[Any, Any], None]


def generated_db(directory: Path) -> Path:
    """records.db plus ``MANY`` calc records at 10 Hz."""
    many = "".join(
        f'record(calc, "$(P)many:{i:03d}") {{\n'
        f'    field(SCAN, ".1 second")\n    field(CALC, "VAL+1")\n}}\n'
        for i in range(MANY)
    )
    path = directory / "bench.db"
    path.write_text(RECORDS_DB.read_text() + "\n" + many)
    return path


# -- timing helpers -------------------------------------------------------------------


def summarize(samples: list[float]) -> Stats:
    ms = sorted(s * 1e3 for s in samples)
    p99_index = min(len(ms) - 1, max(0, round(0.99 * len(ms)) - 1))
    return {
        "n": len(ms),
        "median": statistics.median(ms),
        "p99": ms[p99_index],
        "max": ms[-1],
        "slow": sum(1 for m in ms if m > SLOW_MS),
    }


def time_calls(call: Callable[[int], Any], n: int, warmup: int = 10) -> Stats:
    for i in range(warmup):
        call(i)
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - t0)
    return summarize(samples)


@contextmanager
def cpu_meter() -> Iterator[dict[str, float]]:
    """Process CPU (all threads) and wall time of the block."""
    out: dict[str, float] = {}
    usage0, cpu0, wall0 = (
        resource.getrusage(resource.RUSAGE_SELF),
        time.process_time(),
        time.monotonic(),
    )
    out["start"] = time.perf_counter()
    yield out
    out["end"] = time.perf_counter()
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu"] = time.process_time() - cpu0
    out["wall"] = time.monotonic() - wall0
    out["user"] = usage1.ru_utime - usage0.ru_utime
    out["sys"] = usage1.ru_stime - usage0.ru_stime


# -- the clients, behind one small interface ------------------------------------------


class Ours:
    name = "ours"

    def __init__(self) -> None:
        from protocol.sync import client

        self.c = client

    def read(self, pv: str, data_type: str | None = None) -> Any:
        return self.c.read(pv, data_type=data_type, repeater=False).data

    def write(self, pv: str, value: Any) -> Any:
        return self.c.write(pv, value, notify=True, repeater=False)

    def read_write_read(self, pv: str, value: Any) -> Any:
        return self.c.read_write_read(pv, value, notify=True, repeater=False)

    def monitor(
        self, pvs: list[str], duration: float, on_update: Callable[[Any, Any], None]
    ) -> None:
        subs = [self.c.subscribe(pv) for pv in pvs]
        for sub in subs:
            sub.add_callback(on_update)
        self.c.block(*subs, duration=duration, timeout=10, repeater=False)

    def interrupt(self) -> None:
        self.c.interrupt()


class Caproto(Ours):
    """caproto's sync client has our API: only the module and one exit bug differ."""

    name = "caproto"

    def __init__(self) -> None:
        from caproto.sync import client

        self.c = client

    def monitor(
        self, pvs: list[str], duration: float, on_update: Callable[[Any, Any], None]
    ) -> None:
        try:
            super().monitor(pvs, duration, on_update)
        except KeyError:
            # caproto 1.3's block() closes a circuit once per channel on the way
            # out, so with two channels on one circuit the second close raises
            # KeyError (after all the updates were processed).
            if len(pvs) < 2:
                raise


class PyEpics:
    """libca through pyepics' ``epics.ca``; channels are connected once and kept."""

    name = "pyepics"

    def __init__(self) -> None:
        import epics.ca as ca

        self.ca = ca
        self.chids: dict[str, Any] = {}
        self._stop = threading.Event()

    def chid(self, pv: str) -> Any:
        chid = self.chids.get(pv)
        if chid is None:
            chid = self.chids[pv] = self.ca.create_channel(pv, connect=True, auto_cb=False)
        return chid

    def read(self, pv: str, data_type: str | None = None) -> Any:
        chid = self.chid(pv)
        ftype = None
        if data_type == "control":
            ftype = self.ca.promote_type(chid, use_ctrl=True)
        return self.ca.get(chid, ftype=ftype)

    def write(self, pv: str, value: Any) -> Any:
        return self.ca.put(self.chid(pv), value, wait=True)

    def read_write_read(self, pv: str, value: Any) -> Any:
        chid = self.chid(pv)
        return self.ca.get(chid), self.ca.put(chid, value, wait=True), self.ca.get(chid)

    def monitor(
        self, pvs: list[str], duration: float, on_update: Callable[[Any, Any], None]
    ) -> None:
        ca = self.ca

        def callback(**kwargs: Any) -> None:
            on_update(kwargs.get("pvname"), kwargs.get("value"))

        self._stop.clear()
        ca.use_initial_context()  # this may be another thread than the one that made it
        chids = [ca.create_channel(pv, connect=False, auto_cb=False) for pv in pvs]
        for chid in chids:
            ca.connect_channel(chid, timeout=10)
        events = [ca.create_subscription(c, callback=callback, use_time=True) for c in chids]
        ca.flush_io()
        self._stop.wait(duration)
        for _, _, eventid in events:
            ca.clear_subscription(eventid)
        for chid in chids:
            ca.clear_channel(chid)
        ca.flush_io()

    def interrupt(self) -> None:
        self._stop.set()

    def close(self) -> None:
        for chid in self.chids.values():
            self.ca.clear_channel(chid)
        self.chids.clear()
        self.ca.flush_io()


# -- the measurements ------------------------------------------------------------------


def bench_calls(clients: list[Any], calls: int) -> dict[str, dict[str, Stats]]:
    ao = PREFIX + "ao"
    ops: dict[str, Callable[[Any], Callable[[int], Any]]] = {
        "read()": lambda c: lambda i: c.read(ao),
        "read(data_type='control')": lambda c: lambda i: c.read(ao, "control"),
        "write(notify=True)": lambda c: lambda i: c.write(ao, float(i % 50)),
        "read_write_read(notify=True)": lambda c: lambda i: c.read_write_read(ao, float(i % 50)),
    }
    return {op: {c.name: time_calls(make(c), calls) for c in clients} for op, make in ops.items()}


def bench_bigwf(clients: list[Any], n: int = 10) -> dict[str, Stats]:
    pv = PREFIX + "bigwf"
    out = {}
    for c in clients:
        data = c.read(pv)
        assert len(data) == 1_000_000 and data[-1] == 0.5 * 999_999, (c.name, len(data))
        out[c.name] = time_calls(lambda i, c=c: c.read(pv), n, warmup=1)
    return out


def bench_ingest(clients: list[Any], ioc: EpicsBaseIoc, duration: float) -> dict[str, Any]:
    """Updates/s of fast:cnt through each client's monitor loop while the counter runs.

    Each client subscribes while the IOC is idle (a saturated IOC answers searches
    slowly); then fast:run is set to 1 for ``duration`` seconds and back to 0, from
    the IOC shell so that starting and stopping take no CA round trip.  The IOC
    coalesces what a client does not take in time, so the count delivered is the
    client's ingest; what it had queued still arrives after the stop and counts.
    """
    pv = PREFIX + "fast:cnt"
    out = {}
    for c in clients:
        count = [0]
        last = [0.0]

        def on_update(
            sub: Any, response: Any, count: list[int] = count, last: list[float] = last
        ) -> None:
            count[0] += 1
            last[0] = time.perf_counter()

        thread = threading.Thread(target=c.monitor, args=([pv], 60.0, on_update), daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not count[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        value0, n0 = float(ioc.dbgf("fast:cnt")), count[0]
        try:
            with cpu_meter() as cpu:
                ioc.dbpf("fast:run", 1)
                time.sleep(duration)
                ioc.dbpf("fast:run", 0)
                n1 = count[0]
                while True:  # until the backlog has drained
                    before = count[0]
                    time.sleep(0.2)
                    if count[0] == before or time.perf_counter() - cpu["start"] > duration + 10:
                        break
        finally:
            ioc.dbpf("fast:run", 0)
        n2, value1 = count[0], float(ioc.dbgf("fast:cnt"))
        c.interrupt()
        thread.join(10)
        span = last[0] - cpu["start"]
        out[c.name] = {
            "updates": n2 - n0,
            "during": n1 - n0,
            "late": n2 - n1,
            "per_s": (n2 - n0) / span,
            "produced": value1 - value0,
            "cpu_pct": 100 * cpu["cpu"] / span,
        }
        time.sleep(0.3)
    return out


def bench_replay_ingest(clients: list[Any], total: int) -> dict[str, dict[str, float]]:
    """Client ingest capacity: ``total`` updates from ``replay_server.py`` (another process).

    The IOC's fast counter is bounded by the IOC on 2 cores; this server sends
    pre-encoded updates back to back, so the client is the bottleneck.
    """
    out: dict[str, dict[str, float]] = {}
    saved = os.environ["EPICS_CA_SERVER_PORT"]
    for client in clients:
        if client.name == "pyepics":
            continue  # libca reads the server port once, at context creation
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("replay_server.py")), str(port),
             str(total)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            os.environ["EPICS_CA_SERVER_PORT"] = str(port)
            count, last = [0], [0.0]

            def on_update(
                sub: Any, response: Any, count: list[int] = count, last: list[float] = last
            ) -> None:
                count[0] += 1
                last[0] = time.perf_counter()

            def stop_when_done(
                start: float, client: Any = client, count: list[int] = count
            ) -> None:
                while count[0] < total and time.perf_counter() - start < 60:
                    time.sleep(0.005)
                client.interrupt()

            start, cpu = time.perf_counter(), time.process_time()
            threading.Thread(target=stop_when_done, args=(start,), daemon=True).start()
            client.monitor(["replay:pv"], 60.0, on_update)
            cpu = time.process_time() - cpu
            elapsed = last[0] - start
            out[client.name] = {
                "updates": count[0], "seconds": elapsed, "per_s": count[0] / elapsed,
                "cpu_us": cpu / max(count[0], 1) * 1e6,
            }  # fmt: skip
        finally:
            os.environ["EPICS_CA_SERVER_PORT"] = saved
            server.kill()
            server.wait()
    return out


def bench_first_updates(clients: list[Any], rounds: int = 3) -> dict[str, dict[str, Any]]:
    pvs = [f"{PREFIX}many:{i:03d}" for i in range(MANY)]
    out = {}
    for c in clients:
        times = []
        for _ in range(rounds):
            seen: set[Any] = set()
            done_at: list[float] = []
            lock = threading.Lock()

            def on_update(
                sub: Any,
                response: Any,
                seen: set[Any] = seen,
                c: Any = c,
                done_at: list[float] = done_at,
                lock: threading.Lock = lock,
            ) -> None:
                with lock:
                    key = getattr(sub, "pv_name", sub)
                    if key in seen:
                        return
                    seen.add(key)
                    if len(seen) == MANY and not done_at:
                        done_at.append(time.monotonic())
                        c.interrupt()

            t0 = time.monotonic()
            c.monitor(pvs, 20.0, on_update)
            if len(seen) != MANY:
                raise RuntimeError(f"{c.name}: only {len(seen)} of {MANY} first updates")
            times.append(done_at[0] - t0)
            time.sleep(0.2)
        out[c.name] = {"median": statistics.median(times), "all": times}
    return out


def bench_cpu(clients: list[Any], duration: float) -> dict[str, dict[str, float]]:
    pvs = [f"{PREFIX}many:{i:03d}" for i in range(MANY)]
    out = {}
    for c in clients:
        count = [0]

        def on_update(sub: Any, response: Any, count: list[int] = count) -> None:
            count[0] += 1

        with cpu_meter() as cpu:
            c.monitor(pvs, duration, on_update)
        out[c.name] = {
            **cpu,
            "updates": count[0],
            "cpu_pct": 100 * cpu["cpu"] / cpu["wall"],
            "us_per_update": 1e6 * cpu["cpu"] / max(count[0], 1),
        }
        time.sleep(0.2)
    return out


# -- reporting --------------------------------------------------------------------------


def print_calls(title: str, results: dict[str, dict[str, Stats]], n: int) -> None:
    print(f"\n{title} ({n} calls each, after 10 warm-up calls; slow = calls over {SLOW_MS:g} ms)")
    head = f"{'median ms':>10} {'p99 ms':>8} {'max ms':>8} {'slow':>5}"
    print(f"  {'operation':30} {'client':8} {head}")
    for op, by_client in results.items():
        for name, s in by_client.items():
            print(
                f"  {op:30} {name:8} {s['median']:10.3f} {s['p99']:8.3f} {s['max']:8.3f} "
                f"{int(s['slow']):5d}"
            )


def kill_stray_repeaters(port: str) -> None:
    """End a libca caRepeater that pyepics might have spawned on the bench's port."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"caRepeater" in a for a in argv[:2]) and (
            f"EPICS_CA_REPEATER_PORT={port}".encode() in environ
        ):
            os.kill(int(entry.name), signal.SIGTERM)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--ingest-seconds", type=float, default=3.0)
    parser.add_argument("--cpu-seconds", type=float, default=10.0)
    parser.add_argument("--replay-updates", type=int, default=300_000)
    parser.add_argument("--no-pyepics", action="store_true", help="leave pyepics out")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        ioc = EpicsBaseIoc(PREFIX, db=generated_db(Path(tmp)), fill_bigwf=True)
        ioc.start()
        try:
            os.environ.update(ioc.env)
            ours = Ours()
            clients: list[Any] = [ours, Caproto()]
            if not args.no_pyepics:
                clients.append(PyEpics())
            run(clients, ours, ioc, args)
        finally:
            for c in clients:
                if hasattr(c, "close"):
                    c.close()
            ioc.stop()
            kill_stray_repeaters(os.environ["EPICS_CA_REPEATER_PORT"])
    return 0


def run(clients: list[Any], ours: Ours, ioc: EpicsBaseIoc, args: argparse.Namespace) -> None:
    import caproto
    import epics
    import numpy

    print("Synchronous CA client benchmark")
    print(
        f"  python {platform.python_version()}, {os.cpu_count()} CPUs, numpy {numpy.__version__}, "
        f"caproto {caproto.__version__}, pyepics {epics.__version__}"
    )
    print(f"  IOC: EPICS Base soft IOC (epicscorelibs) on 127.0.0.1:{ioc.port}, prefix {PREFIX!r}")
    print("  pyepics keeps its channel connected; ours and caproto connect per call")

    calls = bench_calls(clients, args.calls)
    print_calls("Per-call latency on $(P)ao", calls, args.calls)

    big = bench_bigwf(clients)
    print("\n1,000,000-double waveform read (bigwf, 8 MB), 10 reads")
    print(f"  {'client':8} {'median ms':>10} {'max ms':>8}")
    for name, s in big.items():
        print(f"  {name:8} {s['median']:10.1f} {s['max']:8.1f}")

    ingest = bench_ingest(clients, ioc, args.ingest_seconds)
    print(
        f"\nMonitor ingest of fast:cnt: counter on for {args.ingest_seconds:g} s, trivial callback"
    )
    print("  (updates/s = all updates delivered / time from start to the last one)")
    print(
        f"  {'client':8} {'updates':>8} {'while on':>9} {'after off':>9} {'updates/s':>10} "
        f"{'IOC produced':>13} {'CPU %':>6}"
    )
    for name, r in ingest.items():
        print(
            f"  {name:8} {int(r['updates']):8d} {int(r['during']):9d} {int(r['late']):9d} "
            f"{r['per_s']:10.0f} {int(r['produced']):13d} {r['cpu_pct']:6.0f}"
        )

    replay = bench_replay_ingest(clients, args.replay_updates)
    print(
        f"\nIngest capacity: {args.replay_updates:,} TIME_DOUBLE updates sent back to back by "
        "bench/replay_server.py (another process), trivial callback"
    )
    print(f"  {'client':8} {'updates':>8} {'seconds':>8} {'updates/s':>10} {'CPU us/update':>14}")
    for name, r in replay.items():
        print(
            f"  {name:8} {int(r['updates']):8d} {r['seconds']:8.2f} {r['per_s']:10.0f} "
            f"{r['cpu_us']:14.1f}"
        )

    firsts = bench_first_updates(clients)
    print(f"\n{MANY} subscriptions (distinct PVs): time until every first update arrived")
    print(f"  {'client':8} {'median ms':>10}   runs (ms)")
    for name, r in firsts.items():
        runs = ", ".join(f"{t * 1e3:.1f}" for t in r["all"])
        print(f"  {name:8} {r['median'] * 1e3:10.1f}   {runs}")

    cpu = bench_cpu(clients, args.cpu_seconds)
    print(f"\nCPU for {MANY} PVs at 10 Hz over {args.cpu_seconds:g} s (process time, all threads)")
    print(
        f"  {'client':8} {'updates':>8} {'CPU s':>7} {'user s':>7} {'sys s':>7} {'CPU %':>6} "
        f"{'us/update':>10}"
    )
    for name, r in cpu.items():
        print(
            f"  {name:8} {int(r['updates']):8d} {r['cpu']:7.2f} {r['user']:7.2f} {r['sys']:7.2f} "
            f"{r['cpu_pct']:6.1f} {r['us_per_update']:10.1f}"
        )


if __name__ == "__main__":
    sys.exit(main())
