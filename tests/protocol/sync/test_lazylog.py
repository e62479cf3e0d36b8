"""Protocol loggers that import logging only when something is logged."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from protocol.sync import config
from protocol.sync.lazylog import LazyLogger, get_logger

ROOT = Path(__file__).resolve().parents[3]


def _run(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def test_stands_for_the_named_logger(caplog: pytest.LogCaptureFixture) -> None:
    log = get_logger("protocol.test.lazy")
    assert isinstance(log, LazyLogger)
    assert log.name == "protocol.test.lazy"
    assert log.getEffectiveLevel() == logging.getLogger("protocol.test.lazy").getEffectiveLevel()
    with caplog.at_level(logging.DEBUG, logger="protocol.test.lazy"):
        log.debug("hello %s", "there")
        line = sys._getframe().f_lineno - 1
    [record] = caplog.records
    assert (record.name, record.getMessage()) == ("protocol.test.lazy", "hello there")
    # The record points at the caller, not at the stand-in.
    assert (record.pathname, record.lineno) == (__file__, line)


def test_module_loggers_still_reach_caplog(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="protocol.sync.config"):
        config.load_config({"EPICS_CA_SERVER_PORT": "nope"})
    assert any("EPICS_CA_SERVER_PORT" in r.getMessage() for r in caplog.records)


def test_client_path_imports_no_logging() -> None:
    out = _run(
        "import sys\n"
        "import protocol.sync.client, protocol.sync.config, protocol.sync.search\n"
        "import protocol.sync.interfaces, protocol.sync.blocker\n"
        "print('logging' in sys.modules)\n"
    )
    assert out.strip() == "False"


def test_hook_runs_before_the_first_record_and_at_once_after() -> None:
    out = _run(
        "import sys\n"
        "from protocol.sync import lazylog\n"
        "from protocol.sync.config import load_config\n"
        "lazylog.before_first_record(lambda: print('hook', 'logging' in sys.modules))\n"
        "print('before')\n"
        "load_config({'EPICS_CA_SERVER_PORT': 'nope'})  # logs a warning\n"
        "lazylog.before_first_record(lambda: print('late hook'))\n"
    )
    lines = out.splitlines()
    assert lines[:2] == ["before", "hook True"]
    assert "late hook" in lines
    assert any("EPICS_CA_SERVER_PORT" in line for line in lines)  # logging's last resort
