"""Loggers that import :mod:`logging` only when something is logged.

``import logging`` takes ~4 ms (it brings traceback, linecache, tokenize, string
and threading), over a tenth of a ``catui get`` process, which normally logs
nothing. So the modules of :mod:`protocol.sync` hold a :class:`LazyLogger`: it
behaves as ``logging.getLogger(name)`` (every attribute and call is passed on to
that logger, so handlers, levels and pytest's ``caplog`` work as usual) but
imports logging at its first use.

:func:`before_first_record` lets a program configure the ``protocol`` loggers
without importing logging itself (the command-line tools silence them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

__all__ = ["LazyLogger", "before_first_record", "get_logger"]

_hooks: list[Callable[[], None]] = []
_state = {"used": False}


def before_first_record(hook: Callable[[], None]) -> None:
    """Run ``hook()`` before a protocol logger is first used; at once if one was."""
    if _state["used"]:
        hook()
    else:
        _hooks.append(hook)


def _logger(name: str) -> logging.Logger:
    import logging

    if not _state["used"]:
        _state["used"] = True
        while _hooks:
            _hooks.pop(0)()
    return logging.getLogger(name)


class LazyLogger:
    """Stands for ``logging.getLogger(name)``; see the module's docstring."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(_logger(self.name), attr)

    def __repr__(self) -> str:
        return f"<LazyLogger {self.name}>"


def get_logger(name: str) -> logging.Logger:
    """A :class:`LazyLogger` for ``name``, typed as the logger it stands for."""
    return LazyLogger(name)  # type: ignore[return-value]
