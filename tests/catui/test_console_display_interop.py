"""What the table and pane show of real records (issue 12), against an EPICS Base IOC."""

from __future__ import annotations

import pytest

from catui.app_main import build_app
from catui.widgets.detail_pane import DetailPane
from catui.widgets.watch_table import WatchTable
from tests.catui.console_helpers import select, wait_until

pytestmark = pytest.mark.interop

# Records the shared records.db does not have: one never processed (no PINI), with
# huge display limits; an mbbo whose state 1 has no label; UTF-8 text beyond Latin-1
# (€ is E2 82 AC: bytes that are control characters in Latin-1); small values, PREC 0.
DISPLAY_DB = """
record(ao, "$(P)never") {
    field(PREC, "2")
    field(EGU, "V")
    field(HOPR, "1e300")
    field(LOPR, "-1e300")
}
record(mbbo, "$(P)gap") {
    field(ZRST, "Off")
    field(TWST, "Fault")
    field(VAL, "1")
    field(PINI, "YES")
}
record(waveform, "$(P)utf") {
    field(FTVL, "CHAR")
    field(NELM, "32")
    field(INP, {const:"tempé €"})
    field(PINI, "YES")
}
record(waveform, "$(P)small") {
    field(FTVL, "DOUBLE")
    field(NELM, "3")
    field(PREC, "0")
    field(INP, [0.1, 0.2, 1e-7])
    field(PINI, "YES")
}
record(ao, "$(P)point") {
    field(VAL, "0.75")
    field(PREC, "0")
    field(EGU, "mm")
    field(PINI, "YES")
}
"""


async def test_real_records_as_the_table_and_pane_show_them(ioc_factory, ca_env, tmp_path):
    db = tmp_path / "display.db"
    db.write_text(DISPLAY_DB, encoding="utf-8")
    ioc = ioc_factory(db=db, acf=None)
    ca_env(ioc)
    names = {key: f"{ioc.prefix}{key}" for key in ("never", "gap", "utf", "small", "point")}
    app = build_app(list(names.values()), cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        states = app.watch_screen.watchlist.states
        known = lambda: all(s.value is not None and s.control is not None  # noqa: E731
                            for s in states.values())  # fmt: skip
        await wait_until(pilot, known, what="every PV")
        await pilot.pause()
        table = app.watch_screen.query_one(WatchTable)
        pane = app.watch_screen.query_one(DetailPane)

        def cell(key: str, column: str) -> str:
            return str(table.get_cell(names[key], column))

        assert cell("never", "time") == "never processed"
        assert cell("never", "alarm") == "INVALID UDF"
        assert cell("gap", "value") == "1"  # the IOC sends "" for a state without a label
        assert cell("utf", "value") == "tempé €"
        assert cell("small", "value") == "[3] 0.1 0.2 1e-07"
        assert cell("point", "value") == "1 mm"

        select(pilot, names["point"])
        await pilot.pause()
        assert "Exactly  0.75" in pane.text()
        select(pilot, names["never"])
        await pilot.pause()
        assert "Time     never processed (EPICS epoch)" in pane.text()
        assert "Display  -1e+300 … 1e+300 V" in pane.text()
        # A stale threshold: a record never processed is not "stale 21s".
        await pilot.press("t", *"5", "enter")
        app.watch_screen.check_stale()
        assert cell("never", "conn") == "connected"
        assert "never processed: no time to count from" in pane.text()


async def test_a_row_put_back_with_ctrl_z_connects_again(epics_base_ioc, ca_env):
    ca_env(epics_base_ioc)
    ao, text = (f"{epics_base_ioc.prefix}{n}" for n in ("ao", "str"))
    app = build_app([ao, text], cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        states = app.watch_screen.watchlist.states
        await wait_until(pilot, lambda: all(s.value is not None for s in states.values()))
        select(pilot, ao)
        await pilot.press("d")
        assert ao not in states
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: ao in states and states[ao].value is not None,
                         timeout=5.0, what="the PV put back to connect")  # fmt: skip
        assert app.watch_screen.watchlist.names == [ao, text]
