"""DBR type codes, their native types, and request classes (ca-protocol.md §8)."""

from __future__ import annotations

from typing import Any

import pytest

from protocol import CAValueError, ChannelType, field_types, native_type, resolve_data_type
from protocol.channel_types import promote_type

# ca-protocol.md §8: field_types[class][native], as caproto resolves them.
CLASS_TABLE = {
    # native: (native, status, time, graphic, control)
    0: (0, 7, 14, 7, 14),
    1: (1, 8, 15, 22, 29),
    2: (2, 9, 16, 23, 30),
    3: (3, 10, 17, 24, 31),
    4: (4, 11, 18, 25, 32),
    5: (5, 12, 19, 26, 33),
    6: (6, 13, 20, 27, 34),
}
CLASSES = ("native", "status", "time", "graphic", "control")


@pytest.mark.parametrize("native", sorted(CLASS_TABLE))
@pytest.mark.parametrize("cls", CLASSES)
def test_resolve_class_against_every_native(native: int, cls: str) -> None:
    want = CLASS_TABLE[native][CLASSES.index(cls)]
    got = resolve_data_type(cls, native)
    assert got == want
    assert type(got) is ChannelType
    assert resolve_data_type(cls.upper(), ChannelType(native)) == want
    assert field_types[cls][ChannelType(native)] == want


@pytest.mark.parametrize("special", [35, 36, 37, 38])
@pytest.mark.parametrize("cls", CLASSES)
def test_special_types_map_to_themselves(special: int, cls: str) -> None:
    assert resolve_data_type(cls, special) == special
    assert native_type(special) == special


@pytest.mark.parametrize("code", range(39))
def test_ints_and_channel_types_resolve_to_themselves(code: int) -> None:
    for native in range(7):
        assert resolve_data_type(code, native) == code
        assert resolve_data_type(ChannelType(code), native) is ChannelType(code)


def test_none_means_native() -> None:
    assert resolve_data_type(None, 6) is ChannelType.DOUBLE


@pytest.mark.parametrize("code", range(35))
def test_native_type_of_the_families(code: int) -> None:
    assert native_type(code) == code % 7


def test_short_is_an_alias_of_int() -> None:
    assert ChannelType.SHORT is ChannelType.INT
    assert ChannelType.CTRL_SHORT == 29
    assert len(ChannelType) == 39  # aliases are not extra members


def test_promote_type() -> None:
    assert promote_type(6, use_time=True) == 20
    assert promote_type(6, use_ctrl=True) == 34
    assert promote_type(3, use_gr=True) == 24
    assert promote_type(0, use_status=True) == 7
    assert promote_type(5) == 5


@pytest.mark.parametrize(
    "requested", ["timestamp", "", "ctrl", 39, -1, 1000, 1.0, True, b"time", object()]
)
def test_bad_requests_raise_value_error(requested: Any) -> None:
    with pytest.raises(CAValueError):
        resolve_data_type(requested, 6)


def test_bad_class_name_error_lists_the_choices() -> None:
    with pytest.raises(CAValueError, match="'native', 'status', 'time', 'graphic', 'control'"):
        resolve_data_type("timestamp", 6)
    with pytest.raises(CAValueError, match="39"):
        resolve_data_type(39, 6)
