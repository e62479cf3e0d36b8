"""Serve a few pythonSoftIOC records under a prefix until stdin closes or SIGTERM.

Usage::

    python softioc_server.py PREFIX

Records (names follow ``records.db`` where the two overlap):

=================  ===========  ======  =============================================
PV                 builder      native  notes
=================  ===========  ======  =============================================
PREFIXao           aOut         DOUBLE  EGU mm, PREC 3, drive limits +-50; copied to ai
PREFIXai           aIn          DOUBLE  EGU mm, PREC 3; follows every put to ao
PREFIXlong         longOut      LONG    EGU counts, drive limits +-500
PREFIXmbbo         mbbOut       ENUM    Off/On/Fault, initially On
PREFIXstr          stringOut    STRING  "hello"
PREFIXwf:double    WaveformOut  DOUBLE  8 elements, [1.5, 2.5, 3.5] used
=================  ===========  ======  =============================================

Prints ``@@ready`` on stdout once the IOC serves.  PV Access is not started.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

import epicsdbbuilder
import numpy as np
from softioc import asyncio_dispatcher, builder, softioc

READY = "@@ready"


def build(prefix: str) -> None:
    """Create the records under ``prefix``."""
    builder.SetDeviceName(prefix)
    epicsdbbuilder.SetSeparator("")
    ai = builder.aIn("ai", initial_value=3.5, EGU="mm", PREC=3, HOPR=100, LOPR=-100)
    builder.aOut(
        "ao",
        initial_value=3.5,
        EGU="mm",
        PREC=3,
        HOPR=100,
        LOPR=-100,
        DRVH=50,
        DRVL=-50,
        on_update=ai.set,
    )
    builder.longOut("long", initial_value=42, EGU="counts", DRVH=500, DRVL=-500)
    builder.mbbOut("mbbo", "Off", "On", "Fault", initial_value=1)
    builder.stringOut("str", initial_value="hello")
    builder.WaveformOut(
        "wf:double", initial_value=np.array([1.5, 2.5, 3.5]), length=8, EGU="mm", PREC=2
    )


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    dispatcher = asyncio_dispatcher.AsyncioDispatcher()
    build(args[0])
    builder.LoadDatabase()
    softioc.iocInit(dispatcher, enable_pva=False)
    signal.signal(signal.SIGTERM, _stop)
    print(READY, flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin (or dies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
