"""The tests' shortcut for running ``liqwatch`` as a process (tests/tui_command.py) behaves as ``python -m tui``:
same output and exit status, SIGTERM handled by the command, and nothing left running when the client dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]


def _both(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    env = dict(os.environ)
    real = subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd, env=env)
    fast = subprocess.run(tui_argv(*args), capture_output=True, text=True, timeout=60, cwd=cwd, env=env)
    return real, fast


def test_output_and_exit_status_are_those_of_python_m_tui(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[[accounts]]\nname = 1\n")
    for args in (("--help",), ("config", "check", str(tmp_path / "missing.toml")),
                 ("config", "check", str(tmp_path / "bad.toml")), ("no-such-command",)):
        real, fast = _both(*args, cwd=tmp_path)
        assert (fast.returncode, fast.stdout, fast.stderr) == (real.returncode, real.stdout, real.stderr), args
    assert real.returncode != 0  # the last one is an error, and it is reported as one


def test_the_environment_and_working_directory_are_the_callers(tmp_path: Path) -> None:
    # A relative --config resolves against the caller's directory, and XDG_CONFIG_HOME is the caller's.
    (tmp_path / "here.toml").write_text("")
    fast = subprocess.run(tui_argv("config", "check", "here.toml"), capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env={**os.environ, "NO_COLOR": "1"})
    real = subprocess.run([sys.executable, "-m", "tui", "config", "check", "here.toml"], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path, env={**os.environ, "NO_COLOR": "1"})
    assert (fast.returncode, fast.stdout) == (real.returncode, real.stdout)


def test_sigterm_reaches_the_command_and_a_killed_client_takes_its_child_along(tmp_path: Path) -> None:
    def watch() -> subprocess.Popen[str]:
        proc = subprocess.Popen(tui_argv("check", "--demo", "--json", "--watch", "60"), stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True, cwd=tmp_path)
        assert proc.stdout is not None and proc.stdout.readline().startswith("{")  # running, printing
        return proc

    proc = watch()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 143  # liqwatch's own clean stop, as python -m tui exits on SIGTERM

    proc = watch()
    proc.kill()  # the client, not the command: the command must not run on
    proc.wait(timeout=10)
    assert proc.stdout is not None
    deadline = time.monotonic() + 10
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline:  # EOF once the command, the pipe's only other writer, is gone
        try:
            if os.read(proc.stdout.fileno(), 65536) == b"":
                return
        except BlockingIOError:
            pass
        time.sleep(0.05)
    raise AssertionError("the command kept running after its client was killed")
