"""The row trend as text (catui.trend)."""

from __future__ import annotations

import math

from catui.trend import BLOCKS, spark


def test_spark_scales_min_to_max_and_keeps_the_newest():
    assert spark([0.0, 7.0], 10) == BLOCKS[0] + BLOCKS[7]
    assert spark([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 8) == BLOCKS
    # Only the last `width` values, scaled among themselves.
    assert spark([100.0, 0.0, 1.0], 2) == BLOCKS[0] + BLOCKS[7]


def test_spark_flat_and_empty_read_differently():
    assert spark([3.0, 3.0, 3.0], 5) == BLOCKS[3] * 3
    assert spark([], 5) == "" and spark([1.0, 2.0], 0) == "" and spark([1.0], 5) == ""


def test_spark_skips_values_that_are_not_finite():
    assert spark([0.0, math.nan, math.inf, 7.0], 4) == BLOCKS[0] + BLOCKS[7]
    assert spark([math.nan, 1.0], 4) == ""
