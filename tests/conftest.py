"""Suite-wide settings. On CI (CI=true) hypothesis runs derandomized, so a red build is reproducible and
a property failure found once locally is not a coin toss on CI.

The suite runs in parallel (forked workers, tests/fork_workers.py; pytest-xdist with ``-n``), so no test may
share a file, a directory or a port with another: every test gets its own XDG directories here (a command run without a
``--config`` or a database path writes under a directory of its own, never the user's nor another test's),
and servers bind port 0 on 127.0.0.1. Slow tests are handed out first so that none starts last and alone.
"""

from __future__ import annotations

import asyncio
import compileall
import gc
import math
import os
import sys
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from textual import _wait as textual_wait
from textual import app as textual_app
from textual import pilot as textual_pilot

from tests import textual_callbacks, textual_css_cache
from tests.fork_workers import ForkScheduler

# This environment sets PYTHONDONTWRITEBYTECODE=1: every xdist worker would then compile and rewrite every
# module it imports, and every ``python -m tui`` a test starts would compile the engine from source again (about
# a quarter of the suite's CPU). Bytecode is cached for the run instead, under the gitignored __pycache__/ dirs:
# the engine, the UI and the widgets compiled once here, before the workers start (``pytest_configure``).
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
ROOT = Path(__file__).resolve().parents[1]

# The garbage collector, measured a third of a TUI test's CPU: every full collection walked all the modules,
# the collected tests and Textual's caches (a TUI file: 18 full collections, 3.2 s of its 13 s). What is loaded
# by now (pytest, its plugins, hypothesis) is frozen out of its reach, and the young generation is collected
# every 10,000 allocations instead of 700 (Textual allocates in bursts of short-lived objects): each worker's
# collection ~12 % cheaper, a TUI file's CPU down by a quarter. (Freezing also what the collection made, or what
# survived each test, saved more, but then test_emu_ccxt's watch_mark_price missed its frame now and then on
# 12 workers, never on the code before: not understood, so not done.)
gc.freeze()
gc.set_threshold(10_000, 50, 100)

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

#: Forked workers for the whole suite. Its tests mostly wait (on sockets, timers, child processes): on 2 cores,
#: quiet, 64.4 s on 10, 51.0 s on 14, 45.0 s on 18 (~70 s of CPU each time); 14 also passed with two CPU hogs
#: beside it (57.6 s). With the runner's own tests and the ccxt guard's (~100 s of CPU): 66.7 s on 14, 60.3 s
#: on 16, 61.0 s on 18: CPU-bound from about 16.
WORKERS = 16


def _workers_wanted(config: pytest.Config) -> int:
    """The whole suite, as the README runs it, on ``WORKERS`` workers; a few files named on the command line
    on fewer, one or two files in this process. PYTEST_XDIST_AUTO_NUM_WORKERS decides instead."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        return WORKERS
    files = 0
    for arg in config.args:
        path = Path(arg.split("::", 1)[0])
        files += len(list(path.rglob("test_*.py"))) if path.is_dir() else 1
    return 0 if files <= 2 else min(WORKERS, files)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: pytest-xdist's workers, as many as the forked ones would be."""
    return _workers_wanted(config)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """Without ``-n`` (the README's ``pytest``): the collected tests run on workers forked from this process
    (tests/fork_workers.py). ``-n N`` is pytest-xdist's, ``-n 0`` (or ``--pdb``) one process."""
    config = session.config
    if getattr(config.option, "numprocesses", None) is not None or hasattr(config, "workerinput"):
        return None
    if config.getoption("usepdb", False) or config.option.collectonly:
        return None
    if session.testsfailed and not config.option.continue_on_collection_errors:
        return None  # pytest's own loop reports the collection errors
    workers = min(_workers_wanted(config), len(session.items))
    if workers <= 1:
        return None
    if "tests.tui_command" in sys.modules:  # some test runs the command line: one fork server for all workers
        sys.modules["tests.tui_command"].tui_argv()  # started in pytest_configure: ready by now, or soon
    _import_ccxt_for_the_workers()
    return ForkScheduler(session, workers).run()


def _import_ccxt_for_the_workers() -> None:
    """ccxt imported here once, before the workers are forked (0.4 s of CPU, ~60 MB shared copy-on-write), not
    in each worker that runs a test building a ccxt instance: most do (the ccxt group and the generic adapter's
    four emulator groups, and tests in tests/config, tests/review, tests/emulator that the grouping cannot see).
    The product imports ccxt lazily: that is tested in fresh interpreters (tests/feeds/ccxt/test_ccxt_lazy_import.py),
    never through this process's ``sys.modules``."""
    from liqwatch.feeds import ccxt_instance

    ccxt_instance.exchange_class("bybit")  # the one place the product imports ccxt, ccxt.pro and async_support


def _forks_workers(config: pytest.Config) -> bool:
    """Whether this run will likely fork workers (``pytest_runtestloop``), as far as it is known before collection."""
    if getattr(config.option, "numprocesses", None) is not None or hasattr(config, "workerinput"):
        return False
    if config.getoption("usepdb", False) or config.option.collectonly:
        return False
    return _workers_wanted(config) > 1


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without workers), once
        for package in ("liqwatch", "widgets", "tui"):
            compileall.compile_dir(ROOT / package, quiet=1)
        if _forks_workers(config):
            # The workers' fork server (tests/tui_zygote.py) imports the engine and ccxt (~1 s) beside the
            # collection instead of after it, when the workers wait for it (it is forked from, not this process).
            from tests import tui_command

            tui_command.start_server()
        _rewrite_test_modules(config)


def _rewrite_test_modules(config: pytest.Config) -> None:
    """pytest rewrites each test module's asserts on import and caches the result as a .pyc, but on a fresh
    checkout (CI) every worker starts at once, none finds a cache, and all ten rewrite all ~200 modules: 15 s of
    CPU measured, against none with the cache. So the controller writes that cache once, here, as pytest's own
    import hook would (same functions, same file names); a worker then only reads it."""
    from _pytest.assertion import rewrite

    state = config.stash.get(rewrite.assertstate_key, None)  # type: ignore[attr-defined]
    if state is None or sys.dont_write_bytecode:
        return
    # And the plugins pytest rewrites (pytest_asyncio, ...): a worker imports them before this conftest lets it
    # write bytecode, so it rewrote them every time, but it reads a cache that exists.
    plugins = [Path(p) for p in getattr(state.hook, "_rewritten_names", {}).values()]
    for path in sorted({*plugins, *(ROOT / "tests").rglob("test_*.py"), *(ROOT / "tests").rglob("conftest.py")}):
        cache_dir = rewrite.get_cache_dir(path)
        pyc = cache_dir / (path.name[:-3] + rewrite.PYC_TAIL)
        if rewrite._read_pyc(path, pyc) is not None:  # still fresh
            continue
        stat, code = rewrite._rewrite_test(path, config)
        if rewrite.try_makedirs(cache_dir):
            rewrite._write_pyc(state, code, stat, pyc)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # What is still alive after a full collection before a test (the modules, the collection, caches) is frozen
    # out of the collector's reach, so each later collection walks only what the tests since made, and pytest's
    # five collections at the end of each worker walk nothing. The garbage is collected first, here, so its
    # finalizers (and any unraisable exception, an error: see filterwarnings) still run.
    gc.collect()
    gc.freeze()


async def _loop_idle(min_sleep: float = 0.0, max_sleep: float = 1.0) -> None:
    """Textual's Pilot waits for "idle" after every key and pause: a 20 ms window in which this process used
    under 1 ms of CPU, for up to a second. With the screen's timers running and ten workers sharing two cores,
    such a window is rare, and those waits were most of a TUI test's wall time (a 33-wait test: 5.4 s of its
    6 s). For one asyncio loop idle has an exact meaning instead: nothing is ready to run (every message pump
    waits on its queue) and no timer is due within Textual's 20 ms grain (a resize, a repaint and a debounce
    are such timers; the screen's 4 Hz snapshot pull is not). ``_ready`` and ``_scheduled`` are CPython's own
    run queue and timer heap."""
    loop = asyncio.get_running_loop()
    if not hasattr(loop, "_ready"):  # another loop (uvloop: docs/dev/startup15.md): Textual's own wait
        await _textual_wait_for_idle(min_sleep, max_sleep)
        return
    if min_sleep > 0:
        await asyncio.sleep(min_sleep)
    deadline = loop.time() + max_sleep
    while loop.time() < deadline:
        await asyncio.sleep(0)
        if loop._ready:  # type: ignore[attr-defined]
            continue
        due = min((h.when() for h in loop._scheduled if not h.cancelled()), default=math.inf)  # type: ignore[attr-defined]
        wait = due - loop.time()
        if wait > IDLE_GRAIN_S:
            return
        await asyncio.sleep(max(wait, 0.0))


IDLE_GRAIN_S = 0.02


_textual_wait_for_idle = textual_wait.wait_for_idle
for _module in (textual_wait, textual_app, textual_pilot):
    _module.wait_for_idle = _loop_idle  # type: ignore[attr-defined]

textual_css_cache.install()  # one parse of each CSS text per process, not per App (see there)
textual_callbacks.install()  # a callback's parameters counted once per function (see there)


XDG = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Outside the test's own tmp_path, so that a test listing its tmp_path sees only what it made; a test that
    # sets one of these itself (most CLI tests) overrides it. A mkdtemp under one "xdg" directory of the worker's
    # basetemp, not tmp_path_factory.mktemp: that one lists the whole basetemp to number its directory, which
    # grows by two entries a test (O(n) each, ~1 ms a test late in a worker, a fifth of a small test's CPU).
    xdg_root = tmp_path_factory.getbasetemp() / "xdg"
    xdg_root.mkdir(exist_ok=True)
    home = Path(tempfile.mkdtemp(dir=xdg_root))
    for name in XDG:
        monkeypatch.setenv(name, str(home / name.lower()))
    # Textual animations off: the tests assert end states, and an animation only delays them (the App reads
    # the level when it is made; a subprocess reads the environment).
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    constants = sys.modules.get("textual.constants")
    if constants is not None:
        monkeypatch.setattr(constants, "TEXTUAL_ANIMATIONS", "none")
    yield


# Slow tests without a ``slow`` mark (in files another part of the suite owns, or parametrized contract tests),
# by node id or its start, seconds of wall time each as measured on an idle 2-core machine: hints only. Without
# them a 14 s test can be handed out last and run alone at the end.
SLOW_IDS = {
    "tests/cli/test_demo_plain_alerts.py::": 5.0,
    "tests/cli/test_alerts_test_command.py::test_every_channel_reports": 9.0,
    "tests/feeds/contract/test_rest.py::test_18_maintenance_503": 5.5,
    "tests/feeds/contract/test_clock.py::test_no_channel_reads_live_while_the_exchange_clock": 2.5,
    "tests/feeds/contract/test_accounts.py::test_20_a_blocked_event_loop": 4.5,
    "tests/cli/test_check_record_unavailable.py::": 4.5,
    "tests/feeds/contract/test_binance_only.py::test_rows_age_with_their_account_data": 4.0,
    "tests/feeds/contract/test_hyperliquid_only.py::test_hl_reconnect_replays": 4.0,
    "tests/feeds/contract/test_rest.py::test_14_an_ip_ban": 4.0,
    "tests/cli/test_check_command.py::test_check_with_a_missing_key": 4.0,
    "tests/review/test_review10_sigterm.py::": 4.0,
    "tests/tui/test_tui_launch.py::test_the_demo_app_shows_live_positions": 4.0,
    "tests/tui/test_tui_record_marker.py::": 4.0,
    "tests/tui/test_tui_sigterm.py::": 4.0,
    "tests/test_layering.py::test_importing_every_engine_module": 3.5,
    "tests/cli/test_check_not_evaluated.py::": 3.5,
    "tests/cli/test_check_key_permissions.py::": 3.5,
    "tests/feeds/contract/test_sockets.py::test_a_reconnect_storm": 3.5,
    "tests/feeds/contract/test_no_data.py::test_04_29": 3.0,
}


# The ccxt tests' wall time together, idle 2-core machine (a hint, like SLOW_IDS): 20 s, and 17 s more since
# tests/feeds/ccxt (the generic adapter's first stage: its 65 ccxt tests, mostly waiting: 2.6 s of CPU).
CCXT_GROUP_S = 37.0
GENERIC_ADAPTER_TESTS = "tests/feeds/ccxt/test_ccxt_adapter.py::"
# Their wall time is ~26 s a group, but they are ranked as 2 s units: started with the first wave, their four
# emulators and ccxt imports loaded the machine just when the demo-timing tests (check --demo --speed 5, whose
# demo runs on the wall clock) start their own process, which then printed its first line late (two CI runs
# failed that way). Started after the first wave they still end well within the suite's time.
GENERIC_GROUP_S = 2.0


def _seconds(item: pytest.Item) -> float:
    mark = item.get_closest_marker("slow")
    if mark is not None:
        return float(mark.args[0]) if mark.args else 1.0
    return max((s for start, s in SLOW_IDS.items() if item.nodeid.startswith(start)), default=0.0)


def _names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _uses_ccxt(item: pytest.Item) -> bool:
    code = getattr(getattr(item, "function", None), "__code__", None)
    return code is not None and any("ccxt" in name for name in _names(code))


@pytest.hookimpl(tryfirst=True)  # before xdist's own (with -n), which reads the group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow tests first, slowest first, each followed by a quick one: the forked workers (and xdist's "loadgroup")
    hands every worker two units (a test, or a group) to start with, then one at a time in this order, so each
    worker starts on a different
    slow test and none is left to start last, alone. The order is a pure function of the collection, the
    same on every worker (xdist requires it).

    The tests that drive stock ccxt run on one worker (``--dist loadgroup``): importing ccxt and ccxt.pro costs
    0.6 s of CPU in each process that does, and they were spread over up to ten. As a group they count as one
    slow unit, so the group starts first."""
    for item in items:
        if item.nodeid.startswith(GENERIC_ADAPTER_TESTS):
            # The generic adapter's tests against the emulator, one group per protocol (each ~30 s, mostly
            # waiting): four workers import ccxt instead of one running them all one after the other.
            callspec = getattr(item, "callspec", None)
            protocol = callspec.params.get("ccxt_id", "") if callspec is not None else ""
            item.add_marker(pytest.mark.xdist_group(f"ccxt-{protocol}"))
            item.add_marker(pytest.mark.slow(GENERIC_GROUP_S))
        elif _uses_ccxt(item):
            item.add_marker(pytest.mark.xdist_group("ccxt"))
            item.add_marker(pytest.mark.slow(CCXT_GROUP_S))
    slow = sorted((i for i in items if _seconds(i) > 0), key=_seconds, reverse=True)
    quick = [i for i in items if _seconds(i) == 0]
    order: list[pytest.Item] = []
    for n, item in enumerate(slow):
        order.append(item)
        if n < len(quick):
            order.append(quick[n])
    order.extend(quick[len(slow):])
    items[:] = order
