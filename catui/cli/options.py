"""The options that get, put and monitor share, spelled as caget's, and what they mean.

Each ``add_*`` function adds options to a parser (or argument group); :func:`value_format`
turns the parsed arguments into the :class:`~catui.cli.formatting.ValueFormat` the
lines are printed with.  Bad values are usage errors (exit status 2), where caget
would warn and carry on with its default.
"""

from __future__ import annotations

import argparse
from typing import Any

from catui.cli import formatting as fm

__all__ = [
    "MAX_DIGITS",
    "add_count",
    "add_integer_formats",
    "add_number_formats",
    "add_separator",
    "base_arg",
    "count_arg",
    "digits_arg",
    "separator_arg",
    "value_format",
]

#: caget's VALID_DOUBLE_DIGITS: the most digits -e/-f/-g take.
MAX_DIGITS = 18
_BASE_WORDS = {"x": "hexadecimal", "o": "octal", "b": "binary"}


def digits_arg(text: str) -> int:
    """argparse type for ``-e/-f/-g``: a number of digits 0..18."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_DIGITS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of digits (0..{MAX_DIGITS})")
    return value


def count_arg(text: str) -> int:
    """argparse type for ``-#``: an element count; 0 means all of them, as caget's default."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an element count (0 or more; 0: all of them)"
        )
    return value


def base_arg(text: str) -> str:
    """argparse type for ``-0`` and ``-l``: ``x`` (hexadecimal), ``o`` (octal), ``b`` (binary)."""
    if text not in _BASE_WORDS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a base: use x (hexadecimal), o (octal) or b (binary)"
        )
    return text


def separator_arg(text: str) -> str:
    """argparse type for ``-F``: one character."""
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not one character")
    return text


class _NumberFormatAction(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        style = str(option)[-1]
        setattr(namespace, self.dest, fm.NumberFormat(style, int(values)))


def add_number_formats(parser: Any) -> None:
    """``-e/-f/-g N``: floating-point values as C's ``%e``, ``%f``, ``%g`` (the last wins)."""
    for style in "efg":
        parser.add_argument(
            f"-{style}", dest="number_format", action=_NumberFormatAction, type=digits_arg,
            metavar="N", default=fm.DEFAULT_FORMAT,
            help=f"print FLOAT and DOUBLE values as %%{style} with N digits (0..{MAX_DIGITS})",
        )  # fmt: skip


def add_integer_formats(parser: Any) -> None:
    """``-0x|o|b`` (SHORT, LONG) and ``-lx|o|b`` (FLOAT, DOUBLE rounded) in another base."""
    parser.add_argument(
        "-0", dest="int_base", type=base_arg, default=None, metavar="x|o|b",
        help="print SHORT and LONG values in hexadecimal (-0x, as 0x1F), octal (-0o, as "
        "0o37) or binary (-0b, as 11111); negative ones as their 32-bit two's complement",
    )  # fmt: skip
    parser.add_argument(
        "-l", dest="float_base", type=base_arg, default=None, metavar="x|o|b",
        help="round FLOAT and DOUBLE values to an integer and print it as -0 does "
        "(-lx, -lo, -lb)",
    )  # fmt: skip


def add_separator(parser: Any) -> None:
    """``-F C``: the field separator (a name is padded only with the default, a space)."""
    parser.add_argument(
        "-F", dest="separator", type=separator_arg, default=" ", metavar="C",
        help="separate the fields with the character C instead of a space (names are then "
        "not padded)",
    )  # fmt: skip


def add_count(parser: Any, what: str) -> None:
    """``-# N``: at most N elements of an array (0: all; the count is then always printed)."""
    parser.add_argument(
        "-#", dest="count", type=count_arg, default=0, metavar="N",
        help=f"{what} at most N elements of an array, and print the count even for one "
        "(0: all of them, the default)",
    )  # fmt: skip


def value_format(args: argparse.Namespace) -> fm.ValueFormat:
    """The :class:`~catui.cli.formatting.ValueFormat` that the parsed options ask for."""
    return fm.ValueFormat(
        number=getattr(args, "number_format", fm.DEFAULT_FORMAT),
        # None when not given: argparse would run a default "d" through base_arg.
        int_base=getattr(args, "int_base", None) or "d",
        float_base=getattr(args, "float_base", None) or "d",
        separator=getattr(args, "separator", " "),
        char_as_string=getattr(args, "char_string", False),
        enum_numbers=getattr(args, "enum_numbers", False),
    )
