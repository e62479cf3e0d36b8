"""What the demo IOCs share: the PV table, the command line, the environment and the run loop.

An IOC module declares an :class:`ExampleIoc`: a table of :class:`PvSpec` (the one
place its PV names live, read by ``--list-pvs``, :mod:`~catui.ioc_examples.launch`
and the tests) and a ``build`` function that creates the records from the table and
returns the coroutines that animate them.  An IOC may also serve pvAccess: its
records through QSRV (``qsrv=True``), and PVs that are no record from a p4p server
in the same process (a table of :class:`PvaPvSpec` and ``build_pva``; see
:mod:`~catui.ioc_examples._pva`).  :func:`serve` does the rest.

pythonSoftIOC is imported only once the environment is set, because EPICS reads
``EPICS_CA*`` variables when its server starts and we want no doubt about which
values it saw.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from types import FrameType, ModuleType
from typing import Any, NoReturn

from catui.ioc_examples._pva import (
    DEFAULT_PVA_BROADCAST_PORT,
    DEFAULT_PVA_PORT,
    PVA_SCHEME,
    PvaMaker,
    PvaPorts,
    check_ports_distinct,
    configure_pva_environment,
    p4p,
    pva_banner,
    start_server,
)

LOOPBACK = "127.0.0.1"
DEFAULT_CA_PORT = 5064
MISSING_EXTRA = "the demo IOCs need the 'demo' extra: pip install 'catui[demo]'"
# Top-level modules of the 'demo' extra; an ImportError naming another module is a bug.
_DEMO_MODULES = {
    "softioc", "epicscorelibs", "epicsdbbuilder", "pvxslibs", "setuptools_dso", "p4p",
}  # fmt: skip
# How long the IOC's own check that it serves may take before it gives up.
SELF_CHECK_SECONDS = 5.0

# Input records are writable over CA unless told otherwise.  softioc sets DISP=1 on
# them, which makes the database refuse puts, but clients still see write access;
# this access security group also takes the right away, so consoles can show it.
READONLY_ASG = "READONLY"
_ACF = """\
ASG(DEFAULT) {
    RULE(1, READ)
    RULE(1, WRITE)
}
ASG(READONLY) {
    RULE(1, READ)
}
"""
# dbStaticLib refuses these in record names (as well as blanks and control
# characters); 60 characters is the record name limit.
_BAD_NAME_CHARS = set("\"'.$")
_MAX_NAME = 60
_INPUT_RECORDS = {
    "aIn",
    "boolIn",
    "longIn",
    "int64In",
    "mbbIn",
    "stringIn",
    "WaveformIn",
    "longStringIn",
}


@dataclass(frozen=True)
class PvSpec:
    """One record of an example IOC, as softioc builds it and as CA clients see it.

    Parameters
    ----------
    suffix : str
        The PV name after the IOC's prefix.
    record : str
        The :mod:`softioc.builder` function that makes the record, e.g. ``"aOut"``.
    native : str
        The CA native type clients see (``DOUBLE``, ``FLOAT``, ``LONG``, ``SHORT``,
        ``CHAR``, ``ENUM`` or ``STRING``).
    count : int
        The channel's element count (NELM; 1 for scalars).  A read may return
        fewer: a long string sends only the characters it holds.
    args : tuple
        Positional arguments for ``record`` (the states of an mbb record).
    fields : mapping
        Keyword arguments for ``record``: initial value and record fields.  Input
        records also get ``ASG=READONLY`` (see :data:`READONLY_ASG`).
    doc : str
        What the PV is for, one line.
    """

    suffix: str
    record: str
    native: str
    count: int = 1
    args: tuple[Any, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)
    doc: str = ""

    @property
    def read_only(self) -> bool:
        """Whether CA clients are refused writes (input records)."""
        return self.record in _INPUT_RECORDS


@dataclass(frozen=True)
class PvaPvSpec:
    """One PV of an example IOC that is no record: a p4p server serves it over PVA only.

    Parameters
    ----------
    suffix : str
        The PV name after the IOC's prefix.
    type_id : str
        The type ID clients see, e.g. ``"epics:nt/NTTable:1.0"``; ``"structure"``
        for a structure without one.
    doc : str
        What the PV is for, one line.
    """

    suffix: str
    type_id: str
    doc: str = ""


# ``build`` returns coroutine functions (not coroutines, which would warn "never
# awaited" if the IOC fails to start); they run on the dispatcher's loop after iocInit.
Animation = Callable[[], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class ExampleIoc:
    """A demo IOC: its name, default prefix, PV table and behaviour.

    Parameters
    ----------
    name : str
        Module name under :mod:`catui.ioc_examples`.
    default_prefix : str
        Prefix of every PV name unless ``--prefix`` says otherwise.
    description : str
        One paragraph for ``--help``.
    pvs : tuple of PvSpec
        Every PV the IOC serves.
    build : callable
        ``build(records)`` creates each record with ``records(suffix, **extra)``
        (``extra`` adds e.g. ``on_update``) and returns the coroutine functions to
        run once the IOC is up.
    qsrv : bool
        Whether the records are served over pvAccess too (QSRV), unless ``--no-pva``.
    pva_pvs : tuple of PvaPvSpec
        The PVs a p4p server in the IOC's process serves, over PVA only.
    build_pva : callable, optional
        ``build_pva(pvs)`` makes each of :attr:`pva_pvs` with
        ``pvs(suffix, initial_value)`` (``pvs.records`` holds the records) and
        returns the coroutine functions that animate them.  Called after iocInit.
    """

    name: str
    default_prefix: str
    description: str
    pvs: tuple[PvSpec, ...]
    build: Callable[[RecordMaker], Sequence[Animation]]
    qsrv: bool = False
    pva_pvs: tuple[PvaPvSpec, ...] = ()
    build_pva: Callable[[PvaMaker], Sequence[Animation]] | None = None

    @property
    def serves_pva(self) -> bool:
        """Whether the IOC has a pvAccess side (unless started with ``--no-pva``)."""
        return self.qsrv or bool(self.pva_pvs)

    def pv_names(self, prefix: str | None = None) -> list[str]:
        """Full names of the records under ``prefix`` (the default if None), in table order.

        These are the names CA serves (and PVA too, with :attr:`qsrv`).
        """
        prefix = self.default_prefix if prefix is None else prefix
        return [prefix + pv.suffix for pv in self.pvs]

    def pva_names(self, prefix: str | None = None) -> list[str]:
        """Full names of every PV served over PVA: records (with QSRV), then :attr:`pva_pvs`."""
        prefix = self.default_prefix if prefix is None else prefix
        records = self.pv_names(prefix) if self.qsrv else []
        return records + [prefix + pv.suffix for pv in self.pva_pvs]

    def spec(self, suffix: str) -> PvSpec:
        """The table entry for ``suffix``; KeyError if there is none."""
        for pv in self.pvs:
            if pv.suffix == suffix:
                return pv
        raise KeyError(suffix)

    def pva_spec(self, suffix: str) -> PvaPvSpec:
        """The :attr:`pva_pvs` entry for ``suffix``; KeyError if there is none."""
        for pv in self.pva_pvs:
            if pv.suffix == suffix:
                return pv
        raise KeyError(suffix)


class RecordMaker:
    """Creates an IOC's records from its table; passed to :attr:`ExampleIoc.build`."""

    def __init__(self, builder: ModuleType, ioc: ExampleIoc, prefix: str) -> None:
        self._builder = builder
        self._ioc = ioc
        self._prefix = prefix
        self.records: dict[str, Any] = {}

    def __call__(self, suffix: str, **extra: Any) -> Any:
        """Create the record ``suffix`` with its table fields plus ``extra``; return it."""
        spec = self._ioc.spec(suffix)
        if suffix in self.records:
            raise ValueError(f"record {suffix!r} created twice")
        fields = {**spec.fields, **extra}
        if spec.read_only:
            fields.setdefault("ASG", READONLY_ASG)
        make = getattr(self._builder, spec.record)
        record = make(self._prefix + suffix, *spec.args, **fields)
        self.records[suffix] = record
        return record

    def check_complete(self) -> None:
        """Raise if ``build`` left a table entry uncreated (table and code disagree)."""
        missing = [pv.suffix for pv in self._ioc.pvs if pv.suffix not in self.records]
        if missing:
            raise RuntimeError(f"{self._ioc.name}: records in the table but not built: {missing}")


async def every(period: float, t0: float, step: Callable[[float], object]) -> None:
    """Call ``step(seconds since t0)`` every ``period`` seconds, without drifting.

    Deadlines advance by ``period`` rather than sleeping ``period`` after each
    step, so the 50 Hz counter stays at 50 Hz; if the loop falls behind it skips
    ahead instead of bursting.
    """
    deadline = time.monotonic()
    while True:
        step(time.monotonic() - t0)
        deadline += period
        delay = deadline - time.monotonic()
        if delay < 0:
            deadline = time.monotonic()
            delay = 0.0
        await asyncio.sleep(delay)


def demo_extra_available() -> bool:
    """Whether pythonSoftIOC can be imported, without importing it."""
    try:
        return importlib.util.find_spec("softioc") is not None
    except (ImportError, ValueError):  # ValueError: sys.modules["softioc"] is None
        return False


def build_parser(ioc: ExampleIoc) -> argparse.ArgumentParser:
    """The command line every demo IOC shares."""
    parser = argparse.ArgumentParser(
        prog=f"python -m catui.ioc_examples.{ioc.name}", description=ioc.description
    )
    parser.add_argument(
        "--list-pvs", action="store_true", help="print the PV names, one per line, and exit"
    )
    parser.add_argument(
        "--prefix",
        default=ioc.default_prefix,
        help="prefix of every PV name (default: %(default)r)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=None,
        help="CA server port, TCP and UDP (default: $EPICS_CAS_SERVER_PORT, "
        f"$EPICS_CA_SERVER_PORT or {DEFAULT_CA_PORT})",
    )
    parser.add_argument(
        "--interface",
        default=LOOPBACK,
        help="address to serve on, EPICS_CAS_INTF_ADDR_LIST (default: %(default)s)",
    )
    parser.add_argument(
        "--exit-on-eof",
        action="store_true",
        help="also stop when stdin reaches end of file, so that a parent holding our "
        "stdin takes us down with it (launch.py uses this)",
    )
    if ioc.serves_pva:
        _add_pva_options(parser, ioc)
    return parser


def _add_pva_options(parser: argparse.ArgumentParser, ioc: ExampleIoc) -> None:
    pva = parser.add_argument_group("pvAccess")
    served = " and ".join(
        what
        for what, yes in (("the records (QSRV)", ioc.qsrv), ("the PVA-only PVs", ioc.pva_pvs))
        if yes
    )
    pva.add_argument(
        "--no-pva", action="store_true", help=f"serve CA only: not {served} over pvAccess"
    )
    pva.add_argument(
        "--pva-port",
        type=_port,
        default=None,
        help="TCP port of the records over PVA (QSRV) (default: $EPICS_PVAS_SERVER_PORT, "
        f"$EPICS_PVA_SERVER_PORT or {DEFAULT_PVA_PORT})",
    )
    pva.add_argument(
        "--pva-broadcast-port",
        type=_port,
        default=None,
        help="UDP port PVA clients search on (default: $EPICS_PVAS_BROADCAST_PORT, "
        f"$EPICS_PVA_BROADCAST_PORT or {DEFAULT_PVA_BROADCAST_PORT})",
    )
    if ioc.pva_pvs:
        names = ", ".join(ioc.default_prefix + pv.suffix for pv in ioc.pva_pvs)
        pva.add_argument(
            "--p4p-port",
            type=_port_or_zero,
            default=0,
            help=f"TCP port of the p4p server of {names} (default: 0, any free port; "
            "clients learn it from search replies)",
        )


def _valid_record_name(name: str) -> bool:
    """Whether EPICS accepts ``name`` as a record name (length and characters)."""
    bad = any(c in _BAD_NAME_CHARS or c.isspace() or not c.isprintable() for c in name)
    return 0 < len(name) <= _MAX_NAME and not bad


def _port(text: str) -> int:
    port = int(text)
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port must be 1..65535, not {port}")
    return port


def _port_or_zero(text: str) -> int:
    return 0 if text.strip() == "0" else _port(text)


def configure_environment(
    port: int | None, interface: str, environ: dict[str, str] | None = None
) -> int:
    """Set the EPICS variables of an IOC serving on ``interface``; return its CA port.

    ``port`` and ``interface`` are always applied, to CA and PV Access alike.
    Beacons go to 127.0.0.1 and the IOC's own clients search 127.0.0.1 only, unless
    the environment already says otherwise.  An IOC without a pvAccess side (or
    run with ``--no-pva``) starts no PVA server; its PVA variables say the same as
    CA's all the same, in case a library reads them.  The PVA ports are
    :func:`~catui.ioc_examples._pva.configure_pva_environment`'s.
    """
    env = os.environ if environ is None else environ
    if port is None:
        port = int(
            env.get("EPICS_CAS_SERVER_PORT") or env.get("EPICS_CA_SERVER_PORT") or DEFAULT_CA_PORT
        )
    env["EPICS_CA_SERVER_PORT"] = env["EPICS_CAS_SERVER_PORT"] = str(port)
    env["EPICS_CAS_INTF_ADDR_LIST"] = env["EPICS_PVAS_INTF_ADDR_LIST"] = interface
    for beacons in ("EPICS_CAS", "EPICS_PVAS"):
        env.setdefault(f"{beacons}_BEACON_ADDR_LIST", LOOPBACK)
        env.setdefault(f"{beacons}_AUTO_BEACON_ADDR_LIST", "NO")
    for searches in ("EPICS_CA", "EPICS_PVA"):
        env.setdefault(f"{searches}_ADDR_LIST", LOOPBACK)
        env.setdefault(f"{searches}_AUTO_ADDR_LIST", "NO")
    return port


def _check_port_free(interface: str, port: int, option: str = "--port") -> None:
    """Exit with a clear message if the TCP port is taken.

    RSRV and pvxs would otherwise fall back to a random TCP port and our banner
    would lie.  SO_REUSEADDR as they use it, so a port in TIME_WAIT still counts
    as free.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((interface, port))
        except OSError as err:
            raise SystemExit(
                f"cannot serve on {interface}:{port}: {err.strerror}; choose another {option}"
            ) from None


def _import_p4p() -> None:
    """Import p4p now, so that a missing extra is one clear line and not a traceback later."""
    try:
        p4p()
    except ImportError as err:
        if (err.name or "").split(".")[0] in _DEMO_MODULES:
            raise SystemExit(MISSING_EXTRA) from None
        raise


def _import_softioc() -> tuple[ModuleType, ModuleType, ModuleType, ModuleType]:
    """softioc's ``softioc``, ``builder`` and ``asyncio_dispatcher``, and epicsdbbuilder."""
    try:
        import epicsdbbuilder
        from softioc import asyncio_dispatcher, builder, softioc
    except ImportError as err:
        if (err.name or "").split(".")[0] in _DEMO_MODULES:
            raise SystemExit(MISSING_EXTRA) from None
        raise
    return softioc, builder, asyncio_dispatcher, epicsdbbuilder


@contextlib.contextmanager
def _access_security() -> Iterator[None]:
    """Have the next iocInit load our access security file (iocInit reads it once)."""
    from epicscorelibs.ioc import dbCore

    set_filename = dbCore.asSetFilename
    set_filename.argtypes = [ctypes.c_char_p]
    set_filename.restype = ctypes.c_int
    fd, path = tempfile.mkstemp(prefix="catui-demo-", suffix=".acf")
    try:
        with os.fdopen(fd, "w") as acf:
            acf.write(_ACF)
        set_filename(os.fsencode(path))
        yield
    finally:
        os.unlink(path)


def _stop_event(exit_on_eof: bool) -> threading.Event:
    """An event set by SIGINT, SIGTERM and, if asked, end of file on stdin."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if exit_on_eof:

        def watch_stdin() -> None:
            # Reads until the parent closes the pipe or dies; the data is ignored.
            # os.read, not sys.stdin: a daemon thread blocked inside a buffered
            # reader aborts the interpreter if it has to shut down.
            with contextlib.suppress(OSError):
                while os.read(0, 4096):
                    pass
            stop.set()

        threading.Thread(target=watch_stdin, name="stdin-eof", daemon=True).start()
    return stop


def _report_failure(future: Future[None]) -> None:
    """Print the traceback of an animation that died, instead of losing it."""
    if future.cancelled():
        return
    err = future.exception()
    if err is not None:
        traceback.print_exception(type(err), err, err.__traceback__)
        sys.stderr.flush()


def banner(ioc: ExampleIoc, interface: str, port: int, prefix: str) -> str:
    """The line an IOC prints once it serves (its last); :mod:`launch` waits for it."""
    return f"{ioc.name} IOC serving {len(ioc.pvs)} PVs on {interface}:{port} (prefix {prefix!r})"


def serve(ioc: ExampleIoc, argv: Sequence[str] | None = None, *, preamble: str = "") -> int:
    """Run ``ioc`` until SIGINT or SIGTERM (or end of stdin with ``--exit-on-eof``).

    Before it prints its banner, the IOC reads a record over CA and, if it serves
    pvAccess, a record and every PVA-only PV over PVA, at the address it serves
    on: the banner means that clients get answers (an IOC whose database did not
    load, for one, says so and exits with status 1).

    Parameters
    ----------
    ioc : ExampleIoc
        The IOC to serve.
    argv : sequence of str, optional
        Command-line arguments (``sys.argv[1:]`` if None).
    preamble : str
        A line printed just before the banner (random_walk's tutorial line); may use
        ``{pvs}``, the list of PV names.

    Returns
    -------
    int
        0 after ``--list-pvs``.  When serving, the process ends inside EPICS's exit
        handler with status 0 and this function does not return.
    """
    parser = build_parser(ioc)
    args = parser.parse_args(argv)
    names = ioc.pv_names(args.prefix)
    pva = ioc.serves_pva and not getattr(args, "no_pva", False)
    pva_only = [args.prefix + pv.suffix for pv in ioc.pva_pvs] if pva else []
    bad = [name for name in names + pva_only if not _valid_record_name(name)]
    if bad:
        parser.error(f"--prefix {args.prefix!r} makes invalid record names, e.g. {bad[0]!r}")
    if args.list_pvs:
        print("\n".join(names + [PVA_SCHEME + name for name in pva_only]), flush=True)
        return 0
    port = configure_environment(args.port, args.interface)
    ports = None
    if pva:
        server_port, broadcast = configure_pva_environment(args.pva_port, args.pva_broadcast_port)
        ports = PvaPorts(server_port, broadcast, getattr(args, "p4p_port", 0))
        clash = check_ports_distinct(port, ports)
        if clash:
            parser.error(clash)
    stop = _stop_event(args.exit_on_eof)
    _check_port_free(args.interface, port)
    if ports is not None:
        if ioc.qsrv:
            _check_port_free(args.interface, ports.server, "--pva-port")
        if ports.p4p:
            _check_port_free(args.interface, ports.p4p, "--p4p-port")
    softioc, builder, asyncio_dispatcher, epicsdbbuilder = _import_softioc()

    dispatcher = asyncio_dispatcher.AsyncioDispatcher()
    epicsdbbuilder.SetSimpleRecordNames("", "")  # we pass full names, prefix included
    maker = RecordMaker(builder, ioc, args.prefix)
    animations = list(ioc.build(maker))
    maker.check_complete()
    builder.LoadDatabase()
    with _access_security():
        # enable_pva loads QSRV, which serves every record from the EPICS_PVAS_* variables.
        softioc.iocInit(dispatcher, enable_pva=ports is not None and ioc.qsrv)
    server = None
    if ports is not None and ioc.pva_pvs:
        _import_p4p()
        server, ports = start_server(ioc, args.prefix, maker.records, ports, animations)
    for animation in animations:
        asyncio.run_coroutine_threadsafe(animation(), dispatcher.loop).add_done_callback(
            _report_failure
        )

    host = LOOPBACK if args.interface in ("0.0.0.0", "") else args.interface
    try:
        _self_check(ioc, host, port, names, pva_only, ports)
    except RuntimeError as err:  # ProbeFailed, or a PVA get that failed
        print(f"{ioc.name} IOC does not serve: {err}", file=sys.stderr)
        _exit(softioc, 1, server)
    if preamble:
        print(preamble.format(pvs=names))
    if ports is not None:
        print(pva_banner(ioc, args.interface, ports))
    print(banner(ioc, args.interface, port, args.prefix), flush=True)
    stop.wait()
    _exit(softioc, 0, server)


def _self_check(
    ioc: ExampleIoc,
    host: str,
    port: int,
    names: Sequence[str],
    pva_only: Sequence[str],
    ports: PvaPorts | None,
) -> None:
    """Read a record over CA, and over PVA a record and every PVA-only PV, at ``host``.

    Raises RuntimeError naming the first PV that did not answer.
    """
    from catui.ioc_examples._probes import ca_read

    ca_read(host, port, names[0], SELF_CHECK_SECONDS)
    if ports is None:
        return
    from catui.ioc_examples import _pva

    wanted = [*names[:1], *pva_only] if ioc.qsrv else list(pva_only)
    ids = _pva.get_all(wanted, _pva.client_conf(host, ports.broadcast), SELF_CHECK_SECONDS)
    expected = [pv.type_id for pv in ioc.pva_pvs]
    if ids[len(ids) - len(expected) :] != expected:
        raise RuntimeError(f"PVA types {ids} of {wanted} are not the table's {expected}")


def _exit(softioc: ModuleType, status: int = 0, server: Any = None) -> NoReturn:
    """Leave through EPICS's exit, which stops the IOC's threads before the process ends.

    A plain interpreter exit would finalize Python while EPICS threads may still call
    into it; softioc's ``safeEpicsExit`` runs the atexit handlers (stopping the
    dispatcher's loop; p4p's would stop ``server`` too, but first is surer) and then
    ``epicsExit``.
    """
    if server is not None:
        server.stop()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # the reader of our output may be gone
            stream.flush()
    softioc.safeEpicsExit(status)
    raise SystemExit(status)  # not reached: epicsExit ends the process
