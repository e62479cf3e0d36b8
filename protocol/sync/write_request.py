"""The value of a write as the sync client sends it: its DBR type, and the checks made first.

Nothing here does I/O.  An ENUM's choices come from the caller (a read on the
channel), asked for only when a write needs them.  Every refusal is a
:class:`~protocol.errors.CAValueError` naming the PV, raised before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ..channel_types import ChannelType, DataTypeSpec
from ..circuit import ClientChannel
from ..commands import WriteNotifyRequest, WriteRequest
from ..errors import CAValueError
from ..values import STRING_ENCODING, parse_number

__all__ = ["write_request"]

# Native types whose text is parsed here, not by the server: EPICS's string
# conversion writes "1.5" to a LONG as 1, "12abc" as 12, "" as 0 and "-1" to a CHAR as 255.
_NUMERIC = frozenset(
    {ChannelType.INT, ChannelType.FLOAT, ChannelType.LONG, ChannelType.DOUBLE, ChannelType.CHAR}
)
_INDEX = re.compile(r"\s*[0-9]+\s*", re.ASCII)

Choices = Callable[[], list[str]]


def write_request(
    channel: ClientChannel,
    data: Any,
    data_type: DataTypeSpec,
    metadata: Any,
    notify: bool,
    choices: Choices,
) -> WriteRequest | WriteNotifyRequest:
    """The request that writes ``data`` to ``channel``, checked to change nothing on the way.

    Parameters
    ----------
    channel : ClientChannel
        A created channel (its native type and count are known).
    data : str, bytes, int, float, a sequence of these, or a numpy array
    data_type : DataTypeSpec
        None infers the type from the value and the channel: text to a number is
        parsed here, an ENUM takes choice names or indices, a str to a CHAR array
        is the text and its NUL.  An explicit type is sent as given.
    metadata : any
    notify : bool
    choices : callable
        Returns the ENUM's choices; called only for an ENUM written by name or index.

    Raises
    ------
    CAValueError
        The value does not fit the channel: a fraction to an integer, text that is
        not a number, an ENUM choice or index that does not exist, a number out of
        range, more elements than the channel holds, nothing for a scalar.
    """
    name = channel.name
    native = channel.native_data_type
    capacity = channel.native_data_count or 0
    if _is_empty(data) and capacity <= 1:
        raise CAValueError(f"nothing to write to {name!r}: the value is empty")
    if getattr(data, "ndim", 1) > 1:  # a numpy array would be flattened silently
        raise CAValueError(f"{name!r} takes a scalar or a 1-D sequence, not a {data.ndim}-D array")
    if data_type is None and not _is_empty(data):
        if native == ChannelType.ENUM:
            if _stringy(data):
                data = _enum_indices(data, choices(), name)
                data_type = ChannelType.ENUM
            else:
                _check_indices(data, choices, name)
        elif native == ChannelType.CHAR and isinstance(data, str) and capacity > 1:
            # A long string in a CHAR waveform: the text and its NUL.
            data = _encode_text(data, name) + b"\0"
            data_type = ChannelType.CHAR
        elif native in _NUMERIC and _stringy(data):
            # Bytes to a CHAR are raw values; any other text must spell numbers.
            if not (native == ChannelType.CHAR and isinstance(data, bytes)):
                data = _numbers(data, native, name)
        elif native == ChannelType.STRING and not _stringy(data):
            data_type = _numeric_type(data)
    try:
        request = channel.write(data, data_type, None, notify, metadata)
    except CAValueError as exc:
        raise CAValueError(f"writing {name!r}: {exc}") from None
    if capacity and request.data_count > capacity:
        raise CAValueError(
            f"{name!r} holds at most {capacity} element(s); "
            f"{request.data_count} given would be cut by the server"
        )
    return request


def _is_empty(data: Any) -> bool:
    if isinstance(data, str):
        return False  # "" is a value: an empty string
    try:
        return len(data) == 0
    except TypeError:  # a number, a 0-d array
        return False


def _stringy(data: Any) -> bool:
    if isinstance(data, (str, bytes)):
        return True
    if isinstance(data, Sequence) and len(data) > 0:
        return isinstance(data[0], (str, bytes))
    return False


def _items(data: Any) -> list[Any]:
    if isinstance(data, (str, bytes)):
        return [data]
    try:
        return list(data)
    except TypeError:  # a number, a numpy scalar
        return [data]


def _text(item: str | bytes) -> str:
    return item.decode(STRING_ENCODING) if isinstance(item, bytes) else item


def _encode_text(text: str, name: str) -> bytes:
    try:
        return text.encode(STRING_ENCODING)
    except UnicodeEncodeError:
        raise CAValueError(
            f"writing {name!r}: {text!r} has characters that {STRING_ENCODING} cannot encode"
        ) from None


def _numbers(data: Any, native: ChannelType, name: str) -> Any:
    """Text (or a list holding text) for a numeric channel, as the numbers it spells."""
    numbers = []
    for item in _items(data):
        if isinstance(item, (str, bytes)):
            try:
                item = parse_number(_text(item))
            except CAValueError as exc:
                raise CAValueError(
                    f"writing {name!r}: {native.name} needs a number: {exc}"
                ) from None
        numbers.append(item)
    return numbers[0] if isinstance(data, (str, bytes)) else numbers


def _listing(choices: list[str]) -> str:
    if not choices:
        return "(none)"
    return f"{', '.join(map(repr, choices))} (indices 0..{len(choices) - 1})"


def _no_choice(name: str, what: object, choices: list[str]) -> CAValueError:
    return CAValueError(f"{name!r} has no choice {what!r}; its choices are {_listing(choices)}")


def _enum_indices(data: Any, choices: list[str], name: str) -> list[int]:
    """Choice names (or indices given as text) as indices."""
    indices = []
    for item in _items(data):
        text = _text(item) if isinstance(item, (str, bytes)) else str(item)
        if text in choices:
            indices.append(choices.index(text))
        elif _INDEX.fullmatch(text) and (not choices or int(text) < len(choices)):
            indices.append(int(text))
        else:
            raise _no_choice(name, text, choices)
    return indices


def _check_indices(data: Any, choices: Choices, name: str) -> None:
    """Indices must name a choice: an IOC stores any index in an mbbo, label or not."""
    indices = []
    for item in _items(data):
        if hasattr(item, "item") and not isinstance(item, (int, float)):
            item = item.item()  # a numpy scalar
        if isinstance(item, int):  # floats are refused when encoded
            indices.append(int(item))
    if not indices:
        return
    known = choices()
    # Without any choice (a bo with neither ZNAM nor ONAM) no index can be judged.
    for index in indices:
        if known and not 0 <= index < len(known):
            raise _no_choice(name, index, known)


def _numeric_type(data: Any) -> ChannelType:
    items = data if isinstance(data, Sequence) else [data]
    return ChannelType.DOUBLE if any(isinstance(x, float) for x in items) else ChannelType.LONG
