"""Whether the operator asked for a read-only catui (``$CATUI_READ_ONLY``).

Kept apart from the console so that the command-line tools can ask without
loading Textual.
"""

from __future__ import annotations

import os

__all__ = ["read_only_requested"]


def read_only_requested() -> bool:
    """``$CATUI_READ_ONLY`` set to anything but empty, ``0``, ``no`` or ``false``.

    Returns
    -------
    bool
    """
    return os.environ.get("CATUI_READ_ONLY", "").strip().lower() not in ("", "0", "no", "false")
