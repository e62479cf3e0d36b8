"""Command-line entry point: ``catui`` / ``python -m catui``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from catui import __version__


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog="catui", description="catui — EPICS Channel Access console (in development)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``; the console itself is not available yet, so return 2."""
    build_parser().parse_args(argv)
    print("catui: the console is not available yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
