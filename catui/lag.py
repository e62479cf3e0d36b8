"""How far the screen lags behind the data, in words for the status bar.

The mailbox notes when the oldest update not yet drained arrived
(:attr:`catui.messages.Drained.since`); at each drain, the screen hands that time to a
:class:`LagMeter`.  A lag within one or two redraw periods is the cost of the redraw
cap and is not shown; more (a slow terminal link, a busy UI) is, for a second at
least, so that it can be read.
"""

from __future__ import annotations

__all__ = ["LagMeter"]


class LagMeter:
    """The lag to show at each drain, from the arrival time of the oldest update drained.

    Parameters
    ----------
    period : float
        Seconds between drains (one over the redraw cap).
    hold : float
        Seconds a lag stays shown after the drain that measured it.
    factor : float
        A lag is shown when it exceeds ``factor × period``.
    """

    def __init__(self, period: float, hold: float = 1.0, factor: float = 1.5) -> None:
        self.threshold = factor * period
        self.hold = hold
        self._shown = 0.0
        self._until = float("-inf")

    def observe(self, since: float | None, now: float) -> float:
        """At a drain: the lag to show, in seconds to 0.1 s (0.0: none).

        Parameters
        ----------
        since : float or None
            ``time.monotonic()`` when the oldest drained update arrived; None if the
            drain brought nothing.
        now : float
            ``time.monotonic()`` at the drain.
        """
        lag = 0.0 if since is None else max(0.0, now - since)
        if lag > self.threshold:
            self._shown = round(lag, 1)
            self._until = now + self.hold
        elif now >= self._until:
            self._shown = 0.0
        return self._shown

    @staticmethod
    def behind(since: float | None, now: float) -> int | None:
        """While paused: whole seconds the screen is behind (None: nothing new arrived)."""
        return None if since is None else int(max(0.0, now - since))
