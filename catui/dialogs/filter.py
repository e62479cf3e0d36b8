"""Ask for the watchlist filter: a substring or a glob of PV names."""

from __future__ import annotations

from catui.dialogs.prompt import PromptDialog

__all__ = ["FilterDialog"]


class FilterDialog(PromptDialog[str]):
    """Returns the new filter ("" shows every PV) or None if cancelled."""

    def __init__(self, current: str = "") -> None:
        super().__init__(
            "Filter PVs",
            "Part of a name, or a glob like *:temp*. Empty shows all.",
            value=current,
        )

    def check(self, text: str) -> str:
        return text.strip()
