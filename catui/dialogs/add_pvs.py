"""Ask for PV names to add to the watchlist."""

from __future__ import annotations

from catui.data.watchlist import parse_pv_names
from catui.dialogs.prompt import PromptDialog

__all__ = ["AddPVsDialog"]


class AddPVsDialog(PromptDialog[list[str]]):
    """PV names separated by spaces or commas; returns the list (or None)."""

    def __init__(self) -> None:
        super().__init__(
            "Add PVs",
            "One or more PV names, separated by spaces or commas.",
            placeholder="e.g. demo:temperature demo:mode",
        )

    def check(self, text: str) -> list[str]:
        names = parse_pv_names(text)  # WatchlistError is a ValueError
        if not names:
            raise ValueError("type at least one PV name")
        return names
