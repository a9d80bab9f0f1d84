"""The demo's records: one SQLite file per demo run in the ``demo/`` directory beside the real record.

Each demo run starts a new simulated world (a fresh emulator): sharing one file made a run's history carry the
last run's (an account liquidated once per run, the wallet jumping back at every start). So a run claims a
file of its own, named by its start time (``<stem>-<UTC time to the microsecond>Z[-<n>]<suffix>``, the
``-<n>`` only when another run claimed the same instant), and ``--demo`` readers take the newest.

A run holds an exclusive ``flock`` on ``<record>.lock`` for as long as it runs; the claim is a hard link of an
already locked file of its own to that name (link fails on an existing name), so two runs starting in the same
microsecond (two terminals, several browser tabs) get two files, and a lock file is never seen unlocked.
The lock is on a file of its own, not on the database: closing any descriptor of a database file drops the
POSIX locks SQLite holds on it in that process. At each claim the records beyond the newest ``KEEP`` are
deleted, except those whose lock is held (a demo still running, however old).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

#: Demo records kept (the one being claimed included); older ones not in use are deleted at a claim.
KEEP = 5
_TIME_FORMAT = "%Y%m%dT%H%M%S.%fZ"
_LOCK = ".lock"
#: What SQLite and liqwatch keep beside a database file (deleted with it).
_COMPANIONS = ("-wal", "-shm", "-journal", _LOCK)


@dataclass(frozen=True, slots=True, order=True)
class _Name:
    started: str  # _TIME_FORMAT: fixed width, so it sorts as the time does
    n: int
    path: Path


def _pattern(real: Path) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(real.stem)}-(\d{{8}}T\d{{6}}\.\d{{6}}Z)(?:-(\d+))?{re.escape(real.suffix)}")


def _records(directory: Path, real: Path) -> list[_Name]:
    """The demo records in ``directory`` (a lock file left without its database counts too), oldest first."""
    pattern = _pattern(real)
    found: dict[Path, _Name] = {}
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    for entry in entries:
        name = entry.name.removesuffix(_LOCK)
        match = pattern.fullmatch(name)
        if match:
            path = directory / name
            found[path] = _Name(match[1], int(match[2] or 0), path)
    return sorted(found.values())


def newest_demo_record(directory: Path, real: Path) -> Path | None:
    """The newest demo record (the one ``--demo`` readers read), or None when no demo run left one."""
    records = [r for r in _records(directory, real) if r.path.exists()]
    return records[-1].path if records else None


class DemoRecordLock:
    """A claimed demo record: ``path`` is the run's database; ``release()`` at the end of the run."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        # The lock file stays: it marks the name as taken until the record is pruned.
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def claim_demo_record(directory: Path, real: Path, now: datetime, *, keep: int = KEEP) -> DemoRecordLock:
    """Claim a new demo record named by ``now`` (unique, locked), then prune the old ones not in use.
    ``real`` is the real record's path: the demo's files take its name with the start time in it."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    started = now.astimezone(UTC).strftime(_TIME_FORMAT)
    # The lock file is made and locked under a name of this process's own, which no prune looks at, and only
    # then linked to its record's name: a lock file under a record's name is locked from its first instant.
    # (Created there and locked a moment later, another run's prune could take it in between and delete it,
    # and the running demo's record with it at the next prune.) link() fails on an existing name, so two runs
    # starting in the same microsecond still get two records.
    fd, temporary = _locked_temporary(directory)
    try:
        for n in range(10_000):
            path = directory / f"{real.stem}-{started}{f'-{n}' if n else ''}{real.suffix}"
            try:
                os.link(temporary, f"{path}{_LOCK}")
            except FileExistsError:
                continue  # another run started at the same instant took this one
            claimed = DemoRecordLock(path, fd)
            prune_demo_records(directory, real, keep=keep)
            return claimed
    except BaseException:
        os.close(fd)
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    os.close(fd)
    raise OSError(f"no free demo record name in {directory} for {started}")


def _locked_temporary(directory: Path) -> tuple[int, Path]:
    """A new file in ``directory``, locked, under a name no other run uses (nor matches a record's)."""
    for _ in range(100):
        temporary = directory / f".claim-{os.getpid()}-{secrets.token_hex(8)}{_LOCK}.tmp"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # ours alone: nobody else knows this name
        except BaseException:
            os.close(fd)
            os.unlink(temporary)
            raise
        return fd, temporary
    raise OSError(f"cannot make a claim file in {directory}")


def prune_demo_records(directory: Path, real: Path, *, keep: int = KEEP) -> list[Path]:
    """Delete the demo records beyond the newest ``keep``, except those a running demo holds locked.
    Returns the deleted records' paths."""
    deleted: list[Path] = []
    records = _records(directory, real)
    for record in records[:max(0, len(records) - keep)]:
        lock_path = Path(f"{record.path}{_LOCK}")
        try:
            fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            log.warning("storage: old demo record %s not pruned: %s", record.path, exc)
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a demo run still writing it
            for companion in ("", *_COMPANIONS):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{record.path}{companion}").unlink()
            deleted.append(record.path)
        except OSError as exc:
            log.warning("storage: old demo record %s not pruned: %s", record.path, exc)
        finally:
            os.close(fd)
    return deleted
