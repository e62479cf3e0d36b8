"""A pythonSoftIOC serving a few records over CA and PVA (QSRV): ``python qsrv_softioc.py PREFIX``.

Prints ``@@ready`` once iocInit is done; serves until stdin closes.
"""

from __future__ import annotations

import sys

import epicsdbbuilder
from softioc import asyncio_dispatcher, builder, softioc

RECORDS = ("ai", "ao", "long", "str", "mbbo")


def main(argv: list[str]) -> int:
    dispatcher = asyncio_dispatcher.AsyncioDispatcher()
    builder.SetDeviceName(argv[0])
    epicsdbbuilder.SetSeparator("")
    builder.aIn("ai", initial_value=3.5)
    builder.aOut("ao", initial_value=3.5)
    builder.longOut("long", initial_value=42)
    builder.stringOut("str", initial_value="hello")
    builder.mbbOut("mbbo", "Off", "On", initial_value=1)
    builder.LoadDatabase()
    softioc.iocInit(dispatcher, enable_pva=True)
    print("@@ready", flush=True)
    sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
