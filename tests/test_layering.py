"""Dependencies point one way: tui -> widgets -> liqwatch, and inside the engine from the model up (ENGINE_LAYERS).
The engine never imports the UI stack; no two engine packages import each other."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_ENGINE = ("textual", "rich", "widgets", "tui")
# widgets render snapshots with no I/O: the engine's I/O packages are out of bounds as much as the libraries.
FORBIDDEN_IN_WIDGETS = ("tui", "aiohttp", "ccxt", "liqwatch.feeds", "liqwatch.storage")
# The tests that read every engine module: ast.parse of them all is ~1 s of CPU, so they run on one worker, which
# parses each file's text once (_imported_modules).
ENGINE = pytest.mark.xdist_group("layering-engine")
# A graph target for an import whose name is built at run time (a variable, an f-string...): reported as a
# violation wherever it occurs, since the checker cannot tell what it loads.
UNREADABLE = "<unreadable import> "


def _imported_roots(path: Path) -> set[str]:
    """Every top-level module named by an import statement anywhere in the file, functions included."""
    return {m.split(".")[0] for m in _imported_modules(path, path.stem) if not m.startswith(UNREADABLE)}


def _violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    """A forbidden name is a module or a package (everything under it); an import that cannot be read
    statically is a violation too, since it could load anything."""
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        imported = _imported_modules(path, _module_name(ROOT, path))
        hit = {f for f in forbidden for m in imported if m == f or m.startswith(f + ".")}
        hit |= {m for m in imported if m.startswith(UNREADABLE)}
        if hit:
            bad.append(f"{path.relative_to(ROOT)} imports {sorted(hit)}")
    return bad


@ENGINE
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


# --- Layers inside the engine ---------------------------------------------------------------------------------
# From the bottom; a module may import only from its own layer or below (imports under TYPE_CHECKING and inside
# functions count too). A name is a module or a package (everything under it); the longest name that matches
# places a module, so one module can sit below its package.
# A new top-level module must be placed here: the test fails for a module in no layer.
EMULATOR = "emulator"
ENGINE_LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("model", (
        "liqwatch",  # the package itself: its version
        "liqwatch.model", "liqwatch.clock", "liqwatch.tiers", "liqwatch.symbols", "liqwatch.funding",
        "liqwatch.liquidations", "liqwatch.redact", "liqwatch.status", "liqwatch.risk_events", "liqwatch.feed_events",
        "liqwatch.push_intervals", "liqwatch.feed_channel", "liqwatch.rest_pause", "liqwatch.alert_levels",
        "liqwatch.level_ladders",
    )),
    # config imports only the model; danger (risk) reads the configured thresholds, so config sits below risk.
    ("config", ("liqwatch.config",)),
    ("risk", (
        "liqwatch.risk", "liqwatch.danger", "liqwatch.funding_split", "liqwatch.liquidation_book",
        "liqwatch.account_book", "liqwatch.scenario",
        # The read model's types carry risk figures (risk.evaluate); its builder is the store's (store_snapshot).
        "liqwatch.read_model", "liqwatch.account_totals",
    )),
    ("store", (
        "liqwatch.store", "liqwatch.store_state", "liqwatch.store_conditions", "liqwatch.store_liquidations",
        "liqwatch.store_snapshot", "liqwatch.store_feed_events", "liqwatch.store_markets", "liqwatch.store_reported",
        "liqwatch.store_changes", "liqwatch.store_incremental",
        "liqwatch.disagreement",
        "liqwatch.funding_ledger",
        "liqwatch.loop_lag",
    )),
    ("storage", ("liqwatch.storage",)),  # SQLite plumbing only: the alert tables are in alerts/
    ("feeds", ("liqwatch.feeds",)),
    ("alerts", ("liqwatch.alerts",)),
    ("app", (
        "liqwatch.commands", "liqwatch.monitor", "liqwatch.demo_environment", "liqwatch.alert_runtime",
        "liqwatch.history_recorder", "liqwatch.stop_signal", "liqwatch.monitor_engine", "liqwatch.snapshot_aging",
        "liqwatch.engine_pacing",
    )),
    # Beside the engine: imports only the model layer, and only the app layer imports it.
    (EMULATOR, ("liqwatch.emulator",)),
)


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _string_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "literal"`` assignments: the one kind of variable an import name is read from."""
    out: dict[str, str] = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            out[node.targets[0].id] = node.value.value
    return out


def _loader_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(names bound to importlib.import_module or __import__, names bound to the importlib module)."""
    loaders, modules = {"__import__"}, {"importlib"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "importlib":
            loaders.update(a.asname or a.name for a in node.names if a.name in ("import_module", "__import__"))
        elif isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name == "importlib")
    return loaders, modules


def _relative(package: str, level: int, module: str) -> str:
    base = package.split(".")[: len(package.split(".")) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[index] if len(call.args) > index else None


def _dynamic_import(call: ast.Call, package: str, constants: dict[str, str]) -> str:
    """The module a call to import_module/__import__ loads, or an UNREADABLE marker naming the call."""
    def literal(node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return constants.get(node.id) if isinstance(node, ast.Name) else None

    unreadable = UNREADABLE + ast.unparse(call)
    name = literal(_arg(call, 0, "name"))
    if name is None:
        return unreadable
    is_dunder = getattr(call.func, "attr", getattr(call.func, "id", "")) == "__import__"
    if is_dunder:
        level_node = _arg(call, 4, "level")
        if level_node is None:
            return name
        if not (isinstance(level_node, ast.Constant) and isinstance(level_node.value, int)):
            return unreadable
        return _relative(package, level_node.value, name) if level_node.value else name
    if not name.startswith("."):
        return name
    anchor = literal(_arg(call, 1, "package"))
    if anchor is None:
        return unreadable
    level = len(name) - len(name.lstrip("."))
    return _relative(anchor, level, name[level:])


# A file's imports, by its path, module name and text (see ENGINE).
_SCANNED: dict[tuple[Path, str, str], frozenset[str]] = {}


def _imported_modules(path: Path, name: str) -> frozenset[str]:
    text = path.read_text(encoding="utf-8")
    key = (path, name, text)
    if key not in _SCANNED:
        _SCANNED[key] = frozenset(_scan_imports(path, name, text))
    return _SCANNED[key]


def _scan_imports(path: Path, name: str, text: str) -> set[str]:
    """Every module an import statement in the file names (``from a import b`` names ``a`` and ``a.b``),
    relative imports resolved, functions and ``TYPE_CHECKING`` blocks included; ``import_module``/``__import__``
    calls (aliased too) resolved where their names are literal (or a module-level literal), else an
    UNREADABLE marker."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(text, filename=str(path))
    constants = _string_constants(tree)
    loaders, importlib_names = _loader_names(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _relative(package, node.level, node.module or "") if node.level else node.module or ""
            out.add(module)
            out.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and (
            (isinstance(node.func, ast.Name) and node.func.id in loaders)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"
                and isinstance(node.func.value, ast.Name) and node.func.value.id in importlib_names)
        ):
            out.add(_dynamic_import(node, package, constants))
    return out


def _import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """module -> the modules of ``package`` it imports (a name that is not a module resolves to the module
    that defines it)."""
    files = {_module_name(root, p): p for p in sorted((root / package).rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets = set()
        for imported in _imported_modules(path, name):
            if imported.startswith(UNREADABLE):
                targets.add(imported)
                continue
            while imported and imported not in files:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def _layer_of(module: str, layers: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[int, str] | None:
    best: tuple[int, int, str] | None = None
    for rank, (layer, names) in enumerate(layers):
        for n in names:
            # The top-level package names only itself (its ``__init__``), not everything in it.
            inside = "." in n and module.startswith(n + ".")
            if (module == n or inside) and (best is None or len(n) > best[0]):
                best = (len(n), rank, layer)
    return None if best is None else (best[1], best[2])


def _may_import(src: tuple[int, str], dst: tuple[int, str]) -> bool:
    if src[1] == EMULATOR:
        return dst[1] in (EMULATOR, "model")
    if dst[1] == EMULATOR:
        return src[1] in (EMULATOR, "app")
    return dst[0] <= src[0]


def _layer_violations(graph: dict[str, set[str]], layers: tuple[tuple[str, tuple[str, ...]], ...]) -> list[str]:
    bad = []
    for module, targets in sorted(graph.items()):
        src = _layer_of(module, layers)
        if src is None:
            bad.append(f"{module} is in no layer (place it in ENGINE_LAYERS)")
            continue
        for target in sorted(targets):
            if target.startswith(UNREADABLE):
                bad.append(f"{module} ({src[1]}) imports a name it builds at run time, which the layering "
                           f"cannot check: {target[len(UNREADABLE):]}")
                continue
            dst = _layer_of(target, layers)
            if dst is not None and not _may_import(src, dst):
                bad.append(f"{module} ({src[1]}) imports {target} ({dst[1]})")
    return bad


def _unit(module: str, layers: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """What a cycle is counted between: a top-level module or package, or a module placed on its own."""
    placed = {n for _, names in layers for n in names}
    parts = module.split(".")
    for i in range(len(parts), 2, -1):
        if ".".join(parts[:i]) in placed:
            return ".".join(parts[:i])
    return ".".join(parts[:2])


def _package_cycles(graph: dict[str, set[str]], layers: tuple[tuple[str, tuple[str, ...]], ...]) -> list[list[str]]:
    """The strongly connected components (Tarjan, iterative) of more than one unit."""
    edges: dict[str, set[str]] = {}
    for module, targets in graph.items():
        src = _unit(module, layers)
        edges.setdefault(src, set())
        for t in targets:
            if not t.startswith(UNREADABLE) and _unit(t, layers) != src:
                edges[src].add(_unit(t, layers))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


@ENGINE
def test_engine_layers_point_down() -> None:
    assert _layer_violations(_import_graph(ROOT, "liqwatch"), ENGINE_LAYERS) == []


@ENGINE
def test_no_cycle_between_engine_packages() -> None:
    assert _package_cycles(_import_graph(ROOT, "liqwatch"), ENGINE_LAYERS) == []


@ENGINE
def test_every_placed_name_exists() -> None:
    """A stale entry (a module moved or removed) would silently place nothing."""
    modules = set(_import_graph(ROOT, "liqwatch"))
    missing = [n for _, names in ENGINE_LAYERS for n in names
               if n not in modules and not any(m.startswith(n + ".") for m in modules)]
    assert missing == []


def _tmp_package(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for rel, text in files.items():
        path = tmp_path / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return _import_graph(tmp_path, "pkg")


_TMP_LAYERS = (("model", ("pkg", "pkg.base")), ("store", ("pkg.store",)), ("feeds", ("pkg.feeds",)),
               ("app", ("pkg.app",)), (EMULATOR, ("pkg.emu",)))


def test_checker_catches_an_upward_import_also_under_type_checking(tmp_path: Path) -> None:
    graph = _tmp_package(tmp_path, {
        "__init__.py": "",
        "base.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.store import S\n",
        "store.py": "def f():\n    from .feeds import wire\n",
        "feeds/__init__.py": "",
        "feeds/wire.py": "from pkg import base\nfrom pkg.emu import server\n",
        "emu/__init__.py": "",
        "emu/server.py": "import pkg.base\nfrom pkg.store import S\n",
        "app.py": "from pkg.emu import server\nfrom pkg import feeds, store\n",
        "stray.py": "",
    })
    assert _layer_violations(graph, _TMP_LAYERS) == [
        "pkg.base (model) imports pkg.store (store)",
        "pkg.emu.server (emulator) imports pkg.store (store)",
        "pkg.feeds.wire (feeds) imports pkg.emu (emulator)",
        "pkg.feeds.wire (feeds) imports pkg.emu.server (emulator)",
        "pkg.store (store) imports pkg.feeds (feeds)",
        "pkg.store (store) imports pkg.feeds.wire (feeds)",
        "pkg.stray is in no layer (place it in ENGINE_LAYERS)",
    ]


def test_checker_finds_a_cycle_between_packages(tmp_path: Path) -> None:
    graph = _tmp_package(tmp_path, {
        "__init__.py": "",
        "base.py": "",
        "store.py": "from pkg.feeds.channel import Channel\nimport pkg.base\n",
        "feeds/__init__.py": "",
        "feeds/channel.py": "",
        "feeds/adapter.py": "from pkg import store\nfrom pkg.feeds import channel\n",
        "app.py": "import pkg.store\n",
    })
    assert _package_cycles(graph, _TMP_LAYERS) == [["pkg.feeds", "pkg.store"]]
    graph["pkg.store"] = {"pkg.base"}
    assert _package_cycles(graph, _TMP_LAYERS) == []
