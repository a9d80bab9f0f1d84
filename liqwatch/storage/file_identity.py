"""Which file a database connection has open, by (device, inode): a file deleted, moved away or replaced
under a running monitor is told apart from the one open, so the record reopens it at its path instead of
writing into an unlinked inode that vanishes at exit."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from liqwatch.storage.db import Database

T = TypeVar("T")

UNKNOWN = (-1, -1)


def identity_of(path: Path | None) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``; None if there is none; ``UNKNOWN`` if it cannot be told."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return UNKNOWN
    return (st.st_dev, st.st_ino)


def identity_on_thread(db: Database, path: Path) -> tuple[int, int] | None:
    return identity_of(path)


class FileChanged(Exception):
    def __init__(self, now: tuple[int, int] | None) -> None:
        super().__init__("the database file changed")
        self.now = now


def write_if_same_file(db: Database, call: Callable[[Database], T], path: Path | None,
                        identity: tuple[int, int] | None) -> T:
    """``call(db)``, unless the file at ``path`` is no longer ``identity`` (the one open): ``FileChanged``."""
    if identity is not None:
        now = identity_of(path)
        if now != identity and now != UNKNOWN:
            raise FileChanged(now)
    return call(db)
