"""``--record FILE``: every raw frame with its receive time, appended as gzip-compressed JSON lines.

Each line is ``{"t": receive time (epoch seconds), "src": "account/channel", "raw": frame text}``. Gzip members
can be appended to one file, so a restarted monitor appends to the same recording and a reader sees one
stream. Frames are written as received (a malformed frame is kept too, since replaying faults is the point),
except that secrets are masked first (``liqwatch.redact.redact``): a Binance listen key, which a
``listenKeyExpired`` event carries, is a bearer token for the account's private stream.

A recording holds the account's balances and positions, so the file is its owner's alone, as ssh keeps a
private key: created 0600, and an existing file with a looser mode is tightened to 0600 (with a warning)
before anything is appended. A symbolic link, a file owned by someone else or anything but a regular file is
refused with ``RecordFileError``.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import shlex
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from liqwatch.redact import redact

log = logging.getLogger("liqwatch.feeds.frame_recorder")

FILE_MODE = 0o600


class RecordFileError(ValueError):
    """The ``--record`` file cannot be used; the message names the file, what is wrong and the fix."""


def _open_private(path: Path) -> BinaryIO:
    """``path`` opened for appending, readable and writable by its owner only."""
    shown = shlex.quote(str(path))
    try:
        # O_NOFOLLOW: a link planted at the path must not redirect the recording somewhere else.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    except OSError as exc:
        if os.path.islink(path):
            raise RecordFileError(f"--record {shown}: it is a symbolic link; name the file itself "
                                  f"(--record {shlex.quote(os.path.realpath(path))})") from None
        raise RecordFileError(f"--record {shown}: cannot open it for writing: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise RecordFileError(f"--record {shown}: it is not a regular file")
        if st.st_uid != os.getuid():
            raise RecordFileError(f"--record {shown}: it is owned by uid {st.st_uid}, not by you (uid {os.getuid()}); "
                                  "a recording holds your balances and positions: record to a new file of your own")
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            os.fchmod(fd, FILE_MODE)
            log.warning("--record %s: permissions %04o were too open for a file that holds balances and positions; "
                        "changed to %04o", path, mode, FILE_MODE)
        return os.fdopen(fd, "ab")
    except BaseException:
        os.close(fd)
        raise


def check_record_file(path: Path) -> None:
    """What ``FrameRecorder`` checks (and fixes) when it opens ``path``, done now: for a caller that opens the
    recorder later, where an error would no longer reach the command line (the App's backend)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _open_private(path).close()


class FrameRecorder:
    def __init__(self, path: Path, flush_every: int = 200) -> None:
        self.path = path
        # A directory made for the recording is private too (an existing one is left as it is).
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Held open for the life of the recorder (closed by close()); frames arrive one by one.
        self._raw = _open_private(path)
        self._fh: gzip.GzipFile | None = gzip.GzipFile(fileobj=self._raw, mode="ab")
        self._since_flush = 0
        self._flush_every = flush_every
        self.frames = 0

    def write(self, receive_epoch: float, source: str, raw: str | bytes) -> None:
        if self._fh is None:
            return
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        line = json.dumps({"t": receive_epoch, "src": source, "raw": redact(text)}, separators=(",", ":"))
        self._fh.write(line.encode() + b"\n")
        self.frames += 1
        self._since_flush += 1
        if self._since_flush >= self._flush_every:
            self._fh.flush()
            self._since_flush = 0

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()  # a GzipFile given a file object leaves it open
            self._fh = None
            self._raw.close()


def read_recording(path: Path) -> Iterator[dict[str, Any]]:
    """Yields the recorded frames in order; a truncated tail (a killed process) ends the stream quietly."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        try:
            for line in fh:
                if line.strip():
                    yield json.loads(line)
        except (EOFError, OSError):
            return
