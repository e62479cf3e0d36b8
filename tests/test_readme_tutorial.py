"""The README's tutorial, run line by line against a live ``random_walk`` IOC."""

from __future__ import annotations

import doctest
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from catui.ioc_examples.launch import RunningIoc, start_ioc

README = Path(__file__).resolve().parents[1] / "README.md"

pytestmark = pytest.mark.interop


def tutorial_text() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- tutorial:start -->(.*)<!-- tutorial:end -->", text, re.S)
    assert match, "README.md lost its tutorial markers"
    return match.group(1)


@pytest.fixture
def random_walk(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningIoc]:
    # The tutorial's names have no test prefix, so this IOC is private to the test.
    with start_ioc("random_walk") as ioc:
        for key, value in ioc.env.items():
            monkeypatch.setenv(key, value)
        yield ioc


def test_tutorial_examples_print_what_the_readme_says(random_walk: RunningIoc) -> None:
    assert os.environ["EPICS_CA_AUTO_ADDR_LIST"] == "NO"
    parser = doctest.DocTestParser()
    test = parser.get_doctest(tutorial_text(), {}, "README tutorial", str(README), 0)
    assert len(test.examples) > 30, "the tutorial should hold the whole walk-through"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures: list[str] = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)


def test_tutorial_ioc_prints_its_pv_list() -> None:
    with start_ioc("random_walk") as ioc:
        assert ioc.pvs == ["random_walk:dt", "random_walk:x"]
    assert "PVs: ['random_walk:dt', 'random_walk:x']" in tutorial_text()
