"""Benchmark requests on a Blocker's own channels: control metadata for many PVs, write rounds.

Run from the repository root (about a minute with the defaults)::

    python bench/bench_requests.py [--pvs 10000] [--old-way-sample 300] [--rounds 200]
                                   [--no-pyepics]

One EPICS Base IOC (``tests.support.iocs.EpicsBaseIoc``) serves ``--pvs`` ``ao`` records
with display and control limits, units and precision (``$(P)c00000`` ..), generated
into a temporary directory, plus ``$(P)ao`` for the write rounds.  Measured in this
process, one after the other, in the same run:

Control metadata (DBR_CTRL_DOUBLE) of every PV
  * ``ours``: one ``Blocker`` subscribing to every PV, each subscription with a
    control callback, so that the Blocker reads DBR_CTRL on each channel as it
    connects (pipelined with the EVENT_ADD).  Seconds from ``run()`` to every PV
    connected, and to every control metadata received.
  * ``old way``: what ``catui/feed.py`` did, one stateless
    ``read(name, data_type='control')`` per PV, one after the other, on a sample of
    ``--old-way-sample`` PVs, extrapolated linearly to ``--pvs`` (said so in the output).
  * ``pyepics``: libca through ``epics.ca`` (the peer): every channel created, then
    waited for (all connected), then every control read issued without waiting
    (``get_with_metadata(wait=False)``) and collected; and, for the same channels,
    ``get_ctrlvars`` one channel after the other.

Write round (read-before, write-notify, read-back) on ``$(P)ao``
  * ``ours``: ``Blocker.read_write_read`` (one Request, the final read once the write
    completed), and three Blocker requests waited for one after the other.
  * ``old way``: three stateless calls (``read``, ``write(notify=True)``, ``read``),
    each a search and connect; and the stateless ``read_write_read`` (one connection).
  * ``pyepics``: ``get``, ``put(wait=True)``, ``get`` on a kept channel.

Nothing leaves 127.0.0.1: the CA environment is set to loopback only and to a free
repeater port before any client library is imported.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.iocs import EpicsBaseIoc, free_port  # noqa: E402

os.environ["EPICS_CA_AUTO_ADDR_LIST"] = "NO"
os.environ["EPICS_CA_ADDR_LIST"] = "127.0.0.1"
os.environ["EPICS_CA_REPEATER_PORT"] = str(free_port())

PREFIX = f"breq{os.getpid()}:"


def generated_db(directory: Path, count: int) -> Path:
    record = (
        'record(ao, "$(P)c{i:05d}") {{\n'
        '    field(VAL, "{i}")\n    field(PINI, "YES")\n    field(EGU, "mm")\n'
        '    field(PREC, "3")\n    field(HOPR, "100")\n    field(LOPR, "-100")\n'
        '    field(DRVH, "50")\n    field(DRVL, "-50")\n'
        '    field(HIGH, "80")\n    field(HSV, "MINOR")\n}}\n'
    )
    body = "".join(record.format(i=i) for i in range(count))
    body += 'record(ao, "$(P)ao") {\n    field(PREC, "3")\n}\n'
    path = directory / "requests_bench.db"
    path.write_text(body)
    return path


def summarize(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1e3 for s in samples)
    return {
        "median": statistics.median(ms),
        "p99": ms[min(len(ms) - 1, max(0, round(0.99 * len(ms)) - 1))],
        "max": ms[-1],
    }


def time_calls(call: Callable[[int], Any], n: int, warmup: int = 10) -> dict[str, float]:
    for i in range(warmup):
        call(i)
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - t0)
    return summarize(samples)


# -- control metadata ---------------------------------------------------------------------


def ours_control(names: list[str]) -> dict[str, float]:
    from protocol.sync.blocker import Blocker
    from protocol.sync.client import subscribe
    from protocol.sync.subscription import ConnectionState, Subscription

    lock = threading.Lock()
    connected: set[str] = set()
    controls: dict[str, Any] = {}
    times: dict[str, float] = {}
    done = threading.Event()
    total = len(names)

    def on_connection(sub: Subscription, state: ConnectionState, address: Any) -> None:
        if state is ConnectionState.CONNECTED:
            with lock:
                connected.add(sub.pv_name)
                if len(connected) == total:
                    times["connected"] = time.perf_counter()

    def on_control(sub: Subscription, response: Any, error: Any) -> None:
        with lock:
            controls[sub.pv_name] = response if error is None else error
            if len(controls) == total:
                times["control"] = time.perf_counter()
                done.set()

    subs = []
    for name in names:
        sub = subscribe(name)
        sub.add_connection_callback(on_connection)
        sub.add_control_callback(on_control)
        subs.append(sub)
    blocker = Blocker(*subs, timeout=30.0, repeater=False)
    thread = threading.Thread(target=blocker.run, daemon=True)
    start = time.perf_counter()
    thread.start()
    if not done.wait(60.0):
        raise RuntimeError(f"ours: {len(controls)} of {total} control metadata in 60 s")
    blocker.interrupt()
    thread.join(30.0)
    bad = [name for name, response in controls.items() if isinstance(response, Exception)]
    if bad or any(r.metadata.units != b"mm" for r in controls.values()):
        raise RuntimeError(f"ours: {len(bad)} control reads failed")
    return {
        "connected": times["connected"] - start,
        "control": times["control"] - start,
        "after_connected": times["control"] - times["connected"],
    }


def old_way_control(names: list[str]) -> dict[str, float]:
    from protocol.sync.client import read

    start = time.perf_counter()
    for name in names:
        response = read(name, data_type="control", timeout=5.0, repeater=False)
        assert response.metadata.units == b"mm"
    return {"seconds": time.perf_counter() - start}


def pyepics_control(names: list[str]) -> dict[str, float]:
    import epics.ca as ca

    ca.use_initial_context()
    start = time.perf_counter()
    chids = [ca.create_channel(name, connect=False, auto_cb=False) for name in names]
    for chid in chids:
        if not ca.connect_channel(chid, timeout=30.0):
            raise RuntimeError(f"pyepics: {ca.name(chid)} did not connect")
    connected = time.perf_counter()
    ftype = ca.promote_type(chids[0], use_ctrl=True)
    for chid in chids:
        ca.get_with_metadata(chid, ftype=ftype, wait=False)
    for chid in chids:
        meta = ca.get_complete_with_metadata(chid, ftype=ftype, timeout=30.0)
        if meta is None or meta.get("units") not in ("mm", b"mm"):
            raise RuntimeError(f"pyepics: no control metadata for {ca.name(chid)}: {meta}")
    control = time.perf_counter()
    for chid in chids:
        if ca.get_ctrlvars(chid, timeout=5.0).get("units") not in ("mm", b"mm"):
            raise RuntimeError(f"pyepics: get_ctrlvars of {ca.name(chid)}")
    sequential = time.perf_counter() - control
    for chid in chids:
        ca.clear_channel(chid)
    ca.flush_io()
    return {
        "connected": connected - start,
        "control": control - start,
        "after_connected": control - connected,
        "sequential": sequential,
    }


# -- write rounds ---------------------------------------------------------------------------


def write_rounds(name: str, rounds: int, with_pyepics: bool) -> dict[str, dict[str, float]]:
    from protocol.sync import client
    from protocol.sync.blocker import Blocker
    from protocol.sync.subscription import ConnectionState, Subscription

    out: dict[str, dict[str, float]] = {}
    sub = client.subscribe(name)
    up = threading.Event()

    def on_connection(s: Subscription, state: ConnectionState, address: Any) -> None:
        if state is ConnectionState.CONNECTED:
            up.set()

    sub.add_connection_callback(on_connection)
    blocker = Blocker(sub, repeater=False)
    thread = threading.Thread(target=blocker.run, daemon=True)
    thread.start()
    try:
        assert up.wait(10.0)

        def blocker_round(i: int) -> None:
            _, response, final = blocker.read_write_read(name, float(i % 50)).wait(5.0)
            assert response.status.success and final.data[0] == float(i % 50)

        def blocker_three(i: int) -> None:
            blocker.read(name).wait(5.0)
            assert blocker.write(name, float(i % 50)).wait(5.0).status.success
            assert blocker.read(name).wait(5.0).data[0] == float(i % 50)

        out["ours: Blocker.read_write_read"] = time_calls(blocker_round, rounds)
        out["ours: three Blocker requests"] = time_calls(blocker_three, rounds)
    finally:
        blocker.interrupt()
        thread.join(10.0)

    def stateless_three(i: int) -> None:
        client.read(name, data_type="time", repeater=False)
        client.write(name, float(i % 50), notify=True, repeater=False)
        client.read(name, data_type="time", repeater=False)

    def stateless_rwr(i: int) -> None:
        client.read_write_read(name, float(i % 50), notify=True, repeater=False)

    out["old way: three stateless calls"] = time_calls(stateless_three, rounds)
    out["stateless read_write_read"] = time_calls(stateless_rwr, rounds)
    if with_pyepics:
        import epics.ca as ca

        chid = ca.create_channel(name, connect=True, auto_cb=False)

        def pyepics_round(i: int) -> None:
            ca.get(chid)
            ca.put(chid, float(i % 50), wait=True)
            ca.get(chid)

        out["pyepics: get, put(wait), get"] = time_calls(pyepics_round, rounds)
        ca.clear_channel(chid)
        ca.flush_io()
    return out


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
    parser.add_argument("--pvs", type=int, default=10_000)
    parser.add_argument("--old-way-sample", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--no-pyepics", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ioc = EpicsBaseIoc(PREFIX, db=generated_db(Path(tmp), args.pvs), acf=None)
        ioc.start()
        try:
            os.environ.update(ioc.env)
            run(args)
        finally:
            ioc.stop()
            kill_stray_repeaters(os.environ["EPICS_CA_REPEATER_PORT"])
    return 0


def run(args: argparse.Namespace) -> None:
    names = [f"{PREFIX}c{i:05d}" for i in range(args.pvs)]
    print("Requests on a Blocker's own channels")
    print(f"  python {platform.python_version()}, {os.cpu_count()} CPUs; EPICS Base soft IOC")
    print(f"  {args.pvs:,} ao records with units, precision and limits\n")

    ours = ours_control(names)
    sample = names[: args.old_way_sample]
    old = old_way_control(sample)
    scale = len(names) / len(sample)
    print(f"Control metadata (DBR_CTRL_DOUBLE) of {len(names):,} PVs, seconds")
    print(f"  {'client':44} {'all connected':>14} {'all control':>12} {'after conn.':>12}")
    print(
        f"  {'ours: Blocker, control read on connect':44} {ours['connected']:14.2f} "
        f"{ours['control']:12.2f} {ours['after_connected']:12.2f}"
    )
    print(
        f"  {'old way: read(control) per PV, sequential':44} {'':>14} "
        f"{old['seconds'] * scale:12.1f}   (measured {old['seconds']:.2f} s for "
        f"{len(sample)} PVs, x{scale:.1f})"
    )
    if not args.no_pyepics:
        peer = pyepics_control(names)
        print(
            f"  {'pyepics: connect all, then get(ctrl) pipelined':44} {peer['connected']:14.2f} "
            f"{peer['control']:12.2f} {peer['after_connected']:12.2f}"
        )
        print(
            f"  {'pyepics: get_ctrlvars per PV, sequential':44} {'':>14} "
            f"{peer['connected'] + peer['sequential']:12.2f} {peer['sequential']:12.2f}"
        )

    rounds = write_rounds(PREFIX + "ao", args.rounds, not args.no_pyepics)
    print(
        f"\nWrite round on one PV (read-before, write-notify, read-back), "
        f"{args.rounds} rounds after 10 warm-up rounds, ms"
    )
    print(f"  {'client':36} {'median':>8} {'p99':>8} {'max':>8}")
    for what, s in rounds.items():
        print(f"  {what:36} {s['median']:8.3f} {s['p99']:8.3f} {s['max']:8.3f}")


if __name__ == "__main__":
    sys.exit(main())
