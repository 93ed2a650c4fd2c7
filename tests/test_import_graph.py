"""No import cycles in nitro-core or nitro-sql, function-level imports included.

A circular import held apart by moving one import into a function still couples the
two modules both ways; the layers (``[tool.importlinter]`` in the root pyproject) say
which way an import may point, and this test says that no chain of imports comes back.
"""

from __future__ import annotations

import pytest
from nitro_import_graph import build_graph, core_modules, cycles, describe_cycle


@pytest.fixture(scope="module")
def graph():
    return build_graph()


def assert_no_cycles(graph, modules):
    found = cycles(graph, modules)
    report = "\n\n".join(describe_cycle(graph, component) for component in found)
    assert not found, f"import cycles:\n{report}"


def test_nitro_core_has_no_import_cycle(graph):
    assert_no_cycles(graph, core_modules() & graph.modules)


def test_nitro_sql_has_no_import_cycle(graph):
    assert_no_cycles(graph, {m for m in graph.modules if m.startswith("nitro.sql")})


def test_the_cycle_finder_sees_function_level_imports(tmp_path):
    """The finder is not blind to ``import`` inside a function (the usual hiding place)."""
    import grimp

    package = tmp_path / "cyclepkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclepkg import b\n")
    (package / "b.py").write_text("def later():\n    from cyclepkg import a\n")
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        small = grimp.build_graph("cyclepkg", cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))
    assert cycles(small, set(small.modules)) == [["cyclepkg.a", "cyclepkg.b"]]
    assert "line 2" in describe_cycle(small, ["cyclepkg.a", "cyclepkg.b"])
