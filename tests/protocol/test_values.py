"""Encoding Python values into payloads (with clear errors) and both array backends."""

from __future__ import annotations

import array
import math
from typing import Any

import numpy as np
import pytest

from protocol import CAValueError, ChannelType, StreamDecoder, select_backend
from protocol.backends import backend_name
from protocol.commands import ReadNotifyResponse, WriteNotifyRequest
from protocol.values import decode_strings, encode_values, parse_number, value_count
from tests.protocol.samples import ALL_TYPES, STRING_TYPES, sample_metadata, sample_values

T = ChannelType


@pytest.mark.parametrize(
    ("data", "data_type", "message"),
    [
        ("x" * 40, T.STRING, "does not fit a DBR_STRING"),
        (b"y" * 41, T.STRING, "does not fit a DBR_STRING"),
        (["ok", "z" * 45], T.STSACK_STRING, "does not fit"),
        ("\u20ac", T.STRING, "cannot encode"),
        (3, T.STRING, "needs text"),
        (1.5, T.LONG, "not a whole number"),
        ([1, 2.25], T.INT, "not a whole number"),
        (2.0, T.ENUM, "ENUM index must be an integer"),
        (1.5, T.ENUM, "ENUM index must be an integer"),
        ("12", T.DOUBLE, "needs a number, not text"),
        (b"12", T.LONG, "needs a number, not text"),
        ([None], T.DOUBLE, "needs a number"),
        (32768, T.INT, "out of range for INT"),
        (-32769, T.INT, "out of range"),
        (256, T.CHAR, "out of range for CHAR"),
        (-1, T.CHAR, "out of range"),
        (-1, T.ENUM, "out of range for ENUM"),
        (65536, T.PUT_ACKS, "out of range"),
        (2**31, T.LONG, "out of range for LONG"),
        (1e39, T.FLOAT, "out of range for FLOAT"),
        # An integer is exact: one that a FLOAT or DOUBLE would round is refused.
        (
            2**53 + 1,
            T.DOUBLE,
            "cannot be held exactly by DOUBLE: it would be written as 9007199254740992",
        ),
        (16_777_217, T.FLOAT, "cannot be held exactly by FLOAT: it would be written as 16777216"),
        (10**40, T.FLOAT, "out of range for FLOAT"),
        pytest.param(10**400, T.DOUBLE, "out of range for DOUBLE", id="10**400-DOUBLE"),
        (np.array([2**53 + 1]), T.DOUBLE, "cannot be held exactly by DOUBLE"),
        (np.array([2**64 - 1], dtype=np.uint64), T.DOUBLE, "cannot be held exactly"),
        # Below FLOAT's range a float would lose its digits, or become 0.
        (1e-50, T.FLOAT, "too small for FLOAT .* written as 0.0"),
        (-1e-40, T.FLOAT, "too small for FLOAT"),
        (5e-324, T.FLOAT, "too small for FLOAT"),
        (np.array([0.0, 1e-50]), T.FLOAT, "too small for FLOAT"),
        (float("nan"), T.LONG, "not a whole number"),
        (float("inf"), T.INT, "not a whole number"),
        (float("nan"), T.CHAR, "not a whole number"),
        (np.array([1.5, 2.0]), T.LONG, "not whole numbers"),
        (np.array([np.nan]), T.INT, "not whole numbers"),
        (np.array([1.0]), T.ENUM, "ENUM indices must be integers"),
        (np.array([70000]), T.INT, "out of range for INT"),
        (np.array([-1]), T.CHAR, "out of range"),
        (np.array(["a"]), T.DOUBLE, "needs numbers, not an array of text"),
        (np.array([1e39]), T.FLOAT, "out of range for FLOAT"),
        (np.array([1 + 1j]), T.DOUBLE, "complex"),
    ],
)
def test_values_that_do_not_fit_raise_clear_errors(
    data: Any, data_type: int, message: str
) -> None:
    with pytest.raises(CAValueError, match=message):
        encode_values(data, data_type)
    with pytest.raises(CAValueError):
        WriteNotifyRequest(data, data_type, None, 1, 1)


@pytest.mark.parametrize(
    ("data", "data_type", "expected"),
    [
        ("x" * 39, T.STRING, b"x" * 39 + b"\0"),
        ("", T.STRING, bytes(40)),
        ("caf\u00e9", T.STRING, "caf\u00e9".encode("latin-1").ljust(40, b"\0")),
        ("ab\0cd", T.STRING, b"ab".ljust(40, b"\0")),
        (2.0, T.LONG, b"\x00\x00\x00\x02"),
        (True, T.ENUM, b"\x00\x01"),
        (np.int64(-2), T.INT, b"\xff\xfe"),
        (255, T.CHAR, b"\xff"),
        (b"\x00\xff", T.CHAR, b"\x00\xff"),
        (2**53, T.DOUBLE, b"\x43\x40\x00\x00\x00\x00\x00\x00"),
        (-(2**63), T.DOUBLE, b"\xc3\xe0\x00\x00\x00\x00\x00\x00"),  # large, but exact
        (2**24, T.FLOAT, b"\x4b\x80\x00\x00"),
        (0.1, T.FLOAT, b"\x3d\xcc\xcc\xcd"),  # a decimal fraction rounds, in any type
        (1.401298464324817e-45, T.FLOAT, b"\x00\x00\x00\x01"),  # FLOAT's least, exactly
        (np.array([2**53, 3]), T.DOUBLE, bytes.fromhex("43400000000000004008000000000000")),
        (np.array([1e-40], dtype=np.float32), T.FLOAT, b"\x00\x01\x16\xc2"),
        (
            np.array([[1, 2], [3, 4]], dtype=np.int16),
            T.LONG,
            bytes.fromhex("00000001000000020000000300000004"),
        ),
        (np.array([b"a", b"bc"]), T.STRING, b"a".ljust(40, b"\0") + b"bc".ljust(40, b"\0")),
    ],
)
def test_values_that_fit(data: Any, data_type: int, expected: bytes) -> None:
    assert encode_values(data, data_type) == expected


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("42", 42),
        (" -7 ", -7),
        ("+5", 5),
        ("007", 7),
        ("0x1F", 31),
        ("-0X10", -16),
        ("1.5", 1.5),
        ("-2e-3", -0.002),
        (".5", 0.5),
        ("1.", 1.0),
        ("1E3", 1000.0),
        ("0e-999", 0.0),
        ("inf", math.inf),
        ("-Infinity", -math.inf),
        # An integer stays exact; the PV's type decides whether it fits.
        pytest.param("9" * 30, int("9" * 30), id="30 digits"),
    ],
)
def test_parse_number_reads_numbers_as_written(text: str, number: float) -> None:
    got = parse_number(text)
    assert got == number
    assert type(got) is type(number)


@pytest.mark.parametrize(
    "text",
    # EPICS's string conversion writes each of these as some number (12, 1, 0, ...).
    ["", "  ", "abc", "12abc", "1_000", "1 2", "--1", "0x", "1e", "0x1p3", "1+1", "\u0661",
     "1e999", "-1e400", "1e-999", "0.1e-400", pytest.param("9" * 5000, id="5000 digits")],
)  # fmt: skip
def test_parse_number_refuses_anything_else(text: str) -> None:
    with pytest.raises(CAValueError):
        parse_number(text)
    assert math.isnan(parse_number(" nan "))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), -0.0, 5e-324])
@pytest.mark.parametrize("data_type", [T.DOUBLE, T.TIME_DOUBLE, T.CTRL_DOUBLE, T.FLOAT])
def test_nan_and_inf_to_floats_work(value: float, data_type: int) -> None:
    if data_type == T.FLOAT and value == 5e-324:
        # Below float32's smallest subnormal: it would be written as 0.
        with pytest.raises(CAValueError, match="too small for FLOAT"):
            WriteNotifyRequest([value], data_type, 1, 1, 1)
        return
    msg = WriteNotifyRequest([value], data_type, 1, 1, 1)
    (decoded,) = StreamDecoder(sender=msg.SENDER).feed(bytes(msg))
    got = float(decoded.data[0])
    if math.isnan(value):
        assert math.isnan(got)
    else:
        assert got == value
        assert math.copysign(1, got) == math.copysign(1, value)


def test_value_count() -> None:
    assert value_count(b"Hello", T.CHAR) == 5
    assert value_count(b"Hello", T.STRING) == 1
    assert value_count("text", T.STRING) == 1
    assert value_count(["a", "b"], T.STRING) == 2
    assert value_count(np.zeros((2, 3)), T.DOUBLE) == 6
    assert value_count(7, T.LONG) == 1
    assert value_count(range(4), T.LONG) == 4


def test_decode_strings_cuts_at_nul_and_tolerates_short_payloads() -> None:
    payload = b"abc\0junk".ljust(40, b"\xaa") + b"xyz\0"
    assert decode_strings(payload, 0, 2) == [b"abc", b"xyz"]
    assert decode_strings(b"12.5\0\0\0\0", 0, 1) == [b"12.5"]
    assert decode_strings(b"", 0, 3) == []


# -- backends ---------------------------------------------------------------------
@pytest.mark.parametrize("data_type", ALL_TYPES)
def test_array_backend_gives_the_same_values(data_type: int, array_backend: None) -> None:
    msg = ReadNotifyResponse(
        sample_values(data_type), data_type, metadata=sample_metadata(data_type)
    )
    raw = bytes(msg)
    (decoded,) = StreamDecoder().feed(raw)
    data = decoded.data
    if data_type in STRING_TYPES:
        assert isinstance(data, list)
        assert data == sample_values(data_type)
    else:
        assert isinstance(data, array.array)
        assert data.tolist() == sample_values(data_type)
    assert bytes(decoded) == raw
    assert bytes(decoded.metadata or b"") == bytes(sample_metadata(data_type) or b"")


def test_array_backend_decodes_like_numpy() -> None:
    raw = bytes(ReadNotifyResponse(np.arange(1000, dtype=float) / 7, T.DOUBLE))
    (with_numpy,) = StreamDecoder().feed(raw)
    as_numpy = with_numpy.data.tolist()
    select_backend("array")
    try:
        (with_array,) = StreamDecoder().feed(raw)
        assert with_array.data.tolist() == as_numpy
        assert with_numpy.data.tolist() == as_numpy  # decided when .data is read
        assert isinstance(with_numpy.data, array.array)
    finally:
        select_backend("numpy")
    assert backend_name() == "numpy"
    assert isinstance(with_numpy.data, np.ndarray)


def test_unknown_backend() -> None:
    with pytest.raises(CAValueError, match="'numpy' or 'array'"):
        select_backend("torch")
    assert backend_name() == "numpy"


def test_numpy_data_is_read_only_view() -> None:
    raw = bytearray(bytes(ReadNotifyResponse([1.0, 2.0], T.DOUBLE)))
    (decoded,) = StreamDecoder().feed(bytes(raw))
    assert decoded.data.dtype == np.dtype(">f8")
    assert not decoded.data.flags.writeable
