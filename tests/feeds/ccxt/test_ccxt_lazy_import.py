"""ccxt is imported only when a generic account's instance is made: importing every module of the feeds (the
registry, from_config and the ccxt modules of stage 1 included) and running ``liqwatch check --demo`` or
``liqwatch demo`` leave it out of ``sys.modules``. Each in a fresh interpreter (this one may have imported
ccxt for another test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LOADED = "sorted(n for n in sys.modules if n == 'ccxt' or n.startswith('ccxt.'))[:3]"


def _python(code: str, tmp_path: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env=env)


def test_importing_the_feeds_does_not_import_ccxt(tmp_path: Path) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import liqwatch.feeds\n"
        "for m in pkgutil.walk_packages(liqwatch.feeds.__path__, 'liqwatch.feeds.'):\n"
        "    importlib.import_module(m.name)\n"
        "import liqwatch.feeds.registry, liqwatch.feeds.from_config, liqwatch.feeds.ccxt_instance\n"
        f"print('before', {LOADED})\n"
        "liqwatch.feeds.ccxt_instance.exchange_class('okx')\n"
        f"print('after', {LOADED})\n"
    )
    proc = _python(code, tmp_path, 60)
    assert proc.returncode == 0, proc.stderr
    before, after = proc.stdout.splitlines()
    assert before == "before []"
    assert after.startswith("after ['ccxt'")  # the control: the check sees ccxt once it is imported


@pytest.mark.slow(4)
@pytest.mark.parametrize(("argv", "shown"), [(["check", "--demo", "--json", "--timeout", "30"], '"accounts"'),
                                            (["demo", "--seconds", "3"], "total USDT")], ids=["check", "demo"])
def test_the_demo_commands_do_not_import_ccxt(tmp_path: Path, argv: list[str], shown: str) -> None:
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print('ccxt loaded:', {LOADED}, file=sys.stderr))\n"
        "from tui.cli import main\n"
        f"sys.exit(main({argv!r}))\n"
    )
    proc = _python(code, tmp_path, 90)
    assert shown in proc.stdout, proc.stderr  # the demo ran: its accounts were watched and shown
    assert "ccxt loaded: []" in proc.stderr, proc.stderr
