"""The suite's parallel workers, forked from the process that collected it.

pytest-xdist starts every worker as a new interpreter that imports pytest, its plugins, the engine and Textual
and collects all ~1,400 tests again: ~3.5 s of CPU per worker, a fifth of the suite's CPU on ten workers, on a
machine with two cores. Here the one process that collected forks its workers instead, after collecting, so
each starts with everything imported and collected and costs a fork. The rest is xdist's "load" scheduling:

- A worker asks for a test when it has one left, so it always holds the next one and knows it (pytest tears
  module and session fixtures down by the next test, as in a serial run).
- Tests of one ``xdist_group`` run on the first worker that takes one of them (the ccxt tests, so that only one
  worker imports ccxt).
- Reports go back to this process as pytest's own serialized reports and are logged here: the terminal, the
  exit status, ``-x``, the cache (``--lf``) and the snapshot plugins see them as they would from xdist. The
  workers set the variables xdist sets (PYTEST_XDIST_WORKER, PYTEST_XDIST_WORKER_COUNT), which syrupy and
  pytest-textual-snapshot read.
- A worker that dies (a crash, a kill) fails the test it was running, with its exit status (an error if it died
  in a fixture's setup or teardown, as pytest counts an exception there); its other test goes back to the queue
  and a new worker is forked. A worker's end is seen by its pidfd, not by the end of its pipe, which a process a
  test forked (and left running) may hold.
- ``-x``/``--maxfail``: once this process has logged the stopping failure no test starts, on any worker (the
  ones running finish); the workers drop the test they hold, tear down and end (tests/fork_child.py).
- Warnings recorded in a worker reach this process's summary; a collection error stops the run as pytest does.

Each worker has its own temporary directory (``basetemp/gwN``) and its own output capture. ``-n N`` still runs
pytest-xdist instead (``-n 0``: one process, no workers).
"""

from __future__ import annotations

import gc
import os
import selectors
import sys
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from _pytest._code.code import ReprFileLocation, TerminalRepr
from _pytest._io import TerminalWriter
from _pytest.outcomes import Exit
from _pytest.reports import TestReport

from tests.fork_child import NONE, STOP, child, send, take, warning_from

_When = Literal["setup", "call", "teardown"]


@dataclass
class _Worker:
    name: str
    pid: int
    pidfd: int
    to_child: int
    from_child: int
    held: list[int] = field(default_factory=list)  # sent and not finished, in order
    buffer: bytearray = field(default_factory=bytearray)
    stopping: bool = False  # told there is nothing more for it
    running: int | None = None  # started, not finished
    phase: _When = "setup"  # of the running test: what it is doing, by the reports seen so far
    last: int | None = None  # the last test it finished


def _group(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return None
    return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))


class ForkScheduler:
    def __init__(self, session: pytest.Session, workers: int) -> None:
        self.session = session
        self.config = session.config
        self.items: list[pytest.Item] = list(session.items)
        self.count = workers
        self.pending: deque[int] = deque(range(len(self.items)))
        self.groups = [_group(i) for i in self.items]
        self.group_owner: dict[str, str] = {}
        self.group_left: Counter[str] = Counter(g for g in self.groups if g is not None)  # not handed out yet
        self.workers: dict[int, _Worker] = {}  # by the fd read from the child
        self.selector = selectors.DefaultSelector()
        self.serial = 0
        self.exit: Exit | None = None  # a worker's pytest.exit(), raised here once all have ended

    # --- this process ------------------------------------------------------------------------------------
    def run(self) -> bool:
        session = self.session
        if session.testsfailed and not self.config.option.continue_on_collection_errors:  # as pytest's own loop
            raise session.Interrupted(
                f"{session.testsfailed} error{'s' if session.testsfailed != 1 else ''} during collection")
        if self.config.option.collectonly:
            return True
        os.environ["PYTEST_XDIST_WORKER_COUNT"] = str(self.count)
        self.config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]  # made once, here
        sys.stdout.flush()
        sys.stderr.flush()
        gc.collect()
        gc.freeze()  # what the collection made stays shared with the workers (copy on write)
        try:
            for _ in range(min(self.count, len(self.items))):
                self._fork()
            while self.workers:
                for key, _ in self.selector.select(timeout=1.0):
                    kind: str = key.data[0]
                    worker: _Worker = key.data[1]
                    if self.workers.get(worker.from_child) is not worker:
                        continue  # ended by an earlier event of this batch
                    if kind == "pipe":
                        self._readable(worker)
                    else:
                        self._exited(worker)
        except BaseException:
            for w in self.workers.values():
                _kill(w.pid)
            raise
        if self.exit is not None:
            raise self.exit
        if session.shouldfail:  # as pytest's own loop ends: "stopping after N failures", exit status 1
            raise session.Failed(session.shouldfail)
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)
        return True

    def _fork(self) -> None:
        name = f"gw{self.serial}"
        self.serial += 1
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(down_w)
            os.close(up_r)
            for w in self.workers.values():
                os.close(w.to_child)
                os.close(w.from_child)
                os.close(w.pidfd)
            child(self, name, down_r, up_w)  # never returns
        os.close(down_r)
        os.close(up_w)
        worker = _Worker(name, pid, os.pidfd_open(pid), down_w, up_r)
        self.workers[up_r] = worker
        self.selector.register(up_r, selectors.EVENT_READ, ("pipe", worker))
        self.selector.register(worker.pidfd, selectors.EVENT_READ, ("exit", worker))

    def _readable(self, worker: _Worker) -> None:
        chunk = os.read(worker.from_child, 1 << 20)
        if not chunk:
            self._gone(worker)
            return
        self._received(worker, chunk)

    def _received(self, worker: _Worker, chunk: bytes) -> None:
        worker.buffer += chunk
        while True:
            whole, message = take(worker.buffer)
            if not whole:
                return
            self._message(worker, message)

    def _exited(self, worker: _Worker) -> None:
        """The worker has ended: what it wrote is in its pipe, which another process may still hold open."""
        os.set_blocking(worker.from_child, False)
        while True:
            try:
                chunk = os.read(worker.from_child, 1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                break
            self._received(worker, chunk)
        self._gone(worker)

    def _message(self, worker: _Worker, message: dict[str, Any]) -> None:
        hook = self.config.hook
        if "want" in message:
            index = self._next_for(worker)
            if index == STOP:
                worker.held.clear()  # dropped, not re-queued: the run is stopping
            if index < 0:
                worker.stopping = True
            else:
                worker.held.append(index)
            send(worker.to_child, index)
        elif "drop" in message:  # stopped by its own session (its -x count, stepwise): what it held is dropped
            worker.held.clear()
            worker.stopping = True
        elif "exit" in message:  # pytest.exit() in its test, which does not finish (as in one process)
            self.exit = Exit(message["exit"], message["returncode"])
            worker.held.clear()
            worker.running, worker.stopping = None, True
        elif "start" in message:
            worker.running, worker.phase = message["start"], "setup"
            item = self.items[message["start"]]
            hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        elif "report" in message:
            report = hook.pytest_report_from_serializable(config=self.config, data=message["report"])
            if report.when == "setup":
                worker.phase = "call" if report.passed else "teardown"
            elif report.when == "call":
                worker.phase = "teardown"
            hook.pytest_runtest_logreport(report=report)
        elif "warning" in message:
            hook.pytest_warning_recorded.call_historic(kwargs=dict(
                warning_message=warning_from(message["warning"]), when=message["when"],
                nodeid=message["nodeid"], location=message["location"]))
        elif "finish" in message:
            index = message["finish"]
            worker.held.remove(index)
            worker.running, worker.last = None, index
            item = self.items[index]
            hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)

    def _next_for(self, worker: _Worker) -> int:
        if self._stopping():
            return STOP
        # A worker that still has tests of its own group to come claims no other group while another test is
        # there for it: the groups are the suite's long serial runs, and two of them on one worker made the
        # suite's last 23 s (two of the generic adapter's emulator groups, claimed by one worker one after the
        # other because their tests were next to each other in the order).
        busy = any(self.group_left[g] for g, owner in self.group_owner.items() if owner == worker.name)
        deferred: int | None = None
        for n, index in enumerate(self.pending):
            group = self.groups[index]
            if group is not None:
                owner = self.group_owner.get(group)
                if owner is not None and owner != worker.name:
                    continue
                if owner is None and busy:
                    deferred = n if deferred is None else deferred
                    continue
            return self._hand_out(worker, n)
        return self._hand_out(worker, deferred) if deferred is not None else NONE

    def _hand_out(self, worker: _Worker, n: int) -> int:
        index = self.pending[n]
        del self.pending[n]
        group = self.groups[index]
        if group is not None:
            self.group_owner.setdefault(group, worker.name)
            self.group_left[group] -= 1
        return index

    def _requeue(self, indices: list[int]) -> None:
        self.pending.extendleft(reversed(indices))
        self.group_left.update(g for g in (self.groups[i] for i in indices) if g is not None)

    def _gone(self, worker: _Worker) -> None:
        for fd in (worker.from_child, worker.pidfd):
            self.selector.unregister(fd)
        del self.workers[worker.from_child]
        for fd in (worker.from_child, worker.to_child, worker.pidfd):
            os.close(fd)
        _, status = os.waitpid(worker.pid, 0)
        if not worker.held and worker.running is None and worker.stopping and status == 0:
            return
        for group, owner in list(self.group_owner.items()):
            if owner == worker.name:
                del self.group_owner[group]  # a new worker may take the group's other tests
        if worker.running is not None:
            self._requeue([i for i in worker.held if i != worker.running])
            self._crashed(self.items[worker.running], worker, status, worker.phase)
        else:  # between tests: what it did then was tearing down what the last one left set up
            self._requeue(list(worker.held))
            if worker.last is not None and status != 0:
                self._crashed(self.items[worker.last], worker, status, "teardown")
        if self.pending and not self._stopping():
            self._fork()

    def _stopping(self) -> bool:
        return bool(self.session.shouldfail or self.session.shouldstop or self.exit is not None)

    def _crashed(self, item: pytest.Item, worker: _Worker, status: int, when: _When) -> None:
        hook = self.config.hook
        how = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit status {os.WEXITSTATUS(status)}")
        text = f"worker {worker.name} (pid {worker.pid}) ended with {how} while running this test ({when})"
        report = TestReport(item.nodeid, item.location, {}, "failed", _Crash(item, text), when)
        hook.pytest_runtest_logreport(report=report)
        if worker.running is not None:
            hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)


class _Crash(TerminalRepr):
    """A dead worker's report text, with the ``reprcrash`` pytest's own failures have: the short summary and
    junitxml show it as the message (``FAILED test - worker gw1 ... ended with signal 9 ...``)."""

    def __init__(self, item: pytest.Item, text: str) -> None:
        self.text = text
        self.reprcrash = ReprFileLocation(item.location[0], (item.location[1] or 0) + 1, text)

    def toterminal(self, tw: TerminalWriter) -> None:
        tw.line(self.text)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
