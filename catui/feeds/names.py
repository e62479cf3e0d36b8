"""PV names, their protocol prefixes, and EPICS's alarm words, for the code above feeds.

A name may carry its protocol: ``ca://NAME`` or ``pva://NAME``; a bare name is
Channel Access's (:data:`DEFAULT_PROTOCOL`).  The prefix stays part of the name
everywhere the console shows or keeps it; only a feed strips it.
"""

from __future__ import annotations

from catui.feeds.base import ValueLimits, type_limits
from protocol.alarms import AlarmSeverity, AlarmStatus
from protocol.channel_types import MAX_STRING_SIZE
from protocol.commands import MAX_NAME_LENGTH as _CA_MAX_NAME_LENGTH
from protocol.commands import check_pv_name as _check_ca_name
from protocol.errors import CAValueError

__all__ = [
    "ALARM_WORDS",
    "DEFAULT_PROTOCOL",
    "MAX_NAME_LENGTH",
    "PROTOCOLS",
    "PVNameError",
    "check_pv_name",
    "default_limits",
    "severity_text",
    "split_protocol",
    "status_text",
]

PROTOCOLS = ("ca", "pva")
DEFAULT_PROTOCOL = "ca"
#: The longest name a PV may have (CA's limit, its prefix not counted).
MAX_NAME_LENGTH = _CA_MAX_NAME_LENGTH
#: What :func:`check_pv_name` raises (a ``ValueError``).
PVNameError = CAValueError
#: The names of every alarm status and severity (``HIHI``, ``MAJOR_ALARM``…).
ALARM_WORDS = frozenset(
    [member.name for member in AlarmStatus] + [member.name for member in AlarmSeverity]
)
_SEVERITY_TEXT = {
    AlarmSeverity.NO_ALARM: "",
    AlarmSeverity.MINOR_ALARM: "MINOR",
    AlarmSeverity.MAJOR_ALARM: "MAJOR",
    AlarmSeverity.INVALID_ALARM: "INVALID",
}


def split_protocol(name: str) -> tuple[str, str]:
    """``(protocol, bare name)`` of ``name``: ``ca://X`` → ``("ca", "X")``, ``X`` → CA's."""
    scheme, sep, rest = name.partition("://")
    if sep and scheme.lower() in PROTOCOLS:
        return scheme.lower(), rest
    return DEFAULT_PROTOCOL, name


def check_pv_name(name: str) -> str:
    """Validate a PV name (its protocol prefix, if any, aside); return it unchanged.

    Raises
    ------
    PVNameError
        For a name that is not a str, empty, too long, not ASCII, or that holds
        control characters or whitespace.
    """
    if isinstance(name, str):
        _check_ca_name(split_protocol(name)[1])
    else:
        _check_ca_name(name)
    return name


def severity_text(severity: int | None) -> str:
    """``MINOR``, ``MAJOR``, ``INVALID`` or ``""`` (no alarm, or not known yet)."""
    if severity is None:
        return ""
    try:
        return _SEVERITY_TEXT[AlarmSeverity(severity)]
    except ValueError:
        return f"SEV{severity}"


def status_text(status: int | None) -> str:
    """Alarm status name (``HIHI``, ``COMM``…); ``""`` for no alarm."""
    if not status:
        return ""
    try:
        return AlarmStatus(status).name
    except ValueError:
        return f"STAT{status}"


def default_limits(type_name: str) -> ValueLimits:
    """What a channel of ``type_name`` holds in the default protocol (CA: 39-byte strings).

    For checks made without a channel's :class:`~catui.feeds.base.ChannelInfo` at hand.
    """
    return type_limits(type_name, MAX_STRING_SIZE - 1)
