"""A bounded history per PV, from the monitor stream: exact recent samples, min/max buckets older.

Each :class:`History` owns preallocated numpy rings and never grows: its size
(:attr:`History.nbytes`) is fixed when it is made, whatever the update rate or how long
the console runs.

* **raw**: the newest ``raw`` samples exactly — time, value, severity (6,144 by default:
  10 minutes at 10 Hz).  What :meth:`History.samples` exports.
* **tiers**: buckets of 2 s (30 minutes), 10 s (3 hours) and 120 s (24 hours) by default,
  each with the lowest and highest value of its samples, the value it ends on, its highest
  severity and whether it saw a disconnection.  Min *and* max: a one-sample spike
  survives every tier.

:meth:`History.append` only writes the raw ring (three numpy stores); the samples are
folded into the tiers in batches, vectorized, every few thousand appends (staggered
between PVs, so that a thousand PVs started together do not all fold in the same tick)
and before each query.  :meth:`History.window` draws from the finest source covering
each part of the window: tiers for the old part, raw samples for the recent part.

Not thread-safe: one writer, and readers on the same thread (or behind one lock).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from catui.plot.decimate import Columns, FloatArray, SevArray, decimate_bins

__all__ = [
    "DEFAULT_RAW",
    "DEFAULT_TIERS",
    "DISCONNECTED",
    "History",
    "HistoryStore",
    "Sample",
    "history_nbytes",
]

#: Severity of the sample that marks a disconnection (its value is NaN).
DISCONNECTED = -1
#: Exact samples kept per PV.
DEFAULT_RAW = 6144
#: (bucket seconds, buckets) of each tier, finest first; each width a multiple of the last.
DEFAULT_TIERS: tuple[tuple[float, int], ...] = ((2.0, 900), (10.0, 1080), (120.0, 720))

# Bucket flags.
_FILLED = 1  # has samples
_OPENS_GAP = 2  # its first sample was a disconnection (or NaN)
_HAS_GAP = 4  # some sample was

_RAW_SAMPLE_BYTES = 8 + 8 + 1  # time, value, severity
_BUCKET_BYTES = 8 + 8 + 8 + 1 + 1  # lo, hi, last, severity, flags

_stagger = itertools.count()


def history_nbytes(
    raw: int = DEFAULT_RAW, tiers: Sequence[tuple[float, int]] = DEFAULT_TIERS
) -> int:
    """Bytes of the numpy rings of one :class:`History` (its Python objects not counted)."""
    return raw * _RAW_SAMPLE_BYTES + sum(count for _, count in tiers) * _BUCKET_BYTES


@dataclass(frozen=True)
class Sample:
    """One point of a history: POSIX time, value (NaN in a gap) and severity."""

    time: float
    value: float
    severity: int

    @property
    def disconnected(self) -> bool:
        return self.severity == DISCONNECTED


class _Tier:
    """A ring of buckets ``width`` seconds wide; bucket ``k`` covers ``[k*width, (k+1)*width)``.

    The ring holds buckets ``newest - size + 1 … newest`` in slots ``k % size``; a bucket
    that saw no sample has no ``_FILLED`` flag.
    """

    __slots__ = ("first", "flags", "hi", "last", "lo", "newest", "severity", "size", "width")

    def __init__(self, width: float, size: int) -> None:
        if width <= 0 or size <= 0:
            raise ValueError(f"a tier needs a positive width and size, not {width!r}, {size!r}")
        self.width = float(width)
        self.size = int(size)
        self.lo = np.full(size, np.nan)
        self.hi = np.full(size, np.nan)
        self.last = np.full(size, np.nan)
        self.severity = np.full(size, -1, dtype=np.int8)
        self.flags = np.zeros(size, dtype=np.uint8)
        self.newest: int | None = None  # bucket number of the newest bucket
        self.first: int | None = None  # bucket number of the first bucket ever filled

    @property
    def oldest(self) -> int | None:
        """Bucket number of the oldest bucket still held."""
        if self.newest is None or self.first is None:
            return None
        return max(self.first, self.newest - self.size + 1)

    @property
    def complete(self) -> bool:
        """Whether no bucket was ever dropped (the tier goes back to the first sample)."""
        return self.newest is None or self.first is None or (self.newest - self.first < self.size)

    def fold(self, t: FloatArray, v: FloatArray, s: SevArray) -> None:
        """Add samples (time-ordered, newer than any folded before) to the buckets."""
        k = np.floor(t / self.width).astype(np.int64)
        starts = np.concatenate(([0], np.flatnonzero(np.diff(k)) + 1))
        ends = np.concatenate((starts[1:], [len(k)]))
        keys = k[starts]
        finite = ~np.isnan(v)
        lo = np.fmin.reduceat(v, starts)
        hi = np.fmax.reduceat(v, starts)
        last = v[ends - 1]
        sev = np.maximum.reduceat(s, starts)
        gap = np.logical_or.reduceat(~finite, starts)
        flags = (
            _FILLED + np.where(~finite[starts], _OPENS_GAP, 0) + np.where(gap, _HAS_GAP, 0)
        ).astype(np.uint8)
        size = self.size
        newest = self.newest
        if newest is not None and keys[0] == newest:
            # The first group continues the newest bucket.
            slot = newest % size
            lo[0] = np.fmin(lo[0], self.lo[slot])
            hi[0] = np.fmax(hi[0], self.hi[slot])
            sev[0] = max(int(sev[0]), int(self.severity[slot]))
            flags[0] = (int(flags[0]) & ~_OPENS_GAP) | int(self.flags[slot])
        if newest is not None and keys[-1] > newest + 1:
            # Buckets skipped (no sample in them): emptied, at most the whole ring.
            skipped = np.arange(max(newest + 1, keys[-1] - size + 1), keys[-1]) % size
            self.flags[skipped] = 0
            self.lo[skipped] = self.hi[skipped] = self.last[skipped] = np.nan
            self.severity[skipped] = -1
        if len(keys) > size:
            keep = slice(len(keys) - size, None)
            keys, lo, hi, last = keys[keep], lo[keep], hi[keep], last[keep]
            sev, flags = sev[keep], flags[keep]
        slots = keys % size
        self.lo[slots], self.hi[slots], self.last[slots] = lo, hi, last
        self.severity[slots], self.flags[slots] = sev, flags
        self.newest = int(keys[-1])
        if self.first is None:
            self.first = int(keys[0])

    def bins(
        self, before: float, after: float = -math.inf
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_], SevArray]:
        """Filled buckets starting in ``[after, before)``, oldest first, as bins."""
        oldest = self.oldest
        empty = np.empty(0)
        if oldest is None or self.newest is None:
            return empty, empty, empty, empty, np.empty(0, bool), np.empty(0, np.int8)
        low = max(oldest, math.ceil(after / self.width)) if math.isfinite(after) else oldest
        high = min(self.newest, math.ceil(before / self.width) - 1)
        if high < low:
            return empty, empty, empty, empty, np.empty(0, bool), np.empty(0, np.int8)
        keys = np.arange(low, high + 1, dtype=np.int64)
        slots = keys % self.size
        flags = self.flags[slots]
        filled = (flags & _FILLED) != 0
        slots, keys, flags = slots[filled], keys[filled], flags[filled]
        return (
            keys * self.width,
            self.lo[slots],
            self.hi[slots],
            self.last[slots],
            (flags & _OPENS_GAP) != 0,
            self.severity[slots],
        )

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.lo, self.hi, self.last, self.severity, self.flags))


class History:
    """Time, value and severity of one PV, bounded (see the module's docstring).

    Parameters
    ----------
    raw : int
        Exact samples kept (the newest).
    tiers : sequence of (seconds, count)
        Bucket tiers, finest first; each width a multiple of the one before.
    """

    __slots__ = (
        "_first_t",
        "_fold_at",
        "_folded",
        "_head",
        "_last_t",
        "_s",
        "_t",
        "_tiers",
        "_total",
        "_v",
        "raw_size",
    )

    def __init__(
        self, raw: int = DEFAULT_RAW, tiers: Sequence[tuple[float, int]] = DEFAULT_TIERS
    ) -> None:
        if raw < 2:
            raise ValueError(f"a history keeps at least 2 raw samples, not {raw!r}")
        widths = [w for w, _ in tiers]
        for finer, coarser in itertools.pairwise(widths):
            ratio = coarser / finer
            if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
                raise ValueError(f"tier widths must be multiples of each other: {widths}")
        self.raw_size = int(raw)
        self._t = np.zeros(raw)
        self._v = np.full(raw, np.nan)
        self._s = np.zeros(raw, dtype=np.int8)
        self._head = 0  # next slot to write
        self._total = 0  # samples ever appended
        self._folded = 0  # of which folded into the tiers
        self._last_t = -math.inf
        self._first_t = math.inf
        self._tiers = tuple(_Tier(w, n) for w, n in tiers)
        # Fold every half ring, at a different phase for each history.
        half = max(1, raw // 2)
        self._fold_at = half - (next(_stagger) * 97) % half

    # -- writing: the monitor stream ----------------------------------------------
    def append(self, t: float, value: float, severity: int = 0) -> None:
        """One update: POSIX time ``t``, ``value``, alarm ``severity`` (0…3).  O(1).

        A time older than the newest sample's is taken as that (the ring stays in time
        order: an IOC's clock may step back).  NaN values draw as gaps.
        """
        if t < self._last_t:
            t = self._last_t
        elif not self._total:
            self._first_t = t
        self._last_t = t
        i = self._head
        self._t[i] = t
        self._v[i] = value
        self._s[i] = severity
        i += 1
        self._head = 0 if i == self.raw_size else i
        self._total += 1
        if self._total - self._folded >= self._fold_at:
            self._fold()

    def disconnect(self, t: float) -> None:
        """The PV disconnected at ``t``: a gap until the next :meth:`append`."""
        self.append(t, math.nan, DISCONNECTED)

    # -- reading ------------------------------------------------------------------
    def __len__(self) -> int:
        """Exact samples held."""
        return min(self._total, self.raw_size)

    @property
    def total(self) -> int:
        """Samples appended since the history was made."""
        return self._total

    @property
    def nbytes(self) -> int:
        """Bytes of its numpy rings: fixed when made (:func:`history_nbytes`)."""
        return (
            self._t.nbytes
            + self._v.nbytes
            + self._s.nbytes
            + sum(tier.nbytes for tier in self._tiers)
        )

    @property
    def latest(self) -> Sample | None:
        """The newest sample, if any."""
        if not self._total:
            return None
        i = self._head - 1
        return Sample(float(self._t[i]), float(self._v[i]), int(self._s[i]))

    @property
    def exact_since(self) -> float | None:
        """Time of the oldest exact sample held (None: none yet)."""
        if not self._total:
            return None
        return float(self._t[self._head if self._total > self.raw_size else 0])

    def samples(
        self, t0: float = -math.inf, t1: float = math.inf
    ) -> tuple[FloatArray, FloatArray, SevArray]:
        """Exact samples with ``t0 <= time <= t1``: (times, values, severities), copies.

        Only the raw ring is exact: samples older than :attr:`exact_since` are not
        returned.  A disconnection is a NaN value with severity :data:`DISCONNECTED`.
        """
        t, v, s = self._raw()
        low = int(np.searchsorted(t, t0, side="left"))
        high = int(np.searchsorted(t, t1, side="right"))
        return t[low:high].copy(), v[low:high].copy(), s[low:high].copy()

    def value_at(self, t: float) -> Sample | None:
        """The value held at time ``t``: the newest sample at or before it.

        Exact where the raw ring reaches; further back, the value the bucket holding
        ``t`` ended on (its time is the bucket's start).  None before the first sample.
        """
        if t < self._first_t:
            return None
        raw_t, raw_v, raw_s = self._raw()
        if len(raw_t) and (t >= raw_t[0] or self._total <= self.raw_size):
            i = int(np.searchsorted(raw_t, t, side="right")) - 1
            if i < 0:
                return None
            return Sample(float(raw_t[i]), float(raw_v[i]), int(raw_s[i]))
        self._fold()
        for tier in self._tiers:
            oldest = tier.oldest
            if oldest is None:
                return None
            if t < oldest * tier.width and not tier.complete:
                continue  # older than this tier reaches
            times, _, _, last, _, sev = tier.bins(before=math.nextafter(t, math.inf))
            if not len(times):
                return None
            return Sample(float(times[-1]), float(last[-1]), int(sev[-1]))
        return None

    def window(self, t0: float, t1: float, columns: int) -> Columns:
        """The history over ``[t0, t1)`` as ``columns`` min/max columns, for drawing.

        Each part of the window comes from the finest source that reaches it: exact
        samples for the recent part, then 2 s, 10 s and 120 s buckets further back.
        """
        self._fold()
        parts: list[tuple[npt.NDArray[np.generic], ...]] = []
        t, v, s = self._raw()
        # The raw ring reaches back to `lower`; each tier, older, to its own `lower`.
        if self._total <= self.raw_size:
            lower = -math.inf
        elif self._tiers:
            width = self._tiers[0].width
            lower = math.ceil(float(t[0]) / width) * width
        else:
            lower = float(t[0])
        begin = int(np.searchsorted(t, lower, side="left"))
        low = max(begin, int(np.searchsorted(t, t0, side="left")) - 1)
        high = int(np.searchsorted(t, t1, side="left"))
        tv = v[low:high]
        parts.append((t[low:high], tv, tv, tv, np.isnan(tv), s[low:high]))
        reached = lower <= t0 and low > begin  # a sample before t0: the value held in
        for index, tier in enumerate(self._tiers):
            if lower == -math.inf or reached:
                break
            upper = lower
            oldest = tier.oldest
            if oldest is None:
                break
            coarser = self._tiers[index + 1] if index + 1 < len(self._tiers) else None
            if tier.complete or coarser is None:
                lower = -math.inf
            else:  # where the next tier takes over, on its bucket boundary
                lower = min(upper, math.ceil(oldest * tier.width / coarser.width) * coarser.width)
            times, lo, hi, last, gap, sev = tier.bins(before=min(upper, t1), after=lower)
            keep = max(0, int(np.searchsorted(times, t0, side="left")) - 1)
            parts.append((times[keep:], lo[keep:], hi[keep:], last[keep:], gap[keep:], sev[keep:]))
            reached = lower <= t0 and len(times) > 0 and times[keep] < t0
        parts.reverse()  # oldest first
        j: list[Any] = (
            list(parts[0])
            if len(parts) == 1
            else [np.concatenate([p[i] for p in parts]) for i in range(6)]
        )
        return decimate_bins(j[0], j[1], j[2], j[3], j[4], j[5], t0, t1, columns)

    # -- inside ---------------------------------------------------------------------
    def _raw(self) -> tuple[FloatArray, FloatArray, SevArray]:
        """The raw ring in time order (views when it has not wrapped)."""
        if self._total <= self.raw_size:
            n = self._total
            return self._t[:n], self._v[:n], self._s[:n]
        h = self._head
        return (
            np.concatenate((self._t[h:], self._t[:h])),
            np.concatenate((self._v[h:], self._v[:h])),
            np.concatenate((self._s[h:], self._s[:h])),
        )

    def _fold(self) -> None:
        """Fold the samples appended since the last fold into every tier."""
        pending = self._total - self._folded
        if pending <= 0:
            return
        self._folded = self._total
        self._fold_at = max(1, self.raw_size // 2)
        if not self._tiers:
            return
        h = self._head
        begin = h - pending
        if begin >= 0:
            t, v, s = self._t[begin:h], self._v[begin:h], self._s[begin:h]
        else:
            t = np.concatenate((self._t[begin:], self._t[:h]))
            v = np.concatenate((self._v[begin:], self._v[:h]))
            s = np.concatenate((self._s[begin:], self._s[:h]))
        for tier in self._tiers:
            tier.fold(t, v, s)


class HistoryStore:
    """The histories of the watched PVs, by name (each made on its first update)."""

    def __init__(
        self, raw: int = DEFAULT_RAW, tiers: Sequence[tuple[float, int]] = DEFAULT_TIERS
    ) -> None:
        self._raw = raw
        self._tiers = tuple(tiers)
        self._histories: dict[str, History] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._histories

    def __len__(self) -> int:
        return len(self._histories)

    def __iter__(self) -> Iterator[str]:
        return iter(self._histories)

    def __getitem__(self, name: str) -> History:
        return self._histories[name]

    def get(self, name: str) -> History | None:
        return self._histories.get(name)

    def history(self, name: str) -> History:
        """The history of ``name``, made empty if there is none yet."""
        found = self._histories.get(name)
        if found is None:
            found = self._histories[name] = History(self._raw, self._tiers)
        return found

    def append(self, name: str, t: float, value: float, severity: int = 0) -> None:
        """:meth:`History.append` on the history of ``name``."""
        found = self._histories.get(name)
        if found is None:
            found = self.history(name)
        found.append(t, value, severity)

    def disconnect(self, name: str, t: float) -> None:
        """A gap from ``t`` in the history of ``name`` (if it has one)."""
        found = self._histories.get(name)
        if found is not None:
            found.disconnect(t)

    def remove(self, name: str) -> None:
        """Forget the history of ``name`` (the PV left the watchlist)."""
        self._histories.pop(name, None)

    @property
    def nbytes(self) -> int:
        """Bytes of every history's numpy rings."""
        return sum(h.nbytes for h in self._histories.values())
