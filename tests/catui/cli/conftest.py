"""Run the command-line tools as users do: ``python -m catui TOOL ...`` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.support.iocs import IocProcess

ROOT = Path(__file__).resolve().parents[3]

Run = Callable[..., subprocess.CompletedProcess[str]]


def tool_env(ioc: IocProcess, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment plus the IOC's CA settings; no EPICS_CLI_TIMEOUT."""
    env = {**os.environ, **ioc.env}
    env.pop("EPICS_CLI_TIMEOUT", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def catui_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "catui", *args]


def run_tool(
    ioc: IocProcess, *args: str, env: Mapping[str, str] | None = None, timeout: float = 20.0
) -> subprocess.CompletedProcess[str]:
    """Run ``catui ARGS`` against ``ioc``; returns the completed process (text)."""
    return subprocess.run(
        catui_argv(*args),
        capture_output=True,
        text=True,
        env=tool_env(ioc, env),
        cwd=ROOT,
        timeout=timeout,
    )


@pytest.fixture
def cli(epics_base_ioc: IocProcess) -> Run:
    """``cli("get", "-t", P + "ao")``: run a tool against the session's EPICS Base IOC."""

    def run(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run_tool(epics_base_ioc, *args, env=env)

    return run


def _assert_clean_failure(proc: subprocess.CompletedProcess[str], *names: str) -> None:
    """Exit status 1 and exactly one stderr line per failed PV, no traceback."""
    assert proc.returncode == 1, proc
    lines = proc.stderr.splitlines()
    assert "Traceback" not in proc.stderr
    assert len(lines) == len(names), lines
    for line, name in zip(lines, names, strict=True):
        assert name in line, (name, line)


@pytest.fixture
def clean_failure() -> Callable[..., None]:
    """``clean_failure(proc, *pv_names)``: status 1, one stderr line per PV, in order."""
    return _assert_clean_failure


@pytest.fixture
def tool() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``tool(ioc, *args)``: run a tool against any IOC (e.g. one from ioc_factory)."""
    return run_tool


@pytest.fixture
def tool_argv() -> Callable[..., tuple[list[str], dict[str, str]]]:
    """``tool_argv(ioc, *args)`` -> (argv, env) to start a tool with Popen."""

    def make(ioc: IocProcess, *args: str) -> tuple[list[str], dict[str, str]]:
        return catui_argv(*args), tool_env(ioc)

    return make


@pytest.fixture
def store_index(
    epics_base_ioc: IocProcess, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str, int], None]:
    """``store_index("mbbo", 5)``: store an enum index, label or not, as caput -n does.

    dbpf sends text, which the IOC matches against the labels; a DBR_ENUM write
    (an explicit type: no check of the choices) stores any index in an mbbo.
    """
    from protocol.channel_types import ChannelType
    from protocol.sync.client import write

    for key, value in epics_base_ioc.env.items():
        monkeypatch.setenv(key, value)

    def store(record: str, index: int) -> None:
        name = epics_base_ioc.prefix + record
        write(name, index, data_type=ChannelType.ENUM, notify=True, repeater=False)

    return store
