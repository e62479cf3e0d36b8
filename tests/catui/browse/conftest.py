"""The record browser's IOCs: ``browse.db`` and, linked from it over CA, ``browse_far.db``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browse_iocs import BrowseIocs


@pytest.fixture(scope="session")
def _browse_iocs() -> Iterator[BrowseIocs]:
    with BrowseIocs() as iocs:
        yield iocs


@pytest.fixture
def browse(_browse_iocs: BrowseIocs, monkeypatch: pytest.MonkeyPatch) -> BrowseIocs:
    """Both IOCs running, and this process's CA client pointed at them."""
    _browse_iocs.ensure_running()
    for key, value in _browse_iocs.env.items():
        monkeypatch.setenv(key, value)
    return _browse_iocs
