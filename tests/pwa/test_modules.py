"""The phone app's modules (docs/adr/0057-phone-modules.md): imports inside pwa/js run one
way (no module imports, directly or through others, one that imports it), every relative
import names a file that exists, no module grows past the size the house splits at, and
the service worker precaches every module the app loads, so a new module cannot be the
one file missing when the phone opens the app offline."""
from __future__ import annotations

import json
import re
from pathlib import Path

PWA = Path(__file__).resolve().parents[2] / "pwa"
JS = PWA / "js"
MAX_LINES = 400
# Word tables may be longer: splitting them would only scatter the words.
WORD_TABLES = {"js/i18n.js"}
# Static imports and re-exports of a relative path, over several lines too.
RELATIVE_IMPORT = re.compile(
    r"""^\s*(?:(?:import|export)\b[^'";]*?\bfrom|import)\s*['"](\.{1,2}/[^'"]+)['"]""",
    re.MULTILINE)


def imports_of(path: Path) -> list[Path]:
    """The files `path` imports by relative path, resolved."""
    text = path.read_text(encoding="utf-8")
    return [(path.parent / spec).resolve() for spec in RELATIVE_IMPORT.findall(text)]


def import_graph(root: Path = JS) -> dict[Path, list[Path]]:
    """Every module under `root` → the modules it imports."""
    return {p.resolve(): imports_of(p) for p in sorted(root.rglob("*.js"))}


def find_cycle(graph: dict[Path, list[Path]]) -> list[Path] | None:
    """One import loop as a path that starts and ends with the same module, or None."""
    state: dict[Path, int] = {}  # 1: on the current path, 2: finished
    stack: list[Path] = []

    def visit(node: Path) -> list[Path] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _names(paths: list[Path]) -> str:
    return " → ".join(p.relative_to(PWA).as_posix() for p in paths)


def test_the_loop_finder_finds_a_loop(tmp_path):
    """The check below would see a loop: a → b → c → a, written as the app writes imports."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.js").write_text("import { b } from './sub/b.js';\n")
    (tmp_path / "sub" / "b.js").write_text("import {\n  c,\n} from '../c.js';\n")
    (tmp_path / "c.js").write_text("export { a } from './a.js';\n")
    (tmp_path / "d.js").write_text("import './c.js';\n")
    cycle = find_cycle(import_graph(tmp_path))
    assert cycle is not None and cycle[0] == cycle[-1]
    assert {p.name for p in cycle} == {"a.js", "b.js", "c.js"}


def test_no_import_loop_in_the_phone_app():
    """Imports run one way: app.js → views.js → screens/ → shell.js → store.js → … ."""
    cycle = find_cycle(import_graph())
    assert cycle is None, f"import loop: {_names(cycle)}"


def test_every_relative_import_names_a_file():
    """A mistyped path would fail only in the browser, and only on the screen that loads it."""
    missing = [f"{_names([src])} imports {_names([dst])}"
               for src, targets in import_graph().items() for dst in targets if not dst.is_file()]
    assert not missing


def test_no_module_past_the_size_the_house_splits_at():
    """pwa/ modules stay under 400 lines (STYLE.md), the word tables excepted."""
    files = [*JS.rglob("*.js"), PWA / "sw.js", *PWA.glob("tools/*"), *PWA.glob("css/*")]
    long = {p.relative_to(PWA).as_posix(): n for p in files
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    over = {k: v for k, v in long.items() if k not in WORD_TABLES}
    assert not over, f"split these (lines): {over}"


def test_the_service_worker_precaches_every_module_the_app_loads(client):
    """GET /app/sw.js lists, as files to precache, every module reachable from app.js."""
    body = client.get("/app/sw.js").get_data(as_text=True)
    files = set(json.loads(re.search(r"const FILES = (\[.*?\]);", body).group(1)))
    graph = import_graph()
    reached, todo = set(), [(JS / "app.js").resolve()]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(graph.get(module, []))
    assert len(reached) > 20  # the whole app, not a stub
    missing = sorted(m for p in reached if (m := p.relative_to(PWA).as_posix()) not in files)
    assert not missing, f"not precached: {missing}"
