"""A row's trend as text: recent values drawn with block characters (pure, no Textual)."""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["BLOCKS", "spark"]

#: Eight heights, lowest first; each one cell wide in every terminal font.
BLOCKS = "▁▂▃▄▅▆▇█"


def spark(values: Iterable[float], width: int) -> str:
    """The last ``width`` finite values as a bar of :data:`BLOCKS`, scaled min to max.

    Parameters
    ----------
    values : iterable of float
        Oldest first (a PV's history).
    width : int
        Cells available; fewer values give a shorter string.

    Returns
    -------
    str
        ``""`` when there are fewer than two values to draw; a flat line (``▄…``) when every value
        is the same, so that "not moving" reads differently from "no data".
    """
    if width <= 0:
        return ""
    recent = [v for v in list(values)[-width:] if math.isfinite(v)]
    if len(recent) < 2:
        return ""  # one value is no trend
    low, high = min(recent), max(recent)
    if high == low:
        return BLOCKS[3] * len(recent)
    scale = (len(BLOCKS) - 1) / (high - low)
    return "".join(BLOCKS[int((v - low) * scale + 0.5)] for v in recent)
