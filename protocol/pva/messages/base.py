"""The base class of every pvAccess message, and the table decoders look classes up in."""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import PVAValueError
from ..header import HEADER_SIZE, Header
from ..types import FieldDesc
from ..wire import Reader

__all__ = [
    "MESSAGE_CLASSES",
    "PVAMessage",
    "check_u16",
    "check_u32",
]

#: (command, sent by a server) -> the class that decodes it.
MESSAGE_CLASSES: dict[tuple[int, bool], type[PVAMessage]] = {}


def check_u32(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise PVAValueError(f"{name} must be an integer 0..4294967295, not {value!r}")
    return value


def check_u16(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFF:
        raise PVAValueError(f"{name} must be an integer 0..65535, not {value!r}")
    return value


class PVAMessage:
    """One application message: a header and the payload its fields make.

    Subclasses name their fields in ``_fields``, validate them in ``__init__``
    and encode them in :meth:`payload`. Instances are immutable. A message made
    by :func:`~protocol.pva.decoder.decode_message` also keeps the bytes it came
    from: ``bytes(msg)`` is then exactly what arrived, while :meth:`to_bytes`
    always encodes the fields afresh.
    """

    __slots__ = ("_raw", "big_endian")
    COMMAND: ClassVar[int]
    #: Whether servers (True) or clients (False) send it.
    SERVER: ClassVar[bool]
    _fields: ClassVar[tuple[str, ...]] = ()

    big_endian: bool
    _raw: bytes | None

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if register:
            MESSAGE_CLASSES.setdefault((cls.COMMAND, cls.SERVER), cls)

    def _set(self, big_endian: bool, **fields: Any) -> None:
        object.__setattr__(self, "big_endian", bool(big_endian))
        object.__setattr__(self, "_raw", None)
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    # -- encoding ------------------------------------------------------------------
    def payload(self) -> bytes:
        """The payload bytes, in :attr:`big_endian` order."""
        raise NotImplementedError

    @property
    def header(self) -> Header:
        """The header this message is sent with."""
        return Header(
            self.COMMAND, len(self.payload()), server=self.SERVER, big_endian=self.big_endian
        )

    def to_bytes(self) -> bytes:
        """Header and payload, encoded from the fields."""
        body = self.payload()
        head = Header(self.COMMAND, len(body), server=self.SERVER, big_endian=self.big_endian)
        return bytes(head) + body

    def __bytes__(self) -> bytes:
        return self._raw if self._raw is not None else self.to_bytes()

    # -- decoding ------------------------------------------------------------------
    @classmethod
    def decode(cls, header: Header, reader: Reader, cache: dict[int, FieldDesc]) -> PVAMessage:
        """The message whose payload ``reader`` holds (the decoder calls this)."""
        raise NotImplementedError

    def _keep(self, raw: bytes) -> PVAMessage:
        object.__setattr__(self, "_raw", raw)
        return self

    # -- comparison ----------------------------------------------------------------
    def fields(self) -> dict[str, Any]:
        """The fields by name (what ``type(msg)(**msg.fields(), big_endian=...)`` takes)."""
        return {name: getattr(self, name) for name in self._fields}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PVAMessage):
            return NotImplemented
        return (
            type(self) is type(other)
            and self.big_endian == other.big_endian
            and self.fields() == other.fields()
        )

    def __hash__(self) -> int:
        return hash((type(self), self.to_bytes()))

    def __repr__(self) -> str:
        parts = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({parts})"

    @property
    def nbytes(self) -> int:
        """Bytes on the wire, header included."""
        return HEADER_SIZE + len(self.payload()) if self._raw is None else len(self._raw)
