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
- A worker that dies (a crash, a kill) fails the test it was running, with its exit status; its other test
  goes back to the queue and a new worker is forked.

Each worker has its own temporary directory (``basetemp/gwN``) and its own output capture. ``-n N`` still runs
pytest-xdist instead (``-n 0``: one process, no workers).
"""

from __future__ import annotations

import atexit
import gc
import os
import pickle
import selectors
import struct
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from _pytest.reports import TestReport


@dataclass
class _Worker:
    name: str
    pid: int
    to_child: int
    from_child: int
    held: list[int] = field(default_factory=list)  # sent and not finished, in order
    buffer: bytearray = field(default_factory=bytearray)
    stopping: bool = False


# Messages are pickled, each after its length: pytest's serialized reports hold tuples (a skip's location), which
# JSON would turn into lists that its terminal summary then refuses.
_LENGTH = struct.Struct("!I")


def _send(fd: int, message: object) -> None:
    body = pickle.dumps(message)
    data = _LENGTH.pack(len(body)) + body
    while data:
        data = data[os.write(fd, data):]


def _take(buffer: bytearray) -> tuple[bool, Any]:
    """The first whole message in ``buffer``, removed from it; (False, None) while it is incomplete."""
    if len(buffer) < _LENGTH.size:
        return False, None
    (size,) = _LENGTH.unpack_from(buffer)
    if len(buffer) < _LENGTH.size + size:
        return False, None
    message = pickle.loads(bytes(buffer[_LENGTH.size:_LENGTH.size + size]))
    del buffer[:_LENGTH.size + size]
    return True, message


class _Inbox:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def read(self) -> Any:
        while True:
            whole, message = _take(self.buffer)
            if whole:
                return message
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk


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
        self.workers: dict[int, _Worker] = {}  # by the fd read from the child
        self.selector = selectors.DefaultSelector()
        self.serial = 0

    # --- this process ------------------------------------------------------------------------------------
    def run(self) -> bool:
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
                    self._readable(key.data)
        except BaseException:
            for w in self.workers.values():
                _kill(w.pid)
            raise
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
            _child(self, name, down_r, up_w)  # never returns
        os.close(down_r)
        os.close(up_w)
        worker = _Worker(name, pid, down_w, up_r)
        self.workers[up_r] = worker
        self.selector.register(up_r, selectors.EVENT_READ, worker)

    def _readable(self, worker: _Worker) -> None:
        chunk = os.read(worker.from_child, 1 << 20)
        if not chunk:
            self._gone(worker)
            return
        worker.buffer += chunk
        while True:
            whole, message = _take(worker.buffer)
            if not whole:
                return
            self._message(worker, message)

    def _message(self, worker: _Worker, message: dict[str, Any]) -> None:
        hook = self.config.hook
        if "want" in message:
            index = self._next_for(worker)
            if index < 0:
                worker.stopping = True
            else:
                worker.held.append(index)
            _send(worker.to_child, index)
        elif "start" in message:
            item = self.items[message["start"]]
            hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        elif "report" in message:
            report = hook.pytest_report_from_serializable(config=self.config, data=message["report"])
            hook.pytest_runtest_logreport(report=report)
        elif "finish" in message:
            index = message["finish"]
            worker.held.remove(index)
            item = self.items[index]
            hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)

    def _next_for(self, worker: _Worker) -> int:
        if self.session.shouldfail or self.session.shouldstop:
            return -1
        for n, index in enumerate(self.pending):
            group = self.groups[index]
            if group is not None and self.group_owner.setdefault(group, worker.name) != worker.name:
                continue
            del self.pending[n]
            return index
        return -1

    def _gone(self, worker: _Worker) -> None:
        self.selector.unregister(worker.from_child)
        del self.workers[worker.from_child]
        os.close(worker.from_child)
        os.close(worker.to_child)
        _, status = os.waitpid(worker.pid, 0)
        if not worker.held and worker.stopping and status == 0:
            return
        for group, owner in list(self.group_owner.items()):
            if owner == worker.name:
                del self.group_owner[group]  # a new worker may take the group's other tests
        if worker.held:
            index, *rest = worker.held
            self.pending.extendleft(reversed(rest))
            self._crashed(self.items[index], worker, status)
        if self.pending and not (self.session.shouldfail or self.session.shouldstop):
            self._fork()

    def _crashed(self, item: pytest.Item, worker: _Worker, status: int) -> None:
        hook = self.config.hook
        how = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit status {os.WEXITSTATUS(status)}")
        report = TestReport(item.nodeid, item.location, {}, "failed",
                            f"worker {worker.name} (pid {worker.pid}) ended with {how} while running this test",
                            "call")
        hook.pytest_runtest_logreport(report=report)
        hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


# --- a worker --------------------------------------------------------------------------------------------
def _child(scheduler: ForkScheduler, name: str, from_parent: int, to_parent: int) -> None:
    code = 0
    try:
        atexit._clear()  # the parent's exit handlers are the parent's (the snapshot plugin's temp dir, ...)
        scheduler.selector = selectors.DefaultSelector()
        scheduler.workers = {}
        os.environ["PYTEST_XDIST_WORKER"] = name
        config = scheduler.config
        factory = config._tmp_path_factory  # type: ignore[attr-defined]
        base = factory.getbasetemp() / name
        base.mkdir()
        factory._basetemp = base
        capture = config.pluginmanager.getplugin("capturemanager")
        if capture is not None and capture.is_globally_capturing():
            capture.stop_global_capturing()  # the parent's capture files are shared: a capture of its own
            capture.start_global_capturing()
            capture.suspend_global_capture()
        terminal = config.pluginmanager.getplugin("terminalreporter")
        if terminal is not None:  # the parent prints; what reads the reporter (assert diffs, timeouts) still can
            config.pluginmanager.unregister(terminal)
            config.pluginmanager.register(_QuietTerminal(terminal), "terminalreporter")
        config.pluginmanager.register(_ReportForwarder(config, lambda m: _send(to_parent, m)), "fork-forwarder")
        _run_tests(scheduler, _Inbox(from_parent), lambda m: _send(to_parent, m))
        atexit._run_exitfuncs()
    except BaseException:  # a worker prints why and ends; the parent fails the test it held
        import traceback

        traceback.print_exc()
        code = 3
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _run_tests(scheduler: ForkScheduler, inbox: _Inbox, send: Callable[[object], None]) -> None:
    items = scheduler.items

    def ask() -> int:
        send({"want": True})
        return int(inbox.read())

    current = ask()
    while current >= 0:
        following = ask()
        item = items[current]
        send({"start": current})
        item.ihook.pytest_runtest_protocol(item=item, nextitem=items[following] if following >= 0 else None)
        send({"finish": current})
        current = following


class _QuietTerminal:
    """The terminal reporter without its hooks: a worker prints no progress, but pytest's assertion diffs and
    pytest-timeout's stack dumps still find its writer (``config.get_terminal_writer()``)."""

    def __init__(self, reporter: object) -> None:
        self._reporter = reporter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reporter, name)


class _ReportForwarder:
    def __init__(self, config: pytest.Config, send: Callable[[object], None]) -> None:
        self.config = config
        self.send = send

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.send({"report": self.config.hook.pytest_report_to_serializable(config=self.config, report=report)})
