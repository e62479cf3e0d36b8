"""``catui put`` against the EPICS Base soft IOC: caput's output, flags and failures."""

from __future__ import annotations

import time

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
    # Typed text is never evaluated: it is written as it is (and printed escaped, as
    # caput prints a string: quotes and backslashes behind a backslash).
    assert cli("put", "-t", p + "str", "__import__('os')").stdout == "__import__(\\'os\\')\n"
    assert epics_base_ioc.dbgf("str") == "\"__import__(\\'os\\')\""  # dbgf escapes too
    assert cli("put", "-t", p + "str", "007").stdout == "007\n"


def test_enums_by_name_or_number(cli, epics_base_ioc, restore):
    p = epics_base_ioc.prefix
    restore("mbbo")
    assert cli("put", "-t", p + "mbbo", "Fault").stdout == "Fault\n"
    # caput -n reads the enum as a number too (DBR_TIME_SHORT).
    assert cli("put", "-t", "-n", p + "mbbo", "0").stdout == "0\n"
    assert cli("put", "-n", p + "mbbo", "2").stdout.splitlines() == [
        "Old : " + f"{p}mbbo".ljust(30) + " 0",
        "New : " + f"{p}mbbo".ljust(30) + " 2",
    ]
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


# (arguments, the record written to, what the one stderr line says).  Each value
# would change on its way to the IOC: caput (or the IOC's conversion of text) would
# write 1 for "1.5", 255 for "-1", 12 for "12abc", 0 for 1e-50, an mbbo state without
# a label for -n 5; the client library refuses them before anything is sent.
REFUSED = [
    (["long", "1.5"], "long", "1.5 is not a whole number"),
    (["char", "1.5"], "char", "not a whole number"),
    (["char", "-1"], "char", "out of range for CHAR"),
    (["short", "70000"], "short", "out of range for INT"),
    (["ao", "12abc"], "ao", "'12abc' is not a number"),
    (["ao", "1_0"], "ao", "is not a number"),
    (["ao", ""], "ao", "is not a number"),
    (["float", "1e-50"], "float", "too small for FLOAT"),
    (["i64", "9007199254740993"], "i64", "cannot be held exactly by DOUBLE"),
    (["-n", "mbbo", "5"], "mbbo", "has no choice 5"),
    (["-n", "mbbo", "1.5"], "mbbo", "must be an integer"),
    (["-n", "mbbo", "1_0"], "mbbo", "-n: '1_0' is not a number"),
    (["mbbo", "5"], "mbbo", "has no choice '5'"),
    (["-a", "wf:long", "2", "1", "2.5"], "wf:long", "2.5 is not a whole number"),
    (["-a", "wf:short", "2", "1", "x"], "wf:short", "'x' is not a number"),
    (["-a", "wf:double", "9", *"123456789"], "wf:double", "holds at most 8 element(s)"),
    (["-a", "ao", "0"], "ao", "nothing to write"),
    (["wf:char", "x" * 64], "wf:char", "holds at most 64 element(s)"),
    (["-S", "wf:char", "caf\u20ac"], "wf:char", "not a latin-1 character"),
    (["-S", "ao", "1"], "ao", "-S writes a CHAR array; this PV is DBF_DOUBLE[1]"),
    (["-S", "-a", "wf:char", "1", "2"], "wf:char", "cannot be combined"),
]


@pytest.mark.parametrize(("args", "record", "why"), REFUSED, ids=[" ".join(r[0]) for r in REFUSED])
def test_values_that_would_change_are_refused_and_nothing_is_written(
    cli, epics_base_ioc, clean_failure, args, record, why
):
    p = epics_base_ioc.prefix
    words = [p + word if word == record else word for word in args]
    fields = [record, f"{record}.NORD"] if record.startswith("wf:") else [record]
    before = [epics_base_ioc.dbgf(field) for field in fields]
    for flags in ([], ["-c"]):
        proc = cli("put", *flags, *words)
        clean_failure(proc, p + record)
        assert why in proc.stderr, proc.stderr
        assert proc.stdout == ""
        assert [epics_base_ioc.dbgf(field) for field in fields] == before


def test_an_enum_index_without_a_label_shows_its_number(cli, epics_base_ioc, restore, store_index):
    p = epics_base_ioc.prefix
    mbbo = f"{p}mbbo".ljust(30)
    restore("mbbo")
    restore("mbbo.ONST")
    store_index("mbbo", 5)  # beyond its three labels
    proc = cli("put", p + "mbbo", "Fault")
    assert proc.stdout.splitlines() == [f"Old : {mbbo} 5", f"New : {mbbo} Fault"]
    epics_base_ioc.dbpf("mbbo.ONST", "")  # a label left blank, below the others
    assert cli("put", "-t", "-n", p + "mbbo", "1").stdout == "1\n"
    proc = cli("put", p + "mbbo", "Off")
    assert proc.stdout.splitlines() == [f"Old : {mbbo} 1", f"New : {mbbo} Off"]


def test_char_arrays_are_written_and_shown_as_text(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    wf = p + "wf:char"
    try:
        proc = cli("put", wf, "hello", "world")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines() == [f"Old : {wf} Hello CA", f"New : {wf} hello world"]
        assert cli("get", "-t", wf).stdout.split()[:13] == ["64", *map(str, b"hello world\0")]
        # -S as caput -S: escapes stand for their bytes, and are shown again as escapes.
        proc = cli("put", "-S", wf, r"tab\there")
        assert proc.stdout.splitlines()[-1] == f"New : {wf} tab\\there"
        assert cli("get", "-t", wf).stdout.split()[:10] == ["64", *map(str, b"tab\there\0")]
        assert cli("put", "-t", "-S", wf, r"\x41\x42 C").stdout == "AB C\n"
        # -a writes numbers, and shows numbers.
        proc = cli("put", "-a", wf, "3", "72", "105", "0")
        assert proc.stdout.splitlines()[-1] == f"New : {wf} 3 72 105 0"
        long_string = "a long string value, longer than forty characters, as text"
        proc = cli("put", p + "lstr.VAL$", long_string)
        assert proc.stdout.splitlines()[-1] == f"New : {p}lstr.VAL$ {long_string}"
    finally:
        cli("put", "-a", wf, "8", *map(str, b"Hello CA"))
        cli(
            "put",
            p + "lstr.VAL$",
            "a long string value that is longer than forty characters in total",
        )
    assert cli("get", "-t", "-S", wf).stdout == "Hello CA\n"


def test_an_empty_array_is_written_as_zero_elements(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    wf = p + "wf:double"
    try:
        proc = cli("put", "-a", wf, "0")
        assert proc.returncode == 0, proc.stderr
        # No element: the count, 0, and (empty array), never a bare 0 that reads as a value.
        assert proc.stdout.splitlines() == [
            f"Old : {wf} 3 1.5 2.5 3.5",
            f"New : {wf} 0 (empty array)",
        ]
        assert epics_base_ioc.dbgf("wf:double.NORD") == "0"
        proc = cli("put", "-c", "-a", wf, "2", "7", "8")
        assert proc.stdout.splitlines() == [f"Old : {wf} 0 (empty array)", f"New : {wf} 2 7 8"]
        assert cli("put", "-c", "-t", "-a", wf, "0").stdout == "0 (empty array)\n"
        assert epics_base_ioc.dbgf("wf:double.NORD") == "0"
    finally:
        cli("put", "-a", wf, "3", "1.5", "2.5", "3.5")
    assert epics_base_ioc.dbgf("wf:double.NORD") == "3"


SLOW_DB = """
record(calcout, "$(P)slow") {
    field(CALC, "A")
    field(ODLY, "1.5")
    field(OUT, "$(P)slow:out PP")
}
record(ao, "$(P)slow:out") {
}
"""


def test_put_completion_waits_as_long_as_w_and_a_timeout_says_so(
    ioc_factory, tool, tmp_path, clean_failure
):
    # A calcout with an output delay completes its put 1.5 s after it is written.
    db = tmp_path / "slow.db"
    db.write_text(SLOW_DB)
    ioc = ioc_factory(db=db, acf=None, fill_bigwf=False)
    name = ioc.prefix + "slow.A"
    proc = tool(ioc, "put", "-c", "-w", "0.5", name, "7")
    clean_failure(proc, name)
    # caput's words, then why: the put was sent, its completion did not come in time.
    assert proc.stderr == (
        f"catui put: {name}: Write callback operation timed out: the put was sent to "
        f"127.0.0.1:{ioc.port}, its completion not reported within 0.5 s\n"
    )
    assert proc.stdout == ""
    # The completion has a -w of its own, as caput's: the reads before and after do not
    # eat into it.
    started = time.monotonic()
    proc = tool(ioc, "put", "-c", "-w", "2.5", name, "8")
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started > 1.4
    assert proc.stdout.splitlines()[-1] == "New : " + name.ljust(30) + " 8"
    # Without -c the put returns at once.
    assert tool(ioc, "put", "-t", "-w", "0.5", name, "9").stdout == "9\n"


@pytest.mark.parametrize(
    ("flags", "env"),
    [(("--read-only",), None), ((), {"CATUI_READ_ONLY": "1"}), ((), {"CATUI_READ_ONLY": "yes"})],
)
def test_read_only_refuses_and_sends_nothing(cli, epics_base_ioc, restore, flags, env):
    p = epics_base_ioc.prefix
    restore("ao")
    epics_base_ioc.dbpf("ao", "3.5")
    proc = cli("put", *flags, p + "ao", "9.75", env=env)
    assert proc.returncode == 1, proc
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"catui put: {p}ao: read-only (--read-only or CATUI_READ_ONLY): not written"
    ]
    assert float(epics_base_ioc.dbgf("ao")) == 3.5
    # No search goes out either: a PV that exists nowhere gets the same refusal, at once.
    start = time.monotonic()
    proc = cli("put", *flags, "-w", "5", p + "no:such:pv", "1", env=env)
    assert proc.returncode == 1
    assert "read-only" in proc.stderr and "not found" not in proc.stderr.lower()
    assert time.monotonic() - start < 4


def test_read_only_off_writes(cli, epics_base_ioc, restore):
    p = epics_base_ioc.prefix
    restore("ao")
    proc = cli("put", "-t", p + "ao", "2.25", env={"CATUI_READ_ONLY": "0"})
    assert proc.returncode == 0, proc.stderr
    assert float(epics_base_ioc.dbgf("ao")) == 2.25
