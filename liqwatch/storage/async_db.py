"""The database from asyncio: every call runs on one dedicated thread, in order, so the loop never blocks on
the disk and the connection is never used from two threads at once."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from liqwatch.storage.db import BUSY_TIMEOUT_MS, Database
from liqwatch.storage.migrations import MIGRATIONS, Migration

P = ParamSpec("P")
T = TypeVar("T")


class AsyncDatabase:
    def __init__(self, db: Database, executor: ThreadPoolExecutor | None = None) -> None:
        self.db = db
        self._executor = executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="liqwatch-db")

    @classmethod
    async def open(cls, path: Path | str, *, migrations: Sequence[Migration] = MIGRATIONS,
                   open_timeout_ms: int = BUSY_TIMEOUT_MS) -> AsyncDatabase:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="liqwatch-db")
        loop = asyncio.get_running_loop()
        try:
            db = await loop.run_in_executor(executor, functools.partial(Database.open, path, migrations=migrations,
                                                                             open_timeout_ms=open_timeout_ms))
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(db, executor)

    @property
    def path(self) -> Path | None:
        return self.db.path

    async def run(self, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(db, *args, **kwargs)`` on the database thread. A cancelled caller does not cancel a write
        already started: it completes (a transaction is never left half done)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, self.db, *args, **kwargs))

    async def aclose(self) -> None:
        await self.run(Database.close)
        self._executor.shutdown(wait=False)
