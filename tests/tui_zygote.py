"""A pre-imported ``python -m tui`` for the tests that run the command line as a process.

Every such test used to start a fresh interpreter that spent ~0.65 s of CPU importing aiohttp, pydantic and the
engine before doing anything (about a fifth of the whole suite's CPU). This server imports them once per test
worker and forks a child per command instead: the child is a real process (its own pid, exit status, signals,
stdin/stdout/stderr and environment), it runs ``tui/__main__`` exactly as ``python -m tui`` would, and only the
import work is shared. The client (``tests/tui_command.py``) is what the tests start; see there.

Protocol, over a UNIX socket: the client sends one JSON line {argv, env, cwd} with its stdin, stdout and stderr as
SCM_RIGHTS; the server answers ``pid N`` once the child is forked and ``exit STATUS`` (waitpid's raw status) when
it ends. A client that goes away first (killed) takes its child with it (SIGKILL): nothing is left running.

Single-threaded on purpose: fork() copies only the calling thread, so a server with other threads could hand a
child a lock that nobody will release.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import signal
import socket
import sys
import traceback


def _preload() -> None:
    # What the commands the tests run import anyway (check, demo --plain, config, alerts, calc, emulator).
    import aiohttp  # noqa: F401
    import pydantic  # noqa: F401

    import liqwatch.alert_runtime
    import liqwatch.commands.monitor_setup
    import liqwatch.config
    import liqwatch.demo_environment  # noqa: F401
    import tui.cli  # noqa: F401

    # ccxt, which a ``check`` of an ``exchange = "ccxt"`` account imports (0.4 s of CPU each time: every exchange
    # of ccxt is a module); the product imports it lazily (tests/feeds/ccxt/test_ccxt_lazy_import.py runs
    # ``python -m tui`` itself for that reason).
    from liqwatch.feeds import ccxt_instance

    ccxt_instance.exchange_class("bybit")  # the one place the product imports ccxt, ccxt.pro and async_support
    # What is imported now is frozen out of the garbage collector's reach, in this server and in every child it
    # forks: a child's collections then walk only what the command made, not ccxt's and the engine's modules.
    gc.collect()
    gc.freeze()


def _run_child(request: dict[str, object], fds: list[int]) -> None:
    """In the forked child: become ``python -m tui ARGS`` and never return."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL if signum != signal.SIGINT else signal.default_int_handler)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as the interpreter sets it at start-up
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        env = request["env"]
        assert isinstance(env, dict)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in env.items()})
        os.chdir(str(request["cwd"]))
        sys.path[0] = os.getcwd()  # ``-m`` puts the working directory first
        argv = request["argv"]
        assert isinstance(argv, list)
        sys.argv = [os.path.join(os.path.dirname(sys.modules["tui"].__file__ or ""), "__main__.py"), *map(str, argv)]
        # Fresh text streams on the new descriptors (the inherited ones may hold buffered bytes of the server's).
        sys.stdin = open(0, closefd=False, encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False, encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False, encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
        import runpy

        try:
            runpy.run_module("tui", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as stop:
            if stop.code is None:
                code = 0
            elif isinstance(stop.code, int):
                code = stop.code
            else:
                print(stop.code, file=sys.stderr)
                code = 1
        except KeyboardInterrupt:
            traceback.print_exc()
            _finish()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        except BaseException:
            traceback.print_exc()
            code = 1
        _finish()
    finally:
        os._exit(code & 0xFF)


def _finish() -> None:
    """What a normal interpreter exit does before the process ends: join threads, atexit, flush."""
    import atexit
    import threading

    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except BaseException:
        pass


def serve(path: str) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: dict[int, socket.socket] = {}  # pid -> the client's connection
    by_conn: dict[int, int] = {}  # connection fd -> pid
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wake_read, selectors.EVENT_READ, "wake")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "parent")  # EOF: the test worker is gone
    print("ready", flush=True)
    while True:
        for key, _ in selector.select():
            if key.data == "parent":
                if not os.read(sys.stdin.fileno(), 4096):
                    for pid in children:
                        _kill(pid)
                    return
            elif key.data == "wake":
                os.read(wake_read, 4096)
                _reap(children, by_conn, selector)
            elif key.data == "accept":
                conn, _ = listener.accept()
                msg, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
                request = json.loads(msg)
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    conn.close()
                    _run_child(request, fds)
                for fd in fds:
                    os.close(fd)
                conn.sendall(f"pid {pid}\n".encode())
                children[pid] = conn
                by_conn[conn.fileno()] = pid
                selector.register(conn, selectors.EVENT_READ, "client")
            else:  # the client closed its end (it was killed): its child goes too
                conn = key.fileobj
                assert isinstance(conn, socket.socket)
                pid = by_conn.get(conn.fileno(), 0)
                if pid and not _recv_alive(conn):
                    _kill(pid)
                    selector.unregister(conn)
        _reap(children, by_conn, selector)


def _recv_alive(conn: socket.socket) -> bool:
    try:
        return bool(conn.recv(1, socket.MSG_DONTWAIT))
    except BlockingIOError:
        return True
    except OSError:
        return False


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _reap(children: dict[int, socket.socket], by_conn: dict[int, int], selector: selectors.BaseSelector) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is None:
            continue
        by_conn.pop(conn.fileno(), None)
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(conn)
        with contextlib.suppress(OSError):
            conn.sendall(f"exit {status}\n".encode())
        conn.close()


if __name__ == "__main__":
    _preload()
    serve(sys.argv[1])
