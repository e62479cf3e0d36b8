"""``catui put`` against the EPICS Base soft IOC: caput's output, flags and failures."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.interop


@pytest.fixture
def restore(epics_base_ioc):
    """``restore(pv)``: put the field's current value back after the test (dbpf)."""
    saved: list[tuple[str, str]] = []

    def keep(pv: str) -> None:
        saved.append((pv, epics_base_ioc.dbgf(pv)))

    yield keep
    for pv, value in reversed(saved):
        epics_base_ioc.dbpf(pv, value)


def test_old_and_new(cli, epics_base_ioc, restore):
    p = epics_base_ioc.prefix
    restore("ao")
    proc = cli("put", p + "ao", "4.25")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.splitlines() == [
        "Old : " + f"{p}ao".ljust(30) + " 3.5",
        "New : " + f"{p}ao".ljust(30) + " 4.25",
    ]
    assert float(epics_base_ioc.dbgf("ao")) == 4.25
    # -c waits for completion; -t prints the new value only; negative numbers are values.
    assert cli("put", "-c", "-t", p + "ao", "-5").stdout == "-5\n"


def test_words_are_joined_into_one_string(cli, epics_base_ioc, restore):
    p = epics_base_ioc.prefix
    restore("str")
    proc = cli("put", p + "str", "hello", "world")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "New : " + f"{p}str".ljust(30) + " hello world"
    assert epics_base_ioc.dbgf("str") == '"hello world"'
    # Typed text is never evaluated: it is written as it is.
    assert cli("put", "-t", p + "str", "__import__('os')").stdout == "__import__('os')\n"
    assert cli("put", "-t", p + "str", "007").stdout == "007\n"


def test_enums_by_name_or_number(cli, epics_base_ioc, restore):
    p = epics_base_ioc.prefix
    restore("mbbo")
    assert cli("put", "-t", p + "mbbo", "Fault").stdout == "Fault\n"
    assert cli("put", "-t", "-n", p + "mbbo", "0").stdout == "Off\n"
    assert cli("put", "-t", "-s", p + "mbbo", "On").stdout == "On\n"


def test_arrays_and_char_scalars(cli, epics_base_ioc, restore):
    p = epics_base_ioc.prefix
    restore("char")
    try:
        proc = cli("put", "-a", p + "wf:double", "2", "7", "8.5")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines() == [
            f"Old : {p}wf:double 3 1.5 2.5 3.5",
            f"New : {p}wf:double 2 7 8.5",
        ]
    finally:
        cli("put", "-a", p + "wf:double", "3", "1.5", "2.5", "3.5")
    assert cli("put", "-t", p + "char", "66").stdout == "66\n"


def test_failures_are_one_line_on_stderr(cli, epics_base_ioc, clean_failure):
    p = epics_base_ioc.prefix
    cases = [
        (["-w", "0.3", p + "nope", "1"], "not found"),
        ([p + "ro", "1"], "no write access"),
        ([p + "disabled", "1"], "ECA_PUTFAIL"),
        (["-c", p + "disabled", "1"], "ECA_PUTFAIL"),
        ([p + "ao", "abc"], "'abc' is not a number"),  # refused before sending
        ([p + "mbbo", "Nope"], "no choice"),
        (["-a", p + "wf:double", "3", "1"], "count"),
        (["-n", p + "ao", "many"], "not a number"),
    ]
    for args, why in cases:
        proc = cli("put", *args)
        clean_failure(proc, args[-2])
        assert why in proc.stderr, (args, proc.stderr)
        assert proc.stdout == ""
    assert epics_base_ioc.dbgf("disabled") == "7"
    assert epics_base_ioc.dbgf("ro") == "2"
