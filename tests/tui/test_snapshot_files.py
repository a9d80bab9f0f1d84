"""Every SVG snapshot on disk belongs to a snapshot test. syrupy reports (and ``--snapshot-update`` deletes)
snapshots that no test used, but not under pytest-xdist, where each worker sees only its share of the tests:
this check stands in for it, so a renamed or removed test cannot leave a stale picture behind."""

from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).parent
SNAPSHOTS = HERE / "__snapshots__"


def _tests_in(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and n.name.startswith("test_")}


def test_every_snapshot_file_is_named_for_a_test_of_its_module() -> None:
    svgs = sorted(SNAPSHOTS.rglob("*.svg"))
    assert svgs, f"no snapshots under {SNAPSHOTS}"
    orphans = []
    for svg in svgs:
        module = HERE / f"{svg.parent.name}.py"
        test = svg.stem.split("[", 1)[0]  # a parametrized test's snapshot carries its parameters
        if not module.is_file() or test not in _tests_in(module):
            orphans.append(str(svg.relative_to(HERE)))
    # `pytest -n 0 tests/tui --snapshot-update` deletes them (syrupy, without xdist).
    assert orphans == [], f"snapshots without a test: {orphans}"
