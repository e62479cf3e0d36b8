"""What the README says beyond its tutorial: the demo IOCs' output, the CLI against them,
and the licence."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from catui.ioc_examples._common import LOOPBACK, banner
from catui.ioc_examples.launch import start_ioc

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _code_blocks() -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)


def test_the_first_commands_set_up_the_demo_and_the_tests() -> None:
    first, second = _code_blocks()[:2]
    assert first.strip() == "pip install -e '.[demo]' && catui --demo"
    assert second.strip() == "pip install -e '.[test]' && python -m pytest"


@pytest.mark.parametrize(
    ("name", "port"),
    [("demo", 25064), ("random_walk", 5064)],  # the ports the README shows them on
)
def test_the_readme_shows_the_banner_each_demo_ioc_prints(name: str, port: int) -> None:
    ioc = importlib.import_module(f"catui.ioc_examples.{name}").IOC
    assert banner(ioc, LOOPBACK, port, ioc.default_prefix) in README


@pytest.mark.interop
def test_the_demo_ioc_prints_and_answers_as_the_readme_says() -> None:
    """The demo's output ends in the banner after iocInit; ``catui get`` reads it."""
    with start_ioc("demo") as ioc:
        lines = ioc.output.splitlines()
        assert "iocRun: All initialization complete" in lines
        assert lines[-1] == banner(importlib.import_module("catui.ioc_examples.demo").IOC,
                                   LOOPBACK, ioc.port, "demo:")  # fmt: skip
        env = {**os.environ, **ioc.env, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [sys.executable, "-m", "catui", "get", "demo:setpoint"],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=30,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    assert f"`catui get demo:setpoint` prints `{line}`" in " ".join(README.split("\n"))


def test_the_licence_is_bsd_3_clause() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("BSD 3-Clause License\n")
    assert "the catui developers" in licence.splitlines()[2]
    assert "Neither the name of the copyright holder" in licence
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^license = "BSD-3-Clause"$', project, flags=re.MULTILINE)
    assert re.search(r'^license-files = \["LICENSE"\]$', project, flags=re.MULTILINE)
