"""``--record FILE``: every raw frame with its receive time, appended as gzip-compressed JSON lines.

Each line is ``{"t": receive time (epoch seconds), "src": "account/channel", "raw": frame text}``. Gzip members
can be appended to one file, so a restarted monitor appends to the same recording and a reader sees one
stream. Frames are written as received: a malformed frame is kept too, since replaying faults is the point.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class FrameRecorder:
    def __init__(self, path: Path, flush_every: int = 200) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Held open for the life of the recorder (closed by close()); frames arrive one by one.
        self._fh: gzip.GzipFile | None = gzip.GzipFile(path, "ab")
        self._since_flush = 0
        self._flush_every = flush_every
        self.frames = 0

    def write(self, receive_epoch: float, source: str, raw: str | bytes) -> None:
        if self._fh is None:
            return
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        line = json.dumps({"t": receive_epoch, "src": source, "raw": text}, separators=(",", ":"))
        self._fh.write(line.encode() + b"\n")
        self.frames += 1
        self._since_flush += 1
        if self._since_flush >= self._flush_every:
            self._fh.flush()
            self._since_flush = 0

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def read_recording(path: Path) -> Iterator[dict[str, Any]]:
    """Yields the recorded frames in order; a truncated tail (a killed process) ends the stream quietly."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        try:
            for line in fh:
                if line.strip():
                    yield json.loads(line)
        except (EOFError, OSError):
            return
