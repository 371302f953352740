"""Progress of a file download, reported through a callback at a throttled pace.

A file reports when it starts (large files only), each time it crosses another tenth of its size
(at most one line per ``min_interval`` seconds, or one a minute on a slow link), and when it ends:
a multi-GB model writes tens of lines, not thousands.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

#: Files smaller than this report only their end.
SMALL_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class DownloadProgress:
    """One progress report: ``bytes_done`` of ``total`` (None when unknown) of ``file``."""

    model: str
    file: str
    bytes_done: int
    total: int | None
    rate: float  # bytes per second over this transfer (resumed bytes excluded)
    done: bool
    index: int  # 1-based position of the file among those being fetched
    count: int

    @property
    def percent(self) -> float | None:
        if not self.total:
            return 100.0 if self.done else None
        return 100.0 * self.bytes_done / self.total

    def describe(self) -> str:
        """``"gpt2: model.safetensors 120.0 MB of 548.1 MB (21%) at 35.2 MB/s [file 3/6]"``."""
        amount = format_bytes(self.bytes_done)
        if self.total is not None:
            amount += f" of {format_bytes(self.total)}"
        percent = self.percent
        if percent is not None:
            amount += f" ({percent:.0f}%)"
        verb = "downloaded" if self.done else "downloading"
        return (f"{self.model}: {verb} {self.file} {amount} at {format_bytes(self.rate)}/s "
                f"[file {self.index}/{self.count}]")


ProgressCallback = Callable[[DownloadProgress], None]


def format_bytes(count: float) -> str:
    """``1536`` → ``"1.5 KB"``."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(count) < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"


class FileProgress:
    """Tracks one file's bytes and decides when a report is due."""

    def __init__(self, callback: ProgressCallback | None, model: str, file: str, total: int | None,
                 index: int, count: int, already: int = 0, min_interval: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._callback = callback
        self._model, self._file, self._total = model, file, total
        self._index, self._count = index, count
        self._already = already
        self._done = already
        self._min_interval = min_interval
        self._clock = clock
        self._started = clock()
        self._last_report = self._started
        self._next_tenth = self._tenth(already) + 1
        if callback and total and total >= SMALL_FILE_BYTES:
            self._report(done=False)

    def advance_to(self, bytes_done: int) -> None:
        """The file now holds ``bytes_done`` bytes (it may go back when a server ignores a Range)."""
        self._done = bytes_done
        if not self._callback or not self._total or self._total < SMALL_FILE_BYTES:
            return
        now = self._clock()
        tenth = self._tenth(bytes_done)
        crossed = tenth >= self._next_tenth and now - self._last_report >= self._min_interval
        if crossed or now - self._last_report >= 60.0:
            self._next_tenth = tenth + 1
            self._report(done=False, now=now)

    def finish(self) -> None:
        if self._callback:
            self._report(done=True)

    def _tenth(self, bytes_done: int) -> int:
        return int(10 * bytes_done / self._total) if self._total else 0

    def _report(self, done: bool, now: float | None = None) -> None:
        now = self._clock() if now is None else now
        self._last_report = now
        elapsed = max(now - self._started, 1e-6)
        rate = max(self._done - self._already, 0) / elapsed
        self._callback(DownloadProgress(self._model, self._file, self._done, self._total, rate, done,
                                        self._index, self._count))


class ProgressWriter:
    """A binary file wrapper that tells a :class:`FileProgress` how far the file has got.

    ``huggingface_hub``'s ``http_get`` writes through it; seek/tell/truncate pass through, since
    ``http_get`` rewinds when a server answers a Range request with the whole file.
    """

    def __init__(self, file: BinaryIO, progress: FileProgress) -> None:
        self._file = file
        self._progress = progress

    def write(self, data: bytes) -> int:
        written = self._file.write(data)
        self._progress.advance_to(self._file.tell())
        return written

    def tell(self) -> int:
        return self._file.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def truncate(self, size: int | None = None) -> int:
        result = self._file.truncate(size)
        self._progress.advance_to(self._file.tell())
        return result

    def flush(self) -> None:
        self._file.flush()
