"""Command-line entry point: ``catui`` / ``python -m catui``.

``catui get|put|monitor|info ...`` run the command-line tools of
:mod:`catui.cli` (imported only when asked for); anything else is for the
console (:func:`catui.app_main.run_console`: ``catui PV …``, ``-f FILE``, ``--demo``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from catui import __version__
from catui.cli import TOOLS

_TOOL_HELP = {
    "get": "read PVs (like caget)",
    "put": "write a PV (like caput)",
    "monitor": "print PV updates (like camonitor)",
    "info": "describe PVs (like cainfo)",
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
    """Run a tool (``get``, ``put``, ``monitor``, ``info``) or the console; return the status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in TOOLS:
        tool = importlib.import_module(f"catui.cli.{args[0]}")
        status: int = tool.main(args[1:])
        return status
    if args[:1] == ["--version"]:
        build_parser().parse_args(args)
    from catui.app_main import run_console  # the console (Textual) only when asked for

    return run_console(args)


if __name__ == "__main__":
    sys.exit(main())
