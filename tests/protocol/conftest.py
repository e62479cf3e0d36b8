"""Fixtures of the protocol-core tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from protocol.backends import backend_name, select_backend
from tests.protocol.vectors import VECTORS_DIR


@pytest.fixture(scope="session")
def vectors_path() -> Path:
    """``tests/protocol/golden``, the captured vectors; fails (never skips) if absent."""
    if not VECTORS_DIR.is_dir():
        pytest.fail(f"golden vectors missing: {VECTORS_DIR} does not exist")
    return VECTORS_DIR


@pytest.fixture
def array_backend() -> Iterator[None]:
    """Decode with the ``array`` backend for one test, then restore numpy."""
    before = backend_name()
    select_backend("array")
    try:
        yield
    finally:
        select_backend(before)
