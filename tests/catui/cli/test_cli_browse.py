"""``catui tree`` and ``catui info --fields`` against the record browser's two IOCs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.catui.cli.conftest import ROOT, run_tool, tool_env
from tests.support.browse_iocs import BrowseIocs

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def iocs() -> Iterator[BrowseIocs]:
    with BrowseIocs() as started:
        yield started


def tool(iocs: BrowseIocs, *args: str) -> subprocess.CompletedProcess[str]:
    iocs.ensure_running()
    return run_tool(iocs.near, *args, env=iocs.env)


def test_tree_prints_the_input_links_with_values_alarms_flags_and_the_origin(iocs):
    proc = tool(iocs, "tree", iocs.pv("sev:top"))
    assert (proc.returncode, proc.stderr) == (0, "")
    p = iocs.prefix
    assert proc.stdout.splitlines() == [
        f"{p}sev:top (ao) 14 MAJOR LINK",
        f"└─ DOL: {p}sev:l2 [PP MS] (calc) 14 MAJOR LINK",
        f"   ├─ INPA: {p}sev:l1 [PP MS] (calc) 14 MAJOR LINK",
        f"   │  ├─ INPA: {p}sev:src [PP MS] (ai) 10 MAJOR HIHI <- severity origin",
        "   │  │  └─ INP: 10 (constant)",
        f"   │  └─ INPB: {p}sev:minor [NPP NMS] (ai) 4 MINOR HIGH",
        "   │     └─ INP: 4 (constant)",
        f"   └─ INPB: {p}sev:other [PP MSS] (ai) 4 MINOR HIGH",
        "      └─ INP: 4 (constant)",
    ]


def test_tree_marks_cycles_depth_limits_and_says_why_nodes_are_unreachable(iocs):
    p = iocs.prefix
    loop = tool(iocs, "tree", iocs.pv("loop:a")).stdout.splitlines()
    assert loop[-1] == f"      └─ INPA: {p}loop:a [NPP NMS] 0 INVALID UDF (cycle: a record above)"
    deep = tool(iocs, "tree", "--depth", "2", iocs.pv("deep:0")).stdout.splitlines()
    assert len(deep) == 3 and deep[-1].endswith(f"{p}deep:2 [NPP NMS] 0 INVALID UDF (depth limit)")
    chain = tool(iocs, "tree", "-w", "0.5", iocs.pv("chain:calc"))
    assert chain.returncode == 0
    lines = chain.stdout.splitlines()
    text = "\n".join(lines)
    assert "├─ INPB: 3.5 (constant)" in lines
    assert "├─ INPC: {const:7} (JSON const link)" in lines
    assert "│  └─ INP: @%Y-%m-%d (hardware address, INST_IO)" in lines
    assert f"├─ INPE: {iocs.far_pv('far:val')} [CA MS] (ai)" in text
    assert f"├─ INPF: {p}long:record:name:beyond:forty:chars [NPP MS] (ao) 6 NO_ALARM" in lines
    assert f"├─ INPG: {p}nowhere:to:be:found [NPP NMS] <not found>" in lines
    assert f"└─ INPH: {p}secret [NPP NMS] <no read access>" in lines


def test_tree_ascii(iocs):
    lines = tool(iocs, "tree", "--ascii", iocs.pv("sev:top")).stdout.splitlines()
    assert (
        lines[3]
        == f"   |  |- INPA: {iocs.prefix}sev:src [PP MS] (ai) 10 MAJOR HIHI <- severity origin"
    )
    assert all(line.isascii() for line in lines)


def test_tree_json(iocs):
    proc = tool(iocs, "tree", "--json", iocs.pv("sev:top"), iocs.pv("loop:a"))
    assert proc.returncode == 0
    first, second = (json.loads(line) for line in proc.stdout.splitlines())
    root = first["root"]
    assert (root["pv"], root["record_type"], root["severity"], root["status"]) == (
        iocs.pv("sev:top"), "ao", "MAJOR", "LINK",
    )  # fmt: skip
    src = root["children"][0]["children"][0]["children"][0]
    assert (src["pv"], src["flags"], src["origin"]) == (iocs.pv("sev:src"), "PP MS", True)
    assert src["link"] == f"{iocs.pv('sev:src')} PP MS"
    assert first["complete"] is True and first["max_depth"] == 8
    cycle = second["root"]["children"][0]["children"][0]["children"][0]
    assert cycle["cycle"] is True and cycle["children"] == []


def test_tree_fails_on_a_root_it_cannot_read(iocs, clean_failure):
    proc = tool(iocs, "tree", "-w", "0.3", iocs.pv("no:such"), iocs.pv("loop:c"), "bad name")
    clean_failure(proc, iocs.pv("no:such"), "bad name")
    assert "not found" in proc.stderr.splitlines()[0]
    assert proc.stdout.splitlines()[0].startswith(f"{iocs.pv('loop:c')} (calc)")
    secret = tool(iocs, "tree", "-w", "0.3", iocs.pv("secret"))
    clean_failure(secret, iocs.pv("secret"))
    assert "no read access" in secret.stderr


def test_tree_refuses_a_bad_depth(iocs):
    proc = tool(iocs, "tree", "--depth", "-1", iocs.pv("loop:a"))
    assert proc.returncode == 2 and "is not a depth" in proc.stderr


def test_info_fields_prints_the_record_by_promptgroup(iocs):
    proc = tool(iocs, "info", "--fields", iocs.pv("sev:src"))
    assert (proc.returncode, proc.stderr) == (0, "")
    lines = proc.stdout.splitlines()
    assert lines[0] == f"{iocs.pv('sev:src')}  (ai, 78 fields, on 127.0.0.1:{iocs.near.port})"
    groups = [line.strip() for line in lines if line.startswith("  ") and line[2] != " "]
    assert groups == [
        "Record", "Common", "Scan", "Input", "Convert", "Alarm", "Display", "Simulate",
        "Run-time", "(16 DBF_NOACCESS fields are not readable over CA)",
    ]  # fmt: skip
    assert "    HHSV    Hihi Severity              MAJOR" in lines
    assert "    INP     Input Specification        10  (constant)" in lines
    assert "    OLDSIMM Prev. Simulation Mode      NO" in lines
    assert "    DESC    Descriptor                 where the alarm starts" in lines


def test_info_fields_reads_long_links_in_full_and_fails_cleanly(iocs, clean_failure):
    proc = tool(iocs, "info", "--fields", iocs.pv("chain:calc"))
    long = [line for line in proc.stdout.splitlines() if line.startswith("    INPF ")]
    assert long == [
        f"    INPF  Input F                    {iocs.pv('long:record:name:beyond:forty:chars')}"
        " NPP MS  (read as INPF$)"
    ]
    failed = tool(iocs, "info", "--fields", "-w", "0.3", iocs.pv("no:such"))
    clean_failure(failed, iocs.pv("no:such"))


NOT_NEEDED = (
    "textual", "numpy", "logging", "dataclasses", "inspect", "json", "concurrent.futures",
    "threading", "subprocess", "protocol.sync.blocker", "protocol.sync.subscription",
)  # fmt: skip


@pytest.mark.parametrize(
    "args", [("tree", "sev:top"), ("info", "--fields", "chain:calc")], ids=["tree", "fields"]
)
def test_the_tools_start_lean(iocs, args):
    argv = [a if a.startswith("-") or a in ("tree", "info") else iocs.pv(a) for a in args]
    code = (
        "import sys\n"
        "from catui.__main__ import main\n"
        f"status = main({argv!r})\n"
        f"print('loaded:', *sorted(m for m in {NOT_NEEDED!r} if m in sys.modules))\n"
        "sys.exit(status)\n"
    )
    env = tool_env(iocs.near, iocs.env)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    baseline = subprocess.run(
        [sys.executable, "-c", f"import sys; print(*sorted(m for m in {NOT_NEEDED!r} "
         "if m in sys.modules))"],
        capture_output=True, text=True, env=env, cwd=ROOT, check=True,
    ).stdout.split()  # fmt: skip
    loaded = proc.stdout.splitlines()[-1]
    assert loaded.startswith("loaded:")
    assert not set(loaded.split()[1:]) - set(baseline)
