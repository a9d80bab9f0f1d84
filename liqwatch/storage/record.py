"""The record as a running monitor uses it: writes are queued, in order, and retried until they land, and
the database file is reopened every few seconds while it cannot be opened, so a locked, full or corrupt
database never loses an alert and never holds up the snapshot loop, the alerts or the screen.

- ``submit`` queues a write and returns at once; a worker task runs the queue on the database thread. A
  write that fails (locked past the busy timeout, disk full, I/O error) stays at the head of the queue
  and is tried again; nothing behind it overtakes it, so the record keeps the order of events.
- The queue is bounded (``max_pending``): when it is full, the oldest write marked ``droppable`` (a
  history sample, the last-run picture: superseded by later ones) goes first; alerts go only when nothing
  else is left, and each loss is counted and logged.
- A file that cannot be opened (corrupt, a parent path that is a file, locked at start) is never
  overwritten or deleted: it is tried again every ``reopen_s`` and the record says why it is unavailable.
- ``run`` is for callers that need an answer now (the outbox sender, start-up reads): it raises
  ``StorageError`` at once while the record is unavailable instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from liqwatch.storage.async_db import AsyncDatabase
from liqwatch.storage.db import OPEN_BUSY_TIMEOUT_MS, Database, StorageError
from liqwatch.storage.file_identity import UNKNOWN, FileChanged, identity_of, identity_on_thread, write_if_same_file
from liqwatch.storage.migrations import MIGRATIONS, Migration

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

REOPEN_S = 5.0
RETRY_S = (0.25, 0.5, 1.0, 2.0, 5.0)  # a lock held by another process is usually short: try again soon
MAX_PENDING = 10_000
CLOSE_WAIT_S = 10.0
FAILURES = (sqlite3.Error, StorageError, OSError)


@dataclass(slots=True)
class _Job:
    call: Callable[[Database], Any]
    done: asyncio.Future[Any]
    droppable: bool
    what: str
    attempts: int = 0
    fresh_connection: bool = False  # tried again on a connection reopened after it failed


@dataclass(slots=True)
class RecordHealth:
    """What the record can say about itself: shown in ``check --json`` and the App's header."""

    reason: str | None = None  # why writes are not landing; None when they are
    pending: int = 0
    lost: int = 0
    attempts: int = 0  # of the write at the head of the queue
    reopen_attempts: int = 0  # since the file last opened

    @property
    def text(self) -> str:
        if self.reason is None:
            return "ok"
        return f"unavailable: {self.reason}"


class Record:
    def __init__(
        self,
        path: Path | str | None,
        *,
        db: AsyncDatabase | None = None,
        migrations: Sequence[Migration] = MIGRATIONS,
        reopen_s: float = REOPEN_S,
        retry_s: Sequence[float] = RETRY_S,
        max_pending: int = MAX_PENDING,
    ) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be >= 1")
        self.path = Path(path) if path is not None else (db.path if db is not None else None)
        self._db = db
        self._migrations = migrations
        self.reopen_s = reopen_s
        self.retry_s = tuple(retry_s)
        self.max_pending = max_pending
        self._queue: deque[_Job] = deque()
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._reason: str | None = None if db is not None else "not opened yet"
        self._lost = 0
        self._reopen_attempts = 0
        self._writes_failing = False
        self._closing = False
        self._identity = identity_of(self.path) if db is not None else None  # (device, inode) of the open file
        self.on_available: list[Callable[[], None]] = []
        """Called each time the database (re)opens: work that waited for it (the outbox) can go on."""

    # --- lifecycle ---------------------------------------------------------------------------------------
    @classmethod
    async def open(cls, path: Path | str, **kwargs: Any) -> Record:
        """Try once now; if the file cannot be opened the record starts unavailable (never raises for it)."""
        record = cls(path, **kwargs)
        await record._try_open()
        record._start()
        return record

    @classmethod
    def over(cls, db: AsyncDatabase, **kwargs: Any) -> Record:
        """A record over a database already open (tests, and callers that manage the file themselves)."""
        return cls(None, db=db, **kwargs)

    @classmethod
    def of(cls, db: AsyncDatabase | Record) -> Record:
        """``db`` itself if it is a record, else a record over it: what every writer takes."""
        return db if isinstance(db, Record) else cls.over(db)

    def _start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work(), name="liqwatch:record")

    async def aclose(self, wait_s: float = CLOSE_WAIT_S) -> int:
        """Give the queue up to ``wait_s`` to land, then close. Returns how many writes are lost."""
        self._start()
        if self._queue and self._db is None and not await self._try_open():
            wait_s = 0.0  # it could not be opened a moment ago either: no use holding up the exit
        if self._queue and wait_s > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    await self.drain()
        self._closing = True
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        lost = len(self._queue)
        if lost:
            log.error("record: %d write(s) could not be saved before exit (%s): %s", lost, self._reason,
                      ", ".join(sorted({j.what for j in self._queue})))
        for job in self._queue:
            if not job.done.done():
                job.done.set_exception(StorageError(f"not recorded: {self._reason}"))
                job.done.exception()  # retrieved: nobody may be waiting for it
        self._queue.clear()
        if self._db is not None:
            with contextlib.suppress(*FAILURES):
                await self._db.aclose()
            self._db = None
        return lost

    # --- state -------------------------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        return self._db is not None and self._reason is None

    @property
    def health(self) -> RecordHealth:
        head = self._queue[0].attempts if self._queue else 0
        return RecordHealth(self._reason, len(self._queue), self._lost, head, self._reopen_attempts)

    @property
    def pending(self) -> int:
        return len(self._queue)

    # --- writing -----------------------------------------------------------------------------------------
    def submit(self, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kwargs: P.kwargs
               ) -> asyncio.Future[T]:
        """Queue ``fn(db, *args)``; returns a future of its result (await it only with a deadline: see
        ``settle``). Pass ``droppable=True`` via ``submit_droppable`` for writes a later one supersedes."""
        return self._enqueue(lambda db: fn(db, *args, **kwargs), droppable=False, what=_name(fn))

    def submit_droppable(self, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kwargs: P.kwargs
                         ) -> asyncio.Future[T]:
        return self._enqueue(lambda db: fn(db, *args, **kwargs), droppable=True, what=_name(fn))

    def _enqueue(self, call: Callable[[Database], Any], *, droppable: bool, what: str) -> asyncio.Future[Any]:
        self._start()
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if len(self._queue) >= self.max_pending:
            self._drop_one()
        self._queue.append(_Job(call, done, droppable, what))
        self._wake.set()
        return done

    def _drop_one(self) -> None:
        # The oldest superseded kind of write goes first; the head may be mid-attempt, so it stays.
        victim = next((j for j in list(self._queue)[1:] if j.droppable), None)
        if victim is None:
            victim = self._queue[1] if len(self._queue) > 1 else self._queue[0]
        self._queue.remove(victim)
        self._lost += 1
        log.error("record: queue full (%d writes waiting: %s); dropped a %s write", self.max_pending,
                  self._reason, victim.what)
        if not victim.done.done():
            victim.done.set_exception(StorageError("dropped: the record's queue was full"))
            victim.done.exception()

    async def settle(self, futures: Sequence[asyncio.Future[Any]], wait_s: float) -> bool:
        """Wait up to ``wait_s`` for ``futures`` to land while the record is healthy; not at all while it
        is not (the caller goes on, the writes stay queued). True if all landed. Must not be awaited while
        holding up anything the trader sees for longer than ``wait_s``."""
        if not futures:
            return True
        if not self.available:
            return all(f.done() and not f.cancelled() and f.exception() is None for f in futures)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_s):
                await asyncio.wait([asyncio.shield(f) for f in futures])
        return all(f.done() and f.exception() is None for f in futures)

    async def drain(self) -> None:
        """Wait until every queued write has landed (tests, and a clean exit)."""
        self._start()
        while self._queue:
            tail = self._queue[-1].done
            with contextlib.suppress(Exception):
                await asyncio.shield(tail)

    async def run(self, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(db, *args)`` now, on the database thread; ``StorageError`` at once if the database is not
        open (the caller handles it as it would a failed write)."""
        if self._db is None:
            raise StorageError(f"the record is unavailable: {self._reason}")
        return await self._db.run(fn, *args, **kwargs)

    # --- the worker --------------------------------------------------------------------------------------
    async def _try_open(self) -> bool:
        if self.path is None:
            return self._db is not None
        self._reopen_attempts += 1
        try:
            # A short wait for a lock: another process's lock is tried again in ``reopen_s``, never waited out
            # at start (the monitor's first line) nor in the worker (writes queue meanwhile).
            self._db = await AsyncDatabase.open(self.path, migrations=self._migrations,
                                                open_timeout_ms=OPEN_BUSY_TIMEOUT_MS)
        except FAILURES as exc:
            self._set_unavailable(str(exc) if isinstance(exc, StorageError) else
                                  f"cannot open the database {self.path}: {exc}")
            return False
        self._reopen_attempts = 0
        self._identity = await self._db.run(identity_on_thread, self.path)
        if not self._writes_failing:  # open is not writable: only a write that lands says so
            self._set_available()
        for listener in self.on_available:
            listener()
        return True

    async def _work(self) -> None:
        failures = 0
        while not self._closing:
            if self._db is None and not await self._try_open():
                await self._pause(self.reopen_s)
                continue
            db = self._db
            assert db is not None
            if not self._queue:
                # Cleared before the file check awaits the thread: a write queued meanwhile sets it again.
                self._wake.clear()
                if await self._file_gone():
                    continue
                # Woken by a write, or every ``reopen_s`` to see that the file is still the one open.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.reopen_s):
                        await self._wake.wait()
                continue
            job = self._queue[0]
            job.attempts += 1
            try:
                # The file checked in the same call as the write: between two calls it could be deleted.
                result = await db.run(write_if_same_file, job.call, self.path, self._identity)
            except FileChanged as changed:
                await self._file_changed(changed.now)
                continue
            except FAILURES as exc:
                if _write_at_fault(exc, job):
                    self._drop_poison(job, exc)
                    continue
                failures += 1
                self._writes_failing = True
                self._set_unavailable(_describe(exc))
                if _connection_broken(exc):
                    job.fresh_connection = True
                    await self._reopen()
                await self._pause(self.retry_s[min(failures, len(self.retry_s)) - 1])
                continue
            except Exception as exc:  # a bug in one write must not wedge the queue behind it
                self._drop_poison(job, exc)
                continue
            failures = 0
            self._writes_failing = False
            self._queue.popleft()
            if self._reason is not None:
                self._set_available()
            if not job.done.done():
                job.done.set_result(result)

    def _drop_poison(self, job: _Job, exc: BaseException) -> None:
        """A write that can never land (refused for what it holds, not for the state of the file): dropped,
        counted and logged, so the writes behind it go in."""
        self._queue.popleft()
        self._lost += 1
        log.error("record: a %s write can never be saved and is dropped (%s)", job.what, _describe(exc),
                  exc_info=not isinstance(exc, sqlite3.Error))
        if not job.done.done():
            job.done.set_exception(exc)
            job.done.exception()

    async def _file_gone(self) -> bool:
        """While idle, every ``reopen_s``: is the file at the path still the one open? (Before each write
        ``write_if_same_file`` asks the same.) True if it is not, and the record then reopens it."""
        if self._identity is None or self.path is None or self._db is None:
            return False
        # On the database thread, like every other touch of the disk: a stat can hang on a stuck mount.
        now = await self._db.run(identity_on_thread, self.path)
        if now == self._identity or now == UNKNOWN:
            return False
        await self._file_changed(now)
        return True

    async def _file_changed(self, now: tuple[int, int] | None) -> None:
        """The file at the path is no longer the one open (deleted, moved away, another file put in its
        place): writes would go to an unlinked inode that vanishes at exit. Closed, and reopened at its path
        by the worker's loop."""
        what = "deleted or moved away" if now is None else "replaced by another file"
        self._set_unavailable(f"the database file {self.path} was {what} while open; reopening it at its path")
        self._identity = None
        await self._reopen()

    async def _reopen(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            with contextlib.suppress(*FAILURES):
                await db.aclose()

    async def _pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def _set_unavailable(self, reason: str) -> None:
        if reason != self._reason:
            log.error("record: %s; %d write(s) kept and retried", reason, len(self._queue))
        self._reason = reason

    def _set_available(self) -> None:
        if self._reason is not None and self._reason != "not opened yet":
            log.warning("record: the database is writable again; %d queued write(s) going in", len(self._queue))
        self._reason = None


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", "a")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, StorageError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _write_at_fault(exc: BaseException, job: _Job) -> bool:
    """The write itself is refused (a constraint it breaks, a value sqlite cannot bind), not the file: no
    retry can help. A ProgrammingError on a closed connection is the file's, so it is judged only once the
    write has failed on a reopened one too."""
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError | sqlite3.InterfaceError):
        return True
    return isinstance(exc, sqlite3.ProgrammingError) and job.fresh_connection


def _connection_broken(exc: BaseException) -> bool:
    """Errors after which the connection itself is suspect (a malformed file, an I/O error): reopen it.
    A lock or a full disk passes with the same connection."""
    if isinstance(exc, StorageError | OSError):
        return True
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and not any(
        word in text for word in ("locked", "busy", "full")
    )
