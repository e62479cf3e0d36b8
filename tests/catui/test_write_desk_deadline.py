"""The write desk sends nothing once a write's deadline has passed (catui.writes)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from catui.dialogs.write import WriteRequest
from catui.feeds.fake import FakeFeed, FakeLink, FakePV
from catui.feeds.fake import TypeNames as T
from catui.feeds.mailbox import Mailbox
from catui.writes import WriteDesk


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    def post_message(self, message: Any) -> bool:
        self.messages.append(message)
        return True


class SlowRead(FakeLink):
    """Its read before the write takes longer than the whole write may."""

    def read_value(self, timeout: float) -> Any:
        time.sleep(timeout + 0.3)  # a read that overruns its own timeout
        return np.array([1.0])


def desk_and_link(
    tmp_path: Path, link_class: type[FakeLink]
) -> tuple[WriteDesk, FakeFeed, FakeLink]:
    feed = FakeFeed([FakePV("demo:ao", T.DOUBLE, values=[1.0])])
    feed.attach(Mailbox())
    desk = WriteDesk(None, feed, tmp_path / "journal.jsonl", write_timeout=0.2)  # type: ignore[arg-type]
    return desk, feed, link_class(feed, "demo:ao")


def test_a_write_whose_read_before_used_up_the_deadline_is_not_sent(tmp_path: Path) -> None:
    desk, feed, link = desk_and_link(tmp_path, SlowRead)
    inbox = Inbox()
    desk._pending["demo:ao"] = 1  # as start() counts it
    request = WriteRequest("demo:ao", 2.0, "2", link=link, confirmed_at=time.monotonic())
    desk._write(inbox, request)  # type: ignore[arg-type]
    assert feed.writes_to("demo:ao") == []  # nothing went out after the deadline
    (finished,) = inbox.messages
    assert not finished.ok and "demo:ao" in finished.text
    assert desk.pending_writes == []


def test_a_write_in_time_is_sent(tmp_path: Path) -> None:
    desk, feed, link = desk_and_link(tmp_path, FakeLink)
    inbox = Inbox()
    desk._pending["demo:ao"] = 1
    request = WriteRequest("demo:ao", 2.0, "2", link=link, confirmed_at=time.monotonic())
    desk._write(inbox, request)  # type: ignore[arg-type]
    assert feed.writes_to("demo:ao") == [2.0]
    (finished,) = inbox.messages
    assert finished.ok
