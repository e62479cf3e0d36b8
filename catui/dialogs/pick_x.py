"""Which array of the watchlist the waveform is drawn against (``x`` on a waveform)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

__all__ = ["BY_INDEX", "PickX"]

#: The first choice: against the element index (what :class:`PickX` returns for it).
BY_INDEX = ""


class PickX(ModalScreen[str | None]):
    """The array PVs to choose from; Enter returns a name (or :data:`BY_INDEX`), Esc None.

    Parameters
    ----------
    names : sequence of str
        The other array PVs of the watchlist.
    current : str
        The X in use (:data:`BY_INDEX`: none): highlighted first.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pick-x-cancel")]
    CSS_PATH = "../styles/plot.tcss"

    def __init__(self, names: Sequence[str], current: str = BY_INDEX) -> None:
        super().__init__()
        self.names = [BY_INDEX, *names]
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="pick-x"):
            yield Static("Draw the waveform against", classes="dialog-title")
            yield Static("another array of the watchlist, element by element; Esc: unchanged",
                         classes="dialog-hint")  # fmt: skip
            # Text, not markup: a PV name may hold "[…]"
            options = ["the element index", *self.names[1:]]
            yield OptionList(*(Text(o) for o in options), id="pick-x-names")

    def on_mount(self) -> None:
        names = self.query_one(OptionList)
        names.highlighted = self.names.index(self.current) if self.current in self.names else 0
        names.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.names[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
