"""Run many command-line tool invocations in one process: the test matrix's driver.

Reads a JSON list of argument lists (``["get", "-a", "PV"]``) on stdin, runs each
with :func:`catui.__main__.main` as ``python -m catui`` would (its stdout and stderr
captured), and writes a JSON list of ``[status, stdout, stderr]`` on stdout.  One
interpreter start for hundreds of runs keeps the matrix within seconds on two cores.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys


def run_one(argv: list[str]) -> list[object]:
    """``[status, stdout, stderr]`` of ``catui ARGV``."""
    from catui.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exit_:  # argparse: --help, usage errors
            status = exit_.code if isinstance(exit_.code, int) else 1
    return [status, out.getvalue(), err.getvalue()]


def main() -> None:
    runs = json.load(sys.stdin)
    json.dump([run_one(argv) for argv in runs], sys.stdout)


if __name__ == "__main__":
    main()
