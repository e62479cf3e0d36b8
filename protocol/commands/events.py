"""Subscriptions: EVENT_ADD, its updates, EVENT_CANCEL and its acknowledgement."""

from __future__ import annotations

import struct
from typing import Any

from ..alarms import SubscriptionType
from ..status import StatusSpec, ensure_eca_value
from .base import (
    CLIENT,
    SERVER,
    DataMessage,
    DbrTypeField,
    HeaderField,
    Message,
    StatusField,
    check_data_type,
    check_u16,
    check_u32,
)

__all__ = [
    "EventAddRequest",
    "EventAddResponse",
    "EventCancelRequest",
    "EventCancelResponse",
]

_EVENT_ADD_PAYLOAD = struct.Struct(">fffHxx")


class EventAddRequest(Message):
    """EVENT_ADD: subscribe to a channel; ``mask`` selects the events.

    ``low``, ``high`` and ``to`` are obsolete and sent as given (0.0 normally).
    """

    __slots__ = ()
    ID = 1
    SENDER = CLIENT
    HAS_DBR_TYPE = True
    MIN_PAYLOAD = _EVENT_ADD_PAYLOAD.size
    _fields = ("data_type", "data_count", "sid", "subscriptionid", "low", "high", "to", "mask")

    def __init__(
        self,
        data_type: int,
        data_count: int,
        sid: int,
        subscriptionid: int,
        low: float = 0.0,
        high: float = 0.0,
        to: float = 0.0,
        mask: int = SubscriptionType.DBE_VALUE | SubscriptionType.DBE_ALARM,
    ) -> None:
        payload = _EVENT_ADD_PAYLOAD.pack(low, high, to, check_u16("mask", int(mask)))
        self._init(
            check_data_type(data_type),
            check_u32("data_count", data_count),
            check_u32("sid", sid),
            check_u32("subscriptionid", subscriptionid),
            payload,
        )

    data_type = DbrTypeField(2)
    data_count = HeaderField(3)
    sid = HeaderField(4)
    subscriptionid = HeaderField(5)

    def _payload_fields(self) -> tuple[float, float, float, int]:
        fields: tuple[float, float, float, int] = _EVENT_ADD_PAYLOAD.unpack_from(self._payload)
        return fields

    @property
    def low(self) -> float:
        return self._payload_fields()[0]

    @property
    def high(self) -> float:
        return self._payload_fields()[1]

    @property
    def to(self) -> float:
        return self._payload_fields()[2]

    @property
    def mask(self) -> SubscriptionType:
        return SubscriptionType(self._payload_fields()[3])


class EventAddResponse(DataMessage):
    """A subscription update: status, values and metadata."""

    __slots__ = ()
    ID = 1
    SENDER = SERVER
    _fields = ("data", "data_type", "data_count", "status", "subscriptionid", "metadata")

    def __init__(
        self,
        data: Any,
        data_type: int,
        data_count: int | None = None,
        status: StatusSpec = 1,
        subscriptionid: int = 0,
        *,
        metadata: Any = None,
    ) -> None:
        self._init_data(
            data,
            data_type,
            data_count,
            metadata,
            ensure_eca_value(status),
            check_u32("subscriptionid", subscriptionid),
        )

    status = StatusField(4)
    subscriptionid = HeaderField(5)


class EventCancelRequest(Message):
    """EVENT_CANCEL: end a subscription."""

    __slots__ = ()
    ID = 2
    SENDER = CLIENT
    HAS_DBR_TYPE = True
    _fields = ("data_type", "sid", "subscriptionid")

    def __init__(self, data_type: int, sid: int, subscriptionid: int, data_count: int = 0) -> None:
        self._init(
            check_data_type(data_type),
            check_u32("data_count", data_count),
            check_u32("sid", sid),
            check_u32("subscriptionid", subscriptionid),
        )

    data_type = DbrTypeField(2)
    data_count = HeaderField(3)
    sid = HeaderField(4)
    subscriptionid = HeaderField(5)


class EventCancelResponse(Message, register=False):
    """The acknowledgement of EVENT_CANCEL.

    On the wire it is an EVENT_ADD header with no payload and the sid in
    parameter1, indistinguishable from an empty update: the circuit turns an
    ``EventAddResponse`` into this when that subscription has a cancel pending.
    """

    __slots__ = ()
    ID = 1
    SENDER = SERVER
    _fields = ("data_type", "sid", "subscriptionid", "data_count")

    def __init__(self, data_type: int, sid: int, subscriptionid: int, data_count: int = 0) -> None:
        self._init(
            check_data_type(data_type),
            check_u32("data_count", data_count),
            check_u32("sid", sid),
            check_u32("subscriptionid", subscriptionid),
        )

    @classmethod
    def from_update(cls, update: Message) -> EventCancelResponse:
        """Reinterpret an empty ``EventAddResponse`` as the cancel acknowledgement."""
        obj = cls.__new__(cls)
        obj._h, obj._raw = update._h, update._raw
        obj.sender_address = update.sender_address
        return obj

    data_type = DbrTypeField(2)
    data_count = HeaderField(3)
    sid = HeaderField(4)
    subscriptionid = HeaderField(5)
