"""The bounded per-PV history (catui.plot.history)."""

from __future__ import annotations

import gc
import math
import tracemalloc

import numpy as np
import pytest

from catui.plot.decimate import decimate_series
from catui.plot.history import (
    DEFAULT_RAW,
    DISCONNECTED,
    History,
    HistoryStore,
    history_nbytes,
)

T0 = 1_768_000_000.0


def test_bytes_per_pv_are_stated_and_fixed():
    # 6144 raw samples × 17 B + (900 + 1080 + 720) buckets × 26 B.
    assert history_nbytes() == 6144 * 17 + 2700 * 26 == 174_648
    history = History()
    assert history.nbytes == history_nbytes()
    for i in range(20_000):
        history.append(T0 + i, float(i))
    assert history.nbytes == history_nbytes()


@pytest.mark.slow
def test_memory_stays_bounded_over_many_hours():
    """26 simulated hours at 10 Hz (936,000 updates): nothing allocated stays behind."""
    history = History()
    history.append(T0, 0.0)
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        rate = 10
        for i in range(1, 26 * 3600 * rate):
            history.append(T0 + i / rate, math.sin(i / 1000.0), i % 4)
            if i % 360_000 == 0:
                history.window(T0 + i / rate - 86_400, T0 + i / rate, 236)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 4096, f"the history grew by {after - before} bytes"
    assert history.nbytes == history_nbytes()
    assert len(history) == DEFAULT_RAW and history.total == 26 * 3600 * rate


def test_recent_samples_are_exact_and_the_window_matches_them():
    history = History()
    rng = np.random.default_rng(1)
    t = T0 + np.cumsum(rng.uniform(0.05, 0.15, 5000))
    v = rng.normal(size=5000)
    s = rng.integers(0, 4, 5000).astype(np.int8)
    for a, b, c in zip(t.tolist(), v.tolist(), s.tolist(), strict=True):
        history.append(a, b, c)
    times, values, sevs = history.samples()
    assert np.array_equal(times, t) and np.array_equal(values, v) and np.array_equal(sevs, s)
    t1 = float(t[-1]) + 0.01
    got = history.window(t1 - 300, t1, 236)
    want = decimate_series(t, v, t1 - 300, t1, 236, severity=s)
    assert np.array_equal(got.lo, want.lo, equal_nan=True)
    assert np.array_equal(got.hi, want.hi, equal_nan=True)
    assert np.array_equal(got.severity, want.severity)


def test_only_the_raw_ring_is_exported_and_exact_since_says_from_when():
    history = History(raw=100, tiers=((2.0, 50),))
    for i in range(250):
        history.append(T0 + i, float(i))
    times, values, _ = history.samples(T0, T0 + 1000)
    assert len(times) == 100 and values[0] == 150.0 and values[-1] == 249.0
    assert history.exact_since == T0 + 150


def test_a_spike_is_kept_in_the_buckets_after_the_raw_ring_forgot_it():
    history = History()
    spike_at = 22 * 3600 * 10  # 22 hours in (2 hours ago), at 10 Hz
    total = 24 * 3600 * 10 - 1
    for i in range(total):
        history.append(T0 + i / 10, 99.0 if i == spike_at else 1.0)
    now = T0 + total / 10
    assert history.exact_since > T0 + spike_at / 10  # long gone from the raw ring
    # 120 s buckets (24 h, 6 h), 10 s buckets (3 h, 2.5 h).
    for window in (86_400.0, 6 * 3600.0, 3 * 3600.0, 2.5 * 3600):
        columns = history.window(now - window, now, 236)
        assert np.nanmax(columns.hi) == 99.0, window
        spike_column = int((T0 + spike_at / 10 - (now - window)) / window * 236)
        assert abs(int(np.nanargmax(columns.hi)) - spike_column) <= 1
        assert np.nanmin(columns.lo) == 1.0


def test_a_disconnection_is_a_gap_in_every_tier():
    history = History()
    # 3 h at 2 Hz, disconnected for 20 minutes from 1 h in.
    gap = (3600.0, 4800.0)
    history_end = 3 * 3600.0
    for i in range(int(history_end * 2)):
        t = i / 2
        if gap[0] <= t < gap[1]:
            if t == gap[0]:
                history.disconnect(T0 + t)
            continue
        history.append(T0 + t, 5.0)
    now = T0 + history_end
    columns = history.window(now - 3 * 3600, now, 180)  # a column a minute
    blank = np.flatnonzero(np.isnan(columns.lo))
    assert blank.min() >= 60 and blank.max() <= 80
    assert len(blank) >= 18  # 20 minutes, less the columns the edges share
    assert not np.isnan(columns.lo[:59]).any() and not np.isnan(columns.lo[81:]).any()


def test_value_at_reads_the_value_held_then():
    history = History()
    history.append(T0 + 10, 1.0, 0)
    history.append(T0 + 20, 2.0, 1)
    history.disconnect(T0 + 30)
    history.append(T0 + 40, 4.0, 0)
    assert history.value_at(T0 + 5) is None
    held = history.value_at(T0 + 25)
    assert held is not None and (held.time, held.value, held.severity) == (T0 + 20, 2.0, 1)
    gap = history.value_at(T0 + 35)
    assert gap is not None and gap.disconnected and math.isnan(gap.value)
    latest = history.latest
    assert latest is not None and latest.value == 4.0


def test_value_at_far_back_comes_from_the_buckets():
    history = History(raw=50, tiers=((2.0, 100), (10.0, 100)))
    for i in range(400):
        history.append(T0 + i, float(i))
    # The raw ring holds 350…399; the 2 s buckets reach back to 200, the 10 s ones to 0.
    old = history.value_at(T0 + 250.5)
    assert old is not None and old.time == T0 + 250.0 and old.value == 251.0
    older = history.value_at(T0 + 101.0)
    assert older is not None and older.time == T0 + 100.0 and older.value == 109.0


def test_a_clock_stepping_back_keeps_the_ring_in_order():
    history = History()
    history.append(T0 + 10, 1.0)
    history.append(T0 + 5, 2.0)
    times, values, _ = history.samples()
    assert times.tolist() == [T0 + 10, T0 + 10] and values.tolist() == [1.0, 2.0]


def test_disconnection_marker():
    history = History()
    history.disconnect(T0)
    sample = history.latest
    assert sample is not None and sample.severity == DISCONNECTED and math.isnan(sample.value)


def test_bad_configurations_are_refused():
    with pytest.raises(ValueError, match="multiples"):
        History(tiers=((2.0, 10), (3.0, 10)))
    with pytest.raises(ValueError, match="at least 2"):
        History(raw=1)


def test_store_makes_histories_on_first_update():
    store = HistoryStore(raw=10, tiers=((1.0, 10),))
    store.disconnect("nobody", T0)  # no history, nothing to mark
    assert "nobody" not in store
    store.append("a", T0, 1.0)
    store.append("a", T0 + 1, 2.0)
    assert len(store) == 1 and store["a"].total == 2 and list(store) == ["a"]
    assert store.nbytes == store["a"].nbytes == history_nbytes(10, ((1.0, 10),))
    store.remove("a")
    assert store.get("a") is None
