"""Review of issue 11's layering test: an upward import the engine can really execute must be caught. Each case
builds a small package in tmp_path (as tests/test_layering.py's own checker tests do) in which the store layer
imports the feeds layer, and runs the layering test's own graph and rule on it."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.test_layering as layering
from tests.test_layering import _TMP_LAYERS, _import_graph, _layer_violations, _violations

UPWARD = "pkg.store (store) imports pkg.feeds.wire (feeds)"


def _graph(tmp_path: Path, store_py: str) -> dict[str, set[str]]:
    files = {"__init__.py": "", "base.py": "", "store.py": store_py, "feeds/__init__.py": "",
             "feeds/wire.py": "", "app.py": "", "emu/__init__.py": ""}
    for rel, text in files.items():
        path = tmp_path / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return _import_graph(tmp_path, "pkg")


def test_the_plain_upward_import_is_caught(tmp_path: Path) -> None:
    """The control: the checker sees the direct form, so the cases below differ from it only in spelling."""
    assert UPWARD in _layer_violations(_graph(tmp_path, "from pkg.feeds import wire\n"), _TMP_LAYERS)


@pytest.mark.parametrize("store_py", [
    pytest.param("import importlib\ndef f():\n    return importlib.import_module('.feeds.wire', 'pkg')\n",
                 id="import_module-relative-with-package"),
    pytest.param("def f():\n    return __import__('feeds.wire', globals(), locals(), ['x'], 1)\n",
                 id="__import__-with-level-1"),
    pytest.param("from importlib import import_module as load\ndef f():\n    return load('pkg.feeds.wire')\n",
                 id="import_module-aliased"),
    pytest.param("import importlib\nNAME = 'pkg.feeds.wire'\ndef f():\n    return importlib.import_module(NAME)\n",
                 id="import_module-of-a-variable"),
    pytest.param("import importlib\ndef f(x: str):\n    return importlib.import_module(f'pkg.feeds.{x}')\n",
                 id="import_module-of-an-f-string"),
])
def test_a_dynamic_upward_import_is_caught_or_refused(tmp_path: Path, store_py: str) -> None:
    """Either resolved to the module it loads, or (a name that cannot be read statically) reported: a dynamic
    import the checker cannot follow must not pass silently."""
    bad = _layer_violations(_graph(tmp_path, store_py), _TMP_LAYERS)
    assert any(v.startswith("pkg.store ") and "feeds" in v for v in bad), bad


def test_widgets_may_not_reach_the_feeds_or_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """widgets/ render engine snapshots with no I/O (BRIEF): a widget importing the Binance adapter (aiohttp,
    sockets) or the SQLite layer is the I/O the rule forbids, one module away."""
    (tmp_path / "widgets").mkdir()
    (tmp_path / "widgets" / "pane.py").write_text("from liqwatch.feeds.binance import BinanceAdapter\n"
                                                  "from liqwatch.storage import db\n", encoding="utf-8")
    monkeypatch.setattr(layering, "ROOT", tmp_path)
    assert _violations("widgets", layering.FORBIDDEN_IN_WIDGETS) != []
