"""Log records of the console kept in memory while it runs, never printed over the screen.

While the app runs, :class:`LogCapture` is the one handler of the ``protocol`` and
``catui`` loggers (it stops their propagation to the root logger, so that a handler
there bound to the terminal, or :data:`logging.lastResort`, never writes over the
screen) and keeps their last records for the diagnostics screen.  Uninstalled, the
loggers are as they were.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType

__all__ = ["CAPTURED_LOGGERS", "CapturedRecord", "LogCapture"]

#: The loggers whose records the console keeps (and their children).
CAPTURED_LOGGERS = ("protocol", "catui")


@dataclass(frozen=True, slots=True)
class CapturedRecord:
    """One log record, as text.

    Attributes
    ----------
    created : float
        When it was logged (seconds since the epoch).
    level : int
    levelname : str
    logger : str
    message : str
        The formatted message; with an exception, its last line is added.
    """

    created: float
    level: int
    levelname: str
    logger: str
    message: str


class LogCapture(logging.Handler):
    """A handler keeping the last ``capacity`` records; installable on loggers.

    Parameters
    ----------
    capacity : int
        Records kept; older ones are dropped.
    level : int
        The lowest level kept.  While installed, a logger whose level would
        drop such records (NOTSET, so the root's WARNING, or higher) is set to it.
    loggers : iterable of str
        What :meth:`install` attaches to.

    Attributes
    ----------
    count : int
        Records handled since creation (also those dropped from the buffer):
        a reader redraws when it changes.
    warnings : int
        Of those, the records at WARNING or above (the status bar counts them).
    """

    def __init__(
        self,
        capacity: int = 200,
        level: int = logging.INFO,
        loggers: Iterable[str] = CAPTURED_LOGGERS,
    ) -> None:
        super().__init__(level)
        self._records: deque[CapturedRecord] = deque(maxlen=capacity)
        self.count = 0
        self.warnings = 0
        self.logger_names = tuple(loggers)
        self._saved: list[tuple[logging.Logger, int, bool]] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep ``record`` (called by :meth:`logging.Handler.handle`, under the lock)."""
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                message = f"{message}: {type(exc).__name__}: {exc}"
        except Exception:
            self.handleError(record)
            return
        self._records.append(
            CapturedRecord(record.created, record.levelno, record.levelname, record.name, message)
        )
        self.count += 1
        if record.levelno >= logging.WARNING:
            self.warnings += 1

    def records(self) -> tuple[CapturedRecord, ...]:
        """The records kept, oldest first (thread-safe)."""
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            return tuple(self._records)

    def clear(self) -> None:
        """Forget the records kept (``count`` goes on)."""
        with self.lock:  # type: ignore[union-attr]
            self._records.clear()

    @property
    def installed(self) -> bool:
        """Whether :meth:`install` is in effect."""
        return bool(self._saved)

    def install(self) -> None:
        """Become the only destination of the loggers' records (idempotent)."""
        if self._saved:
            return
        for name in self.logger_names:
            logger = logging.getLogger(name)
            self._saved.append((logger, logger.level, logger.propagate))
            logger.addHandler(self)
            logger.propagate = False
            if logger.level == logging.NOTSET or logger.level > self.level:
                logger.setLevel(self.level)

    def uninstall(self) -> None:
        """Give the loggers back their level and propagation (idempotent)."""
        while self._saved:
            logger, level, propagate = self._saved.pop()
            logger.removeHandler(self)
            logger.propagate = propagate
            logger.setLevel(level)

    def __enter__(self) -> LogCapture:
        self.install()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.uninstall()
