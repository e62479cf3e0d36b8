"""Alarm status and severity of a record, and the subscription event mask."""

from __future__ import annotations

import enum

__all__ = ["AlarmSeverity", "AlarmStatus", "SubscriptionType"]


class AlarmSeverity(enum.IntEnum):
    """Alarm severity as EPICS records report it."""

    NO_ALARM = 0
    MINOR_ALARM = 1
    MAJOR_ALARM = 2
    INVALID_ALARM = 3


class AlarmStatus(enum.IntEnum):
    """Alarm status (the reason for the alarm) as EPICS records report it."""

    NO_ALARM = 0
    READ = 1
    WRITE = 2
    HIHI = 3
    HIGH = 4
    LOLO = 5
    LOW = 6
    STATE = 7
    COS = 8
    COMM = 9
    TIMEOUT = 10
    HWLIMIT = 11
    CALC = 12
    SCAN = 13
    LINK = 14
    SOFT = 15
    BAD_SUB = 16
    UDF = 17
    DISABLE = 18
    SIMM = 19
    READ_ACCESS = 20
    WRITE_ACCESS = 21


class SubscriptionType(enum.IntFlag):
    """Event mask bits of an EVENT_ADD request."""

    DBE_VALUE = 1
    DBE_LOG = 2
    DBE_ARCHIVE = 2
    DBE_ALARM = 4
    DBE_PROPERTY = 8
