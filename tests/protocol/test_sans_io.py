"""The core is sans-I/O: no module outside ``protocol.sync`` touches a socket, thread or clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "protocol"
CORE_MODULES = sorted(
    path for path in CORE.rglob("*.py") if "sync" not in path.relative_to(CORE).parts
)
#: Modules whose import means I/O, threads or a clock.
FORBIDDEN = {
    "asyncio",
    "multiprocessing",
    "select",
    "selectors",
    "signal",
    "socket",
    "subprocess",
    "threading",
    "time",
}
#: Calls that read the wall clock through ``datetime``.
CLOCK_CALLS = {"now", "utcnow", "today"}


def _violations(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CLOCK_CALLS
        ):
            found.append(f"line {node.lineno}: calls .{node.func.attr}()")
            continue
        else:
            continue
        found.extend(
            f"line {node.lineno}: imports {name}"
            for name in names
            if name.split(".")[0] in FORBIDDEN
        )
    return found


def test_the_core_has_modules_to_check() -> None:
    names = {path.name for path in CORE_MODULES}
    assert {"circuit.py", "dbr.py", "decoder.py", "values.py", "base.py"} <= names


@pytest.mark.parametrize("path", CORE_MODULES, ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_does_no_io_and_reads_no_clock(path: Path) -> None:
    assert _violations(path) == []
