"""A chart as lines of (text, style name) pieces: traces in braille, axes, legend, bands, cursor.

Pure (numpy, no Textual): a line-API widget draws the lines as they are
(:mod:`catui.widgets.plot_canvas`), and ``catui monitor --plot`` can print them.  The
traces arrive reduced to pixel columns (:class:`~catui.plot.decimate.Columns`, from
:meth:`~catui.plot.history.History.window` or :func:`~catui.plot.decimate.decimate_array`):
whatever the number of samples, drawing costs a few numpy passes over a grid of
``columns × dot rows`` (236 × 136 for a 118 × 34 plot in braille).

Every trace has a colour (``trace-N``) *and* a marker and a line pattern of its own, so
that a chart reads without colour (``--low-bandwidth``, ``NO_COLOR``).  Alarm limits
are a dotted rule with the limit's name, and the bands between them a background.

Style names: ``axis``, ``tick``, ``title``, ``legend``, ``value``, ``trace-0`` …
``trace-7``, ``band-minor``, ``band-major``, ``limit``, ``cursor``, ``minor``,
``major``, ``invalid``, ``offline``; a piece may carry several, space-separated
(``"trace-2 band-minor"``).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from catui.plot.decimate import Columns

__all__ = [
    "BRAILLE",
    "HALFBLOCK",
    "MARKERS",
    "PATTERNS",
    "Band",
    "IndexAxis",
    "Layout",
    "Limit",
    "Line",
    "TimeAxis",
    "Trace",
    "ValueAxis",
    "alarm_overlay",
    "auto_range",
    "chart_layout",
    "cursor_position",
    "nice_ticks",
    "render_chart",
    "tick_text",
    "time_ticks",
]

#: A line of the chart: (text, style names) pieces, left to right.
Line = tuple[tuple[str, str], ...]

BRAILLE = "braille"  # 2 × 4 dots a cell
HALFBLOCK = "halfblock"  # 1 × 2 a cell (fonts without braille)
_DOTS = {BRAILLE: (2, 4), HALFBLOCK: (1, 2)}
# Bit of each dot (row, column) of a cell.
_BITS = {BRAILLE: ((0, 3), (1, 4), (2, 5), (6, 7)), HALFBLOCK: ((0,), (1,))}
_HALFBLOCK_CHARS = np.array([0x20, 0x2580, 0x2584, 0x2588], np.uint32)  # " ▀▄█"

#: A marker per trace, drawn on its line every few cells and in the legend.
MARKERS = "●■▲◆○□△◇"
#: Line patterns (pixel columns on/off), cycled: solid, dashed, dotted, dash-dot.
PATTERNS: tuple[tuple[int, ...], ...] = ((1,), (1, 1, 1, 0), (1, 0), (1, 1, 1, 0, 1, 0))
_PATTERN_SAMPLES = ("───", "╌╌╌", "┈┈┈", "─·─")
MAX_TRACES = len(MARKERS)

_GUTTER = 8  # value labels (7) and the axis
_LABEL = _GUTTER - 1
_ENTRY_WIDTH = 40  # a legend entry, at least
_SEVERITY = {1: ("MINOR", "minor"), 2: ("MAJOR", "major"), 3: ("INVALID", "invalid")}
#: Time-axis steps, seconds.
_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
               21600, 43200, 86400)  # fmt: skip


@dataclass(frozen=True)
class ValueAxis:
    """A value axis: the range shown and its units."""

    low: float
    high: float
    units: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.high > self.low):
            raise ValueError(f"a value axis needs low < high, not {self.low!r} … {self.high!r}")


@dataclass(frozen=True)
class TimeAxis:
    """Wall-clock time ``[t0, t1)`` (POSIX seconds), labelled in ``tz`` (None: local)."""

    t0: float
    t1: float
    tz: datetime.tzinfo | None = None

    def __post_init__(self) -> None:
        if not self.t1 > self.t0:
            raise ValueError(f"a time axis needs t0 < t1, not {self.t0!r} … {self.t1!r}")


@dataclass(frozen=True)
class IndexAxis:
    """An array's index range ``[start, stop)`` (or a second array's values)."""

    start: float
    stop: float
    label: str = ""

    def __post_init__(self) -> None:
        if not self.stop > self.start:
            raise ValueError(f"an index axis needs start < stop: {self.start!r} … {self.stop!r}")


@dataclass(frozen=True)
class Trace:
    """One trace and its legend entry.

    ``value`` is the read-out the legend shows (the newest value, or the value at the
    cursor), formatted by the caller with the PV's precision; ``axis`` is 0 (left)
    or 1 (right).  ``connected=False`` greys the entry out.
    """

    columns: Columns
    label: str
    value: str = ""
    units: str = ""
    severity: int | None = None
    axis: int = 0
    connected: bool = True


@dataclass(frozen=True)
class Band:
    """A value range tinted behind the traces: ``kind`` ``"minor"`` or ``"major"``."""

    low: float
    high: float
    kind: str


@dataclass(frozen=True)
class Limit:
    """A dotted rule at ``value``, named (``HIHI``) at its right end."""

    value: float
    name: str
    kind: str = "minor"


@dataclass(frozen=True)
class Layout:
    """Where the parts of a chart ``width × height`` cells go.

    Rows: the legend (``legend_rows``), a header (title, units), the plot
    (``plot_height``), the time axis and its labels.  Columns: value labels and axis
    (8 cells), the plot (``plot_width``), a second axis (8) if there are two.
    """

    width: int
    height: int
    legend_rows: int
    plot_x: int
    plot_width: int
    plot_height: int
    axes: int
    mode: str = BRAILLE

    @property
    def plot_y(self) -> int:
        return self.legend_rows + 1

    @property
    def columns(self) -> int:
        """Pixel columns of the plot: what to decimate to."""
        return self.plot_width * _DOTS[self.mode][0]

    @property
    def dot_rows(self) -> int:
        return self.plot_height * _DOTS[self.mode][1]

    @property
    def fits(self) -> bool:
        return self.plot_width >= 4 and self.plot_height >= 2


def chart_layout(
    width: int, height: int, traces: int, axes: int = 1, mode: str = BRAILLE
) -> Layout:
    """The layout of a chart of ``traces`` traces on ``axes`` value axes (1 or 2)."""
    if mode not in _DOTS:
        raise ValueError(f"unknown drawing mode {mode!r} (braille or halfblock)")
    if axes not in (1, 2):
        raise ValueError(f"a chart has one or two value axes, not {axes}")
    per_row = max(1, width // _ENTRY_WIDTH)
    legend_rows = -(-traces // per_row) if traces else 0
    legend_rows = min(legend_rows, max(0, height - 6))
    plot_width = max(0, width - _GUTTER * axes)
    plot_height = max(0, height - legend_rows - 3)
    return Layout(width, height, legend_rows, _GUTTER, plot_width, plot_height, axes, mode)


def auto_range(columns: Sequence[Columns], pad: float = 0.04) -> tuple[float, float]:
    """A value range showing every finite value drawn, with ``pad`` of it to spare.

    ``(0, 1)`` when nothing is drawn; a flat trace gets a range around its value.
    """
    lows, highs = [], []
    for column in columns:
        found = column.finite_range()
        if found is not None:
            lows.append(found[0])
            highs.append(found[1])
    if not lows:
        return 0.0, 1.0
    low, high = min(lows), max(highs)
    if high == low:
        spread = abs(low) * 0.1 or 1.0
        return low - spread, high + spread
    margin = (high - low) * pad
    return low - margin, high + margin


def alarm_overlay(
    alarm: tuple[float, float] | None, warning: tuple[float, float] | None
) -> tuple[list[Band], list[Limit]]:
    """Bands and rules of a PV's alarm limits: ``alarm`` (LOLO, HIHI), ``warning`` (LOW, HIGH).

    Beyond HIHI/LOLO is a major band, between HIGH and HIHI (LOW and LOLO) a minor one;
    a missing limit (None or NaN) draws nothing.
    """

    def finite(value: float | None) -> float | None:
        return value if value is not None and math.isfinite(value) else None

    lolo, hihi = (finite(v) for v in alarm) if alarm else (None, None)
    low, high = (finite(v) for v in warning) if warning else (None, None)
    bands: list[Band] = []
    limits: list[Limit] = []
    if hihi is not None:
        bands.append(Band(hihi, math.inf, "major"))
        limits.append(Limit(hihi, "HIHI", "major"))
    if high is not None:
        bands.append(Band(high, hihi if hihi is not None else math.inf, "minor"))
        limits.append(Limit(high, "HIGH", "minor"))
    if low is not None:
        bands.append(Band(lolo if lolo is not None else -math.inf, low, "minor"))
        limits.append(Limit(low, "LOW", "minor"))
    if lolo is not None:
        bands.append(Band(-math.inf, lolo, "major"))
        limits.append(Limit(lolo, "LOLO", "major"))
    return bands, limits


def nice_ticks(low: float, high: float, count: int) -> tuple[list[float], float]:
    """At most about ``count`` round values (steps of 1, 2 or 5 × 10ⁿ) in ``[low, high]``."""
    span = high - low
    if not (math.isfinite(span) and span > 0) or count < 1:
        return [], 0.0
    raw = span / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [k * step for k in range(first, last + 1)], step


def tick_text(value: float, step: float) -> str:
    """``value`` in ``%g`` with as many digits as ``step`` needs, at most 7 cells."""
    if value == 0 or abs(value) < step * 1e-6:
        return "0"
    if step >= 1 and value == round(value) and abs(value) < 1e7:
        return str(round(value))  # 200000, not 2e+05
    digits = max(1, math.floor(math.log10(abs(value))) - math.floor(math.log10(step)) + 1)
    text = f"{value:.{digits}g}"
    if len(text) > _LABEL:
        text = f"{value:.2g}"
    return text


def time_ticks(
    t0: float, t1: float, count: int, tz: datetime.tzinfo | None
) -> tuple[list[float], int]:
    """Round wall-clock times in ``[t0, t1)``, about ``count`` of them, and their step (s)."""
    span = t1 - t0
    step = next((s for s in _TIME_STEPS if span / s <= max(1, count)), _TIME_STEPS[-1])
    when = (
        datetime.datetime.fromtimestamp(t0, tz)
        if tz
        else datetime.datetime.fromtimestamp(t0).astimezone()
    )
    offset = when.utcoffset()
    shift = offset.total_seconds() if offset is not None else 0.0
    first = math.ceil((t0 + shift) / step) * step - shift
    ticks = []
    tick = first
    while tick < t1:
        ticks.append(tick)
        tick += step
    return ticks, step


def cursor_position(layout: Layout, x_axis: TimeAxis | IndexAxis, cell: int) -> float:
    """The time (or index) at the middle of plot column ``cell``: what a cursor reads."""
    low, high = (x_axis.t0, x_axis.t1) if isinstance(x_axis, TimeAxis) else (
        x_axis.start, x_axis.stop
    )  # fmt: skip
    return low + (cell + 0.5) / max(1, layout.plot_width) * (high - low)


@dataclass
class _Grid:
    """The plot's cells while they are drawn: characters and a style key per cell."""

    chars: npt.NDArray[np.uint32]
    owner: npt.NDArray[np.int16]  # 0: none, k + 1: trace k
    band: npt.NDArray[np.int8] = field(init=False)  # 0, 1 minor, 2 major
    flag: npt.NDArray[np.int8] = field(init=False)  # 1 limit, 2 cursor

    def __post_init__(self) -> None:
        self.band = np.zeros(self.chars.shape, np.int8)
        self.flag = np.zeros(self.chars.shape, np.int8)


def _dot_rows(
    values: npt.NDArray[np.float64], axis: ValueAxis, rows: int
) -> npt.NDArray[np.int64]:
    """Dot row (0 at the top) of each value, clipped to the plot; NaN gives 0 (callers mask it)."""
    scaled = (axis.high - values) * (rows / (axis.high - axis.low))
    scaled[np.isnan(scaled)] = 0.0
    np.floor(scaled, out=scaled)
    return np.clip(scaled, 0, rows - 1).astype(np.int64)


def _draw_traces(
    grid: _Grid, layout: Layout, traces: Sequence[Trace], axes: Sequence[ValueAxis]
) -> None:
    rx, ry = _DOTS[layout.mode]
    rows, width, height = layout.dot_rows, layout.plot_width, layout.plot_height
    bits = _BITS[layout.mode]
    codes = np.zeros((height, width), np.uint8)
    first_row = (np.arange(height) * ry)[:, None]
    for k, trace in enumerate(traces):
        columns = trace.columns
        if len(columns) != layout.columns:
            raise ValueError(
                f"trace {trace.label!r} has {len(columns)} columns, the plot {layout.columns}"
            )
        axis = axes[trace.axis]
        drawn = ~(np.isnan(columns.lo) | np.isnan(columns.hi))
        top = _dot_rows(columns.hi, axis, rows)
        bottom = _dot_rows(columns.lo, axis, rows)
        pattern = np.resize(np.array(PATTERNS[k % len(PATTERNS)], bool), layout.columns)
        shown = drawn & pattern
        # Dot (dy, dx) of cell (row, col) is on when its dot row lies in the column's span.
        cell = np.zeros((height, width), np.uint8)
        for dy, row_bits in enumerate(bits):
            dot_row = first_row + dy
            on = ((dot_row >= top) & (dot_row <= bottom) & shown).view(np.uint8)
            for dx, bit in enumerate(row_bits):
                cell |= on[:, dx::rx] << bit
        codes |= cell
        grid.owner[cell > 0] = k + 1
    # Markers every `spacing` cells on each line, staggered between traces, over the dots.
    spacing = max(8, width // 5)
    for k, trace in enumerate(traces):
        columns = trace.columns
        start = (spacing // 2 + k * spacing // max(1, len(traces))) % spacing
        at = np.arange(start, width, spacing)
        pixel = at * rx
        mid = (columns.lo[pixel] + columns.hi[pixel]) / 2
        shown = ~np.isnan(mid)
        at, mid = at[shown], mid[shown]
        if at.size:
            marker_rows = _dot_rows(mid, axes[trace.axis], rows) // ry
            grid.chars[marker_rows, at] = ord(MARKERS[k % len(MARKERS)])
            grid.owner[marker_rows, at] = k + 1
    dots = codes > 0
    if layout.mode == BRAILLE:
        chars = np.where(dots, 0x2800 + codes.astype(np.uint32), grid.chars)
    else:
        chars = np.where(dots, _HALFBLOCK_CHARS[np.minimum(codes, 3)], grid.chars)
    marked = grid.chars != 0x20
    grid.chars[:] = np.where(marked, grid.chars, chars)


def _draw_overlay(
    grid: _Grid, layout: Layout, axis: ValueAxis, bands: Sequence[Band], limits: Sequence[Limit]
) -> None:
    ry = _DOTS[layout.mode][1]
    rows, width = layout.dot_rows, layout.plot_width
    for band in bands:
        low, high = max(band.low, axis.low), min(band.high, axis.high)
        if not low < high:
            continue
        top = int(_dot_rows(np.array([high]), axis, rows)[0]) // ry
        bottom = int(_dot_rows(np.array([low]), axis, rows)[0]) // ry
        grid.band[top : bottom + 1, :] = 2 if band.kind == "major" else 1
    for limit in limits:
        if not axis.low <= limit.value <= axis.high:
            continue
        row = int(_dot_rows(np.array([limit.value]), axis, rows)[0])
        cell_row, dot = divmod(row, ry)
        if layout.mode == BRAILLE:
            rule = 0x2800 + (1 << _BITS[BRAILLE][dot][0])  # each cell's left dot: dotted
        else:
            rule = int(_HALFBLOCK_CHARS[1 + dot])
        free = (grid.owner[cell_row] == 0) & (grid.chars[cell_row] == 0x20)
        grid.chars[cell_row, free] = rule
        grid.flag[cell_row, free] = 1
        name = limit.name[: max(0, width // 4)]
        if name:
            span = slice(width - len(name), width)
            if bool(np.all(grid.owner[cell_row, span] == 0)):
                grid.chars[cell_row, span] = [ord(c) for c in name]
                grid.flag[cell_row, span] = 1


def _plot_rows(grid: _Grid) -> list[list[tuple[str, str]]]:
    """The plot's rows as pieces, a piece per run of cells with the same style."""
    height, width = grid.chars.shape
    key = grid.owner.astype(np.int32) + 16 * grid.band + 64 * grid.flag
    text = grid.chars.astype("<u4").tobytes().decode("utf-32-le")
    cut_rows, cut_cols = np.nonzero(key[:, 1:] != key[:, :-1])
    cut_cols += 1
    rows: list[list[tuple[str, str]]] = []
    cuts = cut_cols.tolist()
    where = np.searchsorted(cut_rows, np.arange(height + 1)).tolist()
    keys = key.tolist()
    for row in range(height):
        offset = row * width
        row_keys = keys[row]
        pieces = []
        start = 0
        for cut in cuts[where[row] : where[row + 1]]:
            pieces.append((text[offset + start : offset + cut], _style_of(row_keys[start])))
            start = cut
        pieces.append((text[offset + start : offset + width], _style_of(row_keys[start])))
        rows.append(pieces)
    return rows


_STYLE_NAMES: dict[int, str] = {}


def _style_of(key: int) -> str:
    name = _STYLE_NAMES.get(key)
    if name is None:
        owner, band, flag = key % 16, (key // 16) % 4, key // 64
        words = []
        if owner:
            words.append(f"trace-{owner - 1}")
        elif flag & 1:
            words.append("limit")
        if band:
            words.append("band-major" if band == 2 else "band-minor")
        if flag & 2:
            words.append("cursor")
        name = _STYLE_NAMES[key] = " ".join(words)
    return name


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _legend(layout: Layout, traces: Sequence[Trace]) -> list[Line]:
    if not layout.legend_rows:
        return []
    per_row = -(-len(traces) // layout.legend_rows)
    entry = layout.width // max(1, per_row)
    lines: list[Line] = []
    for r in range(layout.legend_rows):
        pieces: list[tuple[str, str]] = []
        used = 0
        for k in range(r * per_row, min(len(traces), (r + 1) * per_row)):
            trace = traces[k]
            side = ("◂" if trace.axis == 0 else "▸") if layout.axes == 2 else ""
            mark = f"{MARKERS[k]}{_PATTERN_SAMPLES[k % len(_PATTERN_SAMPLES)]}{side} "
            severity_word, severity_style = _SEVERITY.get(trace.severity or 0, ("", ""))
            if not trace.connected:
                severity_word, severity_style = "disconnected", "offline"
            reading = " ".join(filter(None, (trace.value, trace.units)))
            tail = " ".join(filter(None, (reading, severity_word)))
            room = entry - len(mark) - len(tail) - 2
            label = _fit(trace.label, max(4, room))
            style = "legend" if trace.connected else "legend offline"
            pieces.append((mark, f"trace-{k}"))
            pieces.append((label + " ", style))
            if reading:
                pieces.append((reading, "value" if trace.connected else "offline"))
            if severity_word:
                pieces.append((" " + severity_word, severity_style))
            piece_width = sum(len(text) for text, _ in pieces) - used
            pad = entry - piece_width
            if pad > 0:
                pieces.append((" " * pad, ""))
            used = sum(len(text) for text, _ in pieces)
        lines.append(tuple(_clip_pieces(pieces, layout.width)))
    return lines


def _clip_pieces(pieces: list[tuple[str, str]], width: int) -> list[tuple[str, str]]:
    out, used = [], 0
    for text, style in pieces:
        if used >= width:
            break
        text = text[: width - used]
        out.append((text, style))
        used += len(text)
    return out


def _header(layout: Layout, axes: Sequence[ValueAxis], title: str) -> Line:
    left = _fit(axes[0].units, _GUTTER - 1).rjust(_GUTTER - 1) + " " if axes else " " * _GUTTER
    pieces = [(left, "tick"), (_fit(title, layout.plot_width).ljust(layout.plot_width), "title")]
    if layout.axes == 2 and len(axes) > 1:
        pieces.append((" " + _fit(axes[1].units, _GUTTER - 1).ljust(_GUTTER - 1), "tick"))
    return tuple(pieces)


def _value_labels(axis: ValueAxis, layout: Layout) -> dict[int, str]:
    ry = _DOTS[layout.mode][1]
    ticks, step = nice_ticks(axis.low, axis.high, max(1, layout.plot_height // 3))
    labels: dict[int, str] = {}
    for value in ticks:
        row = int(_dot_rows(np.array([value]), axis, layout.dot_rows)[0]) // ry
        labels.setdefault(row, tick_text(value, step))
    return labels


def _x_ticks(layout: Layout, x_axis: TimeAxis | IndexAxis) -> list[tuple[int, str]]:
    width = layout.plot_width
    if isinstance(x_axis, TimeAxis):
        ticks, step = time_ticks(x_axis.t0, x_axis.t1, max(1, width // 11), x_axis.tz)
        fmt = "%H:%M" if step % 60 == 0 else "%H:%M:%S"
        low, high = x_axis.t0, x_axis.t1
        texts = [datetime.datetime.fromtimestamp(t, x_axis.tz).strftime(fmt) for t in ticks]
    else:
        values, istep = nice_ticks(x_axis.start, x_axis.stop, max(1, width // 9))
        ticks = [v for v in values if v < x_axis.stop]
        low, high = x_axis.start, x_axis.stop
        texts = [tick_text(v, istep) for v in ticks]
    return [
        (math.floor((t - low) / (high - low) * width), text)
        for t, text in zip(ticks, texts, strict=True)
    ]


def _cursor_text(layout: Layout, x_axis: TimeAxis | IndexAxis, cell: int) -> str:
    where = cursor_position(layout, x_axis, cell)
    if isinstance(x_axis, TimeAxis):
        stamp = datetime.datetime.fromtimestamp(where, x_axis.tz).strftime("%H:%M:%S.%f")
        return stamp[:-5]
    span = x_axis.stop - x_axis.start
    return f"{where:.0f}" if span >= layout.plot_width else f"{where:.3g}"


def render_chart(
    layout: Layout,
    traces: Sequence[Trace],
    axes: Sequence[ValueAxis],
    x_axis: TimeAxis | IndexAxis,
    *,
    bands: Sequence[Band] = (),
    limits: Sequence[Limit] = (),
    cursor: int | None = None,
    title: str = "",
) -> list[Line]:
    """The chart's lines, ``layout.height`` of them, each ``layout.width`` cells wide.

    Parameters
    ----------
    layout : Layout
        From :func:`chart_layout`; every trace has ``layout.columns`` columns.
    traces : sequence of Trace
        At most eight; drawn in order (the later on top where they cross).
    axes : sequence of ValueAxis
        One per value axis of the layout; ``Trace.axis`` picks one.
    x_axis : TimeAxis or IndexAxis
        What the columns span.
    bands, limits : sequences
        Alarm bands and limit rules on the first axis (see :func:`alarm_overlay`).
    cursor : int, optional
        A plot column (0 … ``plot_width - 1``) to mark; its time or index is written
        on the time axis (the legend's values are the caller's).
    title : str
        The header's text (window, paused/following…).
    """
    if len(traces) > MAX_TRACES:
        raise ValueError(f"a chart shows at most {MAX_TRACES} traces, not {len(traces)}")
    if len(axes) < layout.axes:
        raise ValueError(f"the layout has {layout.axes} value axes, {len(axes)} given")
    for trace in traces:
        if not 0 <= trace.axis < layout.axes:
            raise ValueError(f"trace {trace.label!r} is on axis {trace.axis}, not drawn")
    width, height = layout.width, layout.height
    if not layout.fits:
        message = _fit("too small for a chart", width)
        blank: Line = ((" " * width, ""),)
        first: Line = ((message.ljust(width), "tick"),)
        return [first] + [blank] * (height - 1)
    grid = _Grid(
        np.full((layout.plot_height, layout.plot_width), 0x20, np.uint32),
        np.zeros((layout.plot_height, layout.plot_width), np.int16),
    )
    if bands or limits:
        _draw_overlay(grid, layout, axes[0], bands, ())
    _draw_traces(grid, layout, traces, axes)
    if limits:
        _draw_overlay(grid, layout, axes[0], (), limits)
    if cursor is not None and 0 <= cursor < layout.plot_width:
        column = grid.chars[:, cursor]
        empty = column == 0x20
        column[empty] = ord("│")
        grid.flag[:, cursor] |= 2
    lines = _legend(layout, traces)
    lines.append(_header(layout, axes, title))
    left = _value_labels(axes[0], layout)
    right = _value_labels(axes[1], layout) if layout.axes == 2 else {}
    plot_rows = _plot_rows(grid)
    for row in range(layout.plot_height):
        label = left.get(row)
        pieces = [
            ((label or "").rjust(_LABEL), "tick"),
            ("┤" if label is not None else "│", "axis"),
            *plot_rows[row],
        ]
        if layout.axes == 2:
            other = right.get(row)
            pieces.append(("├" if other is not None else "│", "axis"))
            pieces.append(((other or "").ljust(_LABEL), "tick"))
        lines.append(tuple(pieces))
    lines.extend(_time_axis(layout, x_axis, cursor))
    return lines[:height] + [((" " * width, ""),)] * (height - len(lines))


def _time_axis(layout: Layout, x_axis: TimeAxis | IndexAxis, cursor: int | None) -> list[Line]:
    width = layout.plot_width
    ticks = _x_ticks(layout, x_axis)
    rule = ["─"] * width
    for column, _ in ticks:
        if 0 <= column < width:
            rule[column] = "┬"
    corner = " " * (_GUTTER - 1) + "└"
    axis_line: list[tuple[str, str]] = [(corner + "".join(rule), "axis")]
    if layout.axes == 2:
        axis_line.append(("┘" + " " * (_GUTTER - 1), "axis"))
    # Labels centred under their ticks, none overlapping; the cursor's first.
    total = layout.width
    text = [" "] * total
    styles = [""] * total
    busy: tuple[int, int] = (total, total)  # cells the cursor's label takes
    if cursor is not None and 0 <= cursor < width:
        label = "▲" + _cursor_text(layout, x_axis, cursor)
        begin = min(max(0, layout.plot_x + cursor), max(0, total - len(label)))
        text[begin : begin + len(label)] = label
        styles[begin : begin + len(label)] = ["cursor"] * len(label)
        busy = (begin, begin + len(label))
    taken = -1
    for column, label in ticks:
        begin = layout.plot_x + column - len(label) // 2
        end = begin + len(label)
        if begin <= taken or begin < 0 or end > total or (begin <= busy[1] and end >= busy[0]):
            continue
        text[begin:end] = label
        styles[begin:end] = ["tick"] * len(label)
        taken = end
    label_line: list[tuple[str, str]] = []
    start = 0
    for i in range(1, total + 1):
        if i == total or styles[i] != styles[start]:
            label_line.append(("".join(text[start:i]), styles[start]))
            start = i
    return [tuple(axis_line), tuple(label_line)]
