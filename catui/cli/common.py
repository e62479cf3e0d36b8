"""What the command-line tools share: start-up, timeouts, channels, error lines.

The tools run in short-lived processes, so :func:`prepare` selects the
``'array'`` backend (numpy is never imported) and keeps the protocol's log
records off the terminal; failures are reported as one line each on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

from catui.cli import formatting as fm

__all__ = [
    "DEFAULT_TIMEOUT",
    "Channel",
    "HelpFormatter",
    "UsageError",
    "add_timeout_option",
    "error_text",
    "guard",
    "open_channels",
    "prepare",
    "print_each",
    "report_failure",
    "resolve_timeout",
]

#: caget's default: seconds to wait for each PV.
DEFAULT_TIMEOUT = 1.0
CLI_TIMEOUT_VAR = "EPICS_CLI_TIMEOUT"


def prepare() -> None:
    """Set up the process for a tool: stdlib arrays, quiet protocol loggers."""
    from protocol.backends import select_backend
    from protocol.sync.lazylog import before_first_record

    select_backend("array")
    # Configured when a protocol logger is first used: a tool that logs nothing
    # (the usual case) never imports logging (~4 ms).
    before_first_record(_quiet_protocol_logs)


def _quiet_protocol_logs() -> None:
    import logging

    log = logging.getLogger("protocol")
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    log.propagate = False


def guard(
    body: Callable[[Sequence[str] | None], int],
    argv: Sequence[str] | None,
    *,
    interrupted: int = 130,
) -> int:
    """Run a tool's ``body(argv)``: Ctrl+C and a closed stdout end it without a traceback.

    Ctrl+C ends the process at once with status ``interrupted`` (130, as a shell
    reports SIGINT, unless the tool says otherwise), without waiting for reads
    in progress; a reader that went away (``| head``) gives status 1.
    """
    try:
        return body(argv)
    except KeyboardInterrupt:
        # Leave at once: worker threads may be waiting out a search timeout.
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        os._exit(interrupted)
    except BrokenPipeError:
        silence_stdout()
        return 1


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, without importing shutil (and so
    bz2, lzma, fnmatch: ~2 ms, for every tool start, since argparse makes a
    help formatter for each ``add_argument``)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, with the width found as shutil would find it (see above)."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
        **more: Any,  # what newer Pythons add (3.14: color)
    ) -> None:
        if width is None:
            width = _terminal_columns() - 2  # as argparse does with shutil's answer
        super().__init__(prog, indent_increment, max_help_position, width, **more)


def positive_seconds(text: str) -> float:
    """argparse type: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def add_timeout_option(parser: argparse.ArgumentParser) -> None:
    """``-w SECONDS``; the default comes from EPICS_CLI_TIMEOUT, else 1 s."""
    parser.add_argument(
        "-w",
        dest="timeout",
        type=positive_seconds,
        default=None,
        metavar="SECONDS",
        help=f"CA timeout (default: ${CLI_TIMEOUT_VAR}, else {DEFAULT_TIMEOUT:g})",
    )


def resolve_timeout(given: float | None, prog: str, stderr: TextIO | None = None) -> float:
    """``-w`` if given, else EPICS_CLI_TIMEOUT (as EPICS Base 7.0.8+), else 1 s.

    An unusable EPICS_CLI_TIMEOUT is ignored with a warning on stderr.
    """
    if given is not None:
        return given
    text = os.environ.get(CLI_TIMEOUT_VAR, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        return positive_seconds(text)
    except argparse.ArgumentTypeError:
        print(
            f"{prog}: warning: ignoring {CLI_TIMEOUT_VAR}={text!r} (not a positive number); "
            f"using {DEFAULT_TIMEOUT:g} s",
            file=stderr or sys.stderr,
        )
        return DEFAULT_TIMEOUT


def error_text(exc: BaseException) -> str:
    """One line for a failure: the error's own message, which names the PV."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    from protocol.errors import CAError

    if isinstance(exc, (CAError, OSError, UsageError)):
        return text
    return f"{type(exc).__name__}: {text}"


def report_failure(prog: str, pv: str, exc: BaseException | str) -> None:
    """Print ``prog: PV: reason`` on stderr."""
    reason = exc if isinstance(exc, str) else error_text(exc)
    print(f"{prog}: {pv}: {reason}", file=sys.stderr, flush=True)


class UsageError(Exception):
    """Arguments that cannot be acted on; reported as one line, like a CA failure."""


class Channel:
    """An open channel: what the server says about it, and reads on it.

    Attributes
    ----------
    name : str
    host : str
        ``address:port`` of the server.
    native_type : ChannelType
    native_count : int
    access : AccessRights
    """

    # A plain class: dataclasses imports inspect, ~5 ms of a ~30 ms start-up.
    __slots__ = ("channel", "name")

    def __init__(self, name: str, channel: Any) -> None:
        self.name = name
        self.channel = channel  # a protocol.sync.channels.Channel

    @property
    def host(self) -> str:
        host, port = self.channel.server_address
        return f"{host}:{port}"

    @property
    def native_type(self) -> Any:
        return self.channel.native_data_type

    @property
    def native_count(self) -> int:
        return int(self.channel.native_data_count)

    @property
    def access(self) -> Any:
        return self.channel.access_rights

    def read(
        self,
        data_type: Any = None,
        data_count: int | None = None,
        *,
        notify: bool = True,
        force_int_enums: bool = False,
        timeout: float | None = None,
    ) -> Any:
        """One read on this channel (same rules as ``protocol.sync.client.read``)."""
        return self.channel.read(
            data_type=data_type,
            data_count=data_count,
            notify=notify,
            force_int_enums=force_int_enums,
            timeout=timeout,
        )

    def write(
        self, data: Any, *, notify: bool, data_type: Any = None, timeout: float | None = None
    ) -> Any:
        """One write on this channel (``protocol.sync.client.write``'s checks and rules)."""
        return self.channel.write(data, notify=notify, data_type=data_type, timeout=timeout)

    def shown_values(
        self, reply: Any, *, notify: bool = True, timeout: float | None = None
    ) -> Any:
        """``reply.data`` as caget's reader wants it: an enum's blank labels as indices.

        An enum read as text gives an empty string for a choice without a label (an
        mbbo's unset state); its index is then read, and shown instead of nothing.
        """
        from protocol.channel_types import ChannelType, native_type

        data = reply.data
        if (
            self.native_type != ChannelType.ENUM
            or native_type(reply.data_type) != ChannelType.STRING
        ):
            return data
        texts = fm.values_list(data)
        if not any(text == b"" for text in texts):
            return data
        # Right after the text: a change in between shows the newer index.
        numbers = self.read(
            ChannelType.ENUM, len(texts) or None, notify=notify, force_int_enums=True,
            timeout=timeout,
        )  # fmt: skip
        return fm.numbered_blanks(texts, fm.values_list(numbers.data))


@contextlib.contextmanager
def open_channels(
    names: Sequence[str], timeout: float
) -> Iterator[dict[str, Channel | Exception]]:
    """Open every PV at once (one search, one circuit per server); close after.

    Yields name -> Channel, or the exception that names why that PV failed.
    """
    from protocol.sync.channels import open_channels as open_all

    with open_all(names, timeout=timeout, repeater=False) as opened:
        result: dict[str, Channel | Exception] = {}
        for name in names:
            result[name] = Channel(name, opened[name]) if name in opened else opened.failures[name]
        yield result


def print_each(
    prog: str, names: Sequence[str], timeout: float, work: Callable[[Channel], str]
) -> int:
    """Open every PV at once, print ``work(channel)`` for each in order; the exit status.

    A PV that cannot be opened or read gets one line on stderr and does not stop
    the others; the status is 1 if any failed.
    """
    failed = False
    # Every PV in one search, one circuit per server; the reads then follow in order.
    with open_channels(names, timeout) as opened:
        for name in names:
            channel = opened[name]
            try:
                if isinstance(channel, Exception):
                    raise channel
                text = work(channel)
            except Exception as exc:
                failed = True
                report_failure(prog, name, exc)
                continue
            print(text, flush=True)
    return 1 if failed else 0
