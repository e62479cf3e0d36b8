"""The write dialog: check the typed value against the PV, then confirm before writing.

Enter checks the value (native type, string length, element count, enum choice, and
the client library's own checks) and arms the write: the PV is read again (in a
worker: the dialog says "checking the current value…") and the confirmation (default
No) follows, saying so if the value changed since the dialog opened, and warning when
a number lies outside the limits, in words that say where they come from (the drive
limits clip, the display range does not).  Esc cancels; leaving a field never writes.
A PV that is disconnected cannot be armed (the dialog says so, live).  The dialog
returns a :class:`WriteRequest`; the app writes it in a worker, on the same link.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static

from catui.data.write_value import match_choice, parse_value
from catui.dialogs.confirm import ConfirmDialog
from catui.messages import WriteChecked
from catui.model import CONNECTED, printable
from catui.write_preview import WritePreview, WriteTarget, enum_index, preview, same_value

if TYPE_CHECKING:
    from catui.app import CatuiApp
    from catui.feeds.base import WriteLink

__all__ = ["WriteDialog", "WriteRequest", "confirm_write"]

#: Seconds after which type-ahead in the choices starts a new label.
TYPE_AHEAD_RESET = 1.0


def confirm_write(question: str, armed: WritePreview, yes: str) -> ConfirmDialog:
    """The confirm step of an armed write: old → new and what is sent, warnings apart."""
    return ConfirmDialog(
        question,
        "\n".join(f"⚠ {warning}" for warning in armed.warnings),
        yes=yes,
        body=f"old: {armed.old}\nnew: {armed.new}\nsent: {armed.sent}",
    )


@dataclass(frozen=True)
class WriteRequest:
    """A confirmed write.

    ``value`` is what is handed to the link's ``write()``; ``text`` the new value as the
    confirm showed it, ``sent`` what goes on the wire.  ``old_text`` is the value read
    when the write was armed (as the confirm showed it); ``old_value`` the value itself,
    None when unknown.  ``link`` is the channel the write goes on; ``confirmed_at``
    (``time.monotonic()``) starts its deadline.
    """

    pv: str
    value: Any
    text: str
    old_text: str = ""
    old_value: Any = None
    target: WriteTarget | None = None
    sent: str = ""
    link: WriteLink | None = None
    confirmed_at: float | None = None


class WriteDialog(ModalScreen[WriteRequest | None]):
    """Type (or pick) a value, Enter to check and confirm, Esc to cancel.

    Parameters
    ----------
    target : WriteTarget
    link : WriteLink
        The PV's link: read when the dialog opens (where the limits come from) and
        when the write is armed; the write goes on it.
    connection : callable, optional
        The PV's connection now (``connected``, ``disconnected``…), asked four times
        a second: a PV that is not connected cannot be armed.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="write-cancel"),
        Binding("ctrl+t", "toggle_text", "Text or numbers",
                tooltip="A CHAR array: write text, or comma-separated numbers",
                id="write-char-mode"),
    ]  # fmt: skip

    def __init__(
        self,
        target: WriteTarget,
        link: WriteLink,
        connection: Callable[[], str] | None = None,
    ) -> None:
        super().__init__()
        self.target = target
        self.link = link
        self.connection = connection or (lambda: CONNECTED)
        #: While the arming read runs: what was typed, parsed (value, what to send).
        self.checking: tuple[Any, Any] | None = None
        self._typed = ""
        self._typed_at = 0.0

    @property
    def catui(self) -> CatuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        t = self.target
        with Vertical(classes="dialog", id="write-dialog"):
            yield Static(f"Write {t.name}", classes="dialog-title", markup=False)
            yield Static(self._current_line(), id="write-current", markup=False)
            yield Static(printable(t.describe_limits()), id="write-limits", markup=False)
            yield Static("", id="write-state", classes="dialog-error -hidden", markup=False)
            if not t.writable:
                yield Static(
                    f"No write access: the server grants read only on {t.name}. "
                    "Nothing will be sent.",
                    id="write-refused",
                    classes="dialog-error",
                    markup=False,
                )
                yield Static("Esc: close", classes="dialog-hint")
                return
            if t.is_enum:
                choices = (Text(printable(s)) for s in t.enum_strings)
                yield OptionList(*choices, id="write-choices")
            else:
                yield Input(placeholder=self._placeholder(), id="write-input")
            yield Static("", id="write-error", classes="dialog-error", markup=False)
            hint = "Enter: check, then confirm · Esc: cancel"
            if t.is_char_array:
                hint += " · ctrl+t: text/numbers"
            yield Static(hint, classes="dialog-hint")

    def _current_line(self) -> str:
        t = self.target
        kind = f"{t.type_name}[{t.count}]" if t.count > 1 else t.type_name
        # printable: the value, choices and units are the server's strings.
        return printable(f"Current: {t.current}  ({kind})")

    def _placeholder(self) -> str:
        t = self.target
        if t.as_text:
            return "text"
        return "comma-separated values" if t.count > 1 else ""

    def on_mount(self) -> None:
        self.show_connection()
        self.set_interval(0.25, self.show_connection, name="connection")
        if not self.target.writable:
            return
        # Where the limits come from, while the operator types.
        self.catui.writes.check(self, self.link, "open")
        if self.target.is_enum:
            choices = self.query_one(OptionList)
            index = self._choice_now()
            if index is not None:
                choices.highlighted = index
            choices.focus()
        else:
            field_ = self.query_one(Input)
            field_.cursor_blink = getattr(self.app, "cursor_blink", True)
            field_.focus()

    def _choice_now(self) -> int | None:
        return enum_index(self.target.value, self.target)

    # -- connection and state line ------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.connection() == CONNECTED

    def show_connection(self) -> None:
        """The state line: checking, or a PV that is not connected (refused)."""
        state = self.query_one("#write-state", Static)
        if self.checking is not None:
            text = "checking the current value…"
        elif not self.connected:
            text = (
                f"{self.target.name} is {self.connection()}: it cannot be written "
                "until it reconnects"
            )
        else:
            text = ""
        state.update(text)
        state.set_class(not text, "-hidden")

    def _field(self) -> Input | OptionList | None:
        for widget in self.query("#write-input, #write-choices"):
            if isinstance(widget, (Input, OptionList)):
                return widget
        return None

    def _set_checking(self, checking: tuple[Any, Any] | None) -> None:
        self.checking = checking
        widget = self._field()
        if widget is not None:
            # Locked while checking: keys typed ahead (a "y" meant for the confirm)
            # change nothing and confirm nothing.
            widget.disabled = checking is not None
            if checking is None:
                widget.focus()
        self.show_connection()

    # -- keys ------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.arm(event.value)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        # By number: two choices may carry the same label.
        self.arm(str(event.option_index))

    def on_key(self, event: events.Key) -> None:
        """Type-ahead in the choices: letters move to the first label they begin."""
        widget = self._field()
        if not isinstance(widget, OptionList) or self.focused is not widget:
            return
        if not event.is_printable or not event.character:
            return
        now = time.monotonic()
        if now - self._typed_at > TYPE_AHEAD_RESET:
            self._typed = ""
        self._typed += event.character
        self._typed_at = now
        index = match_choice(self.target.enum_strings, self._typed, widget.highlighted)
        if index is not None:
            widget.highlighted = index
        event.stop()
        event.prevent_default()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_text":
            return self.target.is_char_array and self.target.writable
        return True

    def action_toggle_text(self) -> None:
        """A CHAR array: text (UTF-8 and a NUL) or comma-separated numbers."""
        if not self.target.is_char_array or self.checking is not None:
            return
        self.target = dataclasses.replace(self.target, as_text=not self.target.as_text)
        self.target = self.target.with_value(self.target.value)
        self.query_one("#write-current", Static).update(self._current_line())
        self.query_one("#write-limits", Static).update(printable(self.target.describe_limits()))
        self.query_one(Input).placeholder = self._placeholder()
        self.query_one("#write-error", Static).update("")

    def action_cancel(self) -> None:
        self.dismiss(None)

    # -- arming ---------------------------------------------------------------------
    def arm(self, text: str) -> None:
        """Check ``text``; if it is a value for this PV, read the PV again, then confirm."""
        if self.checking is not None:
            return
        t = self.target
        error = self.query_one("#write-error", Static)
        try:
            value = parse_value(
                text, t.type_name, t.count, t.enum_strings, as_text=t.as_text,
                limits=t.value_limits,
            )  # fmt: skip
            if t.is_enum and isinstance(value, str):
                value = t.enum_strings.index(value)  # the index is what goes on the wire
            # Text for a CHAR array goes as UTF-8 bytes and its NUL: how the row decodes
            # it (the client would encode a str as latin-1).
            sent = value.encode("utf-8") + b"\0" if t.as_text else value
            self.catui.feed.check_value(sent, t.type_name, t.count)  # the library's checks
        except ValueError as exc:
            error.update(f"Not written: {exc}")
            return
        if not self.connected:
            error.update(f"Not armed: {t.name} is {self.connection()}; nothing was sent")
            return
        error.update("")
        self._set_checking((value, sent))
        self.catui.writes.check(self, self.link, "arm")

    def on_write_checked(self, message: WriteChecked) -> None:
        message.stop()
        if message.purpose == "open":
            if message.info is not None and self.checking is None:
                self.target = dataclasses.replace(
                    self.target.with_control(message.info), limit_source=message.limit_source
                )
                limits = self.query_one("#write-limits", Static)
                limits.update(printable(self.target.describe_limits()))
            return
        if message.purpose != "arm" or self.checking is None:
            return
        value, sent = self.checking
        self._set_checking(None)
        error = self.query_one("#write-error", Static)
        if message.info is None:
            error.update(
                f"Not armed: cannot read {self.target.name} now ({message.error}); "
                "nothing was sent"
            )
            return
        shown = self.target
        fresh = dataclasses.replace(
            shown.with_control(message.info), limit_source=message.limit_source
        )
        if fresh.is_enum and fresh.enum_strings != shown.enum_strings:
            self._choices_changed(fresh)
            return
        now = fresh.with_value(message.data)
        notice = ""
        if not same_value(message.data, shown.value, shown):
            notice = f"changed since you opened this: was {shown.current}, now {now.current}"
            # What the dialog shows from now on: a later arming compares with this.
            self.target = now
            self.query_one("#write-current", Static).update(self._current_line())
        else:
            self.target = now
        armed = preview(now, value, old=now.current, notice=notice)

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            if not self.connected:
                error.update(f"Not written: {now.name} is {self.connection()}; nothing was sent")
                return
            self.dismiss(
                WriteRequest(
                    now.name,
                    sent,
                    armed.new,
                    old_text=now.current,
                    old_value=message.data,
                    target=now,
                    sent=armed.sent,
                    link=self.link,
                    confirmed_at=time.monotonic(),
                )
            )

        self.app.push_screen(confirm_write(f"Write {now.name}?", armed, "Write"), confirmed)

    def _choices_changed(self, fresh: WriteTarget) -> None:
        """The IOC's choices are not the ones shown: show the new ones, pick again."""
        self.target = fresh.with_value(self.target.value)
        self.query_one("#write-limits", Static).update(printable(self.target.describe_limits()))
        choices = self.query_one(OptionList)
        choices.clear_options()
        choices.add_options([Text(printable(s)) for s in fresh.enum_strings])
        self.query_one("#write-error", Static).update(
            "Not armed: the choices changed since you opened this; pick again"
        )
