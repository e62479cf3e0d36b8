"""JSON as EPICS 7 reads it in JSON links: plain JSON, and the JSON5 forms IOCs accept.

EPICS Base 7.0.7 and later parse link JSON with JSON5 extensions: unquoted
keys, single-quoted strings, trailing commas, comments, hexadecimal numbers,
``Infinity``/``NaN``, leading ``+``, leading or trailing decimal points. A
link's text comes back from the IOC as it was written, so all of these can be
read here. Only :class:`ValueError` is raised, naming the position.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["loads"]

_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n",
            "r": "\r", "t": "\t", "v": "\v", "0": "\0", "\n": ""}  # fmt: skip
_IDENT_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
_IDENT = _IDENT_START | set("0123456789")
_WORDS = {"true": True, "false": False, "null": None, "Infinity": math.inf, "NaN": math.nan}
#: Nesting beyond this is refused (a link nests a few levels; a hostile one, thousands).
MAX_DEPTH = 64
_END = "\0"


def loads(text: str) -> Any:
    """The value of a JSON (or JSON5) text.

    Raises
    ------
    ValueError
        The text is not one JSON5 value; the message says where.
    """
    reader = _Reader(text)
    reader.space()
    value = reader.value(0)
    reader.space()
    if reader.pos != len(text):
        raise reader.error("unexpected text after the value")
    return value


def _is_low_surrogate(digits: str) -> bool:
    try:
        return 0xDC00 <= int(digits, 16) < 0xE000
    except ValueError:
        return False


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, why: str) -> ValueError:
        return ValueError(f"{why} at character {self.pos + 1}")

    def space(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            char = text[self.pos]
            if char.isspace() or char == "\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.error("unterminated comment")
                self.pos = end + 2
            else:
                return

    def peek(self) -> str:
        """The next character; NUL at the end (no set below contains it)."""
        return self.text[self.pos] if self.pos < len(self.text) else _END

    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.error("nested too deeply")
        char = self.peek()
        if self.pos >= len(self.text):
            raise self.error("unexpected end of text")
        if char == "{":
            return self.obj(depth)
        if char == "[":
            return self.array(depth)
        if char in "\"'":
            return self.string()
        if char in "+-.0123456789IN":
            return self.number()
        if char in _IDENT_START:
            word = self.identifier()
            if word in _WORDS:
                return _WORDS[word]
            self.pos -= len(word)
            raise self.error(f"unexpected word {word!r}")
        raise self.error("expected a value")

    def obj(self, depth: int) -> dict[str, Any]:
        self.pos += 1
        result: dict[str, Any] = {}
        while True:
            self.space()
            char = self.peek()
            if char == "}":
                self.pos += 1
                return result
            if char in "\"'":
                key = self.string()
            elif char in _IDENT_START:
                key = self.identifier()
            else:
                raise self.error("unterminated object" if char == _END else "expected a key")
            self.space()
            if self.peek() != ":":
                raise self.error("expected ':'")
            self.pos += 1
            self.space()
            result[key] = self.value(depth + 1)
            self.space()
            char = self.peek()
            if char == ",":
                self.pos += 1
            elif char != "}":
                raise self.error("unterminated object" if char == _END else "expected ',' or '}'")

    def array(self, depth: int) -> list[Any]:
        self.pos += 1
        result: list[Any] = []
        while True:
            self.space()
            char = self.peek()
            if char == "]":
                self.pos += 1
                return result
            if char == _END:
                raise self.error("unterminated array")
            result.append(self.value(depth + 1))
            self.space()
            char = self.peek()
            if char == ",":
                self.pos += 1
            elif char != "]":
                raise self.error("unterminated array" if char == _END else "expected ',' or ']'")

    def identifier(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _IDENT:
            self.pos += 1
        return self.text[start : self.pos]

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(out)
            if char == "\\":
                self.pos += 1
                esc = self.peek()
                if esc == "u":
                    digits = text[self.pos + 1 : self.pos + 5]
                    if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                        raise self.error("bad \\u escape")
                    code = int(digits, 16)
                    self.pos += 5
                    low = (
                        text[self.pos + 2 : self.pos + 6]
                        if text.startswith("\\u", self.pos)
                        else ""
                    )
                    if 0xD800 <= code < 0xDC00 and len(low) == 4 and _is_low_surrogate(low):
                        code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
                        self.pos += 6
                    out.append(chr(code))
                    continue
                if esc == "x":
                    digits = text[self.pos + 1 : self.pos + 3]
                    if len(digits) != 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                        raise self.error("bad \\x escape")
                    out.append(chr(int(digits, 16)))
                    self.pos += 3
                    continue
                if self.pos >= len(text):
                    break
                out.append(_ESCAPES.get(esc, esc))
                self.pos += 1
                continue
            if char == "\n":
                raise self.error("line break in a string")
            out.append(char)
            self.pos += 1
        raise self.error("unterminated string")

    def number(self) -> int | float:
        start = self.pos
        text = self.text
        sign = 1
        if self.peek() in "+-":
            sign = -1 if self.peek() == "-" else 1
            self.pos += 1
        word = self.identifier() if self.peek() in "IN" else ""
        if word == "Infinity":
            return sign * math.inf
        if word == "NaN":
            return math.nan
        if word:
            self.pos = start
            raise self.error("expected a number")
        if text.startswith(("0x", "0X"), self.pos):
            self.pos += 2
            digits_start = self.pos
            while self.pos < len(text) and text[self.pos] in "0123456789abcdefABCDEF":
                self.pos += 1
            if self.pos == digits_start:
                raise self.error("expected hexadecimal digits")
            return sign * int(text[digits_start : self.pos], 16)
        digits_start = self.pos
        while self.pos < len(text) and text[self.pos] in "0123456789.eE+-":
            if text[self.pos] in "+-" and text[self.pos - 1] not in "eE":
                break
            self.pos += 1
        literal = text[digits_start : self.pos]
        if not literal or not any(c.isdigit() for c in literal):
            self.pos = start
            raise self.error("expected a number")
        try:
            if any(c in literal for c in ".eE"):
                return sign * float(literal)
            return sign * int(literal, 10)
        except ValueError:
            self.pos = start
            raise self.error(f"bad number {text[start : start + 20]!r}") from None
