"""The CLI test matrix: record types × flags, every line as caget, caput and camonitor print it.

An IOC of its own serves ``records.db`` and the record types it lacks
(:mod:`tests.catui.cli.matrix_records`).  The gets and puts of the matrix go through
one driver process (:mod:`tests.catui.cli.run_tools`), the monitors run beside it;
each test then compares what one run printed, line for line and time stamps
masked, with what the EPICS tools print for the same flags, as
:mod:`tests.catui.cli.caget_model` builds it from their C sources.  The last test
checks the value text against pyepics (libca), where ``caget(..., as_string=True)``
gives the same text.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.catui.cli import caget_model as model
from tests.catui.cli.caget_model import Flags
from tests.catui.cli.conftest import ROOT, catui_argv, tool_env
from tests.catui.cli.matrix_records import DBR_RECORDS, EXTRA_DB, RECORDS, by_suffix
from tests.support.iocs import RECORDS_DB, EpicsBaseIoc

pytestmark = pytest.mark.interop

PREFIX = f"cat{os.getpid()}:mx:"
_STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
NAMES = [PREFIX + rec.suffix for rec in RECORDS]

GET_FLAGS = [
    Flags(),
    Flags(("-t",), terse=True),
    Flags(("-a",), wide=True),
    Flags(("-c",), callback=True),
    Flags(("-c", "-t"), callback=True, terse=True),
    Flags(("-c", "-a"), callback=True, wide=True),
    Flags(("-n",), enum_numbers=True),
    Flags(("-n", "-0x"), enum_numbers=True, int_base="x"),
    Flags(("-0x",), int_base="x"),
    Flags(("-0o",), int_base="o"),
    Flags(("-0b",), int_base="b"),
    Flags(("-lx",), float_base="x"),
    Flags(("-lo",), float_base="o"),
    Flags(("-lb", "-c"), float_base="b", callback=True),
    Flags(("-e", "3"), dbl_format="%-.3e"),
    Flags(("-f", "2"), dbl_format="%-.2f"),
    Flags(("-g", "3", "-a"), dbl_format="%-.3g", wide=True),
    Flags(("-s",), float_as_string=True),
    Flags(("-s", "-c", "-a"), float_as_string=True, callback=True, wide=True),
    Flags(("-S",), char_string=True),
    Flags(("-S", "-c"), char_string=True, callback=True),
    Flags(("-S", "-t", "-c"), char_string=True, terse=True, callback=True),
    Flags(("-F", ","), sep=","),
    Flags(("-F", ";", "-a", "-c"), sep=";", wide=True, callback=True),
    Flags(("-#", "2"), count=2),
    Flags(("-#", "1", "-c"), count=1, callback=True),
    Flags(("-#", "0"), count=0),
    Flags(("-#", "10", "-c", "-a", "-S"), count=10, callback=True, wide=True, char_string=True),
    Flags(("-c", "-a", "-n", "-0b"), callback=True, wide=True, enum_numbers=True, int_base="b"),
]

# -d TYPE: every DBR type but PUT_ACKT/PUT_ACKS (written, never read).
DBR_CODES = [*range(35), 37, 38]
DBR_FLAGS = [
    ("CTRL_DOUBLE", Flags(("-c", "-f", "2"), callback=True, dbl_format="%-.2f"), "ao wf:double"),
    ("34", Flags(("-F", ","), sep=","), "wf:double"),
    ("TIME_CHAR", Flags(("-S",), char_string=True), "wf:char lstr.VAL$ char"),
    ("CHAR", Flags(("-S", "-c", "-#", "3"), char_string=True, callback=True, count=3), "wf:char"),
    ("DBR_GR_ENUM", Flags(("-n",), enum_numbers=True), "mbbo bi"),
    ("CTRL_ENUM", Flags(), "mbbi bo"),
    ("DBR_LONG", Flags(("-0x", "-c"), int_base="x", callback=True), "wf:long longin"),
]

MONITOR_FLAGS = [
    Flags(),
    Flags(("-t", "n"), stamps="n"),
    Flags(("-t", "c"), stamps="c"),
    Flags(("-t", "sc"), stamps="sc"),
    Flags(("-n",), enum_numbers=True),
    Flags(("-0x",), int_base="x"),
    Flags(("-lx",), float_base="x"),
    Flags(("-e", "2"), dbl_format="%-.2e"),
    Flags(("-s",), float_as_string=True),
    Flags(("-S",), char_string=True),
    Flags(("-F", ","), sep=","),
    Flags(("-#", "2"), count=2),
    Flags(("-#", "1", "-S"), count=1, char_string=True),
    Flags(("-m", "a")),
]

_LSO = "a long string value that is longer than forty characters in total"
# (record, values written, flags, written as text): each writes what the record holds.
PUT_CASES = [
    ("ao", ["3.5"], Flags(), False),
    ("ao", ["3.5"], Flags(("-t",), terse=True), False),
    ("ao", ["3.5"], Flags(("-l",), wide=True), False),
    ("ao", ["3.5"], Flags(("-c", "-l", "-t"), terse=True), False),
    ("ao", ["3.5"], Flags(("-F", ","), sep=","), False),
    ("ao", ["3.5"], Flags(("-#", "1"), count=1), False),
    ("long", ["42"], Flags(("-c", "-l"), wide=True), False),
    ("mbbo", ["On"], Flags(), False),
    ("mbbo", ["1"], Flags(("-n",), enum_numbers=True), False),
    ("mbbo", ["On"], Flags(("-s",)), False),
    ("mbbi", ["2"], Flags(("-l", "-n"), wide=True, enum_numbers=True), False),
    ("bo", ["Low"], Flags(("-c", "-t"), terse=True), False),
    ("str", ["hello"], Flags(), False),
    ("wf:double", ["3", "1.5", "2.5", "3.5"], Flags(("-a",)), False),
    ("wf:double", ["3", "1.5", "2.5", "3.5"], Flags(("-a", "-l"), wide=True), False),
    ("wf:double", ["3", "1.5", "2.5", "3.5"], Flags(("-a", "-t"), terse=True), False),
    ("wf:double", ["3", "1.5", "2.5", "3.5"], Flags(("-a", "-F", ";"), sep=";"), False),
    ("wf:double", ["3", "1.5", "2.5", "3.5"], Flags(("-a", "-#", "2"), count=2), False),
    ("wf:short", ["4", "1", "-2", "3", "-4"], Flags(("-a", "-c", "-l"), wide=True), False),
    ("wf:char", ["Hello", "CA"], Flags(), True),
    ("wf:char", ["Hello CA"], Flags(("-S", "-l"), wide=True), True),
    ("lstr.VAL$", [_LSO], Flags(("-S",)), True),
]


def _put_id(case: tuple[str, list[str], Flags, bool]) -> str:
    record, values, flags, _ = case
    return " ".join([*flags.words, record, *values])[:60]


def _dbr_records(code: int) -> list[str]:
    family = code % 7 if code < 35 else 0
    out = []
    for suffix in DBR_RECORDS:
        rec = by_suffix(suffix)
        if rec.native == "STRING" and family != 0:
            continue  # a string record's text is no number
        out.append(suffix)
    return out


def _reads() -> dict[str, list[str]]:
    """The gets of the matrix by id, in the order the driver runs them."""
    runs: dict[str, list[str]] = {}
    for flags in GET_FLAGS:
        runs[f"get {' '.join(flags.words)}"] = ["get", *flags.words, *NAMES]
    for code in DBR_CODES:
        runs[f"get -d {code}"] = [
            "get",
            "-d",
            str(code),
            *(PREFIX + s for s in _dbr_records(code)),
        ]
    for name, flags, suffixes in DBR_FLAGS:
        pvs = [PREFIX + s for s in suffixes.split()]
        runs[f"get -d {name} {' '.join(flags.words)}"] = ["get", "-d", name, *flags.words, *pvs]
    return runs


def _puts() -> dict[str, list[str]]:
    """The puts of the matrix by id (each writes the value its record holds)."""
    runs: dict[str, list[str]] = {}
    for case in PUT_CASES:
        record, values, flags, _ = case
        runs[f"put {_put_id(case)}"] = ["put", *flags.words, PREFIX + record, *values]
    return runs


def _drive(env: dict[str, str], runs: dict[str, list[str]]) -> dict[str, tuple[int, str, str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.catui.cli.run_tools"],
        input=json.dumps(list(runs.values())), capture_output=True, text=True,
        env=env, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    return {key: tuple(result) for key, result in zip(runs, results, strict=True)}


@pytest.fixture(scope="module")
def matrix_ioc() -> Iterator[EpicsBaseIoc]:
    with tempfile.TemporaryDirectory() as directory:
        db = Path(directory) / "matrix.db"
        db.write_text(RECORDS_DB.read_text() + EXTRA_DB)
        ioc = EpicsBaseIoc(PREFIX, db=db, fill_bigwf=False)
        ioc.start()
        try:
            yield ioc
        finally:
            ioc.stop()


@pytest.fixture(scope="module")
def outcomes(matrix_ioc: EpicsBaseIoc) -> dict[str, tuple[int, str, str]]:
    """Every run of the matrix: id -> (status, stdout, stderr).

    The gets run one after the other in one driver process; the monitors, which
    each last their --duration, run meanwhile, each in a process of its own; the
    puts, which post updates even of a value unchanged, after them.
    """
    env = tool_env(matrix_ioc)
    monitors = {
        f"monitor {' '.join(flags.words)}": subprocess.Popen(
            catui_argv("monitor", "--duration", "2", "-w", "1.5", *flags.words, *NAMES),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for flags in MONITOR_FLAGS
    }
    try:
        done = _drive(env, _reads())
        for key, monitor in monitors.items():
            stdout, stderr = monitor.communicate(timeout=60)
            done[key] = (monitor.returncode, stdout, stderr)
        done.update(_drive(env, _puts()))
        return done
    finally:
        for monitor in monitors.values():
            monitor.kill()
            monitor.wait()


def _lines(outcome: tuple[int, str, str]) -> list[str]:
    status, stdout, stderr = outcome
    assert (status, stderr) == (0, ""), outcome
    assert stdout.endswith("\n")
    return _STAMP.sub(model.STAMP, stdout).split("\n")[:-1]


@pytest.mark.parametrize("flags", GET_FLAGS, ids=lambda f: " ".join(f.words) or "plain")
def test_get_lines(outcomes, flags):
    got = _lines(outcomes[f"get {' '.join(flags.words)}"])
    assert got == model.caget_lines(PREFIX, RECORDS, flags)


def _blocks(suffixes: list[str], code: int, flags: Flags) -> list[str]:
    return [line for s in suffixes for line in model.dbr_block(PREFIX, by_suffix(s), code, flags)]


@pytest.mark.parametrize("code", DBR_CODES)
def test_get_dbr_blocks(outcomes, code):
    got = _lines(outcomes[f"get -d {code}"])
    assert got == _blocks(_dbr_records(code), code, Flags())


@pytest.mark.parametrize(("name", "flags", "suffixes"), DBR_FLAGS, ids=lambda v: str(v)[:20])
def test_get_dbr_blocks_with_flags(outcomes, name, flags, suffixes):
    got = _lines(outcomes[f"get -d {name} {' '.join(flags.words)}"])
    code = {"34": 34, "CTRL_DOUBLE": 34, "TIME_CHAR": 18, "CHAR": 4, "DBR_GR_ENUM": 24,
            "CTRL_ENUM": 31, "DBR_LONG": 5}[name]  # fmt: skip
    assert got == _blocks(suffixes.split(), code, flags)


@pytest.mark.parametrize("flags", MONITOR_FLAGS, ids=lambda f: " ".join(f.words) or "plain")
def test_monitor_lines(outcomes, flags):
    # Static records: one update each, in the order they arrive.
    got = _lines(outcomes[f"monitor {' '.join(flags.words)}"])
    assert sorted(got) == sorted(model.camonitor_line(PREFIX, rec, flags) for rec in RECORDS)


@pytest.mark.parametrize("case", PUT_CASES, ids=_put_id)
def test_put_lines(outcomes, case):
    record, _, flags, as_text = case
    got = _lines(outcomes[f"put {_put_id(case)}"])
    assert got == model.caput_lines(PREFIX, by_suffix(record), flags, as_text=as_text)


def test_put_old_and_new_differ(matrix_ioc, tool):
    name = PREFIX + "long"
    try:
        proc = tool(matrix_ioc, "put", "-l", name, "-7")
        pad = name.ljust(30)
        assert _lines((proc.returncode, proc.stdout, proc.stderr)) == [
            f"Old : {pad} {model.STAMP} 42  ",
            f"New : {pad} {model.STAMP} -7  ",
        ]
    finally:
        matrix_ioc.dbpf("long", "42")


# Where pyepics (libca) gives the same text as caget: (PV, catui get flags).  Not here:
# strings that caget escapes (tabs, quotes, UTF-8), -s of PREC 0 values (pyepics
# rounds half to even), an enum's blank label and an empty array (catui's own text).
PYEPICS_SAME = [
    ("long", "-t"), ("short", "-t"), ("longin", "-t"), ("lmax", "-t"), ("mbbo", "-t"),
    ("bo", "-t"), ("mbbi", "-t"), ("bi", "-t"), ("str", "-t"), ("lstr", "-t"),
    ("ao", "-t -s"), ("alarm", "-t -s"), ("float", "-t -s"), ("ai", "-t -s"),
    ("calc", "-t -s"), ("ro", "-t -s"),
    ("wf:char", "-t -S -c"), ("lstr.VAL$", "-t -S -c"), ("wf:string", "-t -c"),
]  # fmt: skip

_PYEPICS = """
import json, sys
import epics
names = json.load(sys.stdin)
out = {}
for name in names:
    value = epics.caget(name, as_string=True, timeout=5)
    out[name] = list(value) if isinstance(value, (list, tuple)) else value
print(json.dumps(out))
"""


def _pyepics_texts(ioc: EpicsBaseIoc, names: list[str]) -> dict[str, Any]:
    # libca would spawn a caRepeater found on PATH: give it none to find.
    with tempfile.TemporaryDirectory() as empty:
        env = {**tool_env(ioc), "PATH": empty}
        proc = subprocess.run(
            [sys.executable, "-c", _PYEPICS], input=json.dumps(names), capture_output=True,
            text=True, env=env, cwd=ROOT, timeout=60,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    texts: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return texts


def test_value_text_agrees_with_pyepics(matrix_ioc):
    names = [PREFIX + suffix for suffix, _ in PYEPICS_SAME]
    theirs = _pyepics_texts(matrix_ioc, names)
    runs = [["get", *flags.split(), PREFIX + suffix] for suffix, flags in PYEPICS_SAME]
    proc = subprocess.run(
        [sys.executable, "-m", "tests.catui.cli.run_tools"], input=json.dumps(runs),
        capture_output=True, text=True, env=tool_env(matrix_ioc), cwd=ROOT, timeout=120,
    )  # fmt: skip
    ours = [_lines(tuple(result))[0] for result in json.loads(proc.stdout)]
    for (suffix, _), name, text in zip(PYEPICS_SAME, names, ours, strict=True):
        expected = theirs[name]
        if isinstance(expected, list):  # an array of strings: ours is its count, then each
            assert text.split(" ") == [str(len(expected)), *expected], suffix
        else:
            assert text == expected, suffix
