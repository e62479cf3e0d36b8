"""``catui tree``: a record's input-link tree, as dbtr and Phoebus's PV Tree show it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from catui.cli import common

PROG = "catui tree"


def depth_arg(text: str) -> int:
    """argparse type for ``--depth``: links to follow below the root, 0..64."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a depth (0..64)")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``catui tree``."""
    from catui.browse.tree import DEFAULT_DEPTH

    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=common.HelpFormatter,
        description="Print the input-link tree of EPICS records: each input link (INP, DOL, "
        "INPA…, SDIS, SIML, …) followed to its record, recursively, with the value, "
        "alarm severity and status of every node and the link's flags (PP/NPP/CA/CP/CPP, "
        "MS/NMS/MSS/MSI). '<- severity origin' marks the node the root's alarm severity "
        "comes from (through MS/MSS links of that severity). A record met again is shown "
        "once more but not expanded (cycle, repeat). Exit status is 1 if a root PV failed "
        "(one line each on stderr); unreachable nodes below say why in the tree.",
    )
    parser.add_argument("pvs", nargs="+", metavar="PV", help="record (or field) names")
    parser.add_argument(
        "--depth", type=depth_arg, default=DEFAULT_DEPTH, metavar="N",
        help=f"follow links at most N levels below the root (default {DEFAULT_DEPTH})",
    )  # fmt: skip
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per root: the nested tree"
    )
    parser.add_argument(
        "--ascii", action="store_true", help="draw the tree with ASCII characters only"
    )
    common.add_timeout_option(parser)
    return parser


def _ascii_only(requested: bool) -> bool:
    if requested:
        return True
    try:
        "├─└│".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return True
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``catui tree``; returns the exit status."""
    return common.guard(_main, argv)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    timeout = common.resolve_timeout(args.timeout, PROG)
    common.prepare()
    from catui.browse.text import safe, tree_data, tree_lines
    from catui.browse.tree import expand_tree

    ascii_only = _ascii_only(args.ascii)
    failed = False
    for name in args.pvs:
        try:
            from protocol.commands import check_pv_name

            check_pv_name(name)
            tree = expand_tree(name, max_depth=args.depth, timeout=timeout)
        except Exception as exc:
            failed = True
            common.report_failure(PROG, name, exc)
            continue
        root = tree.root
        if root.error:
            failed = True
            common.report_failure(PROG, name, safe(root.detail or root.error))
            continue
        if args.json:
            import json  # only for --json

            print(json.dumps(tree_data(tree)), flush=True)
        else:
            print("\n".join(tree_lines(tree, ascii_only=ascii_only)), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
