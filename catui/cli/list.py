"""``catui list``: the PVs that pvAccess servers serve, as pvxs's ``pvlist`` prints them.

With no SERVER, every server that answers a discovery ping on the PVA search list
(EPICS_PVA_ADDR_LIST, EPICS_PVA_AUTO_ADDR_LIST, EPICS_PVA_BROADCAST_PORT) is
listed. Speaks pvAccess through :mod:`protocol.pva` alone: no p4p, no Textual, no
numpy.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from catui.cli import common

PROG = "catui list"


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``catui list``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=common.HelpFormatter,
        description="List the PVs that pvAccess servers serve (the 'server' PV's "
        "op=channels, as pvxs's pvlist). With no SERVER, discover every server on the "
        "PVA search list (EPICS_PVA_ADDR_LIST, EPICS_PVA_AUTO_ADDR_LIST, "
        "EPICS_PVA_BROADCAST_PORT) and list each. Names are printed sorted, one per "
        "line, under a '# HOST:PORT (N PVs)' line per server when there are several. "
        "Exit status is 1 if any server failed (one line each on stderr) or none answered.",
    )
    parser.add_argument(
        "servers",
        nargs="*",
        metavar="SERVER",
        help="HOST[:PORT] of a PVA server (the port defaults to EPICS_PVA_SERVER_PORT, else 5075)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document: {'servers': [{'server', 'guid', 'pvs', 'error'}]}",
    )
    parser.add_argument(
        "-w",
        dest="timeout",
        type=common.positive_seconds,
        default=None,
        metavar="SECONDS",
        help="time to wait for discovery replies, then for each server "
        f"(default: ${common.CLI_TIMEOUT_VAR}, else {common.DEFAULT_TIMEOUT:g})",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``catui list``; returns the exit status."""
    return common.guard(_main, argv)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    timeout = common.resolve_timeout(args.timeout, PROG)
    common.prepare()
    from protocol.pva.errors import PVAError
    from protocol.pva.sync.config import load_config, parse_server, search_destinations
    from protocol.pva.sync.discover import discover_servers
    from protocol.pva.sync.listing import list_servers

    config = load_config()
    failed = False
    servers: list[Any] = []
    for text in args.servers:
        try:
            servers.append(parse_server(text, config.server_port))
        except ValueError as exc:  # the message quotes the argument
            failed = True
            print(f"{PROG}: {exc}", file=sys.stderr, flush=True)
    if args.servers and not servers:
        return 1
    try:
        if not args.servers:
            servers = discover_servers(config, timeout=timeout)
            if not servers:
                where = " ".join(f"{h}:{p}" for h, p in search_destinations(config))
                common.report_failure(
                    PROG, "discovery", f"no PVA server answered within {timeout:g} s ({where})"
                )
                return 1
        listings = list_servers(servers, timeout=timeout, config=config)
    except (PVAError, OSError) as exc:
        print(f"{PROG}: {common.error_text(exc)}", file=sys.stderr, flush=True)
        return 1
    for listing in listings:
        if listing.error is not None:
            failed = True
            print(f"{PROG}: {common.error_text(listing.error)}", file=sys.stderr, flush=True)
    if args.json:
        import json

        document = {
            "servers": [
                {
                    "server": listing.server,
                    "guid": listing.guid,
                    "pvs": list(listing.names),
                    "error": None if listing.error is None else common.error_text(listing.error),
                }
                for listing in listings
            ]
        }
        print(json.dumps(document, indent=1), flush=True)
    else:
        several = len(listings) > 1
        for listing in listings:
            if listing.error is not None:
                continue
            lines = [f"# {listing.server} ({len(listing.names)} PVs)"] if several else []
            lines += listing.names
            if lines:
                print("\n".join(lines), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
