"""What a drain of the mailbox does to the watchlist (catui.watch_engine), no screen.

Real :class:`~catui.model.Watchlist` states, boxes drained from a real mailbox, and
updates as the fixed plant of :mod:`catui.dev` makes them.
"""

from __future__ import annotations

from catui.feeds.base import ConnectionEvent
from catui.feeds.fake import SAMPLE_DECODER, FakePV
from catui.feeds.fake import TypeNames as T
from catui.feeds.mailbox import Mailbox
from catui.model import CONNECTED, ControlInfo, Watchlist
from catui.watch_engine import WatchEngine

NAMES = ["a", "b", "c"]


def connected(mailbox: Mailbox, *names: str) -> None:
    for name in names:
        info = FakePV(name, T.DOUBLE).info()
        event = ConnectionEvent(CONNECTED, ("127.0.0.1", 5064), info, SAMPLE_DECODER)
        mailbox.put_connection(name, event)


def setup() -> tuple[Watchlist, WatchEngine, Mailbox]:
    watchlist = Watchlist(NAMES)
    return watchlist, WatchEngine(watchlist), Mailbox()


def test_a_connection_and_an_update_change_the_row_and_ask_for_a_recount():
    watchlist, engine, mailbox = setup()
    connected(mailbox, "a")
    mailbox.put_update("a", FakePV("a", T.DOUBLE).response(2.5))
    applied = engine.apply(mailbox.drain(), seen={"a"})
    state = watchlist.states["a"]
    assert applied.changed == [state] and applied.recount and "a" in applied.names
    assert state.connection == CONNECTED and state.type_name == "DOUBLE"
    assert not state.pending and float(state.value[0]) == 2.5
    assert engine.redraws == 1


def test_updates_alone_change_their_rows_and_ask_for_no_recount():
    _, engine, mailbox = setup()
    for name in ("a", "b"):
        mailbox.put_update(name, FakePV(name, T.DOUBLE).response(1.0))
    applied = engine.apply(mailbox.drain(), seen={"a", "b"})
    assert {s.name for s in applied.changed} == {"a", "b"} and not applied.recount


def test_an_update_off_screen_is_stashed_then_settled_when_quiet():
    watchlist, engine, mailbox = setup()
    mailbox.put_update("b", FakePV("b", T.DOUBLE).response(4.0))
    engine.apply(mailbox.drain(), seen={"a"})
    state = watchlist.states["b"]
    assert state.pending  # not decoded: nobody looks at it
    assert list(state.history) == [4.0]  # its trend has it all the same
    mailbox.put_update("a", FakePV("a", T.DOUBLE).response(1.0))
    engine.apply(mailbox.drain(), seen={"a"})
    assert not state.pending  # quiet since: decoded rather than kept raw


def test_a_stashed_update_replaced_stays_stashed():
    watchlist, engine, mailbox = setup()
    pv = FakePV("b", T.DOUBLE)
    mailbox.put_update("b", pv.response(1.0))
    engine.apply(mailbox.drain(), seen=())
    mailbox.put_update("b", pv.response(2.0))
    engine.apply(mailbox.drain(), seen=())
    state = watchlist.states["b"]
    assert state.pending and list(state.history) == [1.0, 2.0]
    assert float(state.value[0]) == 2.0  # decoded when read


def test_alarm_changes_coalesced_away_are_kept_in_the_history():
    watchlist, engine, mailbox = setup()
    pv = FakePV("a", T.DOUBLE, severity=2, status=3, timestamp=10.0)
    mailbox.put_update("a", pv.response(99.0))
    calm = FakePV("a", T.DOUBLE, timestamp=11.0)
    mailbox.put_update("a", calm.response(1.0))  # replaces the first in the mailbox
    box = mailbox.drain()
    assert box.dropped == 1
    engine.count(box)
    engine.apply(box, seen={"a"})
    state = watchlist.states["a"]
    assert [change[1:] for change in state.alarm_changes] == [(3, 2), (0, 0)]
    assert engine.updates_seen == 2 and engine.updates_coalesced == 1


def test_sorted_by_severity_an_alarm_or_a_connection_asks_for_a_resort():
    watchlist, engine, mailbox = setup()
    mailbox.put_update("a", FakePV("a", T.DOUBLE, severity=1, status=4).response(1.0))
    assert not engine.apply(mailbox.drain(), seen={"a"}).resort  # list order: never
    watchlist.sort = "severity"
    mailbox.put_update("a", FakePV("a", T.DOUBLE).response(1.0))  # alarm gone: a change
    assert engine.apply(mailbox.drain(), seen={"a"}).resort
    mailbox.put_update("a", FakePV("a", T.DOUBLE).response(2.0))  # same alarm
    assert not engine.apply(mailbox.drain(), seen={"a"}).resort
    connected(mailbox, "c")
    assert engine.apply(mailbox.drain(), seen=()).resort


def test_control_metadata_reaches_the_state():
    watchlist, engine, mailbox = setup()
    info = ControlInfo(units="mm", precision=2)
    mailbox.put_control("c", info)
    applied = engine.apply(mailbox.drain(), seen=())
    assert watchlist.states["c"].control is info
    assert [s.name for s in applied.changed] == ["c"]


def test_what_arrives_for_a_removed_pv_changes_nothing():
    watchlist, engine, mailbox = setup()
    connected(mailbox, "a")
    mailbox.put_update("a", FakePV("a", T.DOUBLE, severity=2, status=3).response(1.0))
    watchlist.remove("a")
    applied = engine.apply(mailbox.drain(), seen={"a"})
    assert applied.changed == [] and engine.redraws == 0
    assert "a" not in watchlist


def test_an_empty_box_changes_nothing():
    _, engine, mailbox = setup()
    applied = engine.apply(mailbox.drain(), seen=NAMES)
    assert applied.changed == [] and engine.redraws == 0


def test_stale_check_marks_only_pvs_with_a_threshold():
    watchlist, engine, mailbox = setup()
    connected(mailbox, "a", "b")
    for name in ("a", "b"):
        mailbox.put_update(name, FakePV(name, T.DOUBLE, timestamp=1e9).response(1.0))
    engine.apply(mailbox.drain(), seen={"a", "b"})
    watchlist.states["a"].stale_after = 5.0
    first = engine.check_stale(now=1000.0, wall=2e9)
    assert [s.name for s in first] == ["a"]
    assert watchlist.states["a"].stale_for is not None
    assert watchlist.states["b"].stale_for is None
    watchlist.states["a"].stale_after = None
    assert [s.name for s in engine.check_stale(now=1002.0, wall=2e9 + 2)] == ["a"]
    assert watchlist.states["a"].stale_for is None
