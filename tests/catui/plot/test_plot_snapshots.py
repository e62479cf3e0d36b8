"""SVG snapshots of the fixed charts at 80×24 and 120×40 (review before --snapshot-update)."""

from __future__ import annotations

import pytest

from tests.catui.plot.plot_app import PlotApp

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
#: name -> (chart, keys pressed first)
CASES = {
    "single_cursor": ("single", ("left", "shift+left", "shift+left")),
    "multi": ("multi", ()),
}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("case", list(CASES))
def test_plot_snapshot(snap_compare, case, size):
    state, keys = CASES[case]
    assert snap_compare(PlotApp(state), terminal_size=SIZES[size], press=keys)
