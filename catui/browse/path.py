"""The records an operator has walked through by following links: the breadcrumb, and back."""

from __future__ import annotations

__all__ = ["BrowsePath"]


class BrowsePath:
    """Records visited from the first one, for the record view's breadcrumb and ``backspace``.

    Following a link opens its record (:meth:`follow`); going back returns to
    the one before (:meth:`back`). Following a link to a record already on the
    path goes back to it rather than adding it again, so the path never loops.
    """

    def __init__(self, first: str) -> None:
        self._records = [first]

    @property
    def records(self) -> tuple[str, ...]:
        """The path, first record first."""
        return tuple(self._records)

    @property
    def current(self) -> str:
        """The record shown now."""
        return self._records[-1]

    def follow(self, record: str) -> str:
        """Open ``record`` (from a link of the current one); returns it."""
        if record in self._records:
            del self._records[self._records.index(record) + 1 :]
        else:
            self._records.append(record)
        return record

    def back(self) -> str | None:
        """Return to the previous record; None (and no change) at the first one."""
        if len(self._records) == 1:
            return None
        self._records.pop()
        return self._records[-1]

    def text(self, width: int | None = None, separator: str = " › ") -> str:
        """``a › b › c``; cut from the left (``… › c``) to fit ``width`` columns."""
        full = separator.join(self._records)
        if width is None or len(full) <= width:
            return full
        for start in range(1, len(self._records)):
            text = "…" + separator + separator.join(self._records[start:])
            if len(text) <= width:
                return text
        last = self._records[-1]
        if len(last) <= width:
            return last
        return "…" + last[len(last) - width + 1 :] if width > 1 else "…"
