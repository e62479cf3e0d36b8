"""What the chart screens share: the export keys (CSV of the exact samples, SVG of the screen).

Both ask for a folder (the last one chosen is offered again), take what they export on
the UI thread (the histories are not thread-safe; the screenshot is rendered there) and
write the file in a thread worker; the notification names the file or says why not.
"""

from __future__ import annotations

import datetime
import heapq
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual.binding import Binding
from textual.screen import Screen

from catui.dialogs.prompt import TextPrompt
from catui.plot.csv_export import Row, write_samples
from catui.plot.history import History

__all__ = ["ExportingScreen", "exact_rows", "write_csv"]

#: The folder last chosen in any chart screen (what the prompt offers next).
_last_folder: list[str] = []


def exact_rows(histories: dict[str, History], t0: float, t1: float) -> list[Row]:
    """The exact samples of ``histories`` in ``[t0, t1]``, merged by time (copies: the
    rows can be written on another thread)."""
    streams = []
    for name, history in histories.items():
        times, values, severities = history.samples(t0, t1)
        streams.append(
            [(t, name, v, s) for t, v, s in
             zip(times.tolist(), values.tolist(), severities.tolist(), strict=True)]
        )  # fmt: skip
    return list(heapq.merge(*streams, key=lambda row: row[0]))


def write_csv(path: Path, rows: Iterable[Row], tz: datetime.tzinfo | None) -> int:
    """Write the rows of :func:`exact_rows` to ``path``, as ``write_samples`` does."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        return write_samples(out, rows, tz)


class ExportingScreen(Screen[None]):
    """A screen with ``e`` (CSV) and ``s`` (SVG) into a folder the operator chooses."""

    EXPORT_BINDINGS = [
        Binding("e", "export_csv", "CSV", tooltip="Write the exact samples shown to a CSV "
                "file", id="chart-csv"),
        Binding("s", "export_svg", "SVG", tooltip="Save the screen as an SVG file",
                id="chart-svg"),
    ]  # fmt: skip

    #: Names the files: ``catui-<stem>-<UTC time>.csv``.
    export_stem = "chart"
    #: The file the last export wrote (None: none yet).
    exported: Path | None = None

    def csv_writer(self) -> Callable[[Path], int]:
        """What writes the CSV: called on the UI thread, it takes a copy of the data; the
        function it returns writes it to a path (in a worker) and says how many rows."""
        raise NotImplementedError

    def _ask_folder(self, what: str, then: Any) -> None:
        start = _last_folder[-1] if _last_folder else str(Path.cwd())

        def chosen(text: str | None) -> None:
            if not text:
                return
            folder = Path(text).expanduser()
            if not folder.is_dir():
                self.notify(f"Not saved: {folder} is not a folder", severity="error")
                return
            _last_folder[:] = [str(folder)]
            clock = getattr(self.app, "clock", None)
            now = clock() if clock is not None else datetime.datetime.now().timestamp()
            stamp = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
            then(folder / f"catui-{self.export_stem}-{stamp:%Y%m%d-%H%M%S}")

        self.app.push_screen(
            TextPrompt(f"Save the {what} into the folder", "Enter saves, Esc cancels", start),
            chosen,
        )

    def action_export_csv(self) -> None:
        def write(base: Path) -> None:
            writer = self.csv_writer()
            path = base.with_suffix(".csv")
            self.run_worker(lambda: self._finish(path, writer), thread=True,
                            group="chart-export")  # fmt: skip

        self._ask_folder("exact samples (CSV)", write)

    def action_export_svg(self) -> None:
        def write(base: Path) -> None:
            svg = self.app.export_screenshot(title=f"catui {self.export_stem}")
            path = base.with_suffix(".svg")
            self.run_worker(lambda: self._finish(path, _write_text, svg), thread=True,
                            group="chart-export")  # fmt: skip

        # Taken once the prompt is gone: the screenshot is of the chart.
        self._ask_folder("screen (SVG)", lambda base: self.call_after_refresh(write, base))

    def _finish(self, path: Path, writer: Any, *args: Any) -> None:
        try:
            result = writer(path, *args)
        except OSError as exc:
            self.app.call_from_thread(
                self.notify, f"Not saved: {path}: {exc.strerror or exc}", severity="error"
            )
            return
        rows = f" ({result} samples)" if isinstance(result, int) else ""
        self.app.call_from_thread(self.notify, f"Saved {path}{rows}")
        self.exported = path


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
