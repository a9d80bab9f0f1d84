"""Where the database lives: ``[storage].path``, and a separate file for demo runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from liqwatch.config.settings import Settings

DEMO_DIR = "demo"


def database_path(settings: Settings | None, demo: bool = False) -> Path:
    """``[storage].path`` (default ``<user data dir>/liqwatch.sqlite3``); for the demo, the same file name
    in a ``demo/`` directory beside it, so an emulated liquidation never lands in the real record."""
    if settings is None:
        from liqwatch.config.settings import default_database_path

        path = default_database_path()
    else:
        path = settings.storage.path
    return path.parent / DEMO_DIR / path.name if demo else path
