"""The import graph of the whole ``nitro`` namespace, and the cycles in it.

grimp (installed with import-linter) reads every ``import`` statement, including
the ones inside functions and under ``if TYPE_CHECKING:``, so an import moved into a
function to dodge a circular import still counts here.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import tempfile
from pathlib import Path

import grimp

REPO_ROOT = Path(__file__).resolve().parents[2]


def _lint_imports_script():
    spec = importlib.util.spec_from_file_location(
        "nitro_lint_imports", REPO_ROOT / "scripts" / "lint_imports.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_graph(root: Path = REPO_ROOT) -> grimp.ImportGraph:
    """The graph of ``nitro`` over the merged view of every member's portion (the one
    ``scripts/lint_imports.py`` builds for import-linter)."""
    script = _lint_imports_script()
    with tempfile.TemporaryDirectory(prefix="nitro-import-graph-") as tmp:
        script.build_merged_view(root, Path(tmp))
        sys.path.insert(0, tmp)
        try:
            return grimp.build_graph("nitro", cache_dir=None)
        finally:
            sys.path.remove(tmp)


def core_modules(root: Path = REPO_ROOT) -> set[str]:
    """The module names nitro-core ships."""
    portion = root / "packages" / "nitro-core" / "src"
    names = set()
    for path in portion.rglob("*.py"):
        parts = path.relative_to(portion).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """The strongly connected components (more than one module) of the graph
    restricted to *modules*, each sorted; Tarjan's algorithm, iteratively."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(modules):
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            recurse = False
            for i in range(position, len(edges[node])):
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((node, i + 1))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if recurse:
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(found)


def describe_cycle(graph: grimp.ImportGraph, component: list[str]) -> str:
    """One concrete cycle through *component*, each import with its line:
    ``a (a.py:3 'from b import x') -> b ...``."""
    members = set(component)
    start = component[0]
    # Breadth-first search for the shortest way back to start inside the component.
    previous: dict[str, str] = {}
    frontier = [start]
    seen = {start}
    last = None
    while frontier and last is None:
        following = []
        for node in frontier:
            for nxt in sorted(graph.find_modules_directly_imported_by(node) & members):
                if nxt == start:
                    last = node
                    break
                if nxt not in seen:
                    seen.add(nxt)
                    previous[nxt] = node
                    following.append(nxt)
            if last is not None:
                break
        frontier = following
    path = [start]
    node = last
    while node is not None and node != start:
        path.insert(1, node)
        node = previous.get(node)
    path.append(start)
    steps = []
    for importer, imported in itertools.pairwise(path):
        details = graph.get_import_details(importer=importer, imported=imported)
        where = ", ".join(f"line {d['line_number']}: {d['line_contents']!r}" for d in details)
        steps.append(f"  {importer} -> {imported}   ({where})")
    return f"{len(component)} modules: {', '.join(component)}\n" + "\n".join(steps)
