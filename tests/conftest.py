"""Suite-wide settings. On CI (CI=true) hypothesis runs derandomized, so a red build is reproducible and
a property failure found once locally is not a coin toss on CI.

The suite runs in parallel (pytest-xdist, see ``addopts`` in pyproject.toml), so no test may share a file,
a directory or a port with another: every test gets its own XDG directories here (a command run without a
``--config`` or a database path writes under a directory of its own, never the user's nor another test's),
and servers bind port 0 on 127.0.0.1. Slow tests are handed out first so that none starts last and alone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

XDG = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Outside the test's own tmp_path, so that a test listing its tmp_path sees only what it made; a test that
    # sets one of these itself (most CLI tests) overrides it.
    home = tmp_path_factory.mktemp("xdg")
    for name in XDG:
        monkeypatch.setenv(name, str(home / name.lower()))
    # Textual animations off: the tests assert end states, and an animation only delays them (the App reads
    # the level when it is made; a subprocess reads the environment).
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    constants = sys.modules.get("textual.constants")
    if constants is not None:
        monkeypatch.setattr(constants, "TEXTUAL_ANIMATIONS", "none")
    yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` first, slowest first (a stable sort: the same order on every xdist worker, as
    xdist requires), so that the scheduler starts them at once on different workers."""
    def weight(item: pytest.Item) -> float:
        mark = item.get_closest_marker("slow")
        return -float(mark.args[0]) if mark and mark.args else (-1.0 if mark else 0.0)

    items.sort(key=weight)
