"""``catui put``: write a PV and show its old and new values, as caput does.

The client library checks the value against the PV before anything is sent: a
fraction for an integer, text that is not a number, an enum choice or index that
does not exist, a number out of range, too many elements.  A refused value is one
line on stderr, exit status 1, and nothing is written, where caput (or the IOC's
own conversion of text) would write something else than what was typed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from catui.cli import common, layout, options
from catui.cli import formatting as fm
from catui.read_only import read_only_requested

PROG = "catui put"


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``catui put``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=common.HelpFormatter,
        description="Write a Channel Access PV and print its value before and after, as "
        "caput does. Several VALUE words are joined with spaces (put PV hello world "
        "writes 'hello world'); with -a they are an array: its count, then the elements. "
        "A value the PV cannot hold as typed (1.5 for an integer, a choice that does not "
        "exist, too many elements) is refused and nothing is written.",
    )
    parser.add_argument("pv", metavar="PV", help="PV name")
    parser.add_argument("values", nargs="+", metavar="VALUE", help="value(s) to write")
    add = parser.add_argument
    add("-c", dest="callback", action="store_true",
        help="wait for the put to complete (write with notify), as long as -w says")  # fmt: skip
    add("-a", dest="array", action="store_true",
        help="write an array: VALUE… is the element count then the elements "
        "(a count of 0 empties the array)")  # fmt: skip
    add("-n", dest="enum_number", action="store_true",
        help="the value is a number (for an enum: its index, no choice-name lookup)")  # fmt: skip
    add("-s", dest="as_string", action="store_true",
        help="for an enum: send the text as DBR_STRING, for the server to match against "
        "its choices (other PVs take the text as without -s)")  # fmt: skip
    add("-S", dest="char_string", action="store_true",
        help="write the text to a CHAR array as a long string, with its NUL; escapes "
        "such as \\n and \\x41 stand for their bytes, as with caput -S")  # fmt: skip
    add("-t", dest="style", action="store_const", const="terse",
        help="terse: print only the new value (of -t and -l the last one wins)")  # fmt: skip
    add("-l", dest="style", action="store_const", const="long",
        help="long: name, timestamp, value, alarm status and severity, as caget -a")  # fmt: skip
    add("--read-only", dest="read_only", action="store_true",
        help="refuse to write (as CATUI_READ_ONLY=1 does): nothing is sent")  # fmt: skip
    options.add_count(parser, "read and print")
    options.add_separator(parser)
    common.add_timeout_option(parser)
    parser.set_defaults(style="plain")
    return parser


def parse_number(text: str) -> int | float | None:
    """``text`` as an int or a float (never evaluated), or None if it is neither.

    The client library's parser: decimal or ``0x`` integers, decimal floats; no
    underscores, no trailing text.
    """
    from protocol.errors import CAValueError
    from protocol.values import parse_number as parse

    try:
        return parse(text)
    except CAValueError:
        return None


def _number(text: str) -> int | float:
    number = parse_number(text)
    if number is None:
        raise common.UsageError(f"-n: {text!r} is not a number")
    return number


def _array(values: list[str]) -> list[str]:
    """The elements after the count, checked against it."""
    try:
        count = int(values[0])
    except ValueError:
        count = -1
    if count < 0:
        raise common.UsageError(
            f"-a: the first value must be the element count, not {values[0]!r}"
        )
    elements = values[1:]
    if count != len(elements):
        raise common.UsageError(
            f"-a: the count says {count} element(s) but {len(elements)} follow"
        )
    return elements


def _check_options(args: argparse.Namespace) -> None:
    if args.char_string and (args.array or args.enum_number):
        raise common.UsageError("-S writes text: it cannot be combined with -a or -n")


def _data(args: argparse.Namespace, channel: common.Channel) -> tuple[Any, Any]:
    """(value, write data type) from the words typed, for this PV.

    Text goes to the library as it was typed: the library parses it for the PV's
    type and refuses what does not fit.
    """
    from protocol.channel_types import ChannelType

    native = channel.native_type
    if args.char_string:
        if native != ChannelType.CHAR:
            raise common.UsageError(
                f"-S writes a CHAR array; this PV is {fm.dbf_name(native)}[{channel.native_count}]"
            )
        try:
            return fm.unescape(" ".join(args.values)) + b"\0", None
        except ValueError as exc:
            raise common.UsageError(f"-S: {exc}") from None
    # -s: the server matches the text against all the choices (more than the 16, and
    # longer than the 25 characters, that a DBR_CTRL_ENUM read can give).
    string = ChannelType.STRING if args.as_string and native == ChannelType.ENUM else None
    if args.array:
        elements = _array(list(args.values))
        if args.enum_number:
            return [_number(item) for item in elements], None
        return elements, string
    text = " ".join(args.values)
    if args.enum_number:
        return _number(text), None
    return text, string


def _shows_text(args: argparse.Namespace, channel: common.Channel) -> bool:
    """Whether the old and new values print as text: a CHAR array written as text."""
    from protocol.channel_types import ChannelType

    if channel.native_type != ChannelType.CHAR or channel.native_count <= 1:
        return False
    return bool(args.char_string or not (args.array or args.enum_number))


def _read_type(args: argparse.Namespace, channel: common.Channel) -> Any:
    """What caput reads before and after: the native type (an enum as text, or with -n
    as SHORT), its TIME form for -l."""
    from protocol.channel_types import ChannelType, resolve_data_type

    native = channel.native_type
    base = native
    if native == ChannelType.ENUM:
        base = ChannelType.INT if args.enum_number else ChannelType.STRING
    return resolve_data_type("time", base) if args.style == "long" else base


def _write(
    channel: common.Channel, data: Any, data_type: Any, notify: bool, timeout: float
) -> Any:
    """The put; a timeout is reported with caput's words, then what became of the put.

    caput goes on to print the new value and exit 0 after "Write callback operation
    timed out"; here it is a failure (exit status 1), since the put is not known done.
    """
    from protocol.errors import CATimeoutError

    try:
        return channel.write(data, notify=notify, data_type=data_type, timeout=timeout)
    except CATimeoutError as exc:
        lead = "Write callback operation timed out" if notify else "Write operation timed out"
        detail = common.error_text(exc)
        if detail.startswith(f"writing {channel.name!r}"):
            # Sent, not answered in time: the PV may still change (or have changed).
            done = "its completion not reported" if notify else "not confirmed"
            detail = f"the put was sent to {channel.host}, {done} within {timeout:g} s"
        raise CATimeoutError(f"{lead}: {detail}") from None


def _put(args: argparse.Namespace, timeout: float) -> tuple[Any, ...]:
    """Open the PV, read, write, read: ``(channel, old, response, new, old data, new data)``.

    As with caput, each step has ``timeout``: opening the channel and the first read,
    the put (with ``-c`` its completion), the read after it.
    """
    from protocol.sync.channels import open_channel

    deadline = time.monotonic() + timeout

    def left() -> float:
        return max(deadline - time.monotonic(), 1e-3)

    with open_channel(args.pv, timeout=timeout, repeater=False) as opened:
        channel = common.Channel(args.pv, opened)
        data, data_type = _data(args, channel)
        read_type = _read_type(args, channel)
        count = min(args.count, channel.native_count or args.count) if args.count else None
        initial = channel.read(read_type, count, force_int_enums=True, timeout=left())
        old = channel.shown_values(initial, timeout=left())
        response = _write(channel, data, data_type, args.callback, timeout)
        deadline = time.monotonic() + timeout
        final = channel.read(read_type, count, force_int_enums=True, timeout=left())
        new = channel.shown_values(final, timeout=left())
        return channel, initial, response, final, old, new


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``catui put``; returns the exit status."""
    return common.guard(_main, argv)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.read_only or read_only_requested():
        # Before any channel is opened: a read-only catui sends nothing at all.
        common.report_failure(
            PROG, args.pv, "read-only (--read-only or CATUI_READ_ONLY): not written"
        )
        return 1
    timeout = common.resolve_timeout(args.timeout, PROG)
    common.prepare()
    try:
        _check_options(args)
        channel, initial, response, final, old, new = _put(args, timeout)
    except Exception as exc:
        common.report_failure(PROG, args.pv, exc)
        return 1
    if response is not None and not response.status.success:
        status = response.status
        common.report_failure(
            PROG, args.pv, f"the put failed: {status.name} ({status.description})"
        )
        return 1
    vf = options.value_format(args)
    vf.char_as_string = _shows_text(args, channel)
    # caput lays out by the native count (padding, the count of an array); -# as caget.
    counted = bool(args.count)
    shape = None if counted else channel.native_count
    if args.style == "terse":
        values = fm.values_list(new)
        print(layout.value_field(values, final.data_type, vf, counted=counted, shape=shape))
    else:
        print(f"Old : {_line(args, vf, initial, old, counted, shape)}")
        print(f"New : {_line(args, vf, final, new, counted, shape)}", flush=True)
    return 0


def _line(
    args: argparse.Namespace,
    vf: fm.ValueFormat,
    reply: Any,
    data: Any,
    counted: bool,
    shape: int | None,
) -> str:
    values = fm.values_list(data)
    if args.style == "long":
        md = reply.metadata
        stamp = fm.stamp_text(md.stamp.secondsSinceEpoch, md.stamp.nanoSeconds)
        return layout.wide_line(
            args.pv, stamp, values, reply.data_type, md.status, md.severity, vf,
            counted=counted, shape=shape,
        )  # fmt: skip
    return layout.plain_line(
        args.pv, values, reply.data_type, vf, counted=counted, shape=shape
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
