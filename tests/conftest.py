"""Suite-wide settings. On CI (CI=true) hypothesis runs derandomized, so a red build is reproducible and
a property failure found once locally is not a coin toss on CI.

The suite runs in parallel (pytest-xdist, see ``addopts`` in pyproject.toml), so no test may share a file,
a directory or a port with another: every test gets its own XDG directories here (a command run without a
``--config`` or a database path writes under a directory of its own, never the user's nor another test's),
and servers bind port 0 on 127.0.0.1. Slow tests are handed out first so that none starts last and alone.
"""

from __future__ import annotations

import compileall
import gc
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# This environment sets PYTHONDONTWRITEBYTECODE=1: every xdist worker would then compile and rewrite every
# module it imports, and every ``python -m tui`` a test starts would compile the engine from source again (about
# a quarter of the suite's CPU). Bytecode is cached for the run instead, under the gitignored __pycache__/ dirs:
# the engine, the UI and the widgets compiled once here, before the workers start (``pytest_configure``).
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
ROOT = Path(__file__).resolve().parents[1]

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

WORKERS = 8  # for the whole suite on this project's 2-core machines: measured best of 4, 6, 8 and 10


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (in addopts): the whole suite, as the README runs it, on ``WORKERS`` workers; a few files
    named on the command line on fewer (each worker costs ~4 s of CPU to start and collect), one or two
    files in this process. PYTEST_XDIST_AUTO_NUM_WORKERS, or ``-n N``, decides instead."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        return WORKERS
    files = 0
    for arg in config.args:
        path = Path(arg.split("::", 1)[0])
        files += len(list(path.rglob("test_*.py"))) if path.is_dir() else 1
    return 0 if files <= 2 else min(WORKERS, files)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without workers), once
        for package in ("liqwatch", "widgets", "tui"):
            compileall.compile_dir(ROOT / package, quiet=1)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The garbage collector, measured a third of a TUI test's CPU: every full collection walked all the
    modules, the collected tests and Textual's caches (a TUI file: 18 full collections, 3.2 s of its 13 s).
    What is alive once collected is alive for the session, so it is frozen out of the collector's reach, and
    the young generation is collected every 10,000 allocations instead of 700 (Textual allocates in bursts of
    short-lived objects). Garbage is still collected, so unraisable exceptions (errors, see filterwarnings)
    still surface."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


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


# Slow tests in files another part of the suite owns, by file (seconds per test, roughly): hints only.
SLOW_FILES = {"tests/feeds/test_faults_rest.py": 6.0, "tests/feeds/test_data_ages.py": 8.0,
              "tests/feeds/test_suspend_resume.py": 4.0, "tests/feeds/test_clock_jumps.py": 5.0}


def _seconds(item: pytest.Item) -> float:
    mark = item.get_closest_marker("slow")
    if mark is not None:
        return float(mark.args[0]) if mark.args else 1.0
    return SLOW_FILES.get(item.nodeid.split("::", 1)[0], 0.0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow tests first, slowest first, each followed by a quick one: xdist's "load" scheduling with
    ``--maxschedchunk 1`` hands every worker two tests to start with, so each worker starts on a different
    slow test and none is left to start last, alone. The order is a pure function of the collection, the
    same on every worker (xdist requires it)."""
    slow = sorted((i for i in items if _seconds(i) > 0), key=_seconds, reverse=True)
    quick = [i for i in items if _seconds(i) == 0]
    order: list[pytest.Item] = []
    for n, item in enumerate(slow):
        order.append(item)
        if n < len(quick):
            order.append(quick[n])
    order.extend(quick[len(slow):])
    items[:] = order
