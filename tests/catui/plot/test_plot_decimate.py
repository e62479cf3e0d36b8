"""Min/max per pixel column (catui.plot.decimate)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from catui.plot.decimate import decimate_array, decimate_series, decimate_xy


def test_a_sample_lands_in_its_column_and_holds_until_the_next():
    # Window 0…100 s in 10 columns: t=37 is column 3, t=81 column 8.
    c = decimate_series([37.0, 81.0], [5.0, 7.0], 0.0, 100.0, 10)
    assert np.isnan(c.lo[:3]).all() and np.isnan(c.hi[:3]).all()  # nothing before it
    assert c.lo[3] == c.hi[3] == 5.0
    # Held (monitors send changes only) through the empty columns, then a step.
    assert (c.lo[4:8] == 5.0).all() and (c.hi[4:8] == 5.0).all()
    assert (c.lo[8], c.hi[8]) == (5.0, 7.0)  # the step joins the value held in
    assert (c.lo[9], c.hi[9]) == (7.0, 7.0)
    assert c.last.tolist()[3:] == [5.0] * 5 + [7.0, 7.0]


def test_the_value_before_the_window_is_held_into_it():
    c = decimate_series([-50.0, 55.0], [2.0, 3.0], 0.0, 100.0, 4)
    assert c.lo.tolist() == [2.0, 2.0, 2.0, 3.0]
    assert c.hi.tolist() == [2.0, 2.0, 3.0, 3.0]


def test_min_and_max_per_column_and_severity():
    t = np.arange(100) * 1.0
    v = np.zeros(100)
    v[42] = 9.0
    v[43] = -4.0
    sev = np.zeros(100, np.int8)
    sev[42] = 2
    c = decimate_series(t, v, 0.0, 100.0, 10, severity=sev)
    assert (c.hi[4], c.lo[4]) == (9.0, -4.0)
    assert np.count_nonzero(c.hi) == 1
    assert c.severity[4] == 2 and c.severity[3] == 0


def test_a_gap_is_a_gap_not_a_line():
    # Connected until 30, disconnected (NaN) from 30 to 70, then back at a new value.
    t = [0.0, 10.0, 20.0, 30.0, 70.0, 80.0]
    v = [1.0, 1.0, 1.0, math.nan, 5.0, 5.0]
    c = decimate_series(t, v, 0.0, 100.0, 10)
    assert (c.hi[:3] == 1.0).all()
    assert np.isnan(c.lo[3:7]).all() and np.isnan(c.hi[3:7]).all()
    assert np.isnan(c.last[3:7]).all()
    # The first column after the gap is not joined to the value before it.
    assert (c.lo[7], c.hi[7]) == (5.0, 5.0)


def test_a_single_sample_spike_survives_a_million_points():
    v = np.sin(np.linspace(0.0, 40.0, 1_000_000))
    v[654_321] = 17.0
    v[123_456] = -23.0
    c = decimate_array(v, 236)
    assert c.hi.max() == 17.0 and int(np.argmax(c.hi)) == 654_321 * 236 // 1_000_000
    assert c.lo.min() == -23.0 and int(np.argmin(c.lo)) == 123_456 * 236 // 1_000_000


def test_array_elements_map_to_columns_and_a_zoom_holds_nothing_in():
    c = decimate_array(np.arange(10.0), 5)
    assert c.lo.tolist() == [0.0, 1.0, 3.0, 5.0, 7.0]  # joined to the element before
    assert c.hi.tolist() == [1.0, 3.0, 5.0, 7.0, 9.0]
    zoom = decimate_array(np.arange(10.0), 3, start=4, stop=10)
    assert zoom.lo.tolist() == [4.0, 5.0, 7.0]  # 3 (left of the zoom) is not joined in
    assert zoom.hi.tolist() == [5.0, 7.0, 9.0]


def test_fewer_elements_than_columns_draw_steps():
    c = decimate_array([1.0, 2.0, 3.0], 6)
    assert c.last.tolist() == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    assert c.lo.tolist() == [1.0, 1.0, 1.0, 2.0, 2.0, 3.0]


def test_nan_elements_of_an_array_are_gaps():
    v = np.ones(100)
    v[40:60] = np.nan
    c = decimate_array(v, 10)
    assert np.isnan(c.lo[4:6]).all() and not np.isnan(c.lo[[0, 3, 6, 9]]).any()


def test_xy_in_any_order_are_points_per_column():
    x = np.array([9.5, 0.5, 5.2, 5.8, 2.0])
    y = np.array([1.0, 2.0, 3.0, -1.0, np.nan])
    c = decimate_xy(x, y, 0.0, 10.0, 10)
    assert (c.lo[9], c.hi[9]) == (1.0, 1.0)
    assert (c.lo[5], c.hi[5]) == (-1.0, 3.0)
    assert np.isnan(c.lo[[1, 2, 3, 4, 6, 7, 8]]).all()  # the NaN point draws nothing


def test_xy_increasing_reduces_like_an_array():
    x = np.linspace(0.0, 1.0, 1001)
    c = decimate_xy(x, x * 2, 0.0, 1.0, 4)
    # [0, 1): the point at x = 1 is outside; each column joined to the one before.
    assert c.hi.tolist() == [0.498, 0.998, 1.498, 1.998]
    assert c.lo.tolist() == [0.0, 0.498, 0.998, 1.498]


def test_bad_windows_say_so():
    with pytest.raises(ValueError, match="empty time window"):
        decimate_series([1.0], [1.0], 5.0, 5.0, 10)
    with pytest.raises(ValueError, match="alike"):
        decimate_series([1.0, 2.0], [1.0], 0.0, 5.0, 10)
    with pytest.raises(ValueError, match="1-D"):
        decimate_array(np.zeros((2, 2)), 4)
    assert len(decimate_array([], 7)) == 7 and np.isnan(decimate_array([], 7).lo).all()
