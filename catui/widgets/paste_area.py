"""A text area for pasting, where Enter submits instead of starting a new line."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import TextArea

__all__ = ["PasteArea"]


class PasteArea(TextArea):
    """Takes typed or pasted text; Enter (or ctrl+enter) posts :class:`PasteArea.Submitted`.

    A terminal delivers a paste whole (bracketed paste, a ``Paste`` event), so the
    line breaks of pasted text are kept, while a typed Enter submits, as in an input.
    """

    class Submitted(Message):
        """Enter or ctrl+enter was pressed."""

    async def _on_key(self, event: events.Key) -> None:
        # ctrl+j: what many terminals send for ctrl+enter without the kitty protocol.
        if event.key in ("enter", "ctrl+enter", "ctrl+j"):
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted())
            return
        await super()._on_key(event)
