"""Regenerate the README screenshots: ``python screenshots/make_screenshots.py``.

Writes ``screenshots/{state}_{size}.svg`` from the same fixed states as the snapshot
tests (:mod:`catui.dev.snapshots`): no IOC, fixed timestamps, UTC.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from catui.dev.snapshots import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main([str(HERE), *sys.argv[1:]]))
