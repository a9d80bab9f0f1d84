"""``tui_argv(*args)``: the argv that runs ``liqwatch ARGS`` as a process, for the tests of the command line.

It runs ``python tests/tui_command.py SOCKET ARGS`` (by path: tests run commands in directories of their
own). This small client hands its stdin, stdout, stderr, environment and working directory to the worker's
pre-imported server (``tests/tui_zygote.py``), which forks ``python -m tui ARGS`` with them; the client forwards
signals to that child and exits as the child did (a child killed by a signal kills the client with the same
signal). To the test it is the command: same output, same exit status, same reaction to SIGTERM/SIGINT. What
differs: the pid is the client's, and the engine's modules were imported before the process started, so a test
about what a start-up imports or costs must run ``[sys.executable, "-m", "tui", ...]`` itself. Without the server
(it could not start, or is gone) the client execs ``python -m tui`` instead, so no test depends on the shortcut.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
_server: dict[str, str] = {}  # "socket": where it listens, "path": what the client is given once it is ready
_proc: list[subprocess.Popen[bytes]] = []  # the server process, once started


def tui_argv(*args: str) -> list[str]:
    """``[python, .../tests/tui_command.py, SOCKET, *args]``, starting this worker's server on first use."""
    path = _server.get("path")
    if path is None:
        path = _wait_ready()
    return [sys.executable, os.path.abspath(__file__), str(path), *args]


def start_server() -> None:
    """Start the server without waiting for it: its imports (~0.7 s of CPU, ~1 s) run beside what this process
    does next (the suite's collection), not before the workers are forked. ``tui_argv`` waits for it."""
    if not _proc:
        _spawn()


def _spawn() -> None:
    import atexit
    import subprocess
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    path = os.path.join(tempfile.mkdtemp(prefix="lw-zygote-"), "s")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.Popen([sys.executable, "-m", "tests.tui_zygote", path], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, cwd=root, env=env)

    def stop() -> None:
        if proc.stdin is not None:
            proc.stdin.close()  # the server exits at EOF, killing any child still running
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()

    atexit.register(stop)
    _proc.append(proc)
    _server["socket"] = path


def _wait_ready() -> str:
    start_server()
    proc = _proc[0]
    path = _server["socket"]
    assert proc.stdout is not None
    ready = proc.stdout.readline()  # the server prints "ready" after its imports; EOF if it failed
    if ready.strip() != b"ready":
        proc.kill()
        path = os.path.join(os.path.dirname(path), "absent")  # the client then falls back to python -m tui
    _server["path"] = path
    return path


def _client(path: str, args: list[str]) -> None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        os.execv(sys.executable, [sys.executable, "-m", "tui", *args])
    request = {"argv": args, "env": dict(os.environ), "cwd": os.getcwd()}
    socket.send_fds(conn, [json.dumps(request).encode()], [0, 1, 2])
    replies = conn.makefile("rb")
    first = replies.readline().split()
    if first[:1] != [b"pid"]:
        os.execv(sys.executable, [sys.executable, "-m", "tui", *args])
    child = int(first[1])

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)

    for signum in FORWARDED:
        signal.signal(signum, forward)
    # Only the child holds the test's pipes now, so the test sees EOF when the child ends, as with python -m tui.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    while True:
        try:
            last = replies.readline().split()
            break
        except InterruptedError:
            continue
    if last[:1] != [b"exit"]:
        os._exit(1)  # the server went away: its child was killed with it
    status = int(last[1])
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


if __name__ == "__main__":
    _client(sys.argv[1], sys.argv[2:])
