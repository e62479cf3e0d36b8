"""The ECA status table against the IOC's own table, and its lookups."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Any

import pytest

import protocol.status
from protocol import (
    CASeverity,
    CAStatus,
    CAStatusCode,
    CAValueError,
    ChannelType,
    ErrorResponse,
    ReadNotifyResponse,
    WriteNotifyResponse,
    ensure_status,
)
from protocol.status import (
    eca_value_to_status,
    ensure_eca_value,
    status_by_code,
    status_by_name,
)


@pytest.fixture(scope="module")
def table(vectors_path: Path) -> list[dict[str, Any]]:
    with open(vectors_path / "ca_status_codes.json") as f:
        rows: list[dict[str, Any]] = json.load(f)
    return rows


def test_table_has_all_61_codes(table: list[dict[str, Any]]) -> None:
    assert len(table) == 61
    assert len(status_by_code) == len(status_by_name) == len(eca_value_to_status) == 61


def test_every_status_matches_the_reference(table: list[dict[str, Any]]) -> None:
    for row in table:
        status = status_by_name[row["name"]]
        assert status.code == row["code"]
        assert status.code_with_severity == row["code_with_severity"]
        assert int(status.severity) == row["severity"]
        assert status.severity.name == row["severity_name"]
        assert status.success == row["success"]
        assert status.defunct is row["defunct"]
        assert status.description == row["message"]


def test_lookups_by_code_name_and_wire_value(table: list[dict[str, Any]]) -> None:
    for row in table:
        by_name = status_by_name[row["name"]]
        assert status_by_code[row["code"]] is by_name
        assert eca_value_to_status[row["code_with_severity"]] is by_name
        assert ensure_status(row["name"]) is by_name
        assert ensure_status(row["code_with_severity"]) is by_name
        assert ensure_status(by_name) is by_name
        assert getattr(CAStatus, row["name"]).value is by_name
        assert CAStatus(by_name) is CAStatus[row["name"]]
        assert ensure_eca_value(row["name"]) == row["code_with_severity"]
        assert ensure_eca_value(by_name) == row["code_with_severity"]


def test_wire_value_is_code_shifted_with_severity() -> None:
    for status in status_by_name.values():
        assert status.code_with_severity == (status.code << 3) | int(status.severity)
        assert status.success == int(status.code_with_severity & 1)


def test_well_known_codes() -> None:
    assert ensure_status(1).name == "ECA_NORMAL"
    assert ensure_status(160).name == "ECA_PUTFAIL"
    assert ensure_status(376).name == "ECA_NOWTACCESS"
    assert ensure_status(142).severity is CASeverity.FATAL
    assert CAStatus.ECA_BADTYPE.code_with_severity == 114
    assert "ECA_NORMAL" in dir(CAStatus)


def test_castatus_is_an_enum_as_caprotos(table: list[dict[str, Any]]) -> None:
    # caproto code walks the table, takes .value, and passes members to messages.
    assert isinstance(CAStatus.ECA_NORMAL, enum.Enum)
    assert [member.name for member in CAStatus] == [row["name"] for row in table]
    assert [member.value for member in CAStatus] == [status_by_name[r["name"]] for r in table]
    assert len(CAStatus.__members__) == 61
    normal = CAStatus.ECA_NORMAL
    assert isinstance(normal.value, CAStatusCode)
    assert normal.value is eca_value_to_status[1]
    assert (normal.code, normal.severity, normal.success) == (0, CASeverity.SUCCESS, 1)
    putfail = CAStatus.ECA_PUTFAIL
    assert putfail.description == "Channel write request failed"
    assert (putfail.defunct, CAStatus.ECA_DEFUNCT.defunct) == (False, True)
    assert ensure_status(putfail) is putfail.value
    assert ensure_eca_value(putfail) == 160
    assert normal != normal.value  # a member is not its code, as in caproto
    assert protocol.status.CAStatus is CAStatus  # one class, however it is reached


def test_responses_hold_codes_and_take_members() -> None:
    response = WriteNotifyResponse(ChannelType.DOUBLE, 1, CAStatus.ECA_PUTFAIL, 7)
    assert response.status is CAStatus.ECA_PUTFAIL.value
    assert isinstance(response.status, CAStatusCode)
    assert CAStatus(response.status) is CAStatus.ECA_PUTFAIL
    read = ReadNotifyResponse([1.0], ChannelType.DOUBLE, 1, CAStatus.ECA_NORMAL, 1)
    assert read.status is CAStatus.ECA_NORMAL.value
    error = ErrorResponse(read, 3, CAStatus.ECA_INTERNAL, "boom")
    assert error.status is CAStatus.ECA_INTERNAL.value


def test_unknown_wire_value_is_kept_not_rejected() -> None:
    status = ensure_status(999)
    assert status.name == "ECA_UNKNOWN_999"
    assert status.code_with_severity == 999
    assert status.code == 999 >> 3
    assert status.success == 1


@pytest.mark.parametrize("bad", ["ECA_NOPE", -1, 1.5, None])
def test_bad_status_raises(bad: Any) -> None:
    with pytest.raises(CAValueError):
        ensure_status(bad)


def test_unknown_name_attribute() -> None:
    with pytest.raises(AttributeError):
        CAStatus.ECA_NOPE  # noqa: B018
