"""Command-line entry point: ``catui`` / ``python -m catui``.

``catui get|put|monitor|info|list|tree ...`` run the command-line tools of
:mod:`catui.cli` (imported only when asked for); anything else is for the
console (:func:`catui.app_main.run_console`: ``catui PV …``, ``-f FILE``, ``--demo``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from catui import __version__
from catui.cli import TOOLS

_TOOL_HELP = {
    "get": "read PVs (like caget)",
    "put": "write a PV (like caput)",
    "monitor": "print PV updates (like camonitor)",
    "info": "describe PVs (like cainfo)",
    "list": "list the PVs of pvAccess servers (like pvlist)",
    "tree": "print a record's input-link tree (like dbtr, PV Tree)",
}


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser of the console (``catui [--version]``)."""
    tools = "\n".join(f"  catui {name:<8} {_TOOL_HELP[name]}" for name in TOOLS)
    parser = argparse.ArgumentParser(
        prog="catui",
        description="catui — EPICS Channel Access console (in development)",
        epilog=f"command-line tools (catui TOOL --help for each):\n{tools}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a tool (one of :data:`catui.cli.TOOLS`) or the console; return the status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in TOOLS:
        name = f"catui.cli.{args[0]}"
        __import__(name)  # not importlib.import_module: importlib is not loaded yet
        status: int = sys.modules[name].main(args[1:])
        return status
    if args[:1] == ["--version"]:
        build_parser().parse_args(args)
    from catui.app_main import run_console  # the console (Textual) only when asked for

    return run_console(args)


def run() -> None:
    """The ``catui`` command: :func:`main` with the process's arguments, then exit.

    After a command-line tool, the process ends without the interpreter's
    teardown (freeing every module, class and object one by one takes ~4 ms, a
    tenth of ``catui get``): exit handlers run and the standard streams are
    flushed first, and it is done only when no other thread is running.
    """
    args = sys.argv[1:]
    status = main(args)
    if args and args[0] in TOOLS and not _other_threads():
        _exit_now(status)
    sys.exit(status)


def _other_threads() -> bool:
    """Whether a thread other than this one runs (normal exit would wait for it)."""
    threading = sys.modules.get("threading")
    return threading is not None and any(
        thread is not threading.current_thread() and not thread.daemon and thread.is_alive()
        for thread in threading.enumerate()
    )


def _exit_now(status: int) -> None:
    """End the process now: what a normal exit does that matters, then ``os._exit``."""
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # no console (pythonw)
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            status = 120  # as the interpreter does when a flush at exit fails
    os._exit(status)


if __name__ == "__main__":
    run()
