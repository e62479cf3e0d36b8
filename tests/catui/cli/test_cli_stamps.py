"""camonitor's ``-t`` time fields (catui.cli.stamps), with given stamps: no IOC, no clock."""

from __future__ import annotations

import argparse

import pytest

from catui.cli import formatting as fm
from catui.cli.stamps import StampClock, stamp_keys_arg
from tests.catui.cli.epics_c import printf

T0 = (1_000_000_000, 250_000_000)
START = (999_999_990, 0)


def _at(seconds: float) -> tuple[int, int]:
    whole = int(seconds)
    return T0[0] + whole, T0[1] + round((seconds - whole) * 1e9)


def _relative(seconds: float) -> str:
    seconds = float(seconds)  # printf reads a double
    # tool_lib.c: printf("              %+12.6f", epicsTimeDiffInSeconds(...)).
    return printf("              %+12.6f", seconds)


def test_keys():
    assert repr(stamp_keys_arg("s")) == "StampKeys(server=True, client=False, mode='absolute')"
    assert repr(stamp_keys_arg("cI")) == "StampKeys(server=False, client=True, mode='per-pv')"
    keys = stamp_keys_arg("n")
    assert (keys.server, keys.client) == (False, False)
    keys = stamp_keys_arg("sci")
    assert (keys.server, keys.client, keys.mode) == (True, True, "incremental")
    for bad in ("x", "r", "ni", "sq"):
        with pytest.raises(argparse.ArgumentTypeError):
            stamp_keys_arg(bad)


def test_absolute_server_client_and_none():
    stamp = fm.stamp_text(*T0)
    assert StampClock().field("a", T0, START) == stamp
    clock = StampClock(stamp_keys_arg("sc"))
    assert clock.field("a", T0, START) == f"{stamp}({fm.stamp_text(*START)})"
    assert StampClock(stamp_keys_arg("n")).field("a", T0, START) == ""


def test_relative_to_the_first_update_and_the_start():
    clock = StampClock(stamp_keys_arg("src"), started=START)
    first = clock.field("a", T0, _at(0.5))
    assert first == f"{fm.stamp_text(*T0)}({fm.stamp_text(*_at(0.5))})"
    # Each PV's first line is absolute; later ones relative: server to the first
    # update of any PV, client to the program's start.
    assert clock.field("b", _at(1), _at(1.5)).startswith(fm.stamp_text(*_at(1)))
    line = clock.field("a", _at(2.25), _at(2.5))
    assert line == _relative(2.25) + printf("              (%+12.6f)", 12.75)


def test_incremental_for_all_pvs_and_per_pv():
    clock = StampClock(stamp_keys_arg("si"))
    clock.field("a", T0)
    clock.field("b", _at(1))
    assert clock.field("a", _at(1.5)) == _relative(0.5)  # since b's update
    assert clock.field("b", _at(1.25)) == _relative(-0.25)  # stamps need not be in order
    clock = StampClock(stamp_keys_arg("sI"))
    clock.field("a", T0)
    clock.field("b", _at(1))
    assert clock.field("a", _at(1.5)) == _relative(1.5)  # since a's own last update
    assert clock.field("b", _at(4)) == _relative(3.0)
