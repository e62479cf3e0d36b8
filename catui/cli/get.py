"""``catui get``: read PVs and print them as caget does (or as JSON for scripts)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from catui.cli import common
from catui.cli import formatting as fm

PROG = "catui get"
_CLASSES = ("native", "status", "time", "graphic", "control")


def data_type_arg(text: str) -> Any:
    """argparse type for ``-d``: a class name, a DBR type name or its number."""
    from protocol.channel_types import ChannelType

    word = text.strip()
    if word.lower() in _CLASSES:
        return word.lower()
    if word.isdigit():
        code = int(word)
        if 0 <= code <= 38:
            return ChannelType(code)
    else:
        name = word.upper()
        name = name[4:] if name.startswith("DBR_") else name
        try:
            return ChannelType[name]
        except KeyError:
            pass
    raise argparse.ArgumentTypeError(
        f"unknown type {text!r}: use one of {', '.join(_CLASSES)}, "
        "a DBR type such as DBR_TIME_DOUBLE, or its number 0..38"
    )


def digits_arg(text: str) -> int:
    """argparse type for ``-e/-f/-g``: a number of digits 0..17."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 17:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of digits (0..17)")
    return value


def count_arg(text: str) -> int:
    """argparse type for ``-#``: a positive element count."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive element count")
    return value


class _NumberFormatAction(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        style = str(option)[-1]
        setattr(namespace, self.dest, fm.NumberFormat(style, int(values)))


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``catui get``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=common.HelpFormatter,
        description="Read Channel Access PVs and print their values, as caget does. "
        "Exit status is 1 if any PV failed (one line each on stderr).",
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
        help="request TYPE (native, status, time, graphic, control, DBR_xxx or 0..38) "
        "and print the whole reply",
    )  # fmt: skip
    fmt.add_argument(
        "--json", dest="style", action="store_const", const="json",
        help="one JSON object per line and PV: value, type, count, alarm, timestamp, metadata",
    )  # fmt: skip
    add = parser.add_argument
    add("-c", dest="callback", action="store_true",
        help="asynchronous get (read with notify; arrays: the elements in use)")  # fmt: skip
    add("-n", dest="enum_numbers", action="store_true", help="print enums as numbers")
    add("-#", dest="count", type=count_arg, metavar="N", help="read at most N elements")
    add("-S", dest="char_string", action="store_true", help="print char arrays as strings")
    for style, what in (("e", "%%e"), ("f", "%%f"), ("g", "%%g")):
        add(f"-{style}", dest="number_format", action=_NumberFormatAction, type=digits_arg,
            metavar="N", help=f"print floating-point values as {what} with N digits")  # fmt: skip
    common.add_timeout_option(parser)
    parser.set_defaults(style="plain", number_format=fm.DEFAULT_FORMAT)
    return parser


def _request(args: argparse.Namespace, native: Any, *, want_time: bool) -> Any:
    from protocol.channel_types import ChannelType, resolve_data_type

    if args.data_type is not None:
        return resolve_data_type(args.data_type, native)
    if native == ChannelType.ENUM and not args.enum_numbers:
        return ChannelType.TIME_STRING if want_time else ChannelType.STRING
    return resolve_data_type("time" if want_time else "native", native)


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
    count: int | None = args.count
    if count is not None:
        count = min(count, channel.native_count or count)
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
    native, reply, data = reading.native_type, reading.reply, reading.data
    fmt = args.number_format
    values = fm.format_values(
        data, reply.data_type, fmt=fmt,
        show_count=True if args.count is not None else None, char_as_string=args.char_string,
    )  # fmt: skip
    items = fm.values_list(data)
    if args.data_type is not None:
        plain = fm.format_values(
            reply.data, reply.data_type, fmt=fmt, show_count=False, char_as_string=args.char_string
        )
        lines = [
            name,
            f"    Native data type: {fm.dbf_name(native)}",
            f"    Request type:     {fm.dbr_name(reply.data_type)}",
            f"    Element count:    {len(items)}",
            f"    Value:            {plain}",
        ]
        details = fm.detail_lines(reply.metadata, reply.data_type, fmt)
        lines.extend("    " + line for line in details)
        return "\n".join(lines)
    if args.style == "terse":
        return values
    # caget pads the name of a scalar only: an empty array's count follows the name.
    shown = fm.pad_name(name) if len(items) == 1 and args.count is None else name
    if args.style == "all":
        md = reply.metadata
        stamp = md.stamp
        parts = [fm.pad_name(name), fm.format_stamp(stamp.timestamp, stamp.nanoSeconds), values]
        if md.status or md.severity:
            parts += [fm.status_text(md.status), fm.severity_text(md.severity)]
        return " ".join(parts)
    return f"{shown} {values}"


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
