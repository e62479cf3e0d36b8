"""The tools' line shapes (catui.cli.layout) against caget's format strings, without an IOC.

Each expected line is built with C's printf from the format strings of caget.c,
caput.c and tool_lib.c (``%-30s``, ``%c``, ``%lu``, ``%8d``, ...).
"""

from __future__ import annotations

import array

from catui.cli import formatting as fm
from catui.cli import layout
from protocol.channel_types import ChannelType
from protocol.dbr import DBR_TYPES
from tests.catui.cli.epics_c import printf

DBL = ChannelType.TIME_DOUBLE
NAME = "demo:pv"


def _name(name: str, elements: int, sep: str = " ") -> str:
    # caget.c: nElems <= 1 and fieldSeparator == ' ' -> "%-30s", else "%s"; then "%c".
    return printf("%-30s" if elements <= 1 and sep == " " else "%s", name) + sep


def test_plain_and_terse_values():
    d = array.array("d", [1.5, 2.0])
    assert layout.plain_line(NAME, array.array("d", [3.5]), DBL) == _name(NAME, 1) + "3.5"
    assert layout.plain_line(NAME, d, DBL) == _name(NAME, 2) + "2 1.5 2"
    # -# prints the count, even of one element, and keeps the padding of one.
    assert layout.plain_line(NAME, [3.5], DBL, counted=True) == _name(NAME, 1) + "1 3.5"
    assert layout.value_field(d, DBL) == "2 1.5 2"
    assert layout.value_field([b"a b", b"c"], ChannelType.STRING) == "2 a b c"
    sep = fm.ValueFormat(separator=",")
    assert layout.plain_line(NAME, d, DBL, sep) == "demo:pv,2,1.5,2"
    assert layout.plain_line(NAME, [3.5], DBL, sep) == "demo:pv,3.5"  # not padded


def test_an_empty_array_is_unmistakable():
    # caget prints nothing after the name (a value 0 with -#): we print the count and say so.
    empty = array.array("d")
    assert layout.plain_line(NAME, empty, DBL) == _name(NAME, 0) + "0 (empty array)"
    assert layout.value_field(empty, DBL, counted=True) == "0 (empty array)"
    line = layout.wide_line(NAME, "<undefined>", empty, DBL, 17, 3)
    assert line == _name(NAME, 0) + "<undefined> 0 (empty array) UDF INVALID"


def test_char_arrays_as_strings():
    chars = array.array("B", b"Hi\tthere\0junk")
    text = fm.ValueFormat(char_as_string=True)
    assert layout.value_field(chars, ChannelType.CHAR, text) == "Hi\\tthere"
    # One element: the number, unless -# asks for a string (caget's reqElems test).
    assert layout.value_field(chars[:1], ChannelType.CHAR, text) == "72"
    assert layout.value_field(chars[:1], ChannelType.CHAR, text, counted=True) == "H"
    # caput decides by the native count.
    assert layout.value_field(chars[:1], ChannelType.CHAR, text, shape=64) == "H"


def test_wide_lines_as_print_time_val_sts():
    stamp = "2024-01-01 12:00:00.000000"
    # "%c%s" per value, then "%c%s%c%s" for an alarm or "%c%c" for none.
    line = layout.wide_line(NAME, stamp, [3.5], DBL, 0, 0)
    assert line == _name(NAME, 1) + stamp + " 3.5" + printf("%c%c", ord(" "), ord(" "))
    line = layout.wide_line(NAME, stamp, [85.0], DBL, 4, 1)
    assert line == _name(NAME, 1) + stamp + " 85 HIGH MINOR"
    line = layout.wide_line(NAME, stamp, [1.0, 2.0], DBL, 0, 0, fm.ValueFormat(separator=";"))
    assert line == f"demo:pv;{stamp};2;1;2;;"
    assert layout.wide_line(NAME, "", [1.0], DBL, 0, 0) == _name(NAME, 1) + " 1  "  # -t n


def test_connection_lines():
    assert layout.not_connected_line(NAME) == _name(NAME, 0) + "*** Not connected (PV not found)"
    gone = layout.disconnected_line(NAME, 3, ",")
    assert gone.startswith("demo:pv,") and gone.endswith(" *** disconnected")
    assert len(gone) == len("demo:pv,") + 26 + len(" *** disconnected")


def _metadata(data_type: ChannelType, **fields: object) -> object:
    md = DBR_TYPES[data_type]()
    for name, value in fields.items():
        if name == "enum_strings":
            md.enum_strings = value  # type: ignore[attr-defined]
        else:
            setattr(md, name, value)
    return md


def test_dbr_blocks_as_caget_d():
    md = _metadata(
        ChannelType.CTRL_LONG, status=4, severity=1, units=b"counts",
        lower_disp_limit=-1000, upper_disp_limit=1000, lower_alarm_limit=-900,
        lower_warning_limit=-800, upper_warning_limit=800, upper_alarm_limit=900,
        lower_ctrl_limit=-500, upper_ctrl_limit=500,
    )  # fmt: skip
    block = layout.dbr_block(NAME, ChannelType.LONG, ChannelType.CTRL_LONG, [42], md)
    limits = [("Lo disp limit", -1000), ("Hi disp limit", 1000), ("Lo alarm limit", -900),
              ("Lo warn limit", -800), ("Hi warn limit", 800), ("Hi alarm limit", 900),
              ("Lo ctrl limit", -500), ("Hi ctrl limit", 500)]  # fmt: skip
    assert block == [
        NAME,
        "    Native data type: DBF_LONG",
        "    Request type:     DBR_CTRL_LONG",
        "    Element count:    1",
        "    Value:            42",
        "    Status:           HIGH",
        "    Severity:         MINOR",
        "    Units:            counts",
        *(printf(f"    {label + ':':<18}%8ld", value) for label, value in limits),
    ]
    md = _metadata(ChannelType.CTRL_DOUBLE, precision=3, units=b"mm", upper_disp_limit=1e-7)
    block = layout.dbr_block(
        NAME, ChannelType.DOUBLE, ChannelType.CTRL_DOUBLE, [3.5], md,
        fm.ValueFormat(number=fm.NumberFormat("f", 2)),
    )  # fmt: skip
    # Units before the precision; the limits %g whatever -e/-f/-g say of the value.
    assert block[4:9] == [
        "    Value:            3.50",
        "    Status:           NO_ALARM",
        "    Severity:         NO_ALARM",
        "    Units:            mm",
        "    Precision:        3",
    ]
    assert block[10] == printf("    Hi disp limit:    %g", 1e-7)
    md = _metadata(ChannelType.CTRL_ENUM, enum_strings=(b"Off", b"", b"Fault"))
    block = layout.dbr_block(NAME, ChannelType.ENUM, ChannelType.CTRL_ENUM, [2], md)
    assert block[4] == "    Value:            Fault"
    assert block[-4:] == [
        "    Enums:            ( 3)",
        printf("                      [%2d] %s", 0, "Off"),
        printf("                      [%2d] %s", 1, ""),  # caget's trailing space
        printf("                      [%2d] %s", 2, "Fault"),
    ]
    md = _metadata(ChannelType.STSACK_STRING, ackt=1, acks=2)
    block = layout.dbr_block(NAME, ChannelType.DOUBLE, ChannelType.STSACK_STRING, [b"3.5"], md)
    assert block[-4:] == [
        "    Status:           NO_ALARM",
        "    Severity:         NO_ALARM",
        "    Ack transient?:   YES",
        "    Ack severity:     MAJOR",
    ]
    block = layout.dbr_block(NAME, ChannelType.DOUBLE, ChannelType.CLASS_NAME, [b"ao"], None)
    assert block[3:] == ["    Class Name:       ao"]
    block = layout.dbr_block(NAME, ChannelType.DOUBLE, ChannelType.DOUBLE, [], None)
    assert block[3:] == ["    Element count:    0", "    Value:            "]
