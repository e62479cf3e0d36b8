"""``CAStatus``: the ECA status table as an Enum, as caproto has it.

Loaded on first use of ``protocol.status.CAStatus`` (or ``protocol.CAStatus``); the
table itself is :mod:`protocol.status`, whose ``CAStatusCode`` objects are the members'
values (the same objects that responses hold as ``status``).
"""

from __future__ import annotations

import enum

from .status import CASeverity, status_by_name

__all__ = ["CAStatus"]

_BY_NAME = status_by_name


class CAStatus(enum.Enum):
    """Every ECA status by name, as caproto's ``CAStatus``; each value is a ``CAStatusCode``.

    ``list(CAStatus)`` walks the table in code order; ``CAStatus.ECA_NORMAL.value`` is
    the ``CAStatusCode`` that a response's ``status`` holds (the very same object), and
    ``CAStatus(response.status)`` is its member.  Messages take members as a
    ``status``.  The code's fields are also read through the member
    (``CAStatus.ECA_PUTFAIL.description``).  A member is not equal to its code, as in
    caproto: compare ``response.status`` with ``CAStatus.ECA_NORMAL.value``.
    """

    ECA_NORMAL = _BY_NAME["ECA_NORMAL"]
    ECA_MAXIOC = _BY_NAME["ECA_MAXIOC"]
    ECA_UKNHOST = _BY_NAME["ECA_UKNHOST"]
    ECA_UKNSERV = _BY_NAME["ECA_UKNSERV"]
    ECA_SOCK = _BY_NAME["ECA_SOCK"]
    ECA_CONN = _BY_NAME["ECA_CONN"]
    ECA_ALLOCMEM = _BY_NAME["ECA_ALLOCMEM"]
    ECA_UKNCHAN = _BY_NAME["ECA_UKNCHAN"]
    ECA_UKNFIELD = _BY_NAME["ECA_UKNFIELD"]
    ECA_TOLARGE = _BY_NAME["ECA_TOLARGE"]
    ECA_TIMEOUT = _BY_NAME["ECA_TIMEOUT"]
    ECA_NOSUPPORT = _BY_NAME["ECA_NOSUPPORT"]
    ECA_STRTOBIG = _BY_NAME["ECA_STRTOBIG"]
    ECA_DISCONNCHID = _BY_NAME["ECA_DISCONNCHID"]
    ECA_BADTYPE = _BY_NAME["ECA_BADTYPE"]
    ECA_CHIDNOTFND = _BY_NAME["ECA_CHIDNOTFND"]
    ECA_CHIDRETRY = _BY_NAME["ECA_CHIDRETRY"]
    ECA_INTERNAL = _BY_NAME["ECA_INTERNAL"]
    ECA_DBLCLFAIL = _BY_NAME["ECA_DBLCLFAIL"]
    ECA_GETFAIL = _BY_NAME["ECA_GETFAIL"]
    ECA_PUTFAIL = _BY_NAME["ECA_PUTFAIL"]
    ECA_ADDFAIL = _BY_NAME["ECA_ADDFAIL"]
    ECA_BADCOUNT = _BY_NAME["ECA_BADCOUNT"]
    ECA_BADSTR = _BY_NAME["ECA_BADSTR"]
    ECA_DISCONN = _BY_NAME["ECA_DISCONN"]
    ECA_DBLCHNL = _BY_NAME["ECA_DBLCHNL"]
    ECA_EVDISALLOW = _BY_NAME["ECA_EVDISALLOW"]
    ECA_BUILDGET = _BY_NAME["ECA_BUILDGET"]
    ECA_NEEDSFP = _BY_NAME["ECA_NEEDSFP"]
    ECA_OVEVFAIL = _BY_NAME["ECA_OVEVFAIL"]
    ECA_BADMONID = _BY_NAME["ECA_BADMONID"]
    ECA_NEWADDR = _BY_NAME["ECA_NEWADDR"]
    ECA_NEWCONN = _BY_NAME["ECA_NEWCONN"]
    ECA_NOCACTX = _BY_NAME["ECA_NOCACTX"]
    ECA_DEFUNCT = _BY_NAME["ECA_DEFUNCT"]
    ECA_EMPTYSTR = _BY_NAME["ECA_EMPTYSTR"]
    ECA_NOREPEATER = _BY_NAME["ECA_NOREPEATER"]
    ECA_NOCHANMSG = _BY_NAME["ECA_NOCHANMSG"]
    ECA_DLCKREST = _BY_NAME["ECA_DLCKREST"]
    ECA_SERVBEHIND = _BY_NAME["ECA_SERVBEHIND"]
    ECA_NOCAST = _BY_NAME["ECA_NOCAST"]
    ECA_BADMASK = _BY_NAME["ECA_BADMASK"]
    ECA_IODONE = _BY_NAME["ECA_IODONE"]
    ECA_IOINPROGRESS = _BY_NAME["ECA_IOINPROGRESS"]
    ECA_BADSYNCGRP = _BY_NAME["ECA_BADSYNCGRP"]
    ECA_PUTCBINPROG = _BY_NAME["ECA_PUTCBINPROG"]
    ECA_NORDACCESS = _BY_NAME["ECA_NORDACCESS"]
    ECA_NOWTACCESS = _BY_NAME["ECA_NOWTACCESS"]
    ECA_ANACHRONISM = _BY_NAME["ECA_ANACHRONISM"]
    ECA_NOSEARCHADDR = _BY_NAME["ECA_NOSEARCHADDR"]
    ECA_NOCONVERT = _BY_NAME["ECA_NOCONVERT"]
    ECA_BADCHID = _BY_NAME["ECA_BADCHID"]
    ECA_BADFUNCPTR = _BY_NAME["ECA_BADFUNCPTR"]
    ECA_ISATTACHED = _BY_NAME["ECA_ISATTACHED"]
    ECA_UNAVAILINSERV = _BY_NAME["ECA_UNAVAILINSERV"]
    ECA_CHANDESTROY = _BY_NAME["ECA_CHANDESTROY"]
    ECA_BADPRIORITY = _BY_NAME["ECA_BADPRIORITY"]
    ECA_NOTTHREADED = _BY_NAME["ECA_NOTTHREADED"]
    ECA_16KARRAYCLIENT = _BY_NAME["ECA_16KARRAYCLIENT"]
    ECA_CONNSEQTMO = _BY_NAME["ECA_CONNSEQTMO"]
    ECA_UNRESPTMO = _BY_NAME["ECA_UNRESPTMO"]

    @property
    def code(self) -> int:
        """The status number (0..60)."""
        return self.value.code

    @property
    def code_with_severity(self) -> int:
        """The value on the wire: the code shifted left by 3, with the severity bits."""
        return self.value.code_with_severity

    @property
    def severity(self) -> CASeverity:
        """The severity bits."""
        return self.value.severity

    @property
    def success(self) -> int:
        """1 for a successful status, else 0."""
        return self.value.success

    @property
    def defunct(self) -> bool:
        """True for a code that current servers no longer send."""
        return self.value.defunct

    @property
    def description(self) -> str:
        """EPICS's text for the status."""
        return self.value.description
