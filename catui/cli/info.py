"""``catui info``: describe PVs as cainfo does, plus their control metadata."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from catui.cli import common
from catui.cli import formatting as fm

PROG = "catui info"


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``catui info``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=common.HelpFormatter,
        description="Describe Channel Access PVs as cainfo does (state, host, access, "
        "native type, element count), followed by their alarm state and control "
        "metadata (units, precision, limits, enum choices). Exit status is 1 if any "
        "PV failed (one line each on stderr).",
    )
    parser.add_argument("pvs", nargs="+", metavar="PV", help="PV names")
    common.add_timeout_option(parser)
    return parser


def describe(name: str, channel: common.Channel) -> str:
    """The cainfo block for ``name``."""
    from protocol.commands import AccessRights

    native = channel.native_type
    lines = [
        name,
        "    State:            connected",
        f"    Host:             {channel.host}",
        f"    Access:           {fm.access_text(channel.access)}",
        f"    Native data type: {fm.dbf_name(native)}",
        f"    Request type:     {fm.dbr_name(native)}",
        f"    Element count:    {channel.native_count}",
    ]
    if channel.access & AccessRights.READ:
        reply = channel.read("control", 1, notify=True, force_int_enums=True)
        lines.extend("    " + line for line in fm.detail_lines(reply.metadata, reply.data_type))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``catui info``; returns the exit status."""
    return common.guard(_main, argv)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    timeout = common.resolve_timeout(args.timeout, PROG)
    common.prepare()
    return common.print_each(PROG, list(args.pvs), timeout, lambda ch: describe(ch.name, ch))


if __name__ == "__main__":
    sys.exit(main())
