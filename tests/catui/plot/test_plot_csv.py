"""Exact samples to CSV and back (catui.plot.csv_export)."""

from __future__ import annotations

import datetime
import io
import math

import numpy as np
import pytest

from catui.plot.csv_export import HEADER, export_histories, read_samples
from catui.plot.history import DISCONNECTED, History

T0 = 1_768_465_800.123456789


def test_round_trip_is_exact(tmp_path):
    a = History()
    values = [0.1, 1e-300, -2.5e17, math.pi, 7.0, math.nan]  # NaN: the IOC sent NaN
    for i, value in enumerate(values):
        a.append(T0 + i * 0.1 + 1e-7, value, i % 4)
    a.disconnect(T0 + 1.0)
    a.append(T0 + 2.0, 3.0, 0)
    b = History()
    b.append(T0 + 0.05, 42.0, 3)
    path = tmp_path / "chart.csv"
    result = export_histories(path, {"demo:a": a, "demo:b": b}, T0 - 1, T0 + 10)
    assert result.rows == 9 and result.partial == {}
    back = read_samples(path)
    assert set(back) == {"demo:a", "demo:b"}
    for name, history in (("demo:a", a), ("demo:b", b)):
        times, vals, sevs = history.samples()
        got_t, got_v, got_s = back[name]
        assert np.array_equal(got_t, times)  # bit for bit
        assert np.array_equal(got_v, vals, equal_nan=True)
        assert np.array_equal(got_s, sevs)
    assert back["demo:a"][2][-2] == DISCONNECTED


def test_rows_are_merged_by_time_with_iso_and_epoch():
    a, b = History(), History()
    a.append(T0, 1.0)
    a.append(T0 + 2, 2.0)
    b.append(T0 + 1, 5.0, 1)
    b.disconnect(T0 + 3)
    out = io.StringIO()
    export_histories(out, {"a": a, "b": b}, T0, T0 + 10, tz=datetime.timezone.utc)
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join(HEADER)
    assert [line.split(",")[2] for line in lines[1:]] == ["a", "b", "a", "b"]
    assert lines[2] == f"2026-01-15T08:30:01.123457+00:00,{T0 + 1!r},b,5.0,MINOR"
    assert lines[4].endswith(",b,,DISCONNECTED")


def test_the_window_limits_the_rows_and_older_data_is_flagged():
    history = History(raw=10, tiers=((2.0, 10),))
    for i in range(30):
        history.append(T0 + i, float(i))
    out = io.StringIO()
    result = export_histories(out, {"pv": history}, T0 + 5, T0 + 25)
    assert result.rows == 6  # 20 … 25: what the raw ring still holds
    assert result.partial == {"pv": T0 + 20}


def test_a_file_that_is_not_an_export_is_refused_with_its_line(tmp_path):
    with pytest.raises(ValueError, match="header"):
        read_samples(io.StringIO("a,b\n"))
    bad = ",".join(HEADER) + "\n2026,not-a-number,pv,1.0,NO_ALARM\n"
    with pytest.raises(ValueError, match="line 2"):
        read_samples(io.StringIO(bad))
    short = ",".join(HEADER) + "\n2026,1.0,pv\n"
    with pytest.raises(ValueError, match="line 2: 3 fields"):
        read_samples(io.StringIO(short))
