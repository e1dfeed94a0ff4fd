"""Imports run one way: web -> sync -> rules -> core (docs/architecture.md, ADR 0056).

Every module of core/, server/ and sync/ is read (not imported) and each import in it,
at the top or late inside a function, is checked against the layer table below. A module
may import its own layer and the layers under it, never one above; Flask is imported in
the web layer only. A new module is placed by the longest prefix that names it.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "server", "sync")

# Bottom first: a layer may import those before it in this tuple, never those after it.
LAYERS = ("core", "rules", "sync", "web")

# Longest prefix wins. Everything of server/ not named here is the web layer.
PLACES = {
    "core": "core",
    "server.services": "rules",
    "server.schemas": "rules",
    "server.validation": "rules",
    "server.problems": "rules",
    "server.numbers": "rules",
    "server.logsafe": "rules",
    "server.config": "rules",
    "server.cards": "rules",
    "server.metrics": "rules",
    "server.demo": "rules",
    "sync": "sync",
    "server": "web",
    # Flask itself and its extensions: only the web layer holds an app or a request.
    "flask": "web",
    "flask_sqlalchemy": "web",
    "flask_migrate": "web",
}


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name, or None for a module outside the table (the
    standard library, third parties other than Flask)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        place = PLACES.get(".".join(parts[:n]))
        if place is not None:
            return place
    return None


def module_name(path: Path, root: Path = ROOT) -> str:
    """`server/services/people.py` -> `server.services.people`; a package's __init__ is
    the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the layered packages under `root`, by dotted name."""
    return {module_name(p, root): p
            for package in PACKAGES for p in sorted((root / package).rglob("*.py"))}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, imported module) for every import statement in the file, wherever it is.

    `from a.b import c` names the module a.b.c when that is a module of ours (so
    `from server.services import people` is judged as server.services.people), else a.b.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: climb from this module's package
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((node.lineno, sub if sub in modules else base))
    return found


def wrong_way(modules: dict[str, Path], root: Path = ROOT) -> list[str]:
    """One line per import from a lower layer into a higher one: file, line, both layers."""
    problems = []
    for name, path in modules.items():
        here = layer_of(name)
        for line, target in imports_of(name, path, modules):
            there = layer_of(target)
            if there is not None and LAYERS.index(there) > LAYERS.index(here):
                problems.append(f"{path.relative_to(root).as_posix()}:{line} ({here} layer) "
                                f"imports {target} ({there} layer)")
    return list(dict.fromkeys(problems))  # `from flask import a, b`: one line, not two


def test_every_module_has_a_layer():
    modules = our_modules()
    assert len(modules) > 100, "too few modules found: is ROOT right?"
    assert all(layer_of(name) in LAYERS for name in modules)


def test_imports_run_one_way():
    problems = wrong_way(our_modules())
    assert not problems, ("a lower layer imports a higher one (docs/architecture.md, "
                          "'Layers'):\n" + "\n".join(problems))


@pytest.mark.parametrize("probe, source, line, target, layers", [
    ("core/changelog.py", "from server.services import serialize\n", 1,
     "server.services.serialize", ("core", "rules")),
    ("server/services/people.py", "def link():\n    from server.api import cards\n", 2,
     "server.api.cards", ("rules", "web")),
    ("sync/maintenance.py", "def job():\n    from server.extensions import db\n", 2,
     "server.extensions", ("sync", "web")),
    ("server/metrics/parallel.py", "from flask import current_app\n", 1,
     "flask", ("rules", "web")),
    ("server/services/people.py", "from ..township import views\n", 1,
     "server.township.views", ("rules", "web")),
    ("core/models/base.py", "import sync.ids\n", 1, "sync.ids", ("core", "sync")),
])
def test_a_wrong_way_import_is_named(tmp_path, probe, source, line, target, layers):
    """The check itself, on a throwaway tree: an import upward, at the top, late inside a
    function or relative, is reported with its file, line and both layers."""
    for path in (probe, "server/api/cards.py", "server/township/views.py",
                 "server/services/serialize.py", "sync/ids.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).touch()
    (tmp_path / probe).write_text(source, encoding="utf-8")
    problems = wrong_way(our_modules(tmp_path), tmp_path)
    assert problems == [f"{probe}:{line} ({layers[0]} layer) imports {target} "
                        f"({layers[1]} layer)"]


def test_lower_layers_load_without_flask():
    """Importing every module below the web layer (and so the packages' __init__ files
    on the way) in a fresh interpreter loads no Flask."""
    names = sorted(n for n in our_modules() if layer_of(n) != "web"
                   and not n.endswith("__main__"))
    code = ("import sys\n" + "".join(f"import {n}\n" for n in names)
            + "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('flask')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
