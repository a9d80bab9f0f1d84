"""``engine_pacing.settle_heap``: what is garbage at the monitor's bootstrap is collected, what is alive is moved
out of the collector's reach (its full passes no longer walk it), and the long-running front ends call it once
their engine has published its first snapshot."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from liqwatch.config import Settings
from liqwatch.config.settings import StorageSettings
from liqwatch.engine_pacing import settle_heap
from liqwatch.monitor_engine import MonitorEngine
from tui import launch


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()  # the other tests run with the collector as they always did


def _tracked(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


@pytest.mark.usefixtures("unfrozen")
def test_garbage_is_collected_and_the_living_frozen() -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the collector frees it
    gone = weakref.ref(a)
    del a, b
    alive = Node()
    assert _tracked(alive)
    frozen = settle_heap()
    assert gone() is None
    assert frozen == gc.get_freeze_count() > 0
    assert not _tracked(alive)  # in the permanent generation: no collection walks it again
    later = Node()
    assert _tracked(later)  # what the run allocates afterwards is collected as usual


@pytest.mark.usefixtures("unfrozen")
async def test_the_demo_backend_settles_the_heap_once_its_engine_published(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    published: list[bool] = []
    entered = MonitorEngine.__aenter__

    async def enter(self: MonitorEngine) -> MonitorEngine:
        engine = await entered(self)
        engines.append(engine)
        return engine

    engines: list[MonitorEngine] = []
    monkeypatch.setattr(MonitorEngine, "__aenter__", enter)
    monkeypatch.setattr(launch, "settle_heap", lambda: published.append(engines[-1].latest is not None) or 0)
    settings = Settings(storage=StorageSettings(path=tmp_path / "liqwatch.sqlite3"))
    async with launch.demo_backend(settings, speed=1.0):
        assert published == [True]
