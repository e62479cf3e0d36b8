"""The records of the CLI test matrix and what each holds, as facts for the expected lines.

The matrix IOC serves ``records.db`` (its static records) plus :data:`EXTRA_DB`: the
record types ``records.db`` lacks (ai, longin, mbbi, bi, stringin, lsi, int64in, a
static calc, aai, UCHAR/USHORT/ULONG waveforms) and values that exercise the
formats (negative integers for ``-0x``, text with quotes, tabs and UTF-8, a blank
enum label, 1e300).  :data:`RECORDS` says what each PV holds; ``texts`` are the
server's own DBR_STRING conversions (with the record's precision), which caget
``-s`` prints.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["DBR_RECORDS", "EXTRA_DB", "RECORDS", "Rec", "by_suffix"]

EXTRA_DB = r"""
record(ai, "$(P)ai") {
    field(INP, "-2.75")
    field(PINI, "YES")
    field(PREC, "2")
    field(EGU, "V")
    field(HOPR, "10")
    field(LOPR, "-10")
    field(LOLO, "-2")
    field(LLSV, "MAJOR")
}
record(longin, "$(P)longin") {
    field(INP, "-5")
    field(PINI, "YES")
}
record(mbbi, "$(P)mbbi") {
    field(INP, "2")
    field(ZRST, "Zero")
    field(ONST, "One")
    field(TWST, "Two")
    field(PINI, "YES")
}
record(bi, "$(P)bi") {
    field(INP, "1")
    field(ZNAM, "Open")
    field(ONAM, "Closed")
    field(PINI, "YES")
}
record(stringin, "$(P)stringin") {
    field(INP, {const:"tab\there \"q\" \\ 1°"})
    field(PINI, "YES")
}
record(lsi, "$(P)lsi") {
    field(SIZV, "80")
    field(INP, {const:"long\tstring \"in\" an lsi record, longer than forty characters"})
    field(PINI, "YES")
}
record(int64in, "$(P)int64in") {
    field(INP, "-3")
    field(PINI, "YES")
}
record(calc, "$(P)calc") {
    field(CALC, "1.5*3")
    field(PREC, "1")
    field(PINI, "YES")
}
record(waveform, "$(P)wf:uchar") {
    field(FTVL, "UCHAR")
    field(NELM, "6")
    field(INP, [200, 255, 0, 65])
    field(PINI, "YES")
}
record(waveform, "$(P)wf:ushort") {
    field(FTVL, "USHORT")
    field(NELM, "3")
    field(INP, [1, 65535, 7])
    field(PINI, "YES")
}
record(waveform, "$(P)wf:ulong") {
    field(FTVL, "ULONG")
    field(NELM, "2")
    field(INP, [4294967295, 3])
    field(PINI, "YES")
}
record(aai, "$(P)aai") {
    field(FTVL, "DOUBLE")
    field(NELM, "4")
    field(INP, [0.25, -0.5])
    field(PINI, "YES")
}
record(mbbo, "$(P)mbbo:gap") {
    field(ZRST, "Off")
    field(TWST, "Fault")
    field(VAL, "1")
    field(PINI, "YES")
}
record(stringout, "$(P)utf") {
    field(VAL, "temp°C")
    field(PINI, "YES")
}
record(ao, "$(P)neg") {
    field(VAL, "-2.5")
    field(PINI, "YES")
}
record(ao, "$(P)big") {
    field(VAL, "1e300")
    field(PINI, "YES")
}
record(longout, "$(P)lmax") {
    field(VAL, "2147483647")
    field(PINI, "YES")
}
"""

NO_ALARM = ("NO_ALARM", "NO_ALARM")
_NAN = float("nan")
# A record without limits (an mbbo): 0, and NaN alarm limits (0 in an integer type).
_NO_LIMITS = (0.0, 0.0, _NAN, _NAN, _NAN, _NAN, 0.0, 0.0)
_LSI = b'long\tstring "in" an lsi record, longer than forty characters'
_LSO = b"a long string value that is longer than forty characters in total"


class Rec(NamedTuple):
    """One PV of the matrix: its native type, element count and what it holds."""

    suffix: str
    rtype: str  # the record type (DBR_CLASS_NAME)
    native: str  # STRING, SHORT, FLOAT, ENUM, CHAR, LONG, DOUBLE
    nelm: int  # native element count
    values: tuple[Any, ...]  # the elements in use
    texts: tuple[str, ...] | None = None  # FLOAT/DOUBLE: the server's DBR_STRING of each
    alarm: tuple[str, str] = NO_ALARM
    labels: tuple[bytes, ...] | None = None  # ENUM
    undefined: bool = False  # never processed: a (0, 0) time stamp
    # GR/CTRL metadata (for -d): units, precision, then the 8 limits in caget's order
    # (Lo disp, Hi disp, Lo alarm, Lo warn, Hi warn, Hi alarm, Lo ctrl, Hi ctrl).
    units: bytes = b""
    precision: int = 0
    limits: tuple[float, ...] = _NO_LIMITS

    @property
    def pad(self) -> Any:
        """What the server sends for an element beyond those in use."""
        return b"" if self.native == "STRING" else 0


def _chars(text: bytes) -> tuple[int, ...]:
    return tuple(text + b"\0")


RECORDS = [
    Rec("ao", "ao", "DOUBLE", 1, (3.5,), ("3.500",), units=b"mm", precision=3,
        limits=(-100, 100, -90, -80, 80, 90, -50, 50)),
    Rec("alarm", "ao", "DOUBLE", 1, (85.0,), ("85.0",), ("HIGH", "MINOR")),
    Rec("long", "longout", "LONG", 1, (42,), units=b"counts",
        limits=(-1000, 1000, -900, -800, 800, 900, -500, 500)),
    Rec("short", "waveform", "SHORT", 1, (-7,)),
    Rec("float", "waveform", "FLOAT", 1, (1.25,), ("1.25",)),
    Rec("char", "waveform", "CHAR", 1, (65,)),
    Rec("mbbo", "mbbo", "ENUM", 1, (1,), labels=(b"Off", b"On", b"Fault")),
    Rec("bo", "bo", "ENUM", 1, (0,), labels=(b"Low", b"High")),
    Rec("str", "stringout", "STRING", 1, (b"hello",)),
    Rec("i64", "int64out", "DOUBLE", 1, (1234567890123.0,), ("1234567890123",)),
    Rec("wf:double", "waveform", "DOUBLE", 8, (1.5, 2.5, 3.5), ("1.50", "2.50", "3.50"),
        units=b"mm", precision=2,
        limits=(-10, 10, _NAN, _NAN, _NAN, _NAN, -10, 10)),
    Rec("wf:float", "waveform", "FLOAT", 8, (0.5, 1.5), ("0.5", "1.5")),
    Rec("wf:short", "waveform", "SHORT", 8, (1, -2, 3, -4)),
    Rec("wf:long", "waveform", "LONG", 8, (100000, -200000, 300000, 2147483647)),
    Rec("wf:char", "waveform", "CHAR", 64, _chars(b"Hello CA")),
    Rec("wf:string", "waveform", "STRING", 4, (b"alpha", b"beta", b"gamma")),
    Rec("wf:empty", "waveform", "DOUBLE", 5, (), (), ("UDF", "INVALID"), undefined=True),
    Rec("lstr", "lso", "STRING", 1, (_LSO[:39],)),
    Rec("lstr.VAL$", "lso", "CHAR", 100, _chars(_LSO)),
    Rec("ro", "ao", "DOUBLE", 1, (2.0,), ("2",)),
    Rec("ai", "ai", "DOUBLE", 1, (-2.75,), ("-2.75",), ("LOLO", "MAJOR")),
    Rec("longin", "longin", "LONG", 1, (-5,)),
    Rec("mbbi", "mbbi", "ENUM", 1, (2,), labels=(b"Zero", b"One", b"Two")),
    Rec("bi", "bi", "ENUM", 1, (1,), labels=(b"Open", b"Closed")),
    Rec("stringin", "stringin", "STRING", 1, ('tab\there "q" \\ 1°'.encode(),)),
    Rec("lsi", "lsi", "STRING", 1, (_LSI[:39],)),
    Rec("lsi.VAL$", "lsi", "CHAR", 80, _chars(_LSI)),
    Rec("int64in", "int64in", "DOUBLE", 1, (-3.0,), ("-3",)),
    Rec("calc", "calc", "DOUBLE", 1, (4.5,), ("4.5",)),
    Rec("wf:uchar", "waveform", "CHAR", 6, (200, 255, 0, 65)),
    Rec("wf:ushort", "waveform", "LONG", 3, (1, 65535, 7)),  # CA carries USHORT as LONG
    Rec("wf:ulong", "waveform", "DOUBLE", 2, (4294967295.0, 3.0), ("4294967295", "3")),
    Rec("aai", "aai", "DOUBLE", 4, (0.25, -0.5), ("0", "-1")),
    Rec("mbbo:gap", "mbbo", "ENUM", 1, (1,), labels=(b"Off", b"", b"Fault")),
    Rec("utf", "stringout", "STRING", 1, ("temp°C".encode(),)),
    Rec("neg", "ao", "DOUBLE", 1, (-2.5,), ("-3",)),
    Rec("big", "ao", "DOUBLE", 1, (1e300,), (" 1e+300",)),
    Rec("lmax", "longout", "LONG", 1, (2147483647,)),
]  # fmt: skip

#: The PVs of the -d matrix (every DBR type): each type's conversion of these is plain.
DBR_RECORDS = ("ao", "long", "mbbo", "str", "wf:double")


def by_suffix(suffix: str) -> Rec:
    """The record ``suffix`` of :data:`RECORDS`."""
    return next(rec for rec in RECORDS if rec.suffix == suffix)
