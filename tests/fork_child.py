"""A forked worker of tests/fork_workers.py, and the messages between it and the process that forked it.

A worker asks for a test ("want") before it runs the one it holds, and the answer says whether it may run it:
an index (the next to hold), NONE (run what you hold, then end) or STOP (``-x``/``--maxfail`` reached, or a
``shouldstop``: run nothing more). So a test starts only once the collecting process has seen every report sent
before, and none starts after the run is stopping.
"""

from __future__ import annotations

import atexit
import os
import pickle
import selectors
import struct
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from _pytest.runner import CallInfo

if TYPE_CHECKING:
    from tests.fork_workers import ForkScheduler

NONE = -1  # no test left: run the one held, then end
STOP = -2  # the run stops: drop the test held, tear down, end

# Messages are pickled, each after its length: pytest's serialized reports hold tuples (a skip's location), which
# JSON would turn into lists that its terminal summary then refuses.
_LENGTH = struct.Struct("!I")


def send(fd: int, message: object) -> None:
    body = pickle.dumps(message)
    data = _LENGTH.pack(len(body)) + body
    while data:
        data = data[os.write(fd, data):]


def take(buffer: bytearray) -> tuple[bool, Any]:
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
            whole, message = take(self.buffer)
            if whole:
                return message
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk


def child(scheduler: ForkScheduler, name: str, from_parent: int, to_parent: int) -> None:
    code = 0
    me = os.getpid()
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

        def up(message: object) -> None:
            if os.getpid() != me:  # a process a test forked, returned into pytest: it must not speak as the worker
                os._exit(1)
            send(to_parent, message)

        config.pluginmanager.register(_Forwarder(config, up), "fork-forwarder")
        _run_tests(scheduler, _Inbox(from_parent), up)
        atexit._run_exitfuncs()
    except BaseException:  # a worker prints why and ends; the parent fails the test it held
        import traceback

        traceback.print_exc()
        code = 3
    finally:
        if os.getpid() != me:  # a process a test forked, returned into pytest
            os._exit(code or 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _run_tests(scheduler: ForkScheduler, inbox: _Inbox, send: Callable[[object], None]) -> None:
    items = scheduler.items
    session = scheduler.session

    def ask() -> int:
        send({"want": True})
        return int(inbox.read())

    current = ask()
    last: pytest.Item | None = None
    while current >= 0:
        following = ask()
        if following == STOP:  # the parent no longer counts the test held as this worker's
            break
        item = items[current]
        send({"start": current})
        last = item
        try:
            item.ihook.pytest_runtest_protocol(item=item, nextitem=items[following] if following >= 0 else None)
        except pytest.exit.Exception as exc:  # pytest.exit() in a test: the whole run ends, with its status
            send({"exit": exc.msg, "returncode": exc.returncode})
            break
        send({"finish": current})
        if session.shouldfail or session.shouldstop:  # this worker's own count (its failures, stepwise)
            send({"drop": True})
            break
        current = following
    if last is not None:  # what the last test left set up for the one held (module, session fixtures)
        _teardown_all(session, last)


def _teardown_all(session: pytest.Session, last: pytest.Item) -> None:
    """Tears down what is still set up; an exception in it is reported as the last test's teardown error, as
    pytest's own loop would report it (there the last test's teardown would have done it)."""
    call = CallInfo.from_call(lambda: session._setupstate.teardown_exact(None), when="teardown",
                              reraise=(pytest.exit.Exception, KeyboardInterrupt))
    if call.excinfo is not None:
        report = last.ihook.pytest_runtest_makereport(item=last, call=call)
        last.ihook.pytest_runtest_logreport(report=report)


class _QuietTerminal:
    """The terminal reporter without its hooks: a worker prints no progress, but pytest's assertion diffs and
    pytest-timeout's stack dumps still find its writer (``config.get_terminal_writer()``)."""

    def __init__(self, reporter: object) -> None:
        self._reporter = reporter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reporter, name)


class _Forwarder:
    """Sends the worker's reports and warnings to the parent, which logs them (its terminal, cache, summary)."""

    def __init__(self, config: pytest.Config, send: Callable[[object], None]) -> None:
        self.config = config
        self.send = send

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.send({"report": self.config.hook.pytest_report_to_serializable(config=self.config, report=report)})

    def pytest_warning_recorded(self, warning_message: warnings.WarningMessage, when: str, nodeid: str,
                                location: tuple[str, int, str] | None) -> None:
        # The message as text and its class by name: a warning's arguments need not pickle.
        category = warning_message.category
        self.send({"warning": {
            "message": str(warning_message.message), "category": (category.__module__, category.__qualname__),
            "filename": warning_message.filename, "lineno": warning_message.lineno, "line": warning_message.line,
        }, "when": when, "nodeid": nodeid, "location": location})


def warning_from(data: dict[str, Any]) -> warnings.WarningMessage:
    """The parent's copy of a worker's warning: its class if importable here (a Warning), else UserWarning."""
    module, name = data["category"]
    category: Any = sys.modules.get(module)
    for part in name.split("."):
        category = getattr(category, part, None)
    if not (isinstance(category, type) and issubclass(category, Warning)):
        category = UserWarning
    try:
        message: Warning | str = category(data["message"])
    except Exception:  # a class whose arguments are not one text: the text only
        message = data["message"]
    return warnings.WarningMessage(message, category, data["filename"], data["lineno"], line=data["line"])
