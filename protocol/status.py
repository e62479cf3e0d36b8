"""ECA status codes: the table of what a server's status word means."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, NamedTuple, Union

from .errors import CAValueError

if TYPE_CHECKING:
    from .status_enum import CAStatus

__all__ = [
    "CASeverity",
    "CAStatus",
    "CAStatusCode",
    "StatusSpec",
    "eca_value_to_status",
    "ensure_eca_value",
    "ensure_status",
    "status_by_code",
    "status_by_name",
]


class CASeverity(enum.IntEnum):
    """Severity bits of an ECA status (the low three bits on the wire)."""

    WARNING = 0
    SUCCESS = 1
    ERROR = 2
    INFO = 3
    SEVERE = 4
    FATAL = 6  # ERROR | SEVERE


class CAStatusCode(NamedTuple):
    """One ECA status: its name, code, and the value that travels on the wire."""

    name: str
    code: int
    code_with_severity: int
    severity: CASeverity
    success: int
    defunct: bool
    description: str


# (name, code, severity, defunct, description), as EPICS Base's caerr.h has them.
_TABLE = [
    ("ECA_NORMAL", 0, CASeverity.SUCCESS, False, "Normal successful completion"),
    (
        "ECA_MAXIOC",
        1,
        CASeverity.ERROR,
        True,
        "Maximum simultaneous IOC connections exceeded",
    ),
    ("ECA_UKNHOST", 2, CASeverity.ERROR, True, "Unknown internet host"),
    ("ECA_UKNSERV", 3, CASeverity.ERROR, True, "Unknown internet service"),
    ("ECA_SOCK", 4, CASeverity.ERROR, True, "Unable to allocate a new socket"),
    (
        "ECA_CONN",
        5,
        CASeverity.WARNING,
        True,
        "Unable to connect to internet host or service",
    ),
    (
        "ECA_ALLOCMEM",
        6,
        CASeverity.WARNING,
        False,
        "Unable to allocate additional dynamic memory",
    ),
    ("ECA_UKNCHAN", 7, CASeverity.WARNING, True, "Unknown IO channel"),
    (
        "ECA_UKNFIELD",
        8,
        CASeverity.WARNING,
        True,
        "Record field specified inappropriate for channel specified",
    ),
    (
        "ECA_TOLARGE",
        9,
        CASeverity.WARNING,
        False,
        "The requested data transfer is greater than available memory or EPICS_CA_MAX_ARRAY_BYTES",
    ),
    (
        "ECA_TIMEOUT",
        10,
        CASeverity.WARNING,
        False,
        "User specified timeout on IO operation expired",
    ),
    (
        "ECA_NOSUPPORT",
        11,
        CASeverity.WARNING,
        True,
        "Sorry, that feature is planned but not supported at this time",
    ),
    (
        "ECA_STRTOBIG",
        12,
        CASeverity.WARNING,
        True,
        "The supplied string is unusually large",
    ),
    (
        "ECA_DISCONNCHID",
        13,
        CASeverity.ERROR,
        True,
        "The request was ignored because the specified channel is disconnected",
    ),
    ("ECA_BADTYPE", 14, CASeverity.ERROR, False, "The data type specifed is invalid"),
    ("ECA_CHIDNOTFND", 15, CASeverity.INFO, True, "Remote Channel not found"),
    (
        "ECA_CHIDRETRY",
        16,
        CASeverity.INFO,
        True,
        "Unable to locate all user specified channels",
    ),
    ("ECA_INTERNAL", 17, CASeverity.FATAL, False, "Channel Access Internal Failure"),
    (
        "ECA_DBLCLFAIL",
        18,
        CASeverity.WARNING,
        True,
        "The requested local DB operation failed",
    ),
    ("ECA_GETFAIL", 19, CASeverity.WARNING, False, "Channel read request failed"),
    ("ECA_PUTFAIL", 20, CASeverity.WARNING, False, "Channel write request failed"),
    (
        "ECA_ADDFAIL",
        21,
        CASeverity.WARNING,
        True,
        "Channel subscription request failed",
    ),
    ("ECA_BADCOUNT", 22, CASeverity.WARNING, False, "Invalid element count requested"),
    ("ECA_BADSTR", 23, CASeverity.ERROR, False, "Invalid string"),
    ("ECA_DISCONN", 24, CASeverity.WARNING, False, "Virtual circuit disconnect"),
    (
        "ECA_DBLCHNL",
        25,
        CASeverity.WARNING,
        False,
        "Identical process variable name on multiple servers",
    ),
    (
        "ECA_EVDISALLOW",
        26,
        CASeverity.ERROR,
        False,
        "Request inappropriate within subscription (monitor) update callback",
    ),
    (
        "ECA_BUILDGET",
        27,
        CASeverity.WARNING,
        True,
        "Database value get for that channel failed during channel search",
    ),
    (
        "ECA_NEEDSFP",
        28,
        CASeverity.WARNING,
        True,
        "Unable to initialize without the vxWorks VX_FP_TASKtask option set",
    ),
    (
        "ECA_OVEVFAIL",
        29,
        CASeverity.WARNING,
        True,
        "Event queue overflow has prevented first pass event after event add",
    ),
    (
        "ECA_BADMONID",
        30,
        CASeverity.ERROR,
        False,
        "Bad event subscription (monitor) identifier",
    ),
    (
        "ECA_NEWADDR",
        31,
        CASeverity.WARNING,
        True,
        "Remote channel has new network address",
    ),
    ("ECA_NEWCONN", 32, CASeverity.INFO, True, "New or resumed network connection"),
    (
        "ECA_NOCACTX",
        33,
        CASeverity.WARNING,
        True,
        "Specified task isnt a member of a CA context",
    ),
    (
        "ECA_DEFUNCT",
        34,
        CASeverity.FATAL,
        True,
        "Attempt to use defunct CA feature failed",
    ),
    ("ECA_EMPTYSTR", 35, CASeverity.WARNING, True, "The supplied string is empty"),
    (
        "ECA_NOREPEATER",
        36,
        CASeverity.WARNING,
        True,
        "Unable to spawn the CA repeater thread; auto reconnect will fail",
    ),
    (
        "ECA_NOCHANMSG",
        37,
        CASeverity.WARNING,
        True,
        "No channel id match for search reply; search reply ignored",
    ),
    (
        "ECA_DLCKREST",
        38,
        CASeverity.WARNING,
        True,
        "Reseting dead connection; will try to reconnect",
    ),
    (
        "ECA_SERVBEHIND",
        39,
        CASeverity.WARNING,
        True,
        "Server (IOC) has fallen behind or is not responding; still waiting",
    ),
    (
        "ECA_NOCAST",
        40,
        CASeverity.WARNING,
        True,
        "No internet interface with broadcast available",
    ),
    ("ECA_BADMASK", 41, CASeverity.ERROR, False, "Invalid event selection mask"),
    ("ECA_IODONE", 42, CASeverity.INFO, False, "IO operations have completed"),
    ("ECA_IOINPROGRESS", 43, CASeverity.INFO, False, "IO operations are in progress"),
    (
        "ECA_BADSYNCGRP",
        44,
        CASeverity.ERROR,
        False,
        "Invalid synchronous group identifier",
    ),
    ("ECA_PUTCBINPROG", 45, CASeverity.ERROR, False, "Put callback timed out"),
    ("ECA_NORDACCESS", 46, CASeverity.WARNING, False, "Read access denied"),
    ("ECA_NOWTACCESS", 47, CASeverity.WARNING, False, "Write access denied"),
    (
        "ECA_ANACHRONISM",
        48,
        CASeverity.ERROR,
        False,
        "Requested feature is no longer supported",
    ),
    ("ECA_NOSEARCHADDR", 49, CASeverity.WARNING, False, "Empty PV search address list"),
    (
        "ECA_NOCONVERT",
        50,
        CASeverity.WARNING,
        False,
        "No reasonable data conversion between client and server types",
    ),
    ("ECA_BADCHID", 51, CASeverity.ERROR, False, "Invalid channel identifier"),
    ("ECA_BADFUNCPTR", 52, CASeverity.ERROR, False, "Invalid function pointer"),
    (
        "ECA_ISATTACHED",
        53,
        CASeverity.WARNING,
        False,
        "Thread is already attached to a client context",
    ),
    (
        "ECA_UNAVAILINSERV",
        54,
        CASeverity.WARNING,
        False,
        "Not supported by attached service",
    ),
    ("ECA_CHANDESTROY", 55, CASeverity.WARNING, False, "User destroyed channel"),
    ("ECA_BADPRIORITY", 56, CASeverity.ERROR, False, "Invalid channel priority"),
    (
        "ECA_NOTTHREADED",
        57,
        CASeverity.ERROR,
        False,
        "Preemptive callback not enabled - additional threads may not join context",
    ),
    (
        "ECA_16KARRAYCLIENT",
        58,
        CASeverity.WARNING,
        False,
        "Client’s protocol revision does not support transfers exceeding 16k bytes",
    ),
    (
        "ECA_CONNSEQTMO",
        59,
        CASeverity.WARNING,
        False,
        "Virtual circuit connection sequence aborted",
    ),
    ("ECA_UNRESPTMO", 60, CASeverity.WARNING, False, "Virtual circuit unresponsive"),
]


def _make(name: str, code: int, severity: CASeverity, defunct: bool, text: str) -> CAStatusCode:
    return CAStatusCode(
        name=name,
        code=code,
        code_with_severity=(code << 3) | int(severity),
        severity=severity,
        success=int(severity) & 1,
        defunct=defunct,
        description=text,
    )


_CODES = [_make(*row) for row in _TABLE]

#: Lookups by the on-wire value, the code and the name.
eca_value_to_status: dict[int, CAStatusCode] = {s.code_with_severity: s for s in _CODES}
status_by_code: dict[int, CAStatusCode] = {s.code: s for s in _CODES}
status_by_name: dict[str, CAStatusCode] = {s.name: s for s in _CODES}


def __getattr__(name: str) -> Any:
    # CAStatus, the Enum over this table, is built on first use: an Enum of 61
    # members costs ~1 ms, on every start of a command-line tool that never needs it.
    if name == "CAStatus":
        from .status_enum import CAStatus

        globals()["CAStatus"] = CAStatus
        return CAStatus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: What the functions below (and the messages' ``status`` arguments) accept: a
#: ``CAStatusCode``, a ``CAStatus`` member, a status name or an on-wire value.
StatusSpec = Union[CAStatusCode, "CAStatus", int, str]  # a runtime alias on 3.10


def ensure_status(value: StatusSpec) -> CAStatusCode:
    """Return the status for a ``CAStatusCode``, a ``CAStatus``, its name or its on-wire value.

    An unknown on-wire value is not an error: a newer server may send codes we
    do not know, so it becomes a status named ``ECA_UNKNOWN_<value>``.
    """
    if isinstance(value, CAStatusCode):
        return value
    if isinstance(value, enum.Enum) and isinstance(value.value, CAStatusCode):
        return value.value  # a CAStatus member (caproto's way to name a status)
    if isinstance(value, str):
        try:
            return status_by_name[value]
        except KeyError:
            raise CAValueError(f"unknown ECA status name {value!r}") from None
    try:
        return eca_value_to_status[value]
    except KeyError:
        pass
    if not isinstance(value, int) or value < 0:
        raise CAValueError(
            f"an ECA status must be a CAStatusCode, CAStatus, name or int, not {value!r}"
        )
    severity_bits = value & 7
    severity = (
        CASeverity(severity_bits)
        if severity_bits in CASeverity._value2member_map_
        else CASeverity.ERROR
    )
    return CAStatusCode(
        name=f"ECA_UNKNOWN_{value}",
        code=value >> 3,
        code_with_severity=value,
        severity=severity,
        success=value & 1,
        defunct=False,
        description=f"unknown status {value}",
    )


def ensure_eca_value(value: StatusSpec) -> int:
    """Return the on-wire value of a status given in any accepted form."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return ensure_status(value).code_with_severity
