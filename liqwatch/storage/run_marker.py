"""The run marker: a small file per running liqwatch beside its database, rewritten every few seconds with the
time it was last seen alive, and removed at a clean exit. One left behind by a process that is gone is an
unclean stop (killed, crashed, the machine lost power), which the next start reports.

A file, not a row in the database: it must be written while the database is locked or the disk too full for
SQLite, and read at the next start before the database is. One file per process (``<pid>.json``), so the app
and a ``check --watch`` on the same database do not overwrite each other's; a marker is claimed by renaming it
(``<pid>.json.claimed-<ours>``) before it is reported, so two processes starting together report it once. The
claim is deleted only once the alert that reports it is in the record (``reported``); a run that ends before
that puts it back (``stop``), and a claim left by a run that died is taken up by the next start.

A marker belongs to a running process when its pid is in use by the process that wrote it: the marker holds
that process's start token (boot id and start time, from ``/proc``), compared with the pid's now; a marker
without one (written by an older version) counts when the pid's process started before the marker did. How
long ago the marker was rewritten says nothing (a full disk stops the rewrites, a wall clock stepped forward
ages it at once). Without ``/proc`` a live pid is taken as running.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

#: Our start time from /proc is whole seconds of boot time plus clock ticks: a margin for the rounding.
START_SLACK_S = 2.0
_CLAIMED = ".claimed-"


@dataclass(frozen=True, slots=True)
class UncleanStop:
    pid: int
    started_at: datetime | None
    seen_at: datetime
    error: str | None = None  # the exception it stopped on, when it could still say
    claim: Path | None = field(default=None, compare=False)  # the claimed file, until its alert is recorded

    def message(self) -> str:
        when = self.seen_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        how = f"after an error ({self.error})" if self.error else "uncleanly"
        return f"liqwatch stopped {how} at about {when} (last seen alive; pid {self.pid})"


def marker_dir(db_path: Path) -> Path:
    return db_path.parent / f"{db_path.name}.runs"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OverflowError:
        return False
    return True


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks after boot (``/proc/<pid>/stat`` field 22), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return int(stat[stat.rindex(")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def start_token(pid: int) -> str | None:
    """What tells this pid's process from a later one given the same pid: the boot and its start tick."""
    ticks = _start_ticks(pid)
    if ticks is None:
        return None
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        boot = "?"
    return f"{boot}:{ticks}"


def _started_at(pid: int) -> datetime | None:
    """When the pid's process started, by the wall clock (boot time + its start tick)."""
    ticks = _start_ticks(pid)
    if ticks is None:
        return None
    try:
        btime = next(int(line.split()[1]) for line in Path("/proc/stat").read_text(encoding="ascii").splitlines()
                     if line.startswith("btime "))
    except (OSError, ValueError, StopIteration):
        return None
    return datetime.fromtimestamp(btime + ticks / os.sysconf("SC_CLK_TCK"), UTC)


def _running(pid: int, token: str | None, written: datetime | None, own_pid: int) -> bool:
    """Whether the process that wrote a marker (or a claim) at ``written`` is still the one with ``pid``."""
    if pid == own_pid or not _pid_alive(pid):
        return False  # our own pid, left by an earlier process that had it: that one is gone
    if token is not None:
        now_token = start_token(pid)
        if now_token is not None:
            return now_token == token
    started = _started_at(pid)
    if started is None or written is None:
        return True  # nothing to tell a recycled pid by: a live one is not reported
    # A process that started after the marker was written cannot have written it: the pid was reused.
    return started <= written + timedelta(seconds=START_SLACK_S)


def _read(path: Path) -> tuple[UncleanStop, str | None] | None:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        started = body.get("started_at")
        token = body.get("token")
        return (UncleanStop(int(body["pid"]), datetime.fromisoformat(started) if started else None,
                            datetime.fromisoformat(body["seen_at"]), body.get("error")),
                token if isinstance(token, str) else None)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable (half written when the power went): nothing can be said of it


def _claim_taken(path: Path, own_pid: int) -> bool:
    """A claim whose claimer is still running (it reports the stop itself)."""
    try:
        claimer = int(path.name.rsplit(_CLAIMED, 1)[1])
        renamed = datetime.fromtimestamp(path.stat().st_ctime, UTC)  # a rename sets ctime: when claimed
    except (OSError, ValueError, IndexError):
        return False
    return _running(claimer, None, renamed, own_pid)


class RunMarker:
    def __init__(self, directory: Path, pid: int | None = None) -> None:
        self.directory = directory
        self.pid = os.getpid() if pid is None else pid
        self.path = directory / f"{self.pid}.json"
        self.started_at: datetime | None = None
        self.error: str | None = None
        self.token = start_token(self.pid)
        self.claims: list[Path] = []

    def start(self, now: datetime) -> list[UncleanStop]:
        """Claim the markers of processes that are gone (each once; also claims left by a run that ended
        before it reported them), then write ours. Each claim stays until ``reported`` or ``stop``."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        found: list[UncleanStop] = []
        for path in sorted(self.directory.iterdir()):
            original = path.name.split(_CLAIMED, 1)[0]
            if not original.endswith(".json") or path == self.path:
                continue
            read = _read(path)
            if _CLAIMED in path.name:
                if _claim_taken(path, self.pid):
                    continue  # another liqwatch claimed it and has not reported it yet
            elif read is not None and _running(read[0].pid, read[1], read[0].started_at, self.pid):
                continue  # another liqwatch, running
            claimed = path.with_name(f"{original}{_CLAIMED}{self.pid}")
            try:
                path.rename(claimed)
            except OSError:
                continue  # another process starting at the same moment claimed it
            if read is None:
                with contextlib.suppress(OSError):
                    claimed.unlink()  # nothing can be reported of it
                continue
            found.append(replace(read[0], claim=claimed))
        self.started_at = now
        self.touch(now)
        self.claims = [s.claim for s in found if s.claim is not None]
        return sorted(found, key=lambda s: s.seen_at)

    def reported(self, stop: UncleanStop) -> None:
        """The alert that reports ``stop`` is in the record: its claim can go."""
        if stop.claim is not None and stop.claim in self.claims:
            self.claims.remove(stop.claim)
            with contextlib.suppress(OSError):
                stop.claim.unlink()

    def _release(self) -> None:
        """Claims not yet reported go back, for the next start."""
        for claim in self.claims:
            with contextlib.suppress(OSError):
                claim.rename(claim.with_name(claim.name.split(_CLAIMED, 1)[0]))
        self.claims = []

    def touch(self, now: datetime) -> None:
        body = {"pid": self.pid, "started_at": self.started_at.isoformat() if self.started_at else None,
                "seen_at": now.isoformat(), "error": self.error, "token": self.token}
        tmp = self.path.with_name(f"{self.path.name}.tmp")
        try:
            tmp.write_text(json.dumps(body), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            # A full disk must not stop the monitor: the marker keeps its last time, a little early.
            log.warning("run marker %s not updated: %s", self.path, exc)

    def stop(self, now: datetime, error: str | None = None) -> None:
        """A clean exit removes the marker; one on an error keeps it with the error, for the next start.
        Unclean stops of earlier runs not yet in the record are put back for the next start either way."""
        self._release()
        if error is None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            return
        self.error = error
        self.touch(now)
