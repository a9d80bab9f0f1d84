"""The forked workers (tests/fork_workers.py) that run the README's ``pytest``, on a small suite of their own:
every outcome comes back to the process that collected, a worker that dies fails only the test it was running
(the rest still run, on a new worker), a group runs on one worker, each worker has its own temporary directory,
and the exit status is pytest's. The suite is run by a real ``pytest`` process in a temporary directory."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

CONFTEST = '''
import pytest
from tests.fork_workers import ForkScheduler

@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    return ForkScheduler(session, 3).run()
'''

TESTS = '''
import json, os, pytest

def _note(tmp_path, name):
    with open(os.environ["NOTES"], "a") as f:
        f.write(json.dumps({"test": name, "worker": os.environ.get("PYTEST_XDIST_WORKER"),
                            "pid": os.getpid(), "tmp": str(tmp_path)}) + "\\n")

@pytest.mark.parametrize("n", range(12))
def test_passes(n, tmp_path):
    (tmp_path / "mine").write_text(str(n))
    _note(tmp_path, f"passes{n}")

def test_fails(tmp_path):
    _note(tmp_path, "fails")
    assert 1 + 1 == 3

def test_dies(tmp_path):
    _note(tmp_path, "dies")
    os._exit(7)

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

@pytest.mark.xdist_group("together")
@pytest.mark.parametrize("n", range(4))
def test_grouped(n, tmp_path):
    _note(tmp_path, f"grouped{n}")
'''


def test_outcomes_crashes_groups_and_directories_of_the_forked_workers(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_small.py").write_text(TESTS)
    notes = tmp_path / "notes.jsonl"
    env = {**os.environ, "NOTES": str(notes), "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    # Only the plugins the tree needs (xdist for -n 0): the project's others (Textual's snapshots, hypothesis,
    # asyncio...) double each run's start-up, and these tests start a dozen.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_XDIST_WORKER_COUNT", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-q", "-rA",
         "--basetemp", str(tmp_path / "base"), "-c", str(tmp_path / "conftest.py"), "--rootdir", str(tmp_path),
         str(tmp_path / "test_small.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    out = done.stdout
    assert done.returncode == 1, out + done.stderr  # tests failed
    assert "2 failed, 16 passed, 1 skipped" in out, out
    assert "FAILED test_small.py::test_fails" in out and "assert (1 + 1) == 3" in out
    assert "FAILED test_small.py::test_dies" in out and "ended with exit status 7 while running this test" in out

    rows = [json.loads(line) for line in notes.read_text().splitlines()]
    ran = sorted(r["test"] for r in rows)
    assert ran == sorted([*(f"passes{n}" for n in range(12)), "fails", "dies", *(f"grouped{n}" for n in range(4))])
    assert len({r["pid"] for r in rows if r["test"].startswith("grouped")}) == 1  # the group on one worker
    assert len({r["pid"] for r in rows}) >= 3  # in parallel; the dead worker's place taken by a new one
    assert os.getpid() not in {r["pid"] for r in rows}
    for r in rows:  # each worker's temporary directories under its own, named after it
        assert Path(r["tmp"]).parent.name == r["worker"], r


# --- one defect or edge per test, each on a tiny suite of its own ----------------------------------------------
TREE_CONFTEST = '''
import os, pytest
from tests.fork_workers import ForkScheduler

@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    if getattr(session.config.option, "numprocesses", None) is not None:
        return None  # -n 0: pytest's own loop, to compare with
    return ForkScheduler(session, int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])).run()

def pytest_runtest_logreport(report):
    # In the process that collected: a marker once it has logged a failure (and so knows of it, for -x).
    if report.failed and "PYTEST_XDIST_WORKER" not in os.environ:
        open(os.path.join(os.environ["NOTES_DIR"], "parent-saw-failure"), "w").close()
'''

NOTE = '''
import json, os, time

def note(name, **more):
    with open(os.path.join(os.environ["NOTES_DIR"], "notes.jsonl"), "a") as f:
        f.write(json.dumps({"test": name, "worker": os.environ.get("PYTEST_XDIST_WORKER"), **more}) + "\\n")

def wait_for_the_failure():
    deadline = time.monotonic() + 10.0
    while not os.path.exists(os.path.join(os.environ["NOTES_DIR"], "parent-saw-failure")):
        assert time.monotonic() < deadline, "no failure logged"
        time.sleep(0.01)
'''


def _tree(tmp_path: Path, files: dict[str, str]) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(TREE_CONFTEST)
    (tmp_path / "note.py").write_text(NOTE)
    for name, text in files.items():
        (tmp_path / name).write_text(text)


def _pytest(tmp_path: Path, *args: str, workers: int = 2, timeout: float = 60) -> tuple[int, str]:
    """pytest on the tree in ``tmp_path``, its output to a file: a process a test leaves behind may hold a pipe."""
    env = {**os.environ, "NOTES_DIR": str(tmp_path), "PYTEST_XDIST_AUTO_NUM_WORKERS": str(workers),
           "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}", "COLUMNS": "200"}  # summary lines not cut
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # as above: only xdist, named on the command line (-n 0)
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_XDIST_WORKER_COUNT", None)
    out = tmp_path / "out.txt"
    with out.open("w") as f:
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "xdist", "--basetemp",
                               str(tmp_path / "base"), "--rootdir", str(tmp_path), *args],
                              cwd=tmp_path, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=timeout)
    return done.returncode, out.read_text()


def _notes(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "notes.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_x_on_one_worker_runs_nothing_after_the_failure(tmp_path: Path) -> None:
    _tree(tmp_path, {"test_abc.py": "from note import note\n"
                     "def test_a():\n    note('a')\n    assert False\n"
                     "def test_b():\n    note('b')\n"
                     "def test_c():\n    note('c')\n"})
    code, out = _pytest(tmp_path, "-q", "-p", "no:cacheprovider", "-x", workers=1)
    assert code == 1, out
    assert "stopping after 1 failures" in out and "1 failed in" in out and "passed" not in out, out
    assert [n["test"] for n in _notes(tmp_path)] == ["a"]


def test_x_on_three_workers_starts_no_test_once_the_failure_is_known(tmp_path: Path) -> None:
    # Every other test waits until the collecting process has logged the failure, so each worker is running at most
    # its first test when it is known: none may go on to another (the one it holds, or a new one).
    _tree(tmp_path, {"test_many.py": "import pytest\nfrom note import note, wait_for_the_failure\n"
                     "def test_fails():\n    note('fails')\n    assert False\n"
                     "@pytest.mark.parametrize('n', range(9))\n"
                     "def test_waits(n):\n    note(f'waits{n}')\n    wait_for_the_failure()\n"})
    code, out = _pytest(tmp_path, "-q", "-p", "no:cacheprovider", "-x", workers=3)
    assert code == 1, out
    assert "stopping after 1 failures" in out and "1 failed" in out, out
    notes = _notes(tmp_path)
    per_worker = [n["worker"] for n in notes]
    assert len(per_worker) == len(set(per_worker)), notes  # one test each
    assert f"1 failed, {len(notes) - 1} passed in" in out or len(notes) == 1, out


def test_x_tears_down_what_a_stopped_worker_had_set_up(tmp_path: Path) -> None:
    # test_fails fails once a test of the module fixture runs (on the other worker); that worker, stopped, drops
    # the test it holds and tears the fixture down: its teardown's error is reported, as in one process.
    _tree(tmp_path, {"test_teardown.py": "import os, time, pytest\nfrom note import note, wait_for_the_failure\n"
                     "@pytest.fixture(scope='module')\ndef res():\n    yield\n    note('torn down')\n"
                     "    raise RuntimeError('teardown boom')\n"
                     "def test_fails():\n    deadline = time.monotonic() + 10\n"
                     "    while not os.path.exists(os.path.join(os.environ['NOTES_DIR'], 'started')):\n"
                     "        assert time.monotonic() < deadline\n        time.sleep(0.01)\n    assert False\n"
                     "@pytest.mark.parametrize('n', range(6))\ndef test_waits(n, res):\n"
                     "    open(os.path.join(os.environ['NOTES_DIR'], 'started'), 'w').close()\n"
                     "    note(f'waits{n}')\n    wait_for_the_failure()\n"})
    code, out = _pytest(tmp_path, "-q", "-p", "no:cacheprovider", "-x", workers=2)
    assert code == 1, out
    assert "1 failed, 1 passed, 1 error in" in out and "RuntimeError: teardown boom" in out, out
    assert sorted(n["test"] for n in _notes(tmp_path))[0] == "torn down" and len(_notes(tmp_path)) == 2

def test_pytest_exit_in_a_test_ends_the_run_as_without_the_workers(tmp_path: Path) -> None:
    _tree(tmp_path, {"test_exit.py": "import pytest\nfrom note import note\n"
                     "def test_a():\n    pass\n"
                     "def test_b():\n    note('b')\n    pytest.exit('enough now', returncode=4)\n"
                     "def test_c():\n    note('c')\n"})
    code, out = _pytest(tmp_path, "-q", "-p", "no:cacheprovider", workers=1)
    code0, out0 = _pytest(tmp_path, "-q", "-p", "no:cacheprovider", "-n", "0")
    assert code == code0 == 4 and "enough now" in out and _normal(out) == _normal(out0), f"{out}\n-----\n{out0}"
    assert [n["test"] for n in _notes(tmp_path)] == ["b", "b"]  # c in neither run

def test_a_worker_that_dies_in_a_fixture_setup_or_teardown(tmp_path: Path) -> None:
    _tree(tmp_path, {"test_fixtures.py": "import os, pytest\n"
                     "@pytest.fixture\ndef dies_in_setup():\n    os._exit(5)\n"
                     "@pytest.fixture\ndef dies_in_teardown():\n    yield\n    os._exit(6)\n"
                     "def test_setup_dies(dies_in_setup):\n    pass\n"
                     "def test_teardown_dies(dies_in_teardown):\n    pass\n"
                     "@pytest.mark.parametrize('n', range(4))\ndef test_ok(n):\n    pass\n"})
    code, out = _pytest(tmp_path, "-q", "-p", "no:cacheprovider", "-rE", workers=2)
    assert code == 1, out
    assert "5 passed, 2 errors in" in out, out  # as pytest counts an exception there: the test passed, then an error
    assert re.search(r"ERROR test_fixtures.py::test_setup_dies - worker gw\d+ \(pid \d+\) ended with exit status 5",
                     out), out
    assert re.search(r"ERROR test_fixtures.py::test_teardown_dies - worker gw\d+ .* exit status 6", out), out


def test_a_test_that_leaves_a_forked_child_or_a_thread_running(tmp_path: Path) -> None:
    _tree(tmp_path, {"test_leaves.py": "import os, threading, time\nfrom note import note\n"
                     "def test_forks():\n    pid = os.fork()\n    if pid == 0:\n        time.sleep(60)\n"
                     "        os._exit(0)\n    note('forks', child=pid)\n"
                     "def test_thread():\n    threading.Thread(target=time.sleep, args=(60,)).start()\n"
                     "def test_more():\n    pass\n"})
    try:
        started = time.monotonic()
        code, out = _pytest(tmp_path, "-q", "-p", "no:cacheprovider", workers=2, timeout=30)
        assert code == 0 and "3 passed" in out, out
        assert time.monotonic() - started < 20
    finally:
        for n in _notes(tmp_path):
            with contextlib.suppress(ProcessLookupError):
                os.kill(n["child"], signal.SIGKILL)


def test_a_forked_child_that_returns_into_pytest_does_not_act_as_the_worker(tmp_path: Path) -> None:
    _tree(tmp_path, {"test_returns.py": "import os\n"
                     "def test_forks_and_returns():\n    pid = os.fork()\n    if pid:\n"
                     "        assert os.waitpid(pid, 0)[1] != 0  # the child ended at its first message up\n"
                     "def test_next():\n    pass\n"})
    code, out = _pytest(tmp_path, "-q", "-p", "no:cacheprovider", "-rA", workers=1, timeout=30)
    assert code == 0 and "2 passed in" in out and out.count("PASSED test_returns.py::test_forks_and_returns") == 1, out

def test_a_report_larger_than_a_pipe_arrives_whole(tmp_path: Path) -> None:
    _tree(tmp_path, {"test_big.py": "def test_big():\n    print('x' * 300_000 + 'END')\n"
                     "    assert 'a' * 100_000 == 'b' * 100_000\n"})
    code, out = _pytest(tmp_path, "-q", "-p", "no:cacheprovider", "-vv", workers=1)
    code0, out0 = _pytest(tmp_path, "-q", "-p", "no:cacheprovider", "-vv", "-n", "0")
    assert code == code0 == 1 and "1 failed" in out, out
    assert "x" * 300_000 + "END" in out and _normal(out) == _normal(out0)  # the whole diff, as without workers


OPTIONS_TREE = '''import time, warnings, pytest
@pytest.mark.parametrize("n", range(5))
def test_passes(n):
    print(f"out of {n}")
def test_fails():
    assert 2 + 2 == 5
def test_fails_too():
    assert not "no"
def test_slow():
    time.sleep(0.2)  # the one test the durations must list
@pytest.mark.skip(reason="not now")
def test_skipped():
    pass
@pytest.mark.xfail(reason="known")
def test_xfails():
    assert False
def test_warns():
    warnings.warn("careful now", UserWarning)
'''


def _normal(out: str) -> list[str]:
    """The output without what varies from run to run: times, and in the durations section every line but the
    slow test's call (which other phases pass the 0.005 s cut, and so whether a "hidden" line and a blank one
    follow, depends on the machine's load)."""
    kept, in_durations = [], False
    for line in (re.sub(r"\d+\.\d+s", "T", x) for x in out.splitlines()):
        if "slowest 5 durations" in line:
            in_durations = True
        elif in_durations and (line.startswith("=") or re.match(r"\d+ (passed|failed)", line)):
            in_durations = False
        elif in_durations and not re.match(r"T +call +\S+::test_slow$", line):
            continue  # its setup and teardown, like the quick tests' phases, pass the cut or not by load
        kept.append(line)
    return kept


def test_options_give_what_they_give_without_the_workers(tmp_path: Path) -> None:
    _tree(tmp_path, {"test_options.py": OPTIONS_TREE})
    for args in (["-rA", "--durations=5", "-k", "not passes[4]"], ["--lf", "-rA", "-k", "not fails_too"]):
        # One worker: the same order as one process, so the same output line for line.
        code, out = _pytest(tmp_path, "-q", *args, workers=1)
        code0, out0 = _pytest(tmp_path, "-q", "-n", "0", *args)
        assert code == code0 == 1 and _normal(out) == _normal(out0), f"{out}\n-----\n{out0}"
        if "--durations=5" in args:
            assert "careful now" in out and "out of 3" in out and "call     test_options.py::test_slow" in out, out
        if "--lf" in args:
            assert "1 failed, 1 deselected in" in out and "FAILED test_options.py::test_fails " in out, out


def test_a_collection_error_stops_the_run_as_without_the_workers(tmp_path: Path) -> None:
    _tree(tmp_path, {"test_fine.py": "def test_fine():\n    pass\n",
                     "test_broken.py": "import no_such_module_here\ndef test_never():\n    pass\n"})
    for args in ([], ["--continue-on-collection-errors"]):
        code, out = _pytest(tmp_path, "-q", "-p", "no:cacheprovider", *args, workers=2)
        code0, out0 = _pytest(tmp_path, "-q", "-p", "no:cacheprovider", "-n", "0", *args)
        assert code == code0 and _normal(out) == _normal(out0), f"{out}\n-----\n{out0}"
    assert code == 1 and "1 passed, 1 error" in out
