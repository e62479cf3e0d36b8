"""The add dialog completes names the console has seen and expands globs with a preview."""

from __future__ import annotations

from textual.widgets import Static

from catui.app_main import build_app
from catui.dialogs.add_pvs import AddPVsDialog
from catui.widgets.paste_area import PasteArea

SIZE = (100, 30)
WATCHED = ["cmpl:SR:a:current", "cmpl:SR:b:current"]


def shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_typing_completes_and_a_glob_is_previewed_before_adding() -> None:
    app = build_app(WATCHED, cursor_blink=False)
    app.browser.remember(["cmpl:SR:c:current", "cmpl:HX:a", "cmpl:HX:b"])  # met browsing
    async with app.run_test(size=SIZE) as pilot:
        watch = app.watch_screen
        # A name removed from the watchlist is still one the console has seen.
        watch.remove_names(["cmpl:SR:b:current"])
        await pilot.press("a")
        assert isinstance(app.screen, AddPVsDialog)
        await pilot.press(*"cmpl:SR:")
        assert shown(app, "#add-complete") == (
            "Tab completes: cmpl:SR:a:current, cmpl:SR:b:current, cmpl:SR:c:current"
        )
        await pilot.press(*"c", "tab")
        area = app.screen.query_one(PasteArea)
        assert area.text == "cmpl:SR:c:current"
        # A glob: what it matches is listed before anything is added.
        area.clear()
        await pilot.press(*"cmpl:SR:*:current")
        assert shown(app, "#add-found") == (
            "Pattern: Found 3 PV names: cmpl:SR:a:current, cmpl:SR:b:current, "
            "cmpl:SR:c:current (1 already watched)"
        )
        area.clear()
        await pilot.press(*"cmpl:HX:{a,b} cmpl:QQ:*")
        assert "Found 2 PV names: cmpl:HX:a, cmpl:HX:b" in shown(app, "#add-found")
        assert shown(app, "#prompt-error") == "cmpl:QQ:*: matches no name seen"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, AddPVsDialog)
        assert watch.watchlist.names == ["cmpl:SR:a:current", "cmpl:HX:a", "cmpl:HX:b"]
        # Pasted names are remembered too.
        await pilot.press("a")
        app.screen.query_one(PasteArea).insert("caget cmpl:pasted:one\n")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "cmpl:pasted:one" in app.seen_names
