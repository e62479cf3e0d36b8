"""``catui monitor --plot``: the console's strip chart, live, in a plain terminal.

The subscriptions are :class:`catui.cli.monitor.Monitor`'s (searched for, reconnected);
their updates go into a :class:`~catui.plot.history.History` each instead of lines,
and a drawing thread redraws the chart in place (cursor home, no scrolling) twice a
second.  Ctrl+C or ``--duration`` ends it; ``--csv FILE`` then writes the exact samples.
Not a terminal (a pipe, a file): one chart, drawn at the end.

Units, precision and limits come from each PV's control metadata, read by the Blocker on
the subscription's own channel as it connects (no search or channel of its own): the
legend has the units, ``--y-range display`` draws the display range (LOPR/HOPR).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import threading
import time
from collections.abc import Sequence
from typing import Any

from catui.cli.monitor import Monitor
from catui.feeds.base import ControlInfo
from catui.feeds.ca import control_info
from catui.plot.chart import TraceSource, follow_window, strip_chart
from catui.plot.csv_export import export_histories
from catui.plot.history import History
from catui.plot.render import MAX_TRACES, Line, chart_layout

__all__ = ["PlotMonitor", "ansi_lines", "plain_lines"]

#: Redraws a second.
DRAW_HZ = 2.0
# ANSI colours of trace-0 … trace-7 (as the console's, in 256 colours), and severities.
_COLOURS = {f"trace-{k}": c for k, c in enumerate((75, 214, 77, 212, 141, 44, 185, 254))}
_COLOURS.update({"minor": 221, "major": 203, "invalid": 207, "limit": 178})
_DIM = {"axis", "tick", "offline"}


def plain_lines(lines: Sequence[Line]) -> list[str]:
    """The chart as plain text (the markers tell the traces apart)."""
    return ["".join(text for text, _ in line).rstrip() for line in lines]


def ansi_lines(lines: Sequence[Line]) -> list[str]:
    """The chart with ANSI colours (a colour per trace, severities, dim axes)."""
    out = []
    for line in lines:
        parts = []
        for text, names in line:
            words = names.split()
            colour = next((_COLOURS[w] for w in words if w in _COLOURS), None)
            if colour is not None:
                parts.append(f"\x1b[38;5;{colour}m{text}\x1b[0m")
            elif any(w in _DIM for w in words):
                parts.append(f"\x1b[2m{text}\x1b[0m")
            else:
                parts.append(text)
        out.append("".join(parts))
    return out


class PlotMonitor(Monitor):
    """The subscriptions of ``catui monitor``, drawn as a strip chart."""

    def __init__(
        self,
        names: Sequence[str],
        args: argparse.Namespace,
        out: Any,
        window: float = 60.0,
        tty: bool = True,
    ) -> None:
        args.enum_numbers = True  # an enum is drawn by its index
        unique = list(dict.fromkeys(names))[:MAX_TRACES]
        self.histories = {name: History() for name in unique}
        self.window = window
        self.y_range: str = getattr(args, "y_range", "auto") or "auto"
        #: Each PV's control metadata, once read (units, precision, limits).
        self.controls: dict[str, ControlInfo] = {}
        self.tty = tty
        self.colour = tty and not os.environ.get("NO_COLOR")
        self._stop = threading.Event()
        self._last_frame: list[str] = []
        super().__init__(unique, args, out)
        for sub in self.subs:  # before they connect: read with the subscription
            sub.add_control_callback(self.on_control)

    # -- the subscriptions' callbacks (the client's thread) ---------------------
    def on_update(self, sub: Any, response: Any) -> None:
        self.delivered.add(sub.pv_name)
        data = response.data
        if isinstance(data, list) or not len(data):
            return
        try:
            value = float(data[0])
        except (TypeError, ValueError):
            return
        md = response.metadata
        stamp = getattr(md, "timestamp", None) if md is not None else None
        when = float(stamp) if stamp else time.time()
        severity = int(getattr(md, "severity", 0)) if md is not None else 0
        history = self.histories.get(sub.pv_name)
        if history is not None:
            with self.lock:
                history.append(when, value if math.isfinite(value) else math.nan, severity)

    def on_control(self, sub: Any, response: Any, error: BaseException | None) -> None:
        """The PV's control metadata (at each connection); a failed read leaves it out."""
        if response is None:
            return
        info = control_info(response.metadata)
        with self.lock:
            self.controls[sub.pv_name] = info

    def on_connection(self, sub: Any, state: Any, address: Any) -> None:
        from protocol.sync.client import ConnectionState

        if state == ConnectionState.CONNECTED:
            self.ever_connected.add(sub.pv_name)
        elif state == ConnectionState.DISCONNECTED:
            history = self.histories.get(sub.pv_name)
            if history is not None and history.total:
                with self.lock:
                    history.disconnect(time.time())

    def report_missing(self) -> None:
        """Not connected PVs stay in the legend (empty); nothing is printed over the chart."""

    # -- drawing ---------------------------------------------------------------------
    def frame(self, width: int, height: int, now: float) -> list[str]:
        """The chart's lines for a terminal ``width × height`` at ``now``."""
        with self.lock:
            controls = dict(self.controls)
        sources = []
        for name, history in self.histories.items():
            info = controls.get(name, ControlInfo())
            limits = info.limits
            source = TraceSource(name, history, info.units, info.precision,
                                 limits.get("display"), limits.get("alarm"),
                                 limits.get("warning"))  # fmt: skip
            sources.append(source)
        units = {s.units for s in sources}
        layout = chart_layout(width, height, len(sources), 2 if len(units) > 1 else 1)
        t0, t1 = follow_window(now, self.window, max(1, layout.plot_width))
        title = f"catui monitor --plot · {self.window:g} s · Y {self.y_range} · Ctrl+C ends"
        with self.lock:
            chart = strip_chart(width, height, sources, t0, t1, title=title,
                                y_range=self.y_range)  # fmt: skip
        return ansi_lines(chart.lines) if self.colour else plain_lines(chart.lines)

    def draw(self) -> None:
        size = shutil.get_terminal_size((100, 30))
        lines = self.frame(size.columns, max(8, size.lines - 1), time.time())
        self._last_frame = lines
        text = ("\x1b[H" + "\x1b[K\n".join(lines) + "\x1b[K\x1b[J") if self.tty else (
            "\n".join(lines) + "\n"
        )  # fmt: skip
        try:
            self.out.write(text)
            self.out.flush()
        except (BrokenPipeError, ValueError):
            self.broken_pipe = True
            self._stop.set()

    def _draw_loop(self) -> None:
        while not self._stop.wait(1.0 / DRAW_HZ):
            self.draw()

    def run(self, timeout: float, duration: float | None) -> None:
        drawer = None
        if self.tty:
            self.out.write("\x1b[?25l\x1b[2J")  # hide the cursor, clear
            drawer = threading.Thread(target=self._draw_loop, name="plot", daemon=True)
            drawer.start()
        try:
            super().run(timeout, duration)
        finally:
            self._stop.set()
            if drawer is not None:
                drawer.join(2.0)
            self.draw()  # the last picture stays on screen (or is the output)
            if self.tty:
                self.out.write("\x1b[?25h")
                self.out.flush()

    def write_csv(self, path: str) -> int:
        """The exact samples of every PV (all the raw history holds) to ``path``."""
        with self.lock:
            done = export_histories(path, self.histories, -math.inf, math.inf)
        return done.rows
