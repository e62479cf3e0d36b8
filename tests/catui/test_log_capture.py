"""``catui.log_capture``: the console's log records kept in memory, none on the terminal."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator

import pytest

from catui.dev.snapshots import make_app
from catui.log_capture import CAPTURED_LOGGERS, LogCapture


@pytest.fixture
def terminal() -> Iterator[io.StringIO]:
    """A root handler writing to a stream, as ``logging.basicConfig()`` would install."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def state(name: str) -> tuple[int, bool, list[logging.Handler]]:
    logger = logging.getLogger(name)
    return logger.level, logger.propagate, list(logger.handlers)


def test_records_kept_and_nothing_reaches_the_root(terminal, capsys):
    before = {name: state(name) for name in CAPTURED_LOGGERS}
    with LogCapture() as capture:
        logging.getLogger("protocol.sync.search").warning("PV %r is served by both", "a:b")
        logging.getLogger("catui.feed").info("control metadata of %r: slow", "c:d")
        logging.getLogger("protocol.sync.blocker").debug("not kept: below INFO")
        logging.getLogger("elsewhere").warning("not ours")
        records = capture.records()
    assert [(r.levelname, r.logger, r.message) for r in records] == [
        ("WARNING", "protocol.sync.search", "PV 'a:b' is served by both"),
        ("INFO", "catui.feed", "control metadata of 'c:d': slow"),
    ]
    assert capture.count == 2 and records[0].level == logging.WARNING
    # Only the logger that is not ours reached the root handler; nothing went to stderr.
    assert terminal.getvalue() == "not ours\n"
    assert capsys.readouterr().err == ""
    assert {name: state(name) for name in CAPTURED_LOGGERS} == before


def test_after_uninstall_records_go_where_they_went(terminal):
    capture = LogCapture()
    capture.install()
    capture.install()  # idempotent: one handler, one saved state
    assert logging.getLogger("protocol").handlers.count(capture) == 1
    capture.uninstall()
    capture.uninstall()
    logging.getLogger("protocol.sync.search").warning("after")
    assert capture.records() == () and terminal.getvalue() == "after\n"
    assert not capture.installed


def test_a_configured_level_is_kept_if_it_lets_more_through():
    logger = logging.getLogger("catui")
    logger.setLevel(logging.DEBUG)
    try:
        with LogCapture() as capture:
            assert logger.level == logging.DEBUG
            logger.debug("kept by the logger, dropped by the handler")
        assert capture.records() == ()
        assert logger.level == logging.DEBUG
    finally:
        logger.setLevel(logging.NOTSET)


def test_the_buffer_is_bounded():
    with LogCapture(capacity=200) as capture:
        log = logging.getLogger("protocol.sync.blocker")
        for i in range(250):
            log.warning("record %d", i)
    records = capture.records()
    assert len(records) == 200 and capture.count == 250
    assert records[0].message == "record 50" and records[-1].message == "record 249"
    capture.clear()
    assert capture.records() == () and capture.count == 250


def test_an_exception_is_summed_up_in_the_message():
    with LogCapture() as capture:
        try:
            raise ConnectionResetError("peer went away")
        except ConnectionResetError:
            logging.getLogger("catui.feed").exception("monitor failed")
    (record,) = capture.records()
    assert record.message == "monitor failed: ConnectionResetError: peer went away"
    assert record.levelname == "ERROR"


def test_records_from_threads_while_reading():
    errors: list[BaseException] = []
    with LogCapture(capacity=50) as capture:

        def log(n: int) -> None:
            try:
                for i in range(300):
                    logging.getLogger(f"protocol.t{n}").warning("%d", i)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=log, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            assert len(capture.records()) <= 50
        for thread in threads:
            thread.join()
    assert not errors and capture.count == 1200 and len(capture.records()) == 50


async def test_the_app_installs_it_while_running_only():
    before = {name: state(name) for name in CAPTURED_LOGGERS}
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.log_capture.installed
        for name in CAPTURED_LOGGERS:
            assert app.log_capture in logging.getLogger(name).handlers
            assert not logging.getLogger(name).propagate
        # From a worker thread, as the CA client logs.
        thread = threading.Thread(target=logging.getLogger("protocol.sync.search").warning,
                                  args=("from a thread",))  # fmt: skip
        thread.start()
        thread.join()
        assert "from a thread" in [r.message for r in app.log_capture.records()]
    assert not app.log_capture.installed
    assert {name: state(name) for name in CAPTURED_LOGGERS} == before
