"""``catui put``: write a PV and show its old and new values, as caput does."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from catui.cli import common
from catui.cli import formatting as fm

PROG = "catui put"


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``catui put``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=common.HelpFormatter,
        description="Write a Channel Access PV and print its value before and after, as "
        "caput does. Several VALUE words are joined with spaces (put PV hello world "
        "writes 'hello world'); with -a they are an array: its count, then the elements.",
    )
    parser.add_argument("pv", metavar="PV", help="PV name")
    parser.add_argument("values", nargs="+", metavar="VALUE", help="value(s) to write")
    add = parser.add_argument
    add("-c", dest="callback", action="store_true",
        help="wait for the put to complete (write with notify)")  # fmt: skip
    add("-a", dest="array", action="store_true",
        help="write an array: VALUE… is the element count then the elements")  # fmt: skip
    add("-n", dest="enum_number", action="store_true",
        help="the value is a number (for an enum: its index, no choice-name lookup)")  # fmt: skip
    add("-s", dest="as_string", action="store_true",
        help="write as DBR_STRING and let the server convert")  # fmt: skip
    add("-t", dest="terse", action="store_true", help="terse: print only the new value")
    common.add_timeout_option(parser)
    return parser


def parse_number(text: str) -> int | float | None:
    """``text`` as an int or a float (never evaluated), or None if it is neither."""
    word = text.strip()
    try:
        return int(word)
    except ValueError:
        pass
    try:
        return float(word)
    except ValueError:
        return None


def _array(values: list[str], as_text: bool) -> list[Any]:
    try:
        count = int(values[0])
    except ValueError:
        raise common.UsageError(
            f"-a: the first value must be the element count, not {values[0]!r}"
        ) from None
    elements = values[1:]
    if count != len(elements):
        raise common.UsageError(
            f"-a: the count says {count} element(s) but {len(elements)} follow"
        )
    if count < 1:
        raise common.UsageError("-a: nothing to write")
    if as_text:
        return elements
    numbers = [parse_number(item) for item in elements]
    if all(n is not None for n in numbers):
        return numbers
    return elements


def _data(args: argparse.Namespace) -> tuple[Any, Any]:
    """(value, write data type) from the words typed."""
    from protocol.channel_types import ChannelType

    string = ChannelType.STRING if args.as_string else None
    if args.array:
        return _array(list(args.values), args.as_string), string
    text = " ".join(args.values)
    if args.enum_number and not args.as_string:
        number = parse_number(text)
        if number is None:
            raise common.UsageError(f"-n: {text!r} is not a number")
        return number, None
    return text, string


def _put(args: argparse.Namespace, data: Any, data_type: Any, timeout: float) -> Any:
    from protocol.errors import CAValueError
    from protocol.sync.client import read_write_read

    def attempt(value: Any) -> Any:
        return read_write_read(
            args.pv, value, notify=args.callback, write_data_type=data_type,
            timeout=timeout, repeater=False,
        )  # fmt: skip

    try:
        return attempt(data)
    except CAValueError as exc:
        # The client refuses text for a CHAR scalar before sending anything;
        # a number typed for it is then written as a number. An enum choice
        # that does not exist stays an error.
        number = parse_number(data) if isinstance(data, str) and data_type is None else None
        if number is None or "has no choice" in str(exc):
            raise
        return attempt(number)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``catui put``; returns the exit status."""
    return common.guard(_main, argv)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    timeout = common.resolve_timeout(args.timeout, PROG)
    common.prepare()
    try:
        data, data_type = _data(args)
        initial, response, final = _put(args, data, data_type, timeout)
    except Exception as exc:
        common.report_failure(PROG, args.pv, exc)
        return 1
    if response is not None and not response.status.success:
        status = response.status
        common.report_failure(
            PROG, args.pv, f"the put failed: {status.name} ({status.description})"
        )
        return 1
    if args.terse:
        print(fm.format_values(final.data, final.data_type), flush=True)
    else:
        print(f"Old : {_value_text(args.pv, initial)}")
        print(f"New : {_value_text(args.pv, final)}", flush=True)
    return 0


def _value_text(name: str, reply: Any) -> str:
    items = fm.values_list(reply.data)
    shown = fm.pad_name(name) if len(items) <= 1 else name
    return f"{shown} {fm.format_values(reply.data, reply.data_type)}"


if __name__ == "__main__":
    sys.exit(main())
