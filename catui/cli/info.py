"""``catui info``: describe PVs as cainfo does, plus their control metadata."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from catui.cli import common, layout
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
    parser.add_argument(
        "--fields", action="store_true",
        help="print the record of each PV instead: every field of its record type, by "
        "promptgroup, with prompt and value (as dbpr does, over CA)",
    )  # fmt: skip
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
        details = layout.detail_lines(reply.metadata, reply.data_type)
        # caget -d's lines; a blank enum label's line ends at its number.
        lines.extend(("    " + line).rstrip() for line in details)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``catui info``; returns the exit status."""
    return common.guard(_main, argv)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    timeout = common.resolve_timeout(args.timeout, PROG)
    common.prepare()
    if args.fields:
        return _print_records(list(args.pvs), timeout)
    return common.print_each(PROG, list(args.pvs), timeout, lambda ch: describe(ch.name, ch))


def _print_records(names: list[str], timeout: float) -> int:
    """``--fields``: each PV's record view as text; one stderr line per record that failed."""
    from catui.browse.record import read_record
    from catui.browse.text import record_lines, safe
    from protocol.commands import check_pv_name

    failed = False
    for name in names:
        try:
            check_pv_name(name)
            view = read_record(name, timeout=timeout)
        except Exception as exc:
            failed = True
            common.report_failure(PROG, name, exc)
            continue
        if view.error:
            failed = True
            common.report_failure(PROG, name, safe(view.detail or view.error))
            continue
        print("\n".join(record_lines(view)), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
