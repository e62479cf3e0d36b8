"""Start the console: ``catui PV …``, ``catui -f watchlist.txt``, ``catui --demo``.

:func:`build_app` is the one app factory, shared by the command line, the tests and
the snapshot states of :mod:`catui.dev.snapshots`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from catui.app import CatuiApp
from catui.data.durations import parse_seconds
from catui.data.session import SessionError, SessionState, default_state_path, load_session
from catui.data.watchlist import WatchlistError, parse_pv_names, read_watchlist
from catui.feeds.base import Feed

__all__ = ["build_app", "build_parser", "run_console"]


def build_app(
    names: Sequence[str],
    feed: Feed | None = None,
    *,
    session: SessionState | None = None,
    **options: Any,
) -> CatuiApp:
    """The console for ``names``, fed by ``feed`` (CA's by default).

    ``session`` (a restored one) gives the filter and sort; ``options`` are
    :class:`~catui.app.CatuiApp`'s keyword parameters.
    """
    if session is not None:
        options.setdefault("filter_text", session.filter)
        options.setdefault("sort", session.sort)
    if feed is None:
        from catui.feeds.ca import CAFeed
        from catui.feeds.router import RouterFeed

        feed = RouterFeed(CAFeed())
    return CatuiApp(names, feed, **options)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="catui",
        description="catui — EPICS Channel Access console: watch, inspect and write PVs.",
        epilog="Keys: a add (or paste), d remove (ctrl+z puts back), enter/w write, u undo, "
        "/ filter, s sort, p pause, space mark, g plot (strip chart or waveform), "
        "t stale threshold, f format (precision, "
        "every digit, hex, exponential, text), c copy out, v compare, j journal, "
        "r record view (its fields, links; enter follows a link), T PV tree (where the "
        "value and alarm come from), e Description column, "
        "D diagnostics, ctrl+s save, ? help, q quit.  "
        "Session: whenever the console exits (q, or the terminal lost: SSH link dropped, "
        "SIGHUP, SIGTERM) it saves the watchlist, filter and sort to the state file; "
        "'catui' with no PV, -f or --demo starts from them, --restore adds the PVs given "
        "to them, --no-session neither restores nor saves (nor does --demo without "
        "--restore).  "
        "NO_COLOR (non-empty) turns colours off.  "
        "Command-line tools: catui get|put|monitor|info|list|tree.",
    )
    parser.add_argument("pvs", nargs="*", metavar="PV", help="PV names to watch")
    parser.add_argument(
        "-f", "--file", type=Path,
        help="watchlist file: one PV a line (optionally 'stale=30s' after it), # comments",
    )  # fmt: skip
    parser.add_argument(
        "--demo", action="store_true", help="start the demo IOC on loopback and watch its PVs"
    )
    parser.add_argument(
        "--write-timeout", type=float, default=10.0, metavar="S",
        help="seconds a write may take to complete (default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--journal", type=Path, metavar="PATH",
        help="append every write to this journal file (default "
        "$XDG_STATE_HOME/catui/journal.jsonl, else ~/.local/state/catui/journal.jsonl)",
    )  # fmt: skip
    parser.add_argument(
        "--stale", metavar="DURATION",
        help="mark a connected PV stale when its timestamp stands still this long "
        "(30, 30s, 2m, 1h; per PV: 'NAME stale=30' in the watchlist file, or the t key)",
    )  # fmt: skip
    parser.add_argument(
        "--low-bandwidth", action="store_true",
        help="for slow links: no colours, no animation, at most 2 redraws a second",
    )  # fmt: skip
    parser.add_argument(
        "--state-file", type=Path, metavar="PATH",
        help="the session state file (default $XDG_STATE_HOME/catui/session.json, "
        "else ~/.local/state/catui/session.json)",
    )  # fmt: skip
    parser.add_argument(
        "--read-only", action="store_true",
        help="refuse every write: the write dialog, undo, record fields (also "
        "CATUI_READ_ONLY=1); the status bar says READ-ONLY",
    )  # fmt: skip
    session = parser.add_mutually_exclusive_group()
    session.add_argument(
        "--restore", action="store_true",
        help="start from the saved session, with the PVs given added to it",
    )  # fmt: skip
    session.add_argument(
        "--no-session", action="store_true",
        help="do not restore the saved session, nor save it on exit",
    )  # fmt: skip
    return parser


def _saved_session(path: Path, explicit: bool) -> SessionState | None:
    """The session in ``path``; None, with a one-line warning, if it cannot be used."""
    try:
        state = load_session(path)
    except SessionError as exc:
        print(f"catui: ignoring the saved session: {exc}", file=sys.stderr)
        return None
    if state is None and explicit:
        print(f"catui: --restore: no saved session in {path}", file=sys.stderr)
    return state


def run_console(argv: Sequence[str], runner: Callable[[CatuiApp], object] | None = None) -> int:
    """Parse ``argv``, start the demo IOC if asked, run the app; the exit status.

    ``runner`` runs the app (``app.run()`` by default; tests drive it with Pilot).
    The demo IOC is stopped when it returns, whatever happened.
    """
    args = build_parser().parse_args(list(argv))
    stale: dict[str, float | None] = {}
    try:
        names = parse_pv_names(" ".join(args.pvs))
        if args.file is not None:
            entries = read_watchlist(args.file)
            names += [n for n in entries if n not in names]
            stale = {n: s for n, s in entries.items() if s is not None}
        stale_default = parse_seconds(args.stale) if args.stale else None
    except (OSError, WatchlistError) as exc:
        print(f"catui: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"catui: --stale: {exc}", file=sys.stderr)
        return 2
    if args.write_timeout <= 0:
        print("catui: --write-timeout must be positive", file=sys.stderr)
        return 2
    # A --demo tour does not replace the operator's session (unless asked to restore it).
    keep_out = args.no_session or (args.demo and not args.restore)
    state_path = None if keep_out else (args.state_file or default_state_path())
    session = None
    wants_restore = args.restore or not (args.pvs or args.file is not None or args.demo)
    if state_path is not None and wants_restore:
        session = _saved_session(state_path, explicit=args.restore)
        if session is not None:
            names = [*session.names, *(n for n in names if n not in session.names)]
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
        print("catui: give PV names, -f FILE or --demo (no saved session to restore)",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        app = build_app(
            names,
            watchlist_path=args.file,
            write_timeout=args.write_timeout,
            journal_path=args.journal,
            low_bandwidth=args.low_bandwidth,
            state_path=state_path,
            session=session,
            stale=stale,
            stale_default=stale_default,
            read_only=True if args.read_only else None,
        )
        if runner is None:
            app.run()
        else:
            runner(app)
    finally:
        if ioc is not None:
            ioc.stop()
    if app.session_error is not None:
        print(f"catui: {app.session_error}", file=sys.stderr)
    return app.return_code or 0
