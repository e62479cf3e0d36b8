"""RPC on a channel: INIT (with a pvRequest), then a request carrying an argument.

Client to server: sid, ioid, a subcommand byte, then a type descriptor and a full
value (the pvRequest for INIT, the argument after). Server to client: ioid, the
subcommand, a status; a successful reply to a request then carries the result's
descriptor (null for none) and value. Subcommand bits: 0x08 INIT, 0x10 last
request (the server forgets the operation once it has answered).
"""

from __future__ import annotations

import enum
from typing import Any

from ..errors import PVAValueError
from ..header import Command, Header
from ..types import FieldDesc, TypeCode, decode_type, encode_type
from ..values import decode_value, encode_value
from ..wire import OK, Reader, Status, encode_status, pack
from .base import PVAMessage, check_u32

__all__ = [
    "EMPTY_REQUEST",
    "RPCRequest",
    "RPCResponse",
    "Subcommand",
]


class Subcommand(enum.IntFlag):
    """Bits of the subcommand byte of GET, PUT and RPC."""

    EXECUTE = 0x00
    INIT = 0x08
    DESTROY = 0x10
    GET = 0x40


#: The pvRequest pvxs sends with an RPC INIT: ``field()``, a structure holding an
#: empty structure named ``field``.
EMPTY_REQUEST: tuple[FieldDesc, dict[str, Any]] = (
    FieldDesc(TypeCode.STRUCT, "", [("field", FieldDesc(TypeCode.STRUCT))]),
    {"field": {}},
)


def _check_data(data: tuple[FieldDesc | None, Any], be: bool, what: str) -> tuple[Any, Any]:
    try:
        desc, value = data
    except (TypeError, ValueError):
        raise PVAValueError(f"{what} must be a (FieldDesc, value) pair, not {data!r}") from None
    if desc is not None:
        if not isinstance(desc, FieldDesc):
            raise PVAValueError(f"{what} type must be a FieldDesc, not {desc!r}")
        encode_value(desc, value, be)  # validate now rather than when sent
    return desc, value


class RPCRequest(PVAMessage):
    """RPC from a client.

    Parameters
    ----------
    sid : int
        The server's channel id.
    ioid : int
        The client's id for this operation.
    subcommand : int
        :class:`Subcommand` bits: ``INIT``, or ``EXECUTE`` (optionally ``| DESTROY``).
    data : (FieldDesc or None, value)
        The pvRequest of an INIT, else the argument.
    """

    __slots__ = ("data", "ioid", "sid", "subcommand")
    COMMAND = Command.RPC
    SERVER = False
    _fields = ("sid", "ioid", "subcommand", "data")

    sid: int
    ioid: int
    subcommand: int
    data: tuple[FieldDesc | None, Any]

    def __init__(
        self,
        sid: int,
        ioid: int,
        subcommand: int,
        data: tuple[FieldDesc | None, Any] = (None, None),
        *,
        big_endian: bool = False,
    ) -> None:
        if isinstance(subcommand, bool) or not isinstance(subcommand, int):
            raise PVAValueError(f"subcommand must be an int, not {subcommand!r}")
        if not 0 <= subcommand <= 255:
            raise PVAValueError(f"subcommand must be 0..255, not {subcommand}")
        self._set(
            big_endian,
            sid=check_u32("sid", sid),
            ioid=check_u32("ioid", ioid),
            subcommand=subcommand,
            data=_check_data(data, big_endian, "data"),
        )

    @classmethod
    def init(
        cls,
        sid: int,
        ioid: int,
        pv_request: tuple[FieldDesc, Any] = EMPTY_REQUEST,
        *,
        big_endian: bool = False,
    ) -> RPCRequest:
        """The INIT that opens the operation."""
        return cls(sid, ioid, Subcommand.INIT, pv_request, big_endian=big_endian)

    @classmethod
    def execute(
        cls,
        sid: int,
        ioid: int,
        argument: tuple[FieldDesc | None, Any],
        *,
        last: bool = False,
        big_endian: bool = False,
    ) -> RPCRequest:
        """The request with its argument; ``last`` lets the server drop the operation after."""
        sub = Subcommand.DESTROY if last else Subcommand.EXECUTE
        return cls(sid, ioid, sub, argument, big_endian=big_endian)

    @property
    def is_init(self) -> bool:
        return bool(self.subcommand & Subcommand.INIT)

    def payload(self) -> bytes:
        be = self.big_endian
        desc, value = self.data
        parts = [pack(be, "I", self.sid), pack(be, "I", self.ioid), bytes((self.subcommand,))]
        parts.append(encode_type(desc, be))
        if desc is not None:
            parts.append(encode_value(desc, value, be))
        return b"".join(parts)

    @classmethod
    def decode(cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]) -> RPCRequest:
        sid = reader.u32("sid")
        ioid = reader.u32("ioid")
        sub = reader.u8("subcommand")
        desc = decode_type(reader, cache)
        value = decode_value(reader, desc, cache) if desc is not None else None
        # Not through __init__: decoded values need no re-encoding to be checked.
        msg = cls.__new__(cls)
        msg._set(header.big_endian, sid=sid, ioid=ioid, subcommand=sub, data=(desc, value))
        return msg


class RPCResponse(PVAMessage):
    """RPC from a server: the outcome of an INIT or of a request, and a request's result.

    Attributes
    ----------
    ioid : int
    subcommand : int
        The subcommand it answers.
    status : Status
    result : (FieldDesc or None, value)
        What a successful request returned; ``(None, None)`` otherwise.
    """

    __slots__ = ("ioid", "result", "status", "subcommand")
    COMMAND = Command.RPC
    SERVER = True
    _fields = ("ioid", "subcommand", "status", "result")

    ioid: int
    subcommand: int
    status: Status
    result: tuple[FieldDesc | None, Any]

    def __init__(
        self,
        ioid: int,
        subcommand: int,
        status: Status = OK,
        result: tuple[FieldDesc | None, Any] = (None, None),
        *,
        big_endian: bool = False,
    ) -> None:
        if isinstance(subcommand, bool) or not isinstance(subcommand, int):
            raise PVAValueError(f"subcommand must be an int, not {subcommand!r}")
        if not 0 <= subcommand <= 255:
            raise PVAValueError(f"subcommand must be 0..255, not {subcommand}")
        if not isinstance(status, Status):
            raise PVAValueError(f"status must be a Status, not {status!r}")
        checked = _check_data(result, big_endian, "result")
        if (subcommand & Subcommand.INIT or not status.ok) and checked[0] is not None:
            raise PVAValueError("only a successful reply to a request carries a result")
        self._set(
            big_endian,
            ioid=check_u32("ioid", ioid),
            subcommand=subcommand,
            status=status,
            result=checked,
        )

    @property
    def is_init(self) -> bool:
        return bool(self.subcommand & Subcommand.INIT)

    def payload(self) -> bytes:
        be = self.big_endian
        parts = [pack(be, "I", self.ioid), bytes((self.subcommand,))]
        parts.append(encode_status(self.status, be))
        if not self.is_init and self.status.ok:
            desc, value = self.result
            parts.append(encode_type(desc, be))
            if desc is not None:
                parts.append(encode_value(desc, value, be))
        return b"".join(parts)

    @classmethod
    def decode(cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]) -> RPCResponse:
        ioid = reader.u32("ioid")
        sub = reader.u8("subcommand")
        status = reader.status()
        desc, value = None, None
        if not sub & Subcommand.INIT and status.ok:
            desc = decode_type(reader, cache)
            if desc is not None:
                value = decode_value(reader, desc, cache)
        # Not through __init__: a listing of 100,000 names need not be encoded again.
        msg = cls.__new__(cls)
        msg._set(header.big_endian, ioid=ioid, subcommand=sub, status=status, result=(desc, value))
        return msg
