"""SVG snapshots of the console at 80×24 and 120×40 (the states of catui.dev.snapshots).

The same states make ``screenshots/*.svg`` (``python screenshots/make_screenshots.py``).
Review the report before accepting changes with ``--snapshot-update``.
"""

from __future__ import annotations

import pytest

from catui.dev.snapshots import SIZES, SNAPSHOTS, snapshot_case


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("state", list(SNAPSHOTS))
def test_snapshot(snap_compare, state, size):
    app, run_before = snapshot_case(state)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
