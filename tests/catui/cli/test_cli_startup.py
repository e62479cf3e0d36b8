"""``catui get`` starts lean: what it imports, how it exits, and the helpers behind that."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from catui.cli import common
from catui.cli import formatting as fm
from tests.catui.cli.conftest import ROOT, tool_env
from tests.support.iocs import free_port

# Each costs a command-line tool start-up time and is not needed to read a PV.
NOT_NEEDED = (
    "logging", "dataclasses", "inspect", "json", "concurrent.futures", "threading",
    "ipaddress", "getpass", "shutil", "datetime", "subprocess", "encodings.idna",
    "importlib.util", "protocol.sync.blocker", "protocol.sync.subscription",
    "protocol.sync.interfaces", "protocol.sync.repeater", "protocol.status_enum",
)  # fmt: skip


# Neither is needed on the command line at all (catui.cli's promise).
NEVER = ("numpy", "textual")


@pytest.mark.parametrize(
    "words",
    [
        ["get", "{p}ao"],
        # put opens a channel, reads, checks the value and writes it, reads again;
        # the values are the ones the PVs hold, so that nothing changes.
        ["put", "{p}ao", "3.5"],
        ["put", "-n", "{p}mbbo", "1"],
        ["put", "{p}str", "hello"],
    ],
    ids=["get", "put", "put-enum", "put-text"],
)
def test_tool_loads_only_what_it_needs(epics_base_ioc, words):
    argv = [word.format(p=epics_base_ioc.prefix) for word in words]
    tool = argv[0]
    unwanted = NOT_NEEDED + NEVER
    code = (
        "import sys\n"
        "from catui.__main__ import main\n"
        f"status = main({argv!r})\n"
        f"print('loaded:', *sorted(m for m in {unwanted!r} if m in sys.modules))\n"
        "sys.exit(status)\n"
    )
    env = tool_env(epics_base_ioc, {"EPICS_CA_AUTO_ADDR_LIST": "NO"})
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    *values, loaded = proc.stdout.splitlines()
    name = next(word for word in argv if word.startswith(epics_base_ioc.prefix))
    starts = [f"Old : {name} ", f"New : {name} "] if tool == "put" else [f"{name} "]
    assert [line[: len(start)] for line, start in zip(values, starts, strict=True)] == starts
    # What the interpreter loads before our code runs (an editable install's
    # path finder, site .pth files) is not ours to save: compare with that.
    baseline = subprocess.run(
        [sys.executable, "-c", f"import sys; print(*sorted(m for m in {unwanted!r} "
         "if m in sys.modules))"],
        capture_output=True, text=True, env=env, cwd=ROOT, check=True,
    ).stdout.split()  # fmt: skip
    ours = set(loaded.split()[1:]) - set(baseline)
    assert loaded.startswith("loaded:")
    assert not ours, f"catui {tool} imported {sorted(ours)}"


def test_tool_waits_for_other_threads_before_exiting():
    # run() skips the interpreter's teardown only when nothing else runs.
    code = (
        "import sys, threading, time\n"
        "from catui.__main__ import run\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()\n"
        "sys.argv = ['catui', 'get', '-w', '0.1', 'no:such:pv']\n"
        "run()\n"
    )
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "EPICS_CA_AUTO_ADDR_LIST": "NO",
        "EPICS_CA_ADDR_LIST": "127.0.0.1", "EPICS_CA_SERVER_PORT": str(free_port()),
    }  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert proc.returncode == 1, proc.stderr
    assert "thread done" in proc.stdout
    assert "no:such:pv" in proc.stderr


def test_exit_handlers_run_on_the_fast_exit():
    code = (
        "import atexit, sys\n"
        "from catui.__main__ import run\n"
        "atexit.register(lambda: print('bye'))\n"
        "sys.argv = ['catui', 'get', '-w', '0.1', 'no:such:pv']\n"
        "run()\n"
    )
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "EPICS_CA_AUTO_ADDR_LIST": "NO",
        "EPICS_CA_ADDR_LIST": "127.0.0.1", "EPICS_CA_SERVER_PORT": str(free_port()),
    }  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == "bye\n"


@pytest.mark.parametrize("columns", ["50", "123", "0", "junk", None])
def test_help_width_is_shutils(monkeypatch, columns):
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert common._terminal_columns() == shutil.get_terminal_size().columns
    import argparse

    ours = common.HelpFormatter("prog")
    theirs = argparse.HelpFormatter("prog")
    assert ours._width == theirs._width


def test_number_format_is_a_value():
    assert fm.NumberFormat() == fm.NumberFormat("g", None) == fm.DEFAULT_FORMAT
    assert fm.NumberFormat("e", 3) != fm.NumberFormat("f", 3)
    assert len({fm.NumberFormat("e", 3), fm.NumberFormat("e", 3)}) == 1
    assert repr(fm.NumberFormat("f", 2)) == "NumberFormat(style='f', digits=2)"
    with pytest.raises(AttributeError):
        fm.DEFAULT_FORMAT.digits = 3  # type: ignore[misc]
