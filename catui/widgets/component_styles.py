"""The Rich styles of a line-API widget's component classes, looked up once each."""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget

__all__ = ["ComponentStyles"]


class ComponentStyles:
    """``styles("major")`` is the style of ``.{prefix}major``; ``styles("")`` the widget's.

    Widgets that build their own segments ask for these for every line they draw;
    computing them from the CSS each time cost more than the drawing.  Call
    :meth:`clear` when the CSS, the theme or a pseudo-class (focus) changes.
    """

    def __init__(self, widget: Widget, prefix: str) -> None:
        self._widget = widget
        self._prefix = prefix
        self._styles: dict[str, Style] = {}

    def __call__(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            widget = self._widget
            if name:
                style = widget.get_component_rich_style(self._prefix + name, partial=True)
            else:
                style = widget.rich_style
            self._styles[name] = style
        return style

    def clear(self) -> None:
        self._styles.clear()
