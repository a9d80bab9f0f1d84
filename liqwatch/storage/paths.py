"""Where the database lives: ``[storage].path``, and a ``demo/`` directory beside it for the demo's records."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from liqwatch.storage.demo_records import newest_demo_record

if TYPE_CHECKING:
    from liqwatch.config.settings import Settings

DEMO_DIR = "demo"


def real_database_path(settings: Settings | None) -> Path:
    """``[storage].path`` (default ``<user data dir>/liqwatch.sqlite3``)."""
    if settings is None:
        from liqwatch.config.settings import default_database_path

        return default_database_path()
    return settings.storage.path


def demo_directory(settings: Settings | None) -> Path:
    """The ``demo/`` directory beside the real record: each demo run writes a record of its own there
    (liqwatch.storage.demo_records), so an emulated liquidation never lands in the real record."""
    return real_database_path(settings).parent / DEMO_DIR


def database_path(settings: Settings | None, demo: bool = False) -> Path:
    """The record a reader opens: the real one, or for the demo the newest demo run's. Without any demo run
    recorded yet, ``demo/<the real file's name>``: where versions before per-run records kept the demo's."""
    path = real_database_path(settings)
    if not demo:
        return path
    directory = demo_directory(settings)
    return newest_demo_record(directory, path) or directory / path.name
