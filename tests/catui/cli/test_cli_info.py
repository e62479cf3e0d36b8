"""``catui info`` against the EPICS Base soft IOC: cainfo's fields plus control metadata."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.interop


def test_fields_and_metadata(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    proc = cli("info", p + "ao", p + "ro", p + "mbbo", p + "wf:short")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    blocks = proc.stdout.split("\n" + p)
    ao = blocks[0].splitlines()
    assert ao[:7] == [
        f"{p}ao",
        "    State:            connected",
        f"    Host:             127.0.0.1:{epics_base_ioc.port}",
        "    Access:           read, write",
        "    Native data type: DBF_DOUBLE",
        "    Request type:     DBR_DOUBLE",
        "    Element count:    1",
    ]
    assert "    Units:            mm" in ao
    assert "    Precision:        3" in ao
    assert "    Hi ctrl limit:    50" in ao
    assert "    Severity:         NO_ALARM" in ao
    assert "    Access:           read, no write" in blocks[1].splitlines()
    mbbo = blocks[2].splitlines()
    assert "    Native data type: DBF_ENUM" in mbbo
    assert mbbo[-1] == " " * 22 + "[ 2] Fault"
    short = blocks[3].splitlines()
    assert "    Native data type: DBF_SHORT" in short
    assert "    Element count:    8" in short


def test_missing_pv_among_good_ones(cli, epics_base_ioc, clean_failure):
    p = epics_base_ioc.prefix
    proc = cli("info", "-w", "0.3", p + "nope", p + "str")
    clean_failure(proc, p + "nope")
    assert proc.stdout.startswith(f"{p}str\n    State:            connected\n")
    assert "nope" not in proc.stdout


def test_a_choice_without_a_label_is_its_number_alone(cli, epics_base_ioc):
    p = epics_base_ioc.prefix
    try:
        epics_base_ioc.dbpf("mbbo.ONST", "")
        lines = cli("info", p + "mbbo").stdout.splitlines()
    finally:
        epics_base_ioc.dbpf("mbbo.ONST", "On")
    assert lines[-4:] == [
        "    Enums:            ( 3)",
        " " * 22 + "[ 0] Off",
        " " * 22 + "[ 1]",
        " " * 22 + "[ 2] Fault",
    ]
