"""Paths typed by the operator: ~ is home; a home that does not exist is said.

On the fixed plant of :mod:`catui.dev` (no IOC, no network).
"""

from __future__ import annotations

import pytest

from catui.dev.snapshots import make_app

SIZE = (100, 30)


async def test_save_expands_the_home_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        app.screen.query_one("Input").value = "~/saved.txt"
        await pilot.press("enter")
        await pilot.pause()
    assert (tmp_path / "saved.txt").is_file()


@pytest.mark.parametrize("key", ["ctrl+s", "v"])
async def test_a_home_that_does_not_exist_is_said_not_a_crash(key):
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        app.screen.query_one("Input").value = "~nosuchuser-catui/x.txt"
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running and app.screen is app.watch_screen
        said = [n.message for n in app._notifications]
        assert any("Not a usable path" in m and "nosuchuser-catui" in m for m in said)
