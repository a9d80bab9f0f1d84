"""A ``liqwatch`` command in its own process, read line by line while it runs: a test stops it once what it
asserts has been printed (SIGTERM, the clean stop), instead of waiting out a fixed ``--watch`` or
``--seconds`` window. Every wait has a deadline."""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]
_EOF = object()


class Watched:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([*tui_argv(), *args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                     env=dict(os.environ))
        self.lines: list[str] = []  # every stdout line read so far
        self._out: queue.Queue[object] = queue.Queue()
        self._err: list[str] = []
        self._threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self._out.put), daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stderr, self._err.append), daemon=True)]
        for t in self._threads:
            t.start()

    @staticmethod
    def _pump(stream: Any, put: Callable[[Any], None]) -> None:
        for line in stream:
            put(line)
        put(_EOF)

    @property
    def stderr(self) -> str:
        return "".join(x for x in self._err if isinstance(x, str))

    def next_line(self, limit_s: float = 10.0) -> str | None:
        """The next stdout line, or None once the process closed its output."""
        try:
            item = self._out.get(timeout=limit_s)
        except queue.Empty:
            raise AssertionError(f"no output within {limit_s:g} s; stderr: {self.stderr[-2000:]}") from None
        if item is _EOF:
            self._out.put(_EOF)  # stays at the end for any later read
            return None
        assert isinstance(item, str)
        self.lines.append(item)
        return item

    def until(self, done: Callable[[list[dict[str, Any]]], bool], limit_s: float, what: str) -> list[dict[str, Any]]:
        """Read JSON lines until ``done`` holds for all read so far (called after each line); they are returned."""
        deadline = time.monotonic() + limit_s
        while True:
            docs = self.docs()
            if docs and done(docs):
                return docs
            left = deadline - time.monotonic()
            assert left > 0, f"timed out after {limit_s:g} s waiting for {what}; {len(docs)} lines"
            if self.next_line(left) is None:
                raise AssertionError(f"the process ended (rc {self.proc.wait()}) before {what}; "
                                     f"stderr: {self.stderr[-2000:]}")

    def docs(self) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.lines if x.startswith("{")]

    def stop(self, limit_s: float = 30.0) -> int:
        """SIGTERM (a clean stop, as ``systemctl stop`` sends), the rest of its output read; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(limit_s)
        for t in self._threads:
            t.join(limit_s)
        while self.next_line(limit_s) is not None:
            pass
        return rc

    def __enter__(self) -> Watched:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)


def run_main(*args: str) -> tuple[int, str, str]:
    """``liqwatch ARGS`` in this process, (exit status, stdout, stderr): for the commands a test only reads
    from (``alerts --json``, ``alerts ack``), where a process of their own would test nothing more."""
    from tui import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main(list(args))
    return rc, out.getvalue(), err.getvalue()
