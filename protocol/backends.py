"""Array backends: numpy arrays (default) or the standard library's array.array.

A short-lived command-line process can select ``'array'`` before decoding so that
numpy (over 100 ms to import) is never loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from .errors import CAValueError

__all__ = ["backend_name", "numpy_or_none", "select_backend"]

_state = {"name": ""}
# Called after the backend changes (the value decoders cache per backend).
_listeners: list[Callable[[], None]] = []


def select_backend(name: str) -> None:
    """Choose how ``response.data`` holds numbers: ``'numpy'`` or ``'array'``.

    Parameters
    ----------
    name : {'numpy', 'array'}
    """
    if name not in ("numpy", "array"):
        raise CAValueError(f"unknown backend {name!r}: expected 'numpy' or 'array'")
    if name == "numpy":
        import numpy  # noqa: F401  (fail here, not at the first decode)
    _state["name"] = name
    for listener in _listeners:
        listener()


def backend_name() -> str:
    """The backend in use; numpy unless ``select_backend('array')`` was called."""
    if not _state["name"]:
        try:
            import numpy  # noqa: F401
        except ImportError:
            _state["name"] = "array"
        else:
            _state["name"] = "numpy"
    return _state["name"]


def numpy_or_none() -> Any:
    """The numpy module if the program already imported it, else None.

    Encoding accepts numpy arrays without importing numpy ourselves.
    """
    return sys.modules.get("numpy")
