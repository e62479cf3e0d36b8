"""``catui get``: read PVs and print them as caget does (or as JSON for scripts)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from catui.cli import common, layout, options
from catui.cli import formatting as fm

PROG = "catui get"
_CLASSES = ("native", "status", "time", "graphic", "control")


def data_type_arg(text: str) -> Any:
    """argparse type for ``-d``: a class name, a DBR type name or its number."""
    from protocol.channel_types import ChannelType

    word = text.strip()
    if word.lower() in _CLASSES:
        return word.lower()
    found: ChannelType | None = None
    if word.isdigit():
        if 0 <= int(word) <= 38:
            found = ChannelType(int(word))
    else:
        name = word.upper()
        found = ChannelType.__members__.get(name[4:] if name.startswith("DBR_") else name)
    if found is not None and found in (ChannelType.PUT_ACKT, ChannelType.PUT_ACKS):
        raise argparse.ArgumentTypeError(
            f"{fm.dbr_name(found)} is written to acknowledge alarms, never read"
        )
    if found is not None:
        return found
    raise argparse.ArgumentTypeError(
        f"unknown type {text!r}: use one of {', '.join(_CLASSES)}, "
        "a DBR type such as DBR_TIME_DOUBLE, or its number (0..34, 37, 38)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``catui get``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=common.HelpFormatter,
        description="Read Channel Access PVs and print their values, as caget does: the "
        "same lines for the same options. Exit status is 1 if any PV failed (one line "
        "each on stderr). An array that holds no element prints its count, 0, and "
        f"{layout.EMPTY_ARRAY}.",
    )
    parser.add_argument("pvs", nargs="+", metavar="PV", help="PV names")
    fmt = parser.add_argument_group("output format (of -a, -t and --json the last one wins)")
    fmt.add_argument(
        "-a", dest="style", action="store_const", const="all",
        help="wide: name, timestamp, value, alarm status and severity",
    )  # fmt: skip
    fmt.add_argument(
        "-t", dest="style", action="store_const", const="terse", help="terse: values only"
    )
    fmt.add_argument(
        "-d", dest="data_type", type=data_type_arg, metavar="TYPE",
        help="request TYPE (DBR_xxx, with or without DBR_, or its number: 0..34, 37, 38; or "
        "native, status, time, graphic, control) and print the whole reply, as caget -d",
    )  # fmt: skip
    fmt.add_argument(
        "--json", dest="style", action="store_const", const="json",
        help="one JSON object per line and PV: value, type, count, alarm, timestamp, metadata",
    )  # fmt: skip
    add = parser.add_argument
    add("-c", dest="callback", action="store_true",
        help="asynchronous get (read with notify; arrays: the elements in use)")  # fmt: skip
    add("-n", dest="enum_numbers", action="store_true", help="print enums as numbers")
    options.add_count(parser, "read")
    add("-S", dest="char_string", action="store_true", help="print char arrays as strings")
    add("-s", dest="float_as_string", action="store_true",
        help="read FLOAT and DOUBLE values as strings (the server's text, with its "
        "precision)")  # fmt: skip
    options.add_number_formats(parser)
    options.add_integer_formats(parser)
    options.add_separator(parser)
    common.add_timeout_option(parser)
    parser.set_defaults(style="plain")
    return parser


def _request(args: argparse.Namespace, native: Any, *, want_time: bool) -> Any:
    """What caget reads: the native type (an enum as text, or -n as SHORT; -s floats as
    text), its TIME form for -a; or -d's type."""
    from protocol.channel_types import ChannelType, resolve_data_type

    if args.data_type is not None:
        return resolve_data_type(args.data_type, native)
    base = native
    if native == ChannelType.ENUM:
        base = ChannelType.INT if args.enum_numbers else ChannelType.STRING
    elif args.float_as_string and native in (ChannelType.FLOAT, ChannelType.DOUBLE):
        base = ChannelType.STRING
    return resolve_data_type("time", base) if want_time else base


class Reading:
    """What one PV gave: its native type and count, the reply, control metadata."""

    # A plain class: dataclasses imports inspect, ~5 ms of a ~30 ms start-up.
    __slots__ = ("control", "data", "native_count", "native_type", "reply")

    def __init__(self, native_type: Any, native_count: int, reply: Any, control: Any = None):
        self.native_type = native_type
        self.native_count = native_count
        self.reply = reply
        self.control = control
        #: The values to print: ``reply.data``, an enum's blank labels as indices.
        self.data = reply.data


def _fetch(channel: common.Channel, args: argparse.Namespace) -> Reading:
    """Read one PV as the options ask."""
    style = args.style
    native = channel.native_type
    count: int | None = None
    if args.count:
        count = min(args.count, channel.native_count or args.count)
    if not args.callback:
        # caget without -c: ca_array_get of the whole native count.
        count = count or channel.native_count or None
    want_time = style in ("all", "json")
    data_type = _request(args, native, want_time=want_time)
    # -c: a read with notify, as ca_array_get_callback; else a plain read.
    notify = args.callback or count is None
    reply = channel.read(data_type, count, notify=notify, force_int_enums=True)
    reading = Reading(native, channel.native_count, reply)
    if args.data_type is None:
        reading.data = channel.shown_values(reply, notify=notify)
    if style == "json" and args.data_type is None:
        reading.control = channel.read("control", 1, notify=True, force_int_enums=True)
    return reading


def _text(name: str, args: argparse.Namespace, reading: Reading) -> str:
    reply = reading.reply
    vf = options.value_format(args)
    counted = bool(args.count)
    if args.data_type is not None:
        items = fm.values_list(reply.data)
        block = layout.dbr_block(
            name, reading.native_type, reply.data_type, items, reply.metadata, vf,
            counted=counted,
        )  # fmt: skip
        return "\n".join(block)
    items = fm.values_list(reading.data)
    if args.style == "terse":
        return layout.value_field(items, reply.data_type, vf, counted=counted)
    if args.style == "all":
        md = reply.metadata
        stamp = fm.stamp_text(md.stamp.secondsSinceEpoch, md.stamp.nanoSeconds)
        return layout.wide_line(
            name, stamp, items, reply.data_type, md.status, md.severity, vf, counted=counted
        )
    return layout.plain_line(name, items, reply.data_type, vf, counted=counted)


def _json(name: str, args: argparse.Namespace, reading: Reading) -> str:
    native, native_count = reading.native_type, reading.native_count
    reply, control = reading.reply, reading.control
    md = reply.metadata
    obj: dict[str, Any] = {
        "name": name,
        "value": fm.json_value(reading.data, reply.data_type, char_as_string=args.char_string),
        "type": fm.dbf_name(native),
        "count": len(fm.values_list(reading.data)),
        "native_count": native_count,
    }
    names = {field for field, *_ in type(md)._fields_} if md is not None else set()
    if "status" in names:
        obj["status"] = fm.status_text(md.status)
        obj["severity"] = fm.severity_text(md.severity)
    if "stamp" in names:
        obj["timestamp"] = md.stamp.timestamp
    obj["metadata"] = fm.metadata_dict(control.metadata if control is not None else md)
    import json  # only for --json: not worth its import time otherwise

    return json.dumps(obj)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``catui get``; returns the exit status."""
    return common.guard(_main, argv)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    timeout = common.resolve_timeout(args.timeout, PROG)
    common.prepare()
    render = _json if args.style == "json" else _text
    return common.print_each(
        PROG, list(args.pvs), timeout, lambda ch: render(ch.name, args, _fetch(ch, args))
    )


if __name__ == "__main__":
    sys.exit(main())
