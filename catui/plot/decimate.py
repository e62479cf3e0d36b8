"""Min/max per pixel column: samples (or buckets of them) reduced to what a column can show.

Pure numpy, no loop over samples in Python: a 1,000,000-element waveform reduces in
about two passes over the array (``fmin.reduceat`` and ``fmax.reduceat``), so a single
spike anywhere survives as the top of its column.

Two inputs, one output:

* :func:`decimate_series` — a time series (irregular, increasing times) onto the columns
  of ``[t0, t1)``.  EPICS monitors only send changes, so a value *holds* until the next
  sample: a column without samples shows the held value, and each column's span reaches
  back to the value held coming in, which draws a connected staircase.  A NaN sample is
  a gap (the PV disconnected, or sent NaN): nothing is held across it and nothing is
  drawn until the next finite sample.
* :func:`decimate_array` — an array (value against index) onto the columns of an index
  range (a zoom), the same rules with the index as time.
* :func:`decimate_xy` — value against a second array (no hold: points).

The result, :class:`Columns`, gives per column the span to draw (``lo``…``hi``, NaN:
nothing), the value held at the column's right edge (``last``, for read-outs), and the
highest alarm severity among its samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Columns", "decimate_array", "decimate_bins", "decimate_series", "decimate_xy"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SevArray = npt.NDArray[np.int8]

#: Severity of a column without samples of its own (and of a gap marker).
NO_SEVERITY = -1


@dataclass(frozen=True)
class Columns:
    """One trace reduced to pixel columns, left to right.

    Attributes
    ----------
    lo, hi : ndarray of float64
        The span drawn in each column (``lo <= hi``); NaN where nothing is drawn (no
        data yet, or a gap).  Infinite values stay infinite (drawn to the edge).
    last : ndarray of float64
        The value held at the column's right edge: the newest sample at or before it;
        NaN in a gap or before the first sample.
    severity : ndarray of int8
        Highest alarm severity among the column's own samples; -1 for none.
    """

    lo: FloatArray
    hi: FloatArray
    last: FloatArray
    severity: SevArray

    def __len__(self) -> int:
        return len(self.lo)

    @classmethod
    def empty(cls, columns: int) -> Columns:
        """``columns`` columns with nothing to draw."""
        nan = np.full(columns, np.nan)
        return cls(nan, nan.copy(), nan.copy(), np.full(columns, NO_SEVERITY, np.int8))

    def finite_range(self) -> tuple[float, float] | None:
        """``(lowest, highest)`` finite value drawn, or None if there is none."""
        spans = np.concatenate((self.lo, self.hi))
        spans = spans[np.isfinite(spans)]
        if spans.size == 0:
            return None
        return float(spans.min()), float(spans.max())


def _reduce(
    lo: FloatArray,
    hi: FloatArray,
    last: FloatArray,
    opens_gap: npt.NDArray[np.bool_] | None,
    severity: SevArray | None,
    edges: IntArray,
    hold: bool,
) -> Columns:
    """Columns from bins (samples or buckets) split by ``edges``.

    Column ``c`` holds bins ``edges[c]:edges[c + 1]``; ``edges[0]`` may be above 0 (bins
    before the window: the newest of them is the value held coming in).
    ``opens_gap[i]``: bin ``i`` begins disconnected (None: when its ``lo`` is NaN).
    """
    columns = len(edges) - 1
    end = int(edges[-1])
    starts = edges[:-1]
    counts = np.diff(edges)
    filled = counts > 0
    out = Columns.empty(columns)
    if end == 0:
        return out
    col_lo, col_hi, col_last, col_sev = out.lo, out.hi, out.last, out.severity
    where = np.flatnonzero(filled)
    if where.size:
        # Bins between two filled columns' starts belong to the first of them, the
        # empty columns between having none: reduceat over the filled starts is exact.
        index = starts[where]
        col_lo[where] = np.fmin.reduceat(lo[:end], index)
        col_hi[where] = np.fmax.reduceat(hi[:end], index)
        if severity is not None:
            col_sev[where] = np.maximum.reduceat(severity[:end], index)
    # The newest bin at or before each column's right edge, and before its left edge.
    right = edges[1:] - 1
    has_right = right >= 0
    col_last[has_right] = last[right[has_right]]
    incoming = np.full(columns, np.nan)
    left = starts - 1
    has_left = left >= 0
    incoming[has_left] = last[left[has_left]]
    if where.size:
        first = starts[where]
        gap = opens_gap[first] if opens_gap is not None else np.isnan(lo[first])
        join = where[~gap & np.isfinite(incoming[where])]
        col_lo[join] = np.fmin(col_lo[join], incoming[join])
        col_hi[join] = np.fmax(col_hi[join], incoming[join])
    if hold:
        empty = ~filled
        col_lo[empty] = col_last[empty]
        col_hi[empty] = col_last[empty]
    return out


def decimate_bins(
    times: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    last: FloatArray,
    opens_gap: npt.NDArray[np.bool_],
    severity: SevArray | None,
    t0: float,
    t1: float,
    columns: int,
) -> Columns:
    """Time-ordered bins (each a span and the value it ends on) onto the columns of ``[t0, t1)``.

    The general form of :func:`decimate_series`, for the buckets of a history's coarser
    tiers mixed with its raw samples.

    Parameters
    ----------
    times : ndarray of float64
        When each bin starts, increasing.
    lo, hi, last : ndarray of float64
        Each bin's lowest and highest finite value and the value it ends on (NaN: ends
        in a gap).
    opens_gap : ndarray of bool
        Whether a bin begins in a gap (its first sample was a disconnection).
    severity : ndarray of int8 or None
        Highest severity per bin.
    t0, t1 : float
        The window; ``t1 > t0``.
    columns : int
        How many columns.
    """
    if columns <= 0:
        return Columns.empty(0)
    if not t1 > t0:
        raise ValueError(f"empty time window: t0={t0!r}, t1={t1!r}")
    edges_t = t0 + (t1 - t0) * (np.arange(columns + 1, dtype=np.float64) / columns)
    edges = np.searchsorted(times, edges_t, side="left").astype(np.int64)
    return _reduce(lo, hi, last, opens_gap, severity, edges, hold=True)


def decimate_series(
    times: npt.ArrayLike,
    values: npt.ArrayLike,
    t0: float,
    t1: float,
    columns: int,
    severity: npt.ArrayLike | None = None,
) -> Columns:
    """A time series onto ``columns`` columns of ``[t0, t1)``, min/max per column.

    Parameters
    ----------
    times : array_like of float
        Sample times (POSIX seconds), increasing.
    values : array_like of float
        Values; NaN marks a gap (disconnected) until the next finite sample.
    t0, t1 : float
        The window.  A sample at ``t`` falls in column ``floor((t - t0) / (t1 - t0) *
        columns)``; the newest sample before ``t0`` is the value held into the window.
    columns : int
        How many columns (pixel columns: two per cell in braille).
    severity : array_like of int, optional
        Alarm severity per sample.

    Returns
    -------
    Columns
        Spans that join the value held into each column, so that a line is connected
        and a single-sample spike is its column's ``hi`` (or ``lo``).
    """
    t = np.asarray(times, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if t.shape != v.shape or t.ndim != 1:
        raise ValueError(f"times and values must be 1-D and alike: {t.shape} vs {v.shape}")
    sev = None if severity is None else np.asarray(severity, dtype=np.int8)
    return decimate_bins(t, v, v, v, np.isnan(v), sev, t0, t1, columns)


def decimate_array(
    values: npt.ArrayLike, columns: int, start: int = 0, stop: int | None = None
) -> Columns:
    """Elements ``start:stop`` of an array onto ``columns`` columns, min/max per column.

    Parameters
    ----------
    values : array_like
        A waveform; NaN elements are gaps.
    columns : int
        How many columns.
    start, stop : int
        The index range shown (a zoom); ``stop`` defaults to the array's length.
        With more columns than elements, each element holds until the next one's
        column (steps).

    Returns
    -------
    Columns
        Element ``i`` falls in column ``(i - start) * columns // (stop - start)``.
    """
    v = np.asarray(values)
    if v.ndim != 1:
        raise ValueError(f"a waveform is 1-D, not of shape {v.shape}")
    if v.dtype != np.float64:
        v = v.astype(np.float64)
    n = len(v)
    stop = n if stop is None else min(int(stop), n)
    start = max(0, int(start))
    if columns <= 0:
        return Columns.empty(0)
    if stop <= start:
        return Columns.empty(columns)
    count = stop - start
    view = v[start:stop]  # nothing left of the zoom is held into it
    # ceil(c * count / columns): element i lands in column floor((i - start) * columns / count).
    edges = (np.arange(columns + 1, dtype=np.int64) * count + columns - 1) // columns
    return _reduce(view, view, view, None, None, edges, hold=True)


def decimate_xy(x: npt.ArrayLike, y: npt.ArrayLike, x0: float, x1: float, columns: int) -> Columns:
    """``y`` against ``x`` onto the columns of ``[x0, x1)``: min/max of the points per column.

    Increasing ``x`` (an energy or position axis) reduces like :func:`decimate_array`,
    each column joined to the one before; any other order is points (no hold, no
    joining), reduced through ``ufunc.at``.
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    n = min(len(xs), len(ys))
    xs, ys = xs[:n], ys[:n]
    if columns <= 0:
        return Columns.empty(0)
    if not x1 > x0:
        raise ValueError(f"empty x range: {x0!r} … {x1!r}")
    out = Columns.empty(columns)
    if n == 0:
        return out
    if n < 2 or bool(np.all(xs[1:] >= xs[:-1])):
        edges_x = x0 + (x1 - x0) * (np.arange(columns + 1, dtype=np.float64) / columns)
        edges = np.searchsorted(xs, edges_x, side="left").astype(np.int64)
        base = int(edges[0])
        inner = edges - base
        segment = ys[base : int(edges[-1])]
        if segment.size:
            return _reduce(segment, segment, segment, None, None, inner, hold=False)
        return out
    column = np.floor((xs - x0) / (x1 - x0) * columns)
    keep = (column >= 0) & (column < columns) & ~np.isnan(ys)
    index = column[keep].astype(np.intp)
    kept = ys[keep]
    lo = np.full(columns, np.inf)
    hi = np.full(columns, -np.inf)
    np.minimum.at(lo, index, kept)
    np.maximum.at(hi, index, kept)
    hit = np.zeros(columns, dtype=bool)
    hit[index] = True
    out.lo[hit], out.hi[hit] = lo[hit], hi[hit]
    return out
