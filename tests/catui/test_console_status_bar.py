"""The status bar: a write's outcome fades after a few seconds (issue 12, item 13)."""

from __future__ import annotations

from catui.widgets.status_bar import StatusBar
from tests.catui.console_helpers import select, status_text, wait_until
from tests.catui.test_console_display import plant_app, ready

# -- item 13: the outcome of a write fades ------------------------------------------------------


async def test_the_write_outcome_leaves_the_status_bar(monkeypatch):
    # raising=False: also on a StatusBar without the attribute (the old one never faded).
    monkeypatch.setattr(StatusBar, "OUTCOME_SECONDS", {"ok": 0.3, "failed": 0.6}, raising=False)
    app, _ = plant_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        select(pilot, "d:point")
        await pilot.press("w", "2", "enter", "y")
        await wait_until(pilot, lambda: "completed" in status_text(pilot), what="the outcome")
        await wait_until(pilot, lambda: "completed" not in status_text(pilot), timeout=3.0,
                         what="the outcome to fade")  # fmt: skip
        bar = app.watch_screen.query_one(StatusBar)
        assert bar.write_state == "" and not bar.has_class("-write-failed")


async def test_an_outcome_set_again_stays_its_full_time(monkeypatch):
    monkeypatch.setattr(StatusBar, "OUTCOME_SECONDS", {"ok": 0.5, "failed": 0.5}, raising=False)
    app, _ = plant_app()
    async with app.run_test(size=(100, 30)) as pilot:
        bar = app.watch_screen.query_one(StatusBar)
        bar.write_state, bar.write_text = "ok", "wrote 1 to pv: completed"
        await pilot.pause(0.35)
        bar.write_state, bar.write_text = "ok", "wrote 1 to pv: completed"  # the same again
        await pilot.pause(0.35)
        assert bar.write_text  # 0.7 s after the first, 0.35 s after the second
        bar.write_state, bar.write_text = "writing", "writing pv ← 2: waiting for completion…"
        await pilot.pause(0.7)
        assert bar.write_text.startswith("writing")  # a write in progress stays
