"""The run marker: a small file per running liqwatch beside its database, rewritten every few seconds with the
time it was last seen alive, and removed at a clean exit. One left behind by a process that is gone is an
unclean stop (killed, crashed, the machine lost power), which the next start reports.

A file, not a row in the database: it must be written while the database is locked or the disk too full for
SQLite, and read at the next start before the database is. One file per process (``<pid>.json``), so the app
and a ``check --watch`` on the same database do not overwrite each other's; a marker is claimed by renaming it
before it is reported, so two processes starting together report it once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

#: A marker not rewritten for this long belongs to no running process, even if its pid is in use again.
STALE_S = 120.0


@dataclass(frozen=True, slots=True)
class UncleanStop:
    pid: int
    started_at: datetime | None
    seen_at: datetime
    error: str | None = None  # the exception it stopped on, when it could still say

    def message(self) -> str:
        when = self.seen_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        how = f"after an error ({self.error})" if self.error else "uncleanly"
        return f"liqwatch stopped {how} at about {when} (last seen alive; pid {self.pid})"


def marker_dir(db_path: Path) -> Path:
    return db_path.parent / f"{db_path.name}.runs"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own pid, left by an earlier process that had it: that one is gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _read(path: Path) -> UncleanStop | None:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        started = body.get("started_at")
        return UncleanStop(int(body["pid"]), datetime.fromisoformat(started) if started else None,
                           datetime.fromisoformat(body["seen_at"]), body.get("error"))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable (half written when the power went): nothing can be said of it


class RunMarker:
    def __init__(self, directory: Path, pid: int | None = None) -> None:
        self.directory = directory
        self.pid = os.getpid() if pid is None else pid
        self.path = directory / f"{self.pid}.json"
        self.started_at: datetime | None = None
        self.error: str | None = None

    def start(self, now: datetime) -> list[UncleanStop]:
        """Report the markers of processes that are gone (each once), then write ours."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        found: list[UncleanStop] = []
        for path in sorted(self.directory.glob("*.json")):
            stop = _read(path)
            if stop is not None and _alive(stop.pid) and (now - stop.seen_at).total_seconds() < STALE_S:
                continue  # another liqwatch, running
            claimed = path.with_name(f"{path.name}.claimed-{self.pid}")
            try:
                path.rename(claimed)
            except OSError:
                continue  # another process starting at the same moment claimed it
            if stop is not None:
                found.append(stop)
            with contextlib.suppress(OSError):
                claimed.unlink()
        self.started_at = now
        self.touch(now)
        return sorted(found, key=lambda s: s.seen_at)

    def touch(self, now: datetime) -> None:
        body = {"pid": self.pid, "started_at": self.started_at.isoformat() if self.started_at else None,
                "seen_at": now.isoformat(), "error": self.error}
        tmp = self.path.with_name(f"{self.path.name}.tmp")
        try:
            tmp.write_text(json.dumps(body), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            # A full disk must not stop the monitor: the marker keeps its last time, a little early.
            log.warning("run marker %s not updated: %s", self.path, exc)

    def stop(self, now: datetime, error: str | None = None) -> None:
        """A clean exit removes the marker; one on an error keeps it with the error, for the next start."""
        if error is None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            return
        self.error = error
        self.touch(now)
