"""Monochrome and low-bandwidth display: ``catui --low-bandwidth`` and ``$NO_COLOR``.

Textual already strips colours when ``$NO_COLOR`` is set, but it decides that once,
when the :class:`~textual.app.App` is created, and it counts an empty ``NO_COLOR=``
as set, unlike https://no-color.org.  :func:`textual_no_color` lets the console
decide instead (non-empty ``$NO_COLOR``, or ``--low-bandwidth``).  With native ANSI
colours, Textual's filter is ``NoColor`` (default colours, bold/reverse kept);
:data:`MONO_THEME` makes the table cursor reverse video so it still shows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from textual.theme import Theme

__all__ = ["LOW_BANDWIDTH_HZ", "MONO_THEME", "no_color_requested", "textual_no_color"]

#: Redraws a second at most in low-bandwidth mode (the normal cap is 10).
LOW_BANDWIDTH_HZ = 2.0

#: Without colours, the cursor and focus must show by text style alone.
MONO_THEME = Theme(
    name="catui-mono",
    ansi=True,
    primary="ansi_default",
    secondary="ansi_default",
    warning="ansi_default",
    error="ansi_default",
    success="ansi_default",
    accent="ansi_default",
    foreground="ansi_default",
    background="ansi_default",
    surface="ansi_default",
    panel="ansi_default",
    boost="ansi_default",
    dark=True,
    variables={
        "ansi-background": "ansi_black",  # Textual's :ansi rules use these two
        "ansi-foreground": "ansi_white",
        "block-cursor-foreground": "ansi_default",
        "block-cursor-background": "ansi_default",
        "block-cursor-text-style": "reverse",
        "block-cursor-blurred-text-style": "underline",
        "input-cursor-text-style": "reverse",
        "input-cursor-background": "ansi_default",
        "input-cursor-foreground": "ansi_default",
        "footer-key-foreground": "ansi_default",
        "button-focus-text-style": "bold reverse",
    },
)


def no_color_requested(environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    """Whether ``$NO_COLOR`` asks for no colour: present and not empty (no-color.org)."""
    env = os.environ if environ is None else environ
    return bool(env.get("NO_COLOR"))


@contextmanager
def textual_no_color(monochrome: bool) -> Iterator[None]:
    """Within: ``$NO_COLOR`` as Textual should see it when an App is created.

    Restored afterwards, so that neither the rest of the process nor the programs it
    starts (the demo IOC) see a changed environment.
    """
    before = os.environ.get("NO_COLOR")
    if monochrome:
        os.environ["NO_COLOR"] = "1"
    else:
        os.environ.pop("NO_COLOR", None)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("NO_COLOR", None)
        else:
            os.environ["NO_COLOR"] = before
