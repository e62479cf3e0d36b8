"""Hostile input to the console (issue 7): parsed, never evaluated or executed.

* A watchlist file (``catui -f``) of shell syntax, Python expressions, format
  strings, very long lines, non-ASCII, NUL bytes, bytes that are not UTF-8, or
  100,000 lines only ever becomes PV names to watch (verbatim) or one clear error
  naming the file and line.
* What is typed into the write dialog is parsed by ``catui.data.write_value``:
  an expression is refused for a number, and sent as it is for a string.
* No module of ``catui`` or ``protocol`` calls ``eval``, ``exec``,
  ``ast.literal_eval``, ``pickle``/``marshal`` loads, ``os.system`` or a shell: an
  AST scan that fails the day someone adds one.
"""

from __future__ import annotations

import ast
import io
import time
from collections.abc import Iterator
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from catui.app_main import build_app, run_console
from catui.dialogs.write import WriteDialog
from catui.widgets.watch_table import WatchTable
from protocol.commands import WriteNotifyRequest
from tests.catui.console_helpers import confirm_shown, select, status_text, wait_until
from tests.faults.fake_server import FakeServer

ROOT = Path(__file__).resolve().parents[2]
CANARY = "CANARY"

# Lines that are PV names, however they look: watched verbatim, nothing run.
HOSTILE_NAMES = [
    "$(touch${IFS}CANARY)",
    "`touch${IFS}CANARY`",
    ";touch${IFS}CANARY;",
    "|touch${IFS}CANARY&&echo>CANARY",
    "__import__('os').system('touch${IFS}CANARY')",
    "{0.__class__.__mro__}{__import__}",
    "%s%s%s%n%x",
    "../../../../etc/passwd",
    "--demo",
    "-f",
    "'\"\\'",
    "x" * 991,  # the longest a search can carry (MAX_NAME_LENGTH)
]
# Lines that are not: one clear error, naming the file and the line.
HOSTILE_LINES = {
    "non-ASCII": ("caf\u00e9:temp", "not a PV name: 'caf\u00e9:temp'"),
    "NUL": ("pv\x00name", "not a PV name: 'pv\\x00name'"),
    "escape sequence": ("\x1b[2J\x1b]0;pwned\x07", "not a PV name: '\\x1b[2J"),
    "too long": ("x" * 100_000, "over 991 characters"),
    "one too long": ("x" * 992, "over 991 characters"),
    "two names": ("$(touch CANARY)", "one PV name a line, found 2"),
    "Python with spaces": ("__import__('os').system('touch CANARY')", "found 2"),
}


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test runs in ``tmp_path``: a command that ran would leave CANARY there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path


def _load(path: Path) -> tuple[int, list[str], str]:
    """``catui -f path``: (exit status, the names the app would watch, stderr)."""
    seen: dict[str, Any] = {}
    err = io.StringIO()
    with redirect_stderr(err):
        status = run_console(["-f", str(path)], lambda app: seen.setdefault("names", app.names))
    return status, seen.get("names", []), err.getvalue()


def test_hostile_names_are_watched_verbatim(in_tmp: Path) -> None:
    path = in_tmp / "hostile.txt"
    path.write_text("# a watchlist an attacker wrote\n" + "\n".join(HOSTILE_NAMES) + "\n")
    status, names, err = _load(path)
    assert (status, err) == (0, "")
    assert names == HOSTILE_NAMES
    assert not (in_tmp / CANARY).exists()


@pytest.mark.parametrize("line", list(HOSTILE_LINES), ids=list(HOSTILE_LINES))
def test_hostile_lines_are_one_clear_error(in_tmp: Path, line: str) -> None:
    text, reason = HOSTILE_LINES[line]
    path = in_tmp / "w.txt"
    path.write_text("ok:1\n# fine so far\n" + text + "\nok:2\n", encoding="utf-8")
    status, names, err = _load(path)
    assert status == 2 and names == []
    assert err.count("\n") == 1 and len(err) - len(str(path)) < 160, err
    assert err.startswith(f"catui: {path}:3: ") and reason in err, err
    assert not (in_tmp / CANARY).exists()


def test_bytes_that_are_not_utf8_are_a_clear_error(in_tmp: Path) -> None:
    path = in_tmp / "w.bin"
    path.write_bytes(b"ok:1\nok:2\n\xff\xfe\x00binary\n")
    status, names, err = _load(path)
    assert (status, names) == (2, [])
    assert err.startswith(f"catui: {path}:3: not UTF-8 text (byte 0xff); ")


def test_a_100k_line_watchlist_loads_at_once(in_tmp: Path) -> None:
    path = in_tmp / "big.txt"
    names = [f"plant:{i}:temp" for i in range(100_000)]
    path.write_text("\n".join(names) + "\n")
    start = time.monotonic()
    status, loaded, _ = _load(path)
    elapsed = time.monotonic() - start
    assert status == 0 and loaded == names
    assert elapsed < 2.0, f"{elapsed:.1f} s"  # was quadratic: ~45 s
    # A bad line near the end is found, and named, as fast.
    path.write_text("\n".join(names[:99_998]) + "\npv\x00nul\n")
    start = time.monotonic()
    status, _, err = _load(path)
    assert status == 2 and f"{path}:99999: not a PV name" in err
    assert time.monotonic() - start < 2.0


# -- the console: hostile names are rows, typed values are parsed -----------------------


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    """A well-behaved fake server (fake:pv DOUBLE, fake:str STRING, ...), the only one."""
    with FakeServer() as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield server
    assert not server.errors


async def test_console_watches_hostile_names_as_rows(in_tmp: Path, fake: FakeServer) -> None:
    app = build_app(
        [*HOSTILE_NAMES, "fake:pv"], cursor_blink=False, journal_path=in_tmp / "journal.jsonl"
    )
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.watch_screen.query_one(WatchTable)
        states = app.watch_screen.watchlist.states
        await wait_until(pilot, lambda: states["fake:pv"].value is not None, what="fake:pv")
        for name in HOSTILE_NAMES:
            assert str(table.get_cell(name, "conn")) == "searching"
        assert set(HOSTILE_NAMES) <= set(fake.searches)  # searched for, as names
        await pilot.press("q")
    assert not (in_tmp / CANARY).exists()


async def test_typed_values_are_parsed_not_evaluated(in_tmp: Path, fake: FakeServer) -> None:
    app = build_app(
        ["fake:pv", "fake:str"],
        cursor_blink=False,
        write_timeout=2.0,
        journal_path=in_tmp / "journal.jsonl",
    )
    async with app.run_test(size=(120, 40)) as pilot:
        states = app.watch_screen.watchlist.states
        await wait_until(pilot, lambda: all(s.control is not None for s in states.values()),
                         what="both PVs and their metadata")  # fmt: skip
        # A number: expressions are refused in the dialog; nothing is sent.
        select(pilot, "fake:pv")
        await pilot.press("w")
        error, field = app.screen.query_one("#write-error"), app.screen.query_one(Input)
        await pilot.press(*"1+1", "enter")  # typed, as an operator does
        assert "Not written: not a number: '1+1'" in str(error.render())
        for text in ("2**10", "__import__('os').system('touch CANARY')", "0x10", "1e3j", "[1]"):
            field.value = text  # as if typed: what the dialog parses is the same
            await pilot.press("enter")
            assert isinstance(app.screen, WriteDialog), text
            assert f"Not written: not a number: {text!r}" in str(error.render())
        await pilot.press("escape")
        assert not fake.sent_requests(WriteNotifyRequest)
        # A string: the text itself is the value, sent as typed.
        select(pilot, "fake:str")
        typed = "$(touch CANARY);`id`"
        await pilot.press("w", *typed, "enter")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: "completed" in status_text(pilot), what="the write")
        (request,) = fake.sent_requests(WriteNotifyRequest)
        assert [bytes(item).rstrip(b"\0") for item in request.data] == [typed.encode()]
        await pilot.press("q")
    assert not (in_tmp / CANARY).exists()


# -- nothing evaluates text ------------------------------------------------------------

# Calls that would run or unpickle text: (receiver or None for a builtin, name).
FORBIDDEN_CALLS = {
    (None, "eval"),
    (None, "exec"),
    (None, "compile"),
    (None, "literal_eval"),
    ("ast", "literal_eval"),
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("pickle", "loads"),
    ("pickle", "load"),
    ("pickle", "Unpickler"),
    ("marshal", "loads"),
    ("marshal", "load"),
    ("shelve", "open"),
    ("yaml", "load"),
    ("yaml", "unsafe_load"),
    ("os", "system"),
    ("os", "popen"),
}
FORBIDDEN_IMPORTS = {"pickle", "marshal", "shelve", "dill", "cloudpickle"}
# Imports by a computed name: each reviewed, its name checked against a fixed set first.
DYNAMIC_IMPORTS = {(None, "__import__"), ("importlib", "import_module")}
REVIEWED_DYNAMIC_IMPORTS = {
    # (file, the name argument as written): where the name comes from
    ("catui/__main__.py", "name"): "f'catui.cli.{args[0]}' once args[0] in TOOLS",
    ("catui/ioc_examples/launch.py", "f'catui.ioc_examples.{name}'"): "name in IOC_NAMES",
    ("protocol/__init__.py", "f'{__name__}.{name}'"): "name in _SUBMODULES",
    ("protocol/__init__.py", "f'{__name__}.{where}'"): "where from the _WHERE table",
    ("protocol/sync/client.py", "f'protocol.sync.{_LAZY[name]}'"): "the _LAZY table",
}


def forbidden(source: str, filename: str = "<text>") -> list[str]:
    """Where ``source`` evaluates, unpickles or shells out: ``file:line: what``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                key: tuple[str | None, str] = (None, func.id)
            elif isinstance(func, ast.Attribute):
                receiver = func.value.id if isinstance(func.value, ast.Name) else "?"
                key = (receiver, func.attr)
            else:
                continue
            if key in FORBIDDEN_CALLS or (key[1] == "literal_eval"):
                found.append(f"{where}: {'.'.join(filter(None, key))}()")
            elif key in DYNAMIC_IMPORTS:
                argument = ast.unparse(node.args[0]) if node.args else ""
                if (filename, argument) not in REVIEWED_DYNAMIC_IMPORTS:
                    found.append(f"{where}: {'.'.join(filter(None, key))}({argument})")
            for keyword in node.keywords:
                shell = keyword.value
                if keyword.arg == "shell" and not (
                    isinstance(shell, ast.Constant) and shell.value is False
                ):
                    found.append(f"{where}: a call with shell=...")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [alias.name for alias in node.names]
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
                if node.module == "ast" and any(a.name == "literal_eval" for a in node.names):
                    found.append(f"{where}: from ast import literal_eval")
            for module in modules:
                if module.split(".")[0] in FORBIDDEN_IMPORTS:
                    found.append(f"{where}: import {module}")
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        "eval(text)",
        "exec(text)",
        "import ast\nast.literal_eval(text)",
        "from ast import literal_eval",
        "import pickle",
        "from marshal import loads",
        "os.system(line)",
        "subprocess.run(line, shell=True)",
        "subprocess.Popen(line, shell=flag)",
        "__import__(name)",
        "importlib.import_module(name)",
        "getattr(x, 'y')\nbuiltins.exec(code)",
    ],
)
def test_the_scan_finds_each_kind(snippet: str) -> None:
    assert forbidden(snippet), snippet


def test_the_scan_passes_parsing() -> None:
    assert not forbidden("float(text); int(text, 0); re.compile(p); text.split(',')")
    assert not forbidden("subprocess.run([exe, arg], shell=False)")


def test_no_module_evaluates_text() -> None:
    files = sorted([*(ROOT / "catui").rglob("*.py"), *(ROOT / "protocol").rglob("*.py")])
    assert len(files) > 50
    found = [
        hit for path in files for hit in forbidden(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert not found, "\n".join(found)
