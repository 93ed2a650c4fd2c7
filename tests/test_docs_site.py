"""The documentation site (mkdocs.yml) builds in strict mode and its API reference is whole.

- ``mkdocs build --strict`` succeeds: no broken link, missing page, bad snippet path or
  griffe warning.
- Every name in the ``__all__`` of every public module of every distribution is in the
  built ``objects.inv`` (so it has a reference entry), and has a docstring.
- The generated pages (scripts/gen_reference.py) are up to date.

The build reads the sources with griffe and needs no network. mkdocs is a dev
dependency: when it is missing these tests fail, they are not skipped.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zlib
from pathlib import Path
from types import ModuleType

import griffe
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


gen_reference = _load_script("gen_reference")
griffe_nitro = _load_script("griffe_nitro")

#: Names re-exported from third-party libraries: they are documented (and their
#: docstrings kept) upstream. nitro.sql hands users SQLModel's and SQLAlchemy's own
#: helpers so models need one import.
THIRD_PARTY = {
    "nitro.sql.Field": "sqlmodel.Field",
    "nitro.sql.Relationship": "sqlmodel.Relationship",
    "nitro.sql.and_": "sqlalchemy.and_",
    "nitro.sql.col": "sqlmodel.col",
    "nitro.sql.not_": "sqlalchemy.not_",
    "nitro.sql.or_": "sqlalchemy.or_",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built by ``mkdocs build --strict`` from the working tree."""
    site_dir = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    problems = [
        line for line in result.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))
    ]
    assert result.returncode == 0, "mkdocs build --strict failed:\n" + (
        "\n".join(problems) or result.stderr[-4000:]
    )
    return site_dir


def inventory_names(objects_inv: Path) -> set[str]:
    """The object names of a Sphinx ``objects.inv`` (version 2), as mkdocstrings writes it.

    Four header lines, then zlib-compressed lines ``name domain:role priority uri
    dispname``.
    """
    data = objects_inv.read_bytes()
    header_end = 0
    for _ in range(4):
        header_end = data.index(b"\n", header_end) + 1
    assert data.startswith(b"# Sphinx inventory version 2"), data[:header_end]
    body = zlib.decompress(data[header_end:]).decode()
    return {line.split(" ", 1)[0] for line in body.splitlines() if line.strip()}


def test_public_modules_found() -> None:
    modules = gen_reference.all_public_names()
    for expected in [
        "nitro",
        "nitro.actions",
        "nitro.persistence",
        "nitro.sql",
        "nitro.redis",
        "nitro.adapters.fastapi",
        "nitro.adapters.flask",
        "nitro.adapters.fasthtml",
        "nitro.admin",
        "nitro.cqrs",
        "rusty_tags",
    ]:
        assert modules.get(expected), f"{expected} has no __all__ or was not found"
    assert not [m for m in modules if any(p.startswith("_") for p in m.split("."))]


def test_build_is_strict_and_clean(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "reference" / "nitro-core" / "index.html").is_file()
    assert (site / "reference" / "admin-checks" / "index.html").is_file()


def test_every_public_name_is_in_the_inventory(site: Path) -> None:
    documented = inventory_names(site / "objects.inv")
    expected = {
        f"{module}.{name}"
        for module, names in gen_reference.all_public_names().items()
        for name in names
    }
    expected |= set(gen_reference.all_public_names())
    # Re-exports of other libraries are listed on the page, not documented again.
    assert gen_reference.all_third_party_names() == THIRD_PARTY
    missing = sorted(expected - documented - set(THIRD_PARTY))
    assert not missing, f"{len(missing)} public names missing from the reference: {missing}"


def test_methods_of_private_mixins_are_on_their_public_class(site: Path) -> None:
    # (scripts/griffe_nitro.py:PrivateBasesInline: a class split into private mixins
    # keeps every method on its page)
    documented = inventory_names(site / "objects.inv")
    for name in [
        "nitro.cqrs.bus.Bus.register",  # (from nitro.cqrs._registry._Registration)
        "nitro.cqrs.bus.Bus.send",  # (its own)
        "nitro.sql.backend.SQLModelBackend.find",  # (from nitro.sql._reads.SQLReads)
        "nitro.sql.backend.SQLModelBackend.save",
        "nitro.admin.site.Admin.change_password",  # (from nitro.admin._login_sessions)
        "nitro.admin.site.Admin.register",
    ]:
        assert name in documented, name


def test_rusty_tags_compiled_members_are_documented(site: Path) -> None:
    documented = inventory_names(site / "objects.inv")
    for name in ["rusty_tags.Div", "rusty_tags.Element", "rusty_tags.Raw", "rusty_tags.Tag"]:
        assert name in documented
    page = (site / "reference" / "rusty-tags" / "index.html").read_text()
    # Div's docstring, from the stub, with its tag quoted (scripts/griffe_nitro.py)
    assert "Builds a <code>&lt;div&gt;</code> element" in page


def _loaded_api() -> griffe.ModulesCollection:
    loader = griffe.GriffeLoader(
        search_paths=[str(d.source) for d in gen_reference.distributions()],
        extensions=griffe.load_extensions(
            griffe_nitro.PkgutilNamespaceInit(), griffe_nitro.CommentDocstrings()
        ),
    )
    for package in ("nitro", "rusty_tags"):
        loader.load(package)
    loader.resolve_aliases(implicit=False, external=None)
    return loader.modules_collection


def test_every_public_name_has_a_docstring() -> None:
    """Defined in Nitro: a docstring (or a ``#:`` comment for a constant)."""
    api = _loaded_api()
    undocumented, third_party = [], {}
    for module, names in gen_reference.all_public_names().items():
        for name in names:
            obj = api[module].members.get(name)
            assert obj is not None, f"{module}.{name} is in __all__ but not defined"
            try:
                target = obj.final_target if obj.is_alias else obj
            except griffe.AliasResolutionError:
                third_party[f"{module}.{name}"] = obj.target_path
                continue
            if not (target.docstring and target.docstring.value.strip()):
                undocumented.append(f"{module}.{name} ({target.path})")
    assert third_party == THIRD_PARTY
    assert not undocumented, f"{len(undocumented)} public names without a docstring:\n" + "\n".join(
        undocumented
    )


def test_generated_pages_are_up_to_date() -> None:
    stale = [str(p.relative_to(ROOT)) for p in gen_reference.stale_pages()]
    assert not stale, f"run `uv run python {gen_reference.GENERATED_BY}`: {stale} out of date"


def test_admin_checks_page_lists_every_id() -> None:
    page = (ROOT / "docs" / "reference" / "admin-checks.md").read_text()
    ids = gen_reference.check_ids()
    assert "admin.E001" in ids
    assert "admin.E101" in ids
    missing = [check_id for check_id in ids if f"| `{check_id}` |" not in page]
    assert not missing, f"admin check ids missing from the page: {missing}"
