"""The seam under the console: nothing above catui/feeds imports a protocol; routing
by ``ca://`` / ``pva://``; the CA feed's control metadata over the Blocker's channels."""

from __future__ import annotations

import ast
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from catui.feeds.base import CONNECTED, DISCONNECTED, Diagnostics
from catui.feeds.ca import CAFeed
from catui.feeds.fake import FakeFeed, FakePV
from catui.feeds.mailbox import Drained, Mailbox
from catui.feeds.names import check_pv_name, split_protocol
from catui.feeds.router import PVA_MISSING, RouterFeed
from catui.model import PVState
from tests.support.iocs import EpicsBaseIoc, IocProcess

CATUI = Path(__file__).resolve().parents[2] / "catui"
#: Where the protocol may be imported: the feeds, and the tools that are CA clients.
ALLOWED = ("feeds", "cli", "browse", "ioc_examples")


def protocol_imports(path: Path) -> list[str]:
    """``file:line module`` of every import of ``protocol`` in ``path`` (any depth)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            if name == "protocol" or name.startswith("protocol."):
                found.append(f"{path.as_posix()}:{node.lineno} {name}")
    return found


def test_nothing_above_the_feeds_imports_protocol() -> None:
    checked = [
        path
        for path in sorted(CATUI.rglob("*.py"))
        if path.relative_to(CATUI).parts[0] not in ALLOWED
    ]
    assert len(checked) > 50  # the scan sees the package (model, screens, widgets…)
    offenders = [line for path in checked for line in protocol_imports(path)]
    assert offenders == []


def test_the_scan_finds_an_import_inside_a_function(tmp_path: Path) -> None:
    # The scan must be able to fail: a nested import is one too.
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import protocol\n"
        "def f():\n    from protocol.errors import CAError\n    return CAError\n"
        "from catui.model import PVState\n"
    )
    assert protocol_imports(probe) == [
        f"{probe.as_posix()}:1 protocol",
        f"{probe.as_posix()}:3 protocol.errors",
    ]


def test_prefixes() -> None:
    assert split_protocol("ca://a:b") == ("ca", "a:b")
    assert split_protocol("pva://a:b") == ("pva", "a:b")
    assert split_protocol("a:b") == ("ca", "a:b")  # no prefix: the default protocol
    assert split_protocol("http://x") == ("ca", "http://x")  # not a protocol of ours
    assert check_pv_name("ca://a:b") == "ca://a:b"  # kept as given
    with pytest.raises(ValueError):
        check_pv_name("ca://a b")


def test_a_pva_name_gets_one_clear_line_and_ca_keeps_working(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeFeed([FakePV("demo:a", "DOUBLE", [1.5])])
    router = RouterFeed(fake)
    box = Mailbox()
    router.attach(box)
    with caplog.at_level(logging.ERROR, logger="catui.feed"):
        router.add(["pva://demo:b", "demo:a"])
        router.add(["pva://demo:b"])  # again: no second line
    drained = box.drain()
    assert drained.connections["pva://demo:b"].state == DISCONNECTED
    assert drained.connections["demo:a"].state == CONNECTED
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [f"pva://demo:b: {PVA_MISSING}"]
    assert "pvAccess not available yet" in PVA_MISSING
    with pytest.raises(ValueError, match="pvAccess not available yet"):
        router.write_link("pva://demo:b")
    router.remove(["pva://demo:b", "demo:a"])
    assert fake.added == []
    assert isinstance(router.diagnostics(), Diagnostics)


def wait_for(box: Mailbox, seen: Drained, done: Callable[[Drained], bool], what: str) -> None:
    deadline = time.monotonic() + 10.0
    while not done(seen):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within 10 s")
        drained = box.drain()
        seen.updates.update(drained.updates)
        seen.connections.update(drained.connections)
        seen.controls.update(drained.controls)
        time.sleep(0.02)


def test_ca_feed_routes_ca_names_and_reads_control_metadata_on_its_channel(
    epics_base_ioc: EpicsBaseIoc, ca_env: Callable[[IocProcess], None]
) -> None:
    ca_env(epics_base_ioc)
    p = epics_base_ioc.prefix
    names = [f"ca://{p}ao", f"{p}mbbo"]
    feed = RouterFeed(CAFeed())
    box = Mailbox()
    feed.attach(box)
    feed.add(names)
    # Its two workers, as the app runs them: the monitor and the control decoder.
    workers = [threading.Thread(target=run, daemon=True)
               for run in (feed.run_monitor, feed.run_control_reader)]  # fmt: skip
    for worker in workers:
        worker.start()
    seen = Drained()
    try:
        wait_for(
            box, seen, lambda s: set(names) <= set(s.controls) and set(names) <= set(s.updates),
            "control metadata and value",
        )  # fmt: skip
        # Keyed by the names as given (the prefix kept), decoded by the feed's decoder.
        event = seen.connections[f"ca://{p}ao"]
        assert event.state == CONNECTED and event.info is not None
        assert (event.info.type_name, event.info.count, event.info.writable) == ("DOUBLE", 1, True)
        assert event.info.limits.int_range is None
        state = PVState(f"ca://{p}ao")
        state.apply_connection(event.state, event.address, event.info, event.decoder)
        state.stash(seen.updates[f"ca://{p}ao"])
        assert state.value[0] == 3.5 and state.timestamp is not None
        control = seen.controls[f"ca://{p}ao"]
        assert (control.units, control.precision) == ("mm", 3)
        assert control.limits["control"] == (-50.0, 50.0)
        assert control.limits["display"] == (-100.0, 100.0)
        mbbo = seen.controls[f"{p}mbbo"]
        assert mbbo.enum_strings  # an ENUM's choices come with it
        assert seen.connections[f"{p}mbbo"].info.type_name == "ENUM"  # type: ignore[union-attr]
        # One circuit for both PVs and their metadata: no connection of its own per read.
        snap = feed.diagnostics()
        assert len(snap.circuits) == 1 and snap.circuits[0].channels == 2
        values = feed.read_many([f"ca://{p}ao", f"{p}nothere"], 1.0)
        assert list(values) == [f"ca://{p}ao"] and float(values[f"ca://{p}ao"][0]) == 3.5
    finally:
        feed.stop()
        for worker in workers:
            worker.join(10)
    assert not any(worker.is_alive() for worker in workers)
