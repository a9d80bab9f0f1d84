"""Dependencies point one way: tui -> widgets -> liqwatch. The engine never imports the UI stack."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_ENGINE = ("textual", "rich", "widgets", "tui")
FORBIDDEN_IN_WIDGETS = ("tui", "aiohttp", "ccxt")


def _imported_roots(path: Path) -> set[str]:
    """Every top-level module named by an import statement anywhere in the file, functions included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def _violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        hit = _imported_roots(path) & set(forbidden)
        if hit:
            bad.append(f"{path.relative_to(ROOT)} imports {sorted(hit)}")
    return bad


def test_engine_never_imports_ui_stack_even_inside_functions() -> None:
    assert _violations("liqwatch", FORBIDDEN_IN_ENGINE) == []


def test_widgets_do_not_import_tui_or_io() -> None:
    assert _violations("widgets", FORBIDDEN_IN_WIDGETS) == []


def test_checker_catches_a_nested_import(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("def f():\n    import rich.text\n    from textual.app import App\n", encoding="utf-8")
    assert _imported_roots(f) == {"rich", "textual"}


def test_importing_every_engine_module_loads_no_ui_module() -> None:
    code = (
        "import importlib, pkgutil, sys, liqwatch\n"
        "for m in pkgutil.walk_packages(liqwatch.__path__, 'liqwatch.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [n for n in sys.modules if n.split('.')[0] in ('textual', 'rich', 'widgets', 'tui')]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
