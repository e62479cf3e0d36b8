"""``catui get`` against the EPICS Base soft IOC: caget's output, flags and failures."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time

import pytest

pytestmark = pytest.mark.interop

# caget prints microseconds: 6 fractional digits.
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}"


def test_plain_output_pads_scalar_names_and_counts_arrays(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    pvs = ["ao", "long", "mbbo", "str", "float", "char", "i64", "wf:double", "wf:string"]
    proc = cli("get", *(p + pv for pv in pvs))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.splitlines() == [
        f"{p}ao".ljust(30) + " 3.5",
        f"{p}long".ljust(30) + " 42",
        f"{p}mbbo".ljust(30) + " On",
        f"{p}str".ljust(30) + " hello",
        f"{p}float".ljust(30) + " 1.25",
        f"{p}char".ljust(30) + " 65",
        f"{p}i64".ljust(30) + " 1.23457e+12",
        # Without -c caget reads the whole native count (ca_array_get): 8 elements.
        f"{p}wf:double 8 1.5 2.5 3.5 0 0 0 0 0",
        f"{p}wf:string 4 alpha beta gamma ",
    ]


def test_callback_reads_the_elements_in_use(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    proc = cli("get", "-c", p + "wf:double", p + "ao")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"{p}wf:double 3 1.5 2.5 3.5", f"{p}ao".ljust(30) + " 3.5"]


def test_terse_count_and_char_string(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    proc = cli("get", "-t", "-S", "-c", p + "wf:char", p + "ao", p + "wf:short")
    assert proc.stdout.splitlines() == ["Hello CA", "3.5", "4 1 -2 3 -4"]
    proc = cli("get", "-#", "2", p + "wf:double", p + "ao")
    # -# prints the count, even of one element; a name is padded for one, as caget does.
    assert proc.stdout.splitlines() == [f"{p}wf:double 2 1.5 2.5", f"{p}ao".ljust(30) + " 1 3.5"]
    # -# 0 is caget's default: every element (the native count, without -c).
    assert cli("get", "-#", "0", "-c", p + "wf:double").stdout == f"{p}wf:double 3 1.5 2.5 3.5\n"
    # More than the channel holds is cut to its native count, as caget does.
    proc = cli("get", "-t", "-#", "20", p + "wf:short")
    assert proc.stdout.split()[0] == "8"


def test_enums_as_numbers_and_number_formats(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    assert cli("get", "-t", "-n", p + "mbbo").stdout == "1\n"
    assert cli("get", "-t", "-e", "3", p + "ao").stdout == "3.500e+00\n"
    assert cli("get", "-t", "-f", "2", p + "ao").stdout == "3.50\n"
    assert cli("get", "-t", "-f", "2", "-g", "1", p + "ao").stdout == "4\n"  # the last wins


def test_all_shows_timestamp_and_alarm_status_and_severity(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    proc = cli("get", "-a", p + "ao", p + "alarm", p + "mbbo")
    assert proc.returncode == 0, proc.stderr
    ao, alarm, mbbo = proc.stdout.splitlines()
    # No alarm: two separators end the line, where the status and severity would be.
    assert re.fullmatch(re.escape(f"{p}ao".ljust(30)) + f" {STAMP} 3.5  ", ao), ao
    # The record's alarm status and severity, not a CA status code.
    assert re.fullmatch(re.escape(f"{p}alarm".ljust(30)) + f" {STAMP} 85 HIGH MINOR", alarm)
    assert mbbo.endswith(" On  ")


def test_data_type_prints_the_whole_reply(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    proc = cli("get", "-d", "DBR_CTRL_DOUBLE", p + "ao")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:5] == [
        f"{p}ao",
        "    Native data type: DBF_DOUBLE",
        "    Request type:     DBR_CTRL_DOUBLE",
        "    Element count:    1",
        "    Value:            3.5",
    ]
    # caget's order: units, then precision; limits with %g.
    assert lines[6:9] == [
        "    Severity:         NO_ALARM",
        "    Units:            mm",
        "    Precision:        3",
    ]
    assert "    Hi alarm limit:   90" in lines
    assert "    Lo ctrl limit:    -50" in lines
    # An integer type's limits are %8d.
    long = cli("get", "-d", "CTRL_LONG", p + "long").stdout.splitlines()
    assert long[-2:] == ["    Lo ctrl limit:        -500", "    Hi ctrl limit:         500"]
    enum = cli("get", "-d", "control", p + "mbbo").stdout.splitlines()
    assert "    Request type:     DBR_CTRL_ENUM" in enum
    assert enum[-3:] == [" " * 22 + "[ 0] Off", " " * 22 + "[ 1] On", " " * 22 + "[ 2] Fault"]
    short = cli("get", "-d", "15", "-c", p + "wf:short").stdout.splitlines()
    assert "    Request type:     DBR_TIME_SHORT" in short
    assert "    Value:            1 -2 3 -4" in short
    assert any(re.fullmatch(f"    Timestamp:        {STAMP}", line) for line in short)


def test_json_gives_one_object_per_pv(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    proc = cli("get", "--json", "-c", p + "ao", p + "mbbo", p + "wf:double", p + "alarm")
    assert proc.returncode == 0, proc.stderr
    ao, mbbo, wf, alarm = (json.loads(line) for line in proc.stdout.splitlines())
    assert ao["name"] == p + "ao"
    assert ao["value"] == 3.5
    assert (ao["type"], ao["count"], ao["status"], ao["severity"]) == (
        "DBF_DOUBLE", 1, "NO_ALARM", "NO_ALARM",
    )  # fmt: skip
    assert abs(ao["timestamp"] - time.time()) < 24 * 3600
    assert ao["metadata"]["units"] == "mm"
    assert ao["metadata"]["precision"] == 3
    assert ao["metadata"]["upper_ctrl_limit"] == 50
    assert mbbo["value"] == "On"
    assert mbbo["metadata"]["enum_strings"] == ["Off", "On", "Fault"]
    assert wf["value"] == [1.5, 2.5, 3.5]
    assert wf["count"] == 3
    assert wf["metadata"]["upper_alarm_limit"] is None  # NaN in the IOC: JSON has no NaN
    assert (alarm["status"], alarm["severity"]) == ("HIGH", "MINOR")


def test_missing_pv_does_not_stop_the_others(cli, epics_base_ioc, clean_failure):
    p = epics_base_ioc.prefix
    proc = cli("get", "-w", "0.3", p + "ao", p + "nope", p + "long", p + "nope2")
    clean_failure(proc, p + "nope", p + "nope2")
    assert proc.stdout.splitlines() == [f"{p}ao".ljust(30) + " 3.5", f"{p}long".ljust(30) + " 42"]
    assert "not found" in proc.stderr
    json_proc = cli("get", "--json", "-w", "0.3", p + "nope", p + "ao")
    clean_failure(json_proc, p + "nope")
    assert json.loads(json_proc.stdout)["value"] == 3.5


def test_cli_timeout_from_environment(cli, epics_base_ioc, clean_failure):
    p = epics_base_ioc.prefix
    started = time.monotonic()
    proc = cli("get", p + "nope", env={"EPICS_CLI_TIMEOUT": "0.2"})
    assert time.monotonic() - started < 0.9
    clean_failure(proc, p + "nope")
    assert "0.2 s" in proc.stderr
    # -w wins over the environment.
    proc = cli("get", "-w", "0.3", p + "nope", env={"EPICS_CLI_TIMEOUT": "30"})
    assert "0.3 s" in proc.stderr
    # An unusable value is ignored with a warning; the default (1 s) applies.
    proc = cli("get", "-t", p + "ao", env={"EPICS_CLI_TIMEOUT": "soon"})
    assert proc.returncode == 0
    assert proc.stdout == "3.5\n"
    assert "EPICS_CLI_TIMEOUT" in proc.stderr


def test_usage_errors_exit_2_without_traceback(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    cases = [
        (["-w", "0"], "not a positive number of seconds"),
        (["-d", "DBR_NOPE"], "unknown type 'DBR_NOPE'"),
        (["-d", "35"], "DBR_PUT_ACKT is written to acknowledge alarms, never read"),
        (["-d", "PUT_ACKS"], "DBR_PUT_ACKS is written"),
        (["-#", "x"], "'x' is not an element count"),
        (["-#", "-1"], "expected one argument"),  # argparse: -1 looks like an option
        (["-e", "19"], "'19' is not a number of digits (0..18)"),
        (["-0", "z"], "'z' is not a base"),
        (["-lq"], "'q' is not a base"),
        (["-F", ""], "'' is not one character"),
        (["-F", ",;"], "',;' is not one character"),
    ]
    for args, why in cases:
        proc = cli("get", *args, p + "ao")
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr
        assert why in proc.stderr, (args, proc.stderr)
        assert proc.stdout == ""
    assert cli("get").returncode == 2


def _default_sigint() -> None:
    # A test run started in the background inherits SIGINT ignored; a user's
    # terminal does not.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_ends_a_long_search_at_once(epics_base_ioc, tool_argv):
    argv, env = tool_argv(epics_base_ioc, "get", "-w", "30", epics_base_ioc.prefix + "nope")
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_default_sigint,
    )  # fmt: skip
    try:
        time.sleep(0.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(5) == 130
        assert time.monotonic() - started < 2
        assert proc.communicate() == ("", "")
    finally:
        proc.kill()
        proc.wait()


def test_an_enum_index_without_a_label_prints_its_number(cli, epics_base_ioc, store_index):
    p = epics_base_ioc.prefix
    mbbo = p + "mbbo"
    try:
        store_index("mbbo", 5)  # beyond its three labels: the IOC reads it as ""
        assert cli("get", mbbo).stdout == mbbo.ljust(30) + " 5\n"
        assert cli("get", "-t", "-c", mbbo).stdout == "5\n"
        assert re.fullmatch(mbbo.ljust(30) + rf" {STAMP} 5  \n", cli("get", "-a", mbbo).stdout)
        assert json.loads(cli("get", "--json", mbbo).stdout)["value"] == "5"
        epics_base_ioc.dbpf("mbbo.ONST", "")  # a label left blank, below the others
        store_index("mbbo", 1)
        assert cli("get", "-t", mbbo, p + "bo").stdout == "1\nLow\n"
        assert cli("get", "-t", "-n", mbbo).stdout == "1\n"
        store_index("mbbo", 2)
        assert cli("get", "-t", mbbo).stdout == "Fault\n"
    finally:
        epics_base_ioc.dbpf("mbbo.ONST", "On")
        epics_base_ioc.dbpf("mbbo", "On")
    assert cli("get", "-t", mbbo).stdout == "On\n"
