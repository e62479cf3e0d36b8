"""Read EPICS database definition (DBD) files: menus and record types with their fields.

Enough of the DBD grammar (``dbLex.l``/``dbYacc.y`` in EPICS Base) for the
record and menu files Base ships: ``menu(name) {choice(id, "text") ...}``,
``recordtype(name) {include "dbCommon.dbd" field(NAME, DBF_x) {attr(value) ...}}``,
``%`` lines (C code passed through), ``#`` comments and ``include`` of other
files. Other statements (``device``, ``driver``, ``link``, ``registrar``, ...)
are read and ignored. Used by :mod:`catui.browse.gen_record_fields`, and usable
for a site's own DBD files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

__all__ = ["DbdError", "DbdField", "Definitions", "parse_dbd", "read_dbd"]

#: Characters of an unquoted word (dbLex.l's ``bareword``).
_BARE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+:.[]<>;")
_PUNCTUATION = frozenset("(){},")


class DbdError(ValueError):
    """A DBD file that cannot be read: the message names the file and line."""


class DbdField(NamedTuple):
    """One ``field(NAME, DBF_TYPE) {...}`` of a record type, as the DBD declares it."""

    name: str
    dbf: str
    prompt: str = ""
    promptgroup: str = ""
    special: str = ""
    menu: str = ""
    size: int = 0
    interest: int = 0
    pp: bool = False
    initial: str = ""
    included_from: str = ""  # the include file the field came from ("dbCommon.dbd"), if any


class Definitions:
    """What a set of DBD files defines.

    Attributes
    ----------
    menus : dict of str to tuple of str
        Menu name -> its choice strings, in index order.
    records : dict of str to list of DbdField
        Record type -> its fields, in declaration order (include files spliced in).
    """

    def __init__(self) -> None:
        self.menus: dict[str, tuple[str, ...]] = {}
        self.records: dict[str, list[DbdField]] = {}


class _Token(NamedTuple):
    kind: str  # 'word', 'string', 'punct', 'code'
    text: str
    line: int


def _tokens(text: str, source: str) -> Iterator[_Token]:
    i, line, n = 0, 1, len(text)
    at_line_start = True
    while i < n:
        char = text[i]
        if char == "\n":
            line += 1
            i += 1
            at_line_start = True
            continue
        if char in " \t\r\f\v":
            i += 1
            continue
        if char == "%" and at_line_start:
            end = text.find("\n", i)
            end = n if end < 0 else end
            yield _Token("code", text[i + 1 : end], line)
            i = end
            continue
        at_line_start = False
        if char == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if char in _PUNCTUATION:
            yield _Token("punct", char, line)
            i += 1
            continue
        if char == '"':
            i, value = _quoted(text, i, line, source)
            yield _Token("string", value, line)
            continue
        if char in _BARE:
            start = i
            while i < n and text[i] in _BARE:
                i += 1
            yield _Token("word", text[start:i], line)
            continue
        raise DbdError(f"{source}:{line}: unexpected character {char!r}")


def _quoted(text: str, i: int, line: int, source: str) -> tuple[int, str]:
    """The string starting at the quote ``text[i]``: (index after it, its text)."""
    out: list[str] = []
    i += 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return i + 1, "".join(out)
        if char == "\n":
            break
        if char == "\\" and i + 1 < len(text):
            # The DBD keeps escapes as written (dbLex.l); only \" and \\ matter here.
            nxt = text[i + 1]
            out.append(nxt if nxt in '"\\' else char + nxt)
            i += 2
            continue
        out.append(char)
        i += 1
    raise DbdError(f"{source}:{line}: unterminated string")


class _Parser:
    def __init__(self, tokens: list[_Token], source: str, include: Callable[[str], list[_Token]]):
        self.tokens = tokens
        self.pos = 0
        self.source = source
        self.include = include

    def _fail(self, why: str) -> DbdError:
        line = self.tokens[min(self.pos, len(self.tokens) - 1)].line if self.tokens else 0
        return DbdError(f"{self.source}:{line}: {why}")

    def peek(self) -> _Token | None:
        while self.pos < len(self.tokens) and self.tokens[self.pos].kind == "code":
            self.pos += 1
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> _Token:
        token = self.peek()
        if token is None or token.kind != kind or (text is not None and token.text != text):
            want = text or kind
            got = "end of file" if token is None else repr(token.text)
            raise self._fail(f"expected {want}, got {got}")
        self.pos += 1
        return token

    def at(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "punct" and token.text == text

    def args(self) -> list[str]:
        self.take("punct", "(")
        values: list[str] = []
        while not self.at(")"):
            token = self.peek()
            if token is None or token.kind not in ("word", "string"):
                raise self._fail("expected an argument")
            self.pos += 1
            values.append(token.text)
            if not self.at(")"):
                self.take("punct", ",")
        self.take("punct", ")")
        return values

    def statements(self, defs: Definitions) -> None:
        while self.peek() is not None:
            self.statement(defs)

    def statement(self, defs: Definitions) -> None:
        word = self.take("word").text
        if word == "include":
            name = self.take("string").text
            _Parser(self.include(name), name, self.include).statements(defs)
            return
        args = self.args()
        if word == "menu":
            defs.menus[self.one(word, args)] = tuple(self.choices())
        elif word == "recordtype":
            name = self.one(word, args)
            defs.records[name] = self.record_body() if self.at("{") else []
        elif self.at("{"):
            self.skip_block()

    def one(self, word: str, args: list[str]) -> str:
        if len(args) != 1:
            raise self._fail(f"{word}() takes one argument, not {len(args)}")
        return args[0]

    def skip_block(self) -> None:
        self.take("punct", "{")
        depth = 1
        while depth:
            token = self.peek()
            if token is None:
                raise self._fail("unterminated block")
            self.pos += 1
            if token.kind == "punct":
                depth += {"{": 1, "}": -1}.get(token.text, 0)

    def choices(self) -> Iterator[str]:
        self.take("punct", "{")
        while not self.at("}"):
            word = self.take("word").text
            args = self.args()
            if word == "choice":
                if len(args) != 2:
                    raise self._fail("choice() takes two arguments")
                yield args[1]
        self.take("punct", "}")

    def record_body(self, included_from: str = "") -> list[DbdField]:
        fields: list[DbdField] = []
        self.take("punct", "{")
        while not self.at("}"):
            word = self.take("word").text
            if word == "include":
                name = self.take("string").text
                inner = _Parser([_Token("punct", "{", 0), *self.include(name)], name, self.include)
                inner.tokens.append(_Token("punct", "}", 0))
                fields.extend(inner.record_body(included_from=name))
                continue
            args = self.args()
            if word == "field":
                if len(args) != 2:
                    raise self._fail("field() takes two arguments")
                fields.append(self.field(args[0], args[1], included_from))
            elif self.at("{"):
                self.skip_block()
        self.take("punct", "}")
        return fields

    def field(self, name: str, dbf: str, included_from: str) -> DbdField:
        attrs: dict[str, str] = {}
        if self.at("{"):
            self.take("punct", "{")
            while not self.at("}"):
                word = self.take("word").text
                values = self.args()
                attrs[word] = values[0] if values else ""
            self.take("punct", "}")
        try:
            size = int(attrs.get("size", "0"))
            interest = int(attrs.get("interest", "0"))
        except ValueError as exc:
            raise self._fail(f"field {name}: {exc}") from None
        return DbdField(
            name=name,
            dbf=dbf,
            prompt=attrs.get("prompt", ""),
            promptgroup=attrs.get("promptgroup", ""),
            special=attrs.get("special", ""),
            menu=attrs.get("menu", ""),
            size=size,
            interest=interest,
            pp=attrs.get("pp", "").upper() in ("TRUE", "YES", "1"),
            initial=attrs.get("initial", ""),
            included_from=included_from,
        )


def parse_dbd(
    text: str,
    source: str = "<dbd>",
    include: Callable[[str], str] | None = None,
    defs: Definitions | None = None,
) -> Definitions:
    """Read the menus and record types of one DBD text.

    Parameters
    ----------
    text : str
    source : str
        Name used in error messages.
    include : callable, optional
        ``include(name) -> text`` for ``include "name"``; without it an include is an error.
    defs : Definitions, optional
        Add to these (several files in turn); a new set by default.

    Raises
    ------
    DbdError
        The text is not valid DBD (the message names ``source`` and the line).
    """

    def tokens_of(name: str) -> list[_Token]:
        if include is None:
            raise DbdError(f"{source}: include {name!r} but no include path")
        return list(_tokens(include(name), name))

    defs = Definitions() if defs is None else defs
    _Parser(list(_tokens(text, source)), source, tokens_of).statements(defs)
    return defs


def read_dbd(paths: list[Path], defs: Definitions | None = None) -> Definitions:
    """Read DBD files; ``include`` names are looked up beside the including file."""

    def reader(directory: Path) -> Callable[[str], str]:
        def include(name: str) -> str:
            try:
                return (directory / name).read_text(encoding="utf-8")
            except OSError as exc:
                raise DbdError(f"cannot read include {name!r} in {directory}: {exc}") from None

        return include

    defs = Definitions() if defs is None else defs
    for path in paths:
        parse_dbd(path.read_text(encoding="utf-8"), str(path.name), reader(path.parent), defs)
    return defs
