"""Start the console: ``catui PV …``, ``catui -f watchlist.txt``, ``catui --demo``.

:func:`build_app` is the one app factory, shared by the command line, the tests and
the snapshot states of :mod:`catui.dev.snapshots`.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from catui.app import CatuiApp
from catui.data.watchlist import WatchlistError, load_watchlist, parse_pv_names
from catui.feed import CAFeed, Feed

__all__ = ["build_app", "build_parser", "run_console"]


def build_app(
    names: Sequence[str],
    feed: Feed | None = None,
    *,
    watchlist_path: Path | None = None,
    write_timeout: float = 10.0,
    refresh_hz: float = 10.0,
    tz: datetime.tzinfo | None = None,
    cursor_blink: bool = True,
) -> CatuiApp:
    """The console for ``names``, fed by ``feed`` (a :class:`~catui.feed.CAFeed` by default)."""
    return CatuiApp(
        names,
        feed if feed is not None else CAFeed(),
        watchlist_path=watchlist_path,
        write_timeout=write_timeout,
        refresh_hz=refresh_hz,
        tz=tz,
        cursor_blink=cursor_blink,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="catui",
        description="catui — EPICS Channel Access console: watch, inspect and write PVs.",
        epilog="Keys: a add, d remove, enter/w write, / filter, s sort, p pause, "
        "ctrl+s save, ? help, q quit.  Command-line tools: catui get|put|monitor|info.",
    )
    parser.add_argument("pvs", nargs="*", metavar="PV", help="PV names to watch")
    parser.add_argument(
        "-f", "--file", type=Path, help="watchlist file: one PV a line, # comments"
    )
    parser.add_argument(
        "--demo", action="store_true", help="start the demo IOC on loopback and watch its PVs"
    )
    parser.add_argument(
        "--write-timeout", type=float, default=10.0, metavar="S",
        help="seconds a write may take to complete (default 10)",
    )  # fmt: skip
    return parser


def run_console(argv: Sequence[str], runner: Callable[[CatuiApp], object] | None = None) -> int:
    """Parse ``argv``, start the demo IOC if asked, run the app; the exit status.

    ``runner`` runs the app (``app.run()`` by default; tests drive it with Pilot).
    The demo IOC is stopped when it returns, whatever happened.
    """
    args = build_parser().parse_args(list(argv))
    try:
        names = parse_pv_names(" ".join(args.pvs))
        if args.file is not None:
            names += [n for n in load_watchlist(args.file) if n not in names]
    except (OSError, WatchlistError) as exc:
        print(f"catui: {exc}", file=sys.stderr)
        return 2
    if args.write_timeout <= 0:
        print("catui: --write-timeout must be positive", file=sys.stderr)
        return 2
    ioc: Any = None
    if args.demo:
        from catui.ioc_examples.launch import DemoExtraMissing, IocStartError, start_ioc

        try:
            ioc = start_ioc("demo")
        except DemoExtraMissing as exc:
            print(f"catui: --demo: {exc}", file=sys.stderr)
            return 2
        except IocStartError as exc:
            print(f"catui: --demo: the demo IOC did not start:\n{exc}", file=sys.stderr)
            return 1
        os.environ.update(ioc.env)
        names += [n for n in ioc.pvs if n not in names]
    if not names:
        build_parser().print_usage(sys.stderr)
        print("catui: give PV names, -f FILE or --demo", file=sys.stderr)
        return 2
    try:
        app = build_app(names, watchlist_path=args.file, write_timeout=args.write_timeout)
        if runner is None:
            app.run()
        else:
            runner(app)
    finally:
        if ioc is not None:
            ioc.stop()
    return app.return_code or 0
