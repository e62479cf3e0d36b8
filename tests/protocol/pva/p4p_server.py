"""Serve PVs with p4p's own server until stdin closes: ``python p4p_server.py KIND NAME...``.

``KIND`` is ``static`` (a ``StaticProvider`` holding a SharedPV per NAME) or
``dynamic`` (a ``DynamicProvider`` that makes any NAME on demand and lists none).
Prints ``@@ready PORT`` once serving (PORT: the TCP port actually bound).
"""

from __future__ import annotations

import sys

from p4p.nt import NTScalar
from p4p.server import DynamicProvider, Server, StaticProvider
from p4p.server.thread import SharedPV


class _OnDemand:
    def __init__(self, names: list[str]) -> None:
        self.pvs = {name: SharedPV(nt=NTScalar("d"), initial=0.0) for name in names}

    def testChannel(self, name: str) -> bool:
        return name in self.pvs

    def makeChannel(self, name: str, peer: str) -> SharedPV:
        return self.pvs[name]


def main(argv: list[str]) -> int:
    kind, names = argv[0], argv[1:]
    if kind == "static":
        provider: object = StaticProvider("catui-test")
        for name in names:
            provider.add(name, SharedPV(nt=NTScalar("d"), initial=1.5))  # type: ignore[attr-defined]
    elif kind == "dynamic":
        provider = DynamicProvider("catui-test", _OnDemand(names))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    with Server(providers=[provider]) as server:
        print("@@ready", server.conf()["EPICS_PVAS_SERVER_PORT"], flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
