"""The write journal file (catui.data.journal)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from catui.data import journal
from catui.data.journal import JournalEntry, append, default_journal_path, format_entry, read

UTC = datetime.timezone.utc


def _entry(pv: str = "demo:ao", **changes) -> JournalEntry:
    fields = {
        "time": 1_700_000_000.25,
        "user": "alice",
        "host": "ctl01",
        "pv": pv,
        "old": "3.5",
        "new": "4",
        "status": "completed",
        "reply": "ECA_NORMAL",
    }
    fields.update(changes)
    return JournalEntry(**fields)


def test_append_then_read_round_trips(tmp_path):
    path = tmp_path / "state" / "catui" / "journal.jsonl"  # parents do not exist yet
    entries = [
        _entry(),
        _entry("demo:str", old=None, new="héllo “world”", status="timed out", reply=""),
        _entry("demo:wf", old="[3] 1 2 3", new="1, 2, 3", status="refused"),
    ]
    for entry in entries:
        append(path, entry)
    assert read(path) == entries


def test_one_json_object_per_line_in_utf8(tmp_path):
    path = tmp_path / "j.jsonl"
    append(path, _entry(new="µA"))
    append(path, _entry(pv="demo:b"))
    raw = path.read_bytes()
    assert "µA".encode() in raw  # UTF-8 as is, not \u escapes
    lines = raw.decode("utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["new"] == "µA"
    assert set(json.loads(lines[1])) == {
        "time", "user", "host", "pv", "old", "new", "status", "reply", "sent"
    }  # fmt: skip


def test_append_never_truncates(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text(json.dumps(_entry("old:one").to_dict()) + "\n", encoding="utf-8")
    append(path, _entry("new:two"))
    assert [e.pv for e in read(path)] == ["old:one", "new:two"]


def test_append_with_fsync(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    append(tmp_path / "j.jsonl", _entry(), fsync=True)
    append(tmp_path / "j.jsonl", _entry())
    assert len(synced) == 1


def test_read_missing_journal_is_empty(tmp_path):
    assert read(tmp_path / "nothing.jsonl") == []


def test_read_skips_a_truncated_last_line(tmp_path):
    path = tmp_path / "j.jsonl"
    append(path, _entry("demo:a"))
    whole = json.dumps(_entry("demo:b").to_dict())
    with open(path, "a", encoding="utf-8") as file:
        file.write(whole[: len(whole) // 2])  # the writer died mid-line
    assert [e.pv for e in read(path)] == ["demo:a"]


def test_append_after_a_truncated_line_starts_a_new_line(tmp_path):
    path = tmp_path / "j.jsonl"
    append(path, _entry("demo:a"))
    with open(path, "a", encoding="utf-8") as file:
        file.write('{"time": 1, "us')
    append(path, _entry("demo:c"))
    assert [e.pv for e in read(path)] == ["demo:a", "demo:c"]


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        "[1, 2]",
        '"a string"',
        "{}",
        '{"time": "yesterday", "user": "a", "host": "h", "pv": "p", "old": "", "new": "",'
        ' "status": "completed"}',
        '{"time": true, "user": "a", "host": "h", "pv": "p", "old": "", "new": "",'
        ' "status": "completed"}',
        '{"time": 1, "user": 5, "host": "h", "pv": "p", "old": "", "new": "",'
        ' "status": "completed"}',
        '{"time": 1, "user": "a", "host": "h", "pv": "p", "old": "", "new": null,'
        ' "status": "completed"}',
        '{"time": 1, "user": "a", "host": "h", "pv": "p", "old": ""}',
        "\xff\xfe broken bytes",
    ],
)
def test_read_skips_lines_that_are_not_entries(tmp_path, line):
    path = tmp_path / "j.jsonl"
    append(path, _entry("demo:before"))
    with open(path, "ab") as file:
        file.write(line.encode("latin-1") + b"\n")
    append(path, _entry("demo:after"))
    assert [e.pv for e in read(path)] == ["demo:before", "demo:after"]


@pytest.mark.parametrize(
    "line",
    [
        '{"time": 1' + "0" * 400 + ', "user": "a", "host": "h", "pv": "p", "old": "",'
        ' "new": "", "status": "completed"}',
        "[" * 100_000,
    ],
    ids=["time-overflows-a-float", "nested-past-the-recursion-limit"],
)
def test_read_skips_lines_python_cannot_hold(tmp_path, line):
    # OverflowError and RecursionError went out of read(): the journal screen's worker
    # died and it stayed at "Reading…".
    test_read_skips_lines_that_are_not_entries(tmp_path, line)


def test_read_accepts_unknown_keys_and_a_missing_reply(tmp_path):
    path = tmp_path / "j.jsonl"
    obj = {k: v for k, v in _entry().to_dict().items() if k != "reply"}
    obj["from_a_newer_catui"] = [1, 2]
    path.write_text(json.dumps(obj) + "\n", encoding="utf-8")
    assert read(path) == [_entry(reply="")]


def test_read_last_entries(tmp_path):
    path = tmp_path / "j.jsonl"
    for n in range(5):
        append(path, _entry(f"demo:{n}"))
    assert [e.pv for e in read(path, last=2)] == ["demo:3", "demo:4"]


# Each writer is a separate interpreter (not a fork of this multi-threaded test process).
_WRITER = """
import sys
from catui.data.journal import JournalEntry, append
path, tag = sys.argv[1], sys.argv[2]
for n in range(500):
    # Lines long enough that a write split in pieces would interleave visibly.
    append(path, JournalEntry(1.0, "u", "h", f"{tag}:{n}", "", tag * 2000, "completed"))
"""


def test_two_processes_appending_interleave_whole_lines(tmp_path):
    path = tmp_path / "j.jsonl"
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *sys.path])}
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), tag], env=env)
        for tag in ("x", "y")
    ]
    for writer in writers:
        assert writer.wait(timeout=60) == 0
    entries = read(path)
    assert len(entries) == 1000
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1000
    for tag in ("x", "y"):
        assert [e.pv for e in entries if e.pv.startswith(tag)] == [
            f"{tag}:{n}" for n in range(500)
        ]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_journal_is_private_to_its_owner(tmp_path):
    path = tmp_path / "j.jsonl"
    append(path, _entry())
    assert path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"XDG_STATE_HOME": "/xdg/state", "HOME": "/home/a"}, "/xdg/state/catui/journal.jsonl"),
        ({"HOME": "/home/a"}, "/home/a/.local/state/catui/journal.jsonl"),
        ({"XDG_STATE_HOME": "", "HOME": "/home/a"}, "/home/a/.local/state/catui/journal.jsonl"),
        # The XDG specification: a relative path is invalid and is ignored.
        (
            {"XDG_STATE_HOME": "rel/state", "HOME": "/home/a"},
            "/home/a/.local/state/catui/journal.jsonl",
        ),
    ],
)
def test_default_journal_path(environ, expected):
    assert default_journal_path(environ) == Path(expected)


def test_default_journal_path_uses_the_process_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_journal_path() == tmp_path / "catui" / "journal.jsonl"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            _entry(),
            "2023-11-14 22:13:20.250  alice@ctl01  demo:ao  3.5 → 4  completed — ECA_NORMAL",
        ),
        (
            _entry(old=None, reply=""),
            "2023-11-14 22:13:20.250  alice@ctl01  demo:ao  ? → 4  completed",
        ),
        (
            _entry(old="", new="", status="failed", reply="put callback failed"),
            '2023-11-14 22:13:20.250  alice@ctl01  demo:ao  "" → ""  failed — put callback failed',
        ),
        (
            _entry(new="evil\x1b[2J\nfake line", reply="a\tb"),
            "2023-11-14 22:13:20.250  alice@ctl01  demo:ao  3.5 → evil\\x1b[2J\\x0afake line"
            "  completed — a\\x09b",
        ),
        (_entry(time=float("inf"), reply=""), "t=inf  alice@ctl01  demo:ao  3.5 → 4  completed"),
    ],
)
def test_format_entry(entry, expected):
    assert format_entry(entry, UTC) == expected
    assert "\n" not in format_entry(entry, UTC)


def test_format_entry_in_local_time_by_default():
    entry = _entry()
    local = datetime.datetime.fromtimestamp(entry.time).strftime("%Y-%m-%d %H:%M:%S")
    assert format_entry(entry).startswith(local)


def test_new_entry_fills_time_user_and_host(monkeypatch):
    monkeypatch.setattr(journal.getpass, "getuser", lambda: "bob")
    monkeypatch.setattr(journal.socket, "gethostname", lambda: "ctl02")
    monkeypatch.setattr(journal.time, "time", lambda: 123.5)
    entry = journal.new_entry("demo:ao", "1", "2", "completed", "ok")
    assert entry == JournalEntry(123.5, "bob", "ctl02", "demo:ao", "1", "2", "completed", "ok")
    assert journal.new_entry("demo:ao", None, "2", "sent", when=7.0).time == 7.0


def test_new_entry_without_a_login_name(monkeypatch):
    def no_user():
        raise OSError("no login name")

    monkeypatch.setattr(journal.getpass, "getuser", no_user)
    assert journal.new_entry("demo:ao", "1", "2", "completed").user != ""


def test_append_refuses_a_time_json_cannot_hold(tmp_path):
    path = tmp_path / "j.jsonl"
    with pytest.raises(ValueError):
        append(path, _entry(time=float("nan")))
    assert not path.exists() or path.read_text() == ""


def test_enum_label_and_index_and_what_the_ioc_reported(tmp_path):
    path = tmp_path / "j.jsonl"
    entry = _entry(
        "demo:mode", old="Run", new="Standby", old_index=2, new_index=1,
        sent="ENUM choice 1 ('Standby')", reported="Standby", reported_index=1,
    )  # fmt: skip
    clipped = _entry(new="60 mm", sent="DOUBLE 60.0", reported="50 mm")
    append(path, entry)
    append(path, clipped)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["new"] == "Standby" and lines[0]["new_index"] == 1
    assert lines[0]["old_index"] == 2 and lines[0]["reported_index"] == 1
    assert lines[1]["reported"] == "50 mm" and "new_index" not in lines[1]
    assert read(path) == [entry, clipped]
    when = datetime.datetime.fromtimestamp(entry.time, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    assert format_entry(entry, UTC) == (
        f"{when}  alice@ctl01  demo:mode  'Run' (choice 2) → 'Standby' (choice 1)  completed"
        " — ECA_NORMAL (the IOC reports 'Standby' (choice 1))"
    )
    assert format_entry(clipped, UTC).endswith("3.5 → 60 mm  completed — ECA_NORMAL "
                                               "(the IOC reports 50 mm)")  # fmt: skip


def test_lines_of_an_older_catui_are_read(tmp_path):
    path = tmp_path / "j.jsonl"
    old = {"time": 1.0, "user": "u", "host": "h", "pv": "p", "old": "1", "new": "2",
           "status": "completed"}  # fmt: skip
    path.write_text(json.dumps(old) + "\n" + json.dumps({**old, "new_index": "x"}) + "\n")
    (entry,) = read(path)  # the second line's index is not a number: skipped
    assert (entry.new, entry.sent, entry.reported, entry.new_index) == ("2", "", None, None)
