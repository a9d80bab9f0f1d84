"""Opening the database: WAL, a busy timeout for the second process, private file permissions, migrations."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from liqwatch.storage.migrations import MIGRATIONS, Migration, migrate

BUSY_TIMEOUT_MS = 5000
OPEN_BUSY_TIMEOUT_MS = 500  # a running monitor's open: a locked file is tried again later, not waited out


class StorageError(RuntimeError):
    """The database cannot be opened or used; the message names the file and the problem."""


class Database:
    """One connection. Not thread-safe: use it from one thread at a time (``AsyncDatabase`` does)."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path | str, *, migrations: Sequence[Migration] = MIGRATIONS,
             open_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
        """Open (creating the file and its directory if needed) and bring the schema up to date.
        ``open_timeout_ms``: how long the open and the migrations wait for another process's lock; the
        connection then waits the usual ``BUSY_TIMEOUT_MS``."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            created = not path.exists()
            conn = _connect(str(path), open_timeout_ms)
            if created:
                # Balances and positions are private; SQLite gives the -wal and -shm files the same mode.
                os.chmod(path, 0o600)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the database {path}: {exc}") from None
        db = cls(conn, path)
        db._migrate(migrations)
        if open_timeout_ms != BUSY_TIMEOUT_MS:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return db

    @classmethod
    def memory(cls, *, migrations: Sequence[Migration] = MIGRATIONS) -> Database:
        db = cls(_connect(":memory:"), None)
        db._migrate(migrations)
        return db

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        try:
            migrate(self.conn, migrations)
        except sqlite3.Error as exc:
            self.conn.close()
            raise StorageError(f"cannot migrate the database {self.path}: {exc}") from None
        except BaseException:
            self.conn.close()
            raise

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``: all or nothing, and the write lock taken up front so a second
        process waits (busy timeout) instead of failing halfway. Nested, it joins the outer transaction: a
        write made of several helpers is retried whole, never half applied."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self._rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error:
            # A COMMIT refused (disk full, locked) leaves the transaction open: end it, or the next write
            # would join a transaction that can never commit.
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self.conn.close()


def _connect(target: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    # Autocommit mode: transactions are explicit (Database.transaction), never opened behind our back.
    conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    if target != ":memory:":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except BaseException:
            conn.close()  # a lock at this point must not leak the connection
            raise
    # FULL: a committed alert survives a power cut too, not only a killed process; writes are few and small.
    conn.execute("PRAGMA synchronous = FULL")
    return conn
