"""``s`` on a chart saves the screen as an SVG file into the folder typed.

The fixed data set of :mod:`tests.catui.plot.plot_app` (no IOC, no clock).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from textual.app import App

from catui.feeds.base import ControlInfo
from catui.model import PVState
from catui.plot.history import HistoryStore
from catui.screens.strip_chart import StripChartScreen
from tests.catui.console_helpers import wait_until
from tests.catui.plot.plot_app import END, UTC, sources

SVG = "{http://www.w3.org/2000/svg}"


class ChartApp(App[None]):
    """The strip chart of the fixed ``multi`` data set, paused at its end."""

    def clock(self) -> float:
        return END

    def on_mount(self) -> None:
        store = HistoryStore()
        states = []
        for source in sources("multi"):
            for t, v, s in zip(*source.history.samples(), strict=True):
                store.append(source.name, float(t), float(v), int(s))
            limits = {} if source.display is None else {"display": source.display}
            control = ControlInfo(source.units, source.precision, limits=limits)
            states.append(PVState(source.name, control=control))
        screen = StripChartScreen(states, store, self.clock, UTC, span=600.0)
        screen.paused_at = END
        self.push_screen(screen)


async def test_s_writes_a_valid_svg_of_the_chart_into_the_chosen_folder(tmp_path):
    app = ChartApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StripChartScreen)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("ctrl+u", *str(tmp_path), "enter")
        await wait_until(pilot, lambda: screen.exported is not None, what="the SVG")
    path = screen.exported
    assert path == tmp_path / "catui-chart-20260115-083000.svg"
    assert list(tmp_path.iterdir()) == [path]
    root = ET.parse(path).getroot()  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    text = "".join(root.itertext()).replace("\xa0", " ")
    # The chart, not the prompt: its legend, its title and its braille dots.
    assert "demo:temperature" in text and "demo:pressure" in text
    assert "10 min · paused at 08:30:00" in text
    assert any(0x2800 < ord(c) <= 0x28FF for c in text)
    assert "Save the screen" not in text
