"""Durations typed by a person: ``30``, ``30s``, ``2m``, ``1h`` (pure, no imports of weight)."""

from __future__ import annotations

import math

__all__ = ["parse_seconds"]

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_seconds(text: str) -> float | None:
    """``30``, ``30s``, ``2m``, ``1h`` as seconds; ``""`` or ``0`` as None (off).

    Raises
    ------
    ValueError
        Not a positive duration.
    """
    text = text.strip().lower()
    if not text:
        return None
    unit = text[-1] if text[-1] in "smh" else ""
    number = text[: len(text) - len(unit)].strip()
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (e.g. 30, 30s, 2m, 1h)") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"not a duration: {text!r} (e.g. 30, 30s, 2m, 1h)")
    return seconds or None
