"""Run an EPICS Base soft IOC (epicscorelibs) driven by commands read from stdin.

Usage::

    python ioc_launcher.py DBFILE [--macros P=pfx:] [--acf ACFFILE]

After ``iocInit`` the launcher prints ``@@ready`` on stdout.  Then each line read
from stdin is one command, answered (after its own output) by ``@@done <status>``:

``@fill PV COUNT START STEP``
    Put ``COUNT`` doubles ``START + STEP * i`` into the array field ``PV``.
anything else
    An iocsh command, e.g. ``dbpf pfx:ao 4``; the status is iocsh's return value.

End of input (the parent closing the pipe, or dying) stops the IOC.  The
environment decides where the CA server binds (see ``tests/support/iocs.py``).
"""

from __future__ import annotations

import argparse
import ctypes
import sys

import epicscorelibs.ioc as base
import numpy as np

READY = "@@ready"
DONE = "@@done"
DBR_DOUBLE = 10  # dbFldTypes.h, not the CA type code

_libc = ctypes.CDLL(None)
_dbcore = base.dbCore
_dbcore.dbChannelCreate.restype = ctypes.c_void_p
_dbcore.dbChannelCreate.argtypes = [ctypes.c_char_p]
_dbcore.dbChannelOpen.restype = ctypes.c_long
_dbcore.dbChannelOpen.argtypes = [ctypes.c_void_p]
_dbcore.dbChannelPutField.restype = ctypes.c_long
_dbcore.dbChannelPutField.argtypes = [
    ctypes.c_void_p,
    ctypes.c_short,
    ctypes.c_void_p,
    ctypes.c_long,
]
_dbcore.dbChannelDelete.restype = None
_dbcore.dbChannelDelete.argtypes = [ctypes.c_void_p]


def fill(pv: str, count: int, start: float, step: float) -> int:
    """Write ``start + step * i`` for ``i < count`` to ``pv``; return a status (0 = ok)."""
    chan = _dbcore.dbChannelCreate(pv.encode())
    if not chan:
        print(f"fill: no such channel {pv!r}")
        return 1
    try:
        if _dbcore.dbChannelOpen(chan):
            print(f"fill: cannot open {pv!r}")
            return 1
        values = np.ascontiguousarray(start + step * np.arange(count, dtype=np.float64))
        status = _dbcore.dbChannelPutField(chan, DBR_DOUBLE, values.ctypes.data, count)
        return int(status != 0)
    finally:
        _dbcore.dbChannelDelete(chan)


def run_command(line: str) -> int:
    """Execute one stdin command; return its status."""
    if line.startswith("@fill"):
        try:
            _, pv, count, start, step = line.split()
            return fill(pv, int(count), float(start), float(step))
        except ValueError:
            print(f"usage: @fill PV COUNT START STEP, not {line!r}")
            return 1
    return int(base.ioc(line))


def flush() -> None:
    """Flush the C library's and Python's stdout buffers, in that order."""
    _libc.fflush(None)
    sys.stdout.flush()


def start(db: str, macros: str, acf: str | None) -> None:
    """Load the base DBD, ``db`` with ``macros``, optional access security; iocInit."""
    base.iocshRegisterCommon()
    if base.dbLoadDatabase(b"base.dbd", base.DEFAULT_DBD_PATH.encode(), None):
        raise SystemExit("ioc_launcher: loading base.dbd failed")
    if base.registerRecordDeviceDriver(base.pdbbase):
        raise SystemExit("ioc_launcher: registerRecordDeviceDriver failed")
    if base.dbLoadRecords(db.encode(), macros.encode()):
        raise SystemExit(f"ioc_launcher: loading {db} failed")
    if acf is not None and base.ioc(f'asSetFilename("{acf}")'):
        raise SystemExit(f"ioc_launcher: asSetFilename({acf}) failed")
    if base.iocInit():
        raise SystemExit("ioc_launcher: iocInit failed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="record database to load")
    parser.add_argument("--macros", default="", help="macros for the database, e.g. P=pfx:")
    parser.add_argument("--acf", default=None, help="access security file")
    args = parser.parse_args(argv)
    start(args.db, args.macros, args.acf)
    flush()
    print(READY, flush=True)
    for raw in sys.stdin:
        line = raw.strip()
        status = run_command(line) if line else 0
        flush()
        print(f"{DONE} {status}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
