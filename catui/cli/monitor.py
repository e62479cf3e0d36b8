"""``catui monitor``: print one line per PV update, as camonitor does.

PVs that are not found are reported once and searched for until they appear;
a server that goes away is reported and reconnected to when it comes back.
Ctrl+C ends the run with status 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from catui.cli import common, layout, options, stamps
from catui.cli import formatting as fm

PROG = "catui monitor"
_MASK_LETTERS = {"v": 1, "l": 2, "a": 4, "p": 8}  # DBE_VALUE, DBE_LOG, DBE_ALARM, DBE_PROPERTY


def mask_arg(text: str) -> int:
    """argparse type for ``-m``: letters of v (value), a (alarm), l (log), p (property)."""
    word = text.strip().lower()
    if not word or any(letter not in _MASK_LETTERS for letter in word):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an event mask: use letters v (value), a (alarm), "
            "l (log/archive), p (property)"
        )
    mask = 0
    for letter in word:
        mask |= _MASK_LETTERS[letter]
    return mask


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``catui monitor``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=common.HelpFormatter,
        description="Print a line for each update of Channel Access PVs, as camonitor "
        "does (the same lines for the same options), until Ctrl+C (exit status 0) or "
        "--duration. PVs not found are reported as 'Not connected' and searched for until "
        "they appear; disconnections are reported and the PVs reconnected. With "
        "--duration, the exit status is 1 if a PV never delivered data (one line each on "
        "stderr).",
    )
    parser.add_argument("pvs", nargs="+", metavar="PV", help="PV names")
    add = parser.add_argument
    add("-m", dest="mask", type=mask_arg, default=None, metavar="MASK",
        help="events to ask for: letters v (value), a (alarm), l (log), p (property); "
        "default va")  # fmt: skip
    add("-t", dest="stamps", type=stamps.stamp_keys_arg, default=None, metavar="KEYS",
        help="time stamps: s (server's, the default), c (this machine's, in parentheses), "
        "n (none); r (relative to the first update, or c: to the start), i (since the "
        "previous update), I (since the PV's previous update); r, i, I with s or c")  # fmt: skip
    options.add_count(parser, "ask for")
    add("-n", dest="enum_numbers", action="store_true", help="print enums as numbers")
    add("-S", dest="char_string", action="store_true", help="print char arrays as strings")
    add("-s", dest="float_as_string", action="store_true",
        help="ask for FLOAT and DOUBLE values as strings (the server's text, with its "
        "precision)")  # fmt: skip
    options.add_number_formats(parser)
    options.add_integer_formats(parser)
    options.add_separator(parser)
    add("--duration", type=common.positive_seconds, default=None, metavar="SECONDS",
        help="stop after SECONDS (default: run until Ctrl+C)")  # fmt: skip
    add(
        "--plot",
        action="store_true",
        help="draw the PVs (at most 8) as a live strip chart instead of printing lines",
    )
    add(
        "--window",
        type=common.positive_seconds,
        default=60.0,
        metavar="SECONDS",
        help="--plot: the time window shown (default 60)",
    )
    add(
        "--y-range",
        choices=("auto", "display"),
        default="auto",
        help="--plot: the value axis from the data drawn (auto, the default) or from the "
        "PVs' display range, LOPR/HOPR (display)",
    )
    add(
        "--csv",
        default=None,
        metavar="FILE",
        help="--plot: at the end, write the exact samples received to FILE (CSV)",
    )
    common.add_timeout_option(parser)
    return parser


def _stamp(response: Any) -> tuple[int, int] | None:
    md = response.metadata
    stamp = getattr(md, "stamp", None)
    return None if stamp is None else (stamp.secondsSinceEpoch, stamp.nanoSeconds)


class _BlankLabels:
    """An enum PV's index updates, to show a blank label as its index, as get does.

    The PV's text subscription (camonitor's DBR_TIME_STRING) gives an empty string
    for a choice without a label; a second subscription, to DBR_TIME_ENUM, gives
    the index.  The IOC posts both for each change, with the same time stamp: an
    update with a blank label waits for the index of its time stamp.
    """

    __slots__ = ("index", "waiting")

    def __init__(self) -> None:
        self.index: tuple[tuple[int, int] | None, list[int]] | None = None
        #: A text update waiting for its index: (time stamp, subscription, response, data).
        self.waiting: tuple[Any, Any, Any, Any] | None = None


class Monitor:
    """Prints updates and connection changes of a set of subscriptions."""

    def __init__(self, names: Sequence[str], args: argparse.Namespace, out: Any) -> None:
        from protocol.sync.client import subscribe

        self.args = args
        self.out = out
        self.vf = options.value_format(args)
        self.clock = stamps.StampClock(args.stamps)  # camonitor's start: before connecting
        self.lock = threading.Lock()
        self.blocker: Any = None
        self.broken_pipe = False
        self.ever_connected: set[str] = set()
        self.delivered: set[str] = set()
        #: Elements of each PV's last update: a name is padded for at most one.
        self.elements: dict[str, int] = {}
        self.invalid: list[str] = []
        self.blanks: dict[str, _BlankLabels] = {}
        self.index_subs: list[Any] = []
        #: -s: a FLOAT/DOUBLE PV's subscription to its text, by name; the first
        #: subscription (to numbers) is muted and removed.
        self.strings: dict[str, Any] = {}
        self.muted: set[Any] = set()
        self.subs = []
        for name in dict.fromkeys(names):
            try:
                sub = subscribe(name, data_count=args.count or None, mask=args.mask)
            except Exception as exc:  # a name that can never be valid: say so, go on
                common.report_failure(PROG, name, exc)
                self.invalid.append(name)
                continue
            sub.add_callback(self.on_update)
            sub.add_connection_callback(self.on_connection)
            self.subs.append(sub)

    def emit(self, line: str) -> None:
        with self.lock:
            if self.broken_pipe:
                return
            try:
                self.out.write(line + "\n")
                self.out.flush()
            except BrokenPipeError:
                # The reader went away (| head): stop quietly.
                self.broken_pipe = True
                if self.blocker is not None:
                    self.blocker.interrupt()

    def _trimmed(self, sub: Any, data: Any) -> Any:
        if self.args.count and sub.native_data_count:
            # Asked for more than the channel holds: the server pads; caget cuts.
            return fm.values_list(data)[: sub.native_data_count]
        return data

    def on_update(self, sub: Any, response: Any) -> None:
        if sub in self.muted:
            return
        self.delivered.add(sub.pv_name)
        data = self._trimmed(sub, response.data)
        blanks = self.blanks.get(sub.pv_name)
        if blanks is not None:
            self._release(blanks)  # an earlier line first, as it is
            if any(item == b"" for item in fm.values_list(data)):
                stamp = _stamp(response)
                if blanks.index is not None and blanks.index[0] == stamp:
                    data = fm.numbered_blanks(fm.values_list(data), blanks.index[1])
                else:
                    blanks.waiting = (stamp, sub, response, data)
                    return
        self.emit(self.line(sub, response, data))

    def on_index(self, sub: Any, response: Any) -> None:
        """An enum's index update: the number of a blank label waiting for it."""
        blanks = self.blanks[sub.pv_name]
        stamp = _stamp(response)
        indices = [int(i) for i in fm.values_list(self._trimmed(sub, response.data))]
        blanks.index = (stamp, indices)
        if blanks.waiting is None:
            return
        waiting_stamp, text_sub, text_response, data = blanks.waiting
        if stamp == waiting_stamp:
            blanks.waiting = None
            data = fm.numbered_blanks(fm.values_list(data), indices)
            self.emit(self.line(text_sub, text_response, data))
        elif stamp is None or waiting_stamp is None or stamp > waiting_stamp:
            self._release(blanks)  # its index will not come: as it is

    def _release(self, blanks: _BlankLabels) -> None:
        if blanks.waiting is not None:
            _, sub, response, data = blanks.waiting
            blanks.waiting = None
            self.emit(self.line(sub, response, data))

    def release_all(self) -> None:
        """Print the lines still waiting for an index, as they are."""
        for blanks in self.blanks.values():
            self._release(blanks)

    def line(self, sub: Any, response: Any, data: Any) -> str:
        """The camonitor line of an update."""
        from protocol.channel_types import ChannelType, native_type

        md = response.metadata
        names = {field for field, *_ in type(md)._fields_} if md is not None else set()
        stamp = ""
        if "stamp" in names:
            server = (md.stamp.secondsSinceEpoch, md.stamp.nanoSeconds)
            stamp = self.clock.field(sub.pv_name, server)
        data_type = response.data_type
        if self.args.enum_numbers and native_type(data_type) == ChannelType.ENUM:
            data_type = ChannelType.TIME_INT  # camonitor -n reads an enum as DBR_TIME_SHORT
        items = fm.values_list(data)
        self.elements[sub.pv_name] = len(items)
        status, severity = (md.status, md.severity) if "status" in names else (0, 0)
        return layout.wide_line(
            sub.pv_name, stamp, items, data_type, status, severity, self.vf,
            counted=bool(self.args.count),
        )  # fmt: skip

    def on_connection(self, sub: Any, state: Any, address: Any) -> None:
        from protocol.channel_types import ChannelType
        from protocol.sync.client import ConnectionState

        name = sub.pv_name
        if state == ConnectionState.CONNECTED:
            self.ever_connected.add(name)
            self.elements.setdefault(name, sub.native_data_count or 0)
            enum = sub.native_data_type == ChannelType.ENUM
            if enum and not self.args.enum_numbers and name not in self.blanks:
                self._watch_indices(sub)
            floats = sub.native_data_type in (ChannelType.FLOAT, ChannelType.DOUBLE)
            if floats and self.args.float_as_string and name not in self.strings:
                self._read_as_strings(sub)
        elif state == ConnectionState.DISCONNECTED:
            blanks = self.blanks.get(name)
            if blanks is not None:
                self._release(blanks)
            elements = self.elements.get(name, 0)
            self.emit(layout.disconnected_line(name, elements, self.vf.separator))

    def _read_as_strings(self, sub: Any) -> None:
        """-s: the PV as DBR_TIME_STRING (the server's text), in place of ``sub``.

        Subscriptions are made before the PV's type is known: the first one asks for
        the native type, and is replaced here by one for text (its first update, if
        any, is not printed).
        """
        from protocol.channel_types import ChannelType
        from protocol.sync.client import subscribe

        strings = subscribe(
            sub.pv_name, data_type=ChannelType.TIME_STRING, data_count=sub.data_count,
            mask=sub.mask,
        )  # fmt: skip
        self.strings[sub.pv_name] = strings
        strings.add_callback(self.on_update)
        strings.add_connection_callback(self.on_connection)
        self.muted.add(sub)
        if self.blocker is not None:
            self.blocker.add(strings)
            self.blocker.remove(sub)

    def _watch_indices(self, sub: Any) -> None:
        """Subscribe to an enum's indices too (reconnected with it after a disconnection)."""
        from protocol.sync.client import subscribe

        self.blanks[sub.pv_name] = _BlankLabels()
        indices = subscribe(
            sub.pv_name, data_type="time", data_count=sub.data_count, mask=sub.mask
        )
        indices.add_callback(self.on_index)
        self.index_subs.append(indices)  # held here, as self.subs are
        if self.blocker is not None:
            self.blocker.add(indices)

    def report_missing(self) -> None:
        """Say which PVs are not connected yet (they stay searched for)."""
        for sub in self.subs:
            if sub.pv_name not in self.ever_connected:
                self.emit(layout.not_connected_line(sub.pv_name, self.vf.separator))

    def run(self, timeout: float, duration: float | None) -> None:
        from protocol.sync.client import Blocker

        self.blocker = Blocker(
            *self.subs, timeout=timeout, force_int_enums=self.args.enum_numbers,
            repeater=False, keep_searching=True, reconnect=True,
        )  # fmt: skip
        timer = threading.Timer(timeout, self.report_missing)
        timer.daemon = True
        timer.start()
        try:
            self.blocker.run(duration)
        finally:
            timer.cancel()
            self.release_all()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``catui monitor``; returns the exit status (0 after Ctrl+C)."""
    return common.guard(_main, argv, interrupted=0)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    timeout = common.resolve_timeout(args.timeout, PROG)
    common.prepare()
    # Ctrl+C ends the run cleanly even when started with SIGINT ignored (``cmd &``).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.csv and not args.plot:
        build_parser().error("--csv goes with --plot")
    if args.y_range != "auto" and not args.plot:
        build_parser().error("--y-range goes with --plot")
    monitor: Monitor
    if args.plot:
        from catui.cli.plot import PlotMonitor

        monitor = PlotMonitor(args.pvs, args, sys.stdout, args.window, sys.stdout.isatty())
    else:
        monitor = Monitor(args.pvs, args, sys.stdout)
    if not monitor.subs:
        return 1
    started = time.monotonic()
    try:
        monitor.run(timeout, args.duration)
    except KeyboardInterrupt:
        return _write_csv(monitor, args.csv, 0)
    except Exception as exc:
        common.report_failure(PROG, " ".join(sub.pv_name for sub in monitor.subs), exc)
        return 1
    if monitor.broken_pipe:
        common.silence_stdout()
        return 0
    # run() returns early only when interrupted (Ctrl+C): that ends with status 0.
    completed = args.duration is not None and time.monotonic() - started >= args.duration
    missing = [sub.pv_name for sub in monitor.subs if sub.pv_name not in monitor.delivered]
    for name in missing:
        connected = name in monitor.ever_connected
        why = "connected, but no data came" if connected else "never connected"
        common.report_failure(PROG, name, why)
    return _write_csv(monitor, args.csv, 1 if completed and (missing or monitor.invalid) else 0)


def _write_csv(monitor: Monitor, path: str | None, status: int) -> int:
    """--plot --csv: the samples to ``path`` (a failure to write is status 1, in words)."""
    if path is None or not hasattr(monitor, "write_csv"):
        return status
    try:
        rows = monitor.write_csv(path)
    except OSError as exc:
        common.report_failure(PROG, path, exc.strerror or str(exc))
        return 1
    print(f"{PROG}: {rows} samples written to {path}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
