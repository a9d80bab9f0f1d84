"""How the forked workers' parent (tests/fork_workers.py) hands out the tests of ``xdist_group`` groups: every test
of a group to the worker that took its first, and no second group to a worker whose own group still has tests to
come while another test is there for it (two long groups on one worker ran one after the other, alone at the
suite's end). Only the scheduler's choice is tested here, without forking; tests/test_fork_workers.py runs it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.fork_child import NONE
from tests.fork_workers import ForkScheduler, _Worker


def _item(group: str | None) -> Any:
    mark = pytest.mark.xdist_group(group).mark if group is not None else None
    return SimpleNamespace(get_closest_marker=lambda name: mark if name == "xdist_group" else None)


def _scheduler(groups: list[str | None]) -> ForkScheduler:
    session = SimpleNamespace(config=SimpleNamespace(), items=[_item(g) for g in groups], shouldfail=False,
                              shouldstop=False)
    return ForkScheduler(session, 2)  # type: ignore[arg-type]


def _worker(name: str) -> _Worker:
    return _Worker(name, pid=0, pidfd=-1, to_child=-1, from_child=-1)


def test_a_group_stays_on_the_worker_that_took_its_first_test() -> None:
    s = _scheduler(["a", None, "a", None, "a"])
    w1, w2 = _worker("gw0"), _worker("gw1")
    assert s._next_for(w1) == 0
    assert s._next_for(w2) == 1
    assert s._next_for(w2) == 3  # a's tests are not for gw1
    assert s._next_for(w2) == NONE
    assert [s._next_for(w1) for _ in range(3)] == [2, 4, NONE]


def test_a_worker_with_its_group_still_to_come_leaves_the_next_group_to_another() -> None:
    # The order the suite had: the first tests of two groups side by side. gw0 took a's first test and then,
    # asking again, b's too: both groups' tests ran one after the other on gw0.
    s = _scheduler(["a", "b", "a", "b", None, None])
    w1, w2 = _worker("gw0"), _worker("gw1")
    assert s._next_for(w1) == 0
    assert s._next_for(w1) == 2  # its own group's next, not b's first
    assert s._next_for(w2) == 1  # b goes to the other worker
    assert s._next_for(w2) == 3
    assert s.group_owner == {"a": "gw0", "b": "gw1"}


def test_a_busy_worker_takes_an_ungrouped_test_before_a_new_group() -> None:
    s = _scheduler(["a", "b", None, "a"])
    w1 = _worker("gw0")
    assert [s._next_for(w1) for _ in range(2)] == [0, 2]  # b skipped while a has a test to come


def test_a_new_group_is_taken_when_nothing_else_is_left_or_the_own_group_is_all_handed_out() -> None:
    s = _scheduler(["a", "b", "a"])
    w1 = _worker("gw0")
    assert s._next_for(w1) == 0
    assert s._next_for(w1) == 2  # a is all handed out now
    assert s._next_for(w1) == 1  # b: no other worker asked, and nothing else is left
    s = _scheduler(["a", "b", "b", "a"])
    assert s._next_for(w1) == 0
    assert s._next_for(w1) == 3  # a's last: b's tests wait for a worker without a group to come
    assert s._next_for(w1) == 1


def test_a_group_handed_back_by_a_dead_worker_counts_as_still_to_come() -> None:
    s = _scheduler(["a", "a", "b"])
    w1 = _worker("gw0")
    assert [s._next_for(w1) for _ in range(2)] == [0, 1]
    s._requeue([1])  # as _gone does with what a dead worker held
    del s.group_owner["a"]
    w2 = _worker("gw1")
    assert s._next_for(w2) == 1
    assert s._next_for(w2) == 2  # a is all handed out again
