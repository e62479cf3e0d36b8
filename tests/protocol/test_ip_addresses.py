"""Dotted quads without ipaddress: exactly as strict as ``ipaddress.IPv4Address``."""

from __future__ import annotations

import ipaddress
import random

import pytest

from protocol import CAValueError
from protocol.commands.base import int_to_ip, ip_to_int, parse_ipv4

CASES = [
    "1.2.3.4", "0.0.0.0", "255.255.255.255", "127.0.0.1", "10.0.0.255",
    "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "00.1.1.1", "1.2.3.0004",
    "1.2.3", "1.2.3.4.5", "1..3.4", ".1.2.3", "1.2.3.", "", "...",
    " 1.2.3.4", "1.2.3.4 ", "1.2.3.4\n", "\u0661.2.3.4", "1.2.3.4/32", "0x1.2.3.4",
    "+1.2.3.4", "-1.2.3.4", "1_0.2.3.4", "localhost", "1.2.3.a",
]  # fmt: skip


def _reference(text: str) -> int | None:
    try:
        return int(ipaddress.IPv4Address(text))
    except ValueError:
        return None


@pytest.mark.parametrize("text", CASES)
def test_parse_ipv4_agrees_with_ipaddress(text: str) -> None:
    assert parse_ipv4(text) == _reference(text)


@pytest.mark.parametrize("text", CASES)
def test_ip_to_int_accepts_and_refuses_as_before(text: str) -> None:
    expected = _reference(text)
    if expected is None:
        with pytest.raises(CAValueError):
            ip_to_int(text)
    else:
        assert ip_to_int(text) == expected


def test_round_trip_matches_ipaddress() -> None:
    rng = random.Random(7)
    for value in [0, 1, 255, 256, 0x7F000001, 0xFFFFFFFF] + [
        rng.getrandbits(32) for _ in range(2000)
    ]:
        text = int_to_ip(value)
        assert text == str(ipaddress.IPv4Address(value))
        assert ip_to_int(text) == value


def test_other_inputs_behave_as_before() -> None:
    assert ip_to_int(b"\x7f\x00\x00\x01") == 0x7F000001  # packed bytes, as ipaddress takes
    assert int_to_ip(True) == "0.0.0.1"
    for bad in (-1, 2**32):
        with pytest.raises(ValueError):
            int_to_ip(bad)
    with pytest.raises(CAValueError):
        ip_to_int(None)  # type: ignore[arg-type]
