"""The workspace rules of docs/contributing.md hold: versions, ranges, the import contract."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parent.parent
ROOT_CONFIG = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
MEMBER_DIRS = [
    *sorted(p.parent for p in (REPO_ROOT / "packages").glob("*/pyproject.toml")),
    REPO_ROOT / "rustytags",
]
SIBLINGS = {
    canonicalize_name(tomllib.loads((d / "pyproject.toml").read_text())["project"]["name"])
    for d in MEMBER_DIRS
}


def project(member: Path) -> dict:
    return tomllib.loads((member / "pyproject.toml").read_text())["project"]


def all_requirements(member: Path) -> list[Requirement]:
    meta = project(member)
    lines = list(meta.get("dependencies", []))
    for extra in meta.get("optional-dependencies", {}).values():
        lines.extend(extra)
    return [Requirement(line) for line in lines]


def test_workspace_has_the_nine_members():
    assert {
        "nitro-core", "nitro-sql", "nitro-redis", "nitro-fastapi", "nitro-flask",
        "nitro-fasthtml", "nitro-admin", "nitro-cqrs", "rusty-tags",
    } == SIBLINGS  # fmt: skip


@pytest.mark.parametrize("member", MEMBER_DIRS, ids=lambda p: p.name)
def test_member_has_static_version_readme_changelog_and_tests(member: Path):
    meta = project(member)
    assert "version" not in meta.get("dynamic", [])
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["version"])
    changelog = (member / "CHANGELOG.md").read_text()
    assert f"## {meta['version']}" in changelog, f"{member.name}: CHANGELOG lacks {meta['version']}"
    assert (member / "README.md").stat().st_size > 200
    assert any((member / "tests").glob("test_*.py"))


@pytest.mark.parametrize("member", MEMBER_DIRS, ids=lambda p: p.name)
def test_every_sibling_dependency_has_a_version_range(member: Path):
    for requirement in all_requirements(member):
        if canonicalize_name(requirement.name) not in SIBLINGS:
            continue
        operators = {spec.operator for spec in requirement.specifier}
        assert operators & {">=", ">", "~=", "=="}, (
            f"{member.name}: {requirement} has no lower bound"
        )
        assert operators & {"<", "<=", "~=", "=="}, (
            f"{member.name}: {requirement} has no upper bound"
        )


def test_sibling_ranges_include_the_sibling_version():
    versions = {canonicalize_name(project(d)["name"]): project(d)["version"] for d in MEMBER_DIRS}
    for member in MEMBER_DIRS:
        for requirement in all_requirements(member):
            name = canonicalize_name(requirement.name)
            if name in versions:
                assert requirement.specifier.contains(versions[name]), (
                    member.name,
                    str(requirement),
                )


def test_core_extras_pull_each_sibling():
    extras = project(REPO_ROOT / "packages" / "nitro-core")["optional-dependencies"]
    expected = {"sql", "redis", "fastapi", "flask", "fasthtml", "admin", "cqrs"}
    #: extras of core's own optional features (third-party libraries, no sibling)
    features = {
        "jwt": {"pyjwt"},
        "oidc": {"authlib", "requests"},
        "metrics": {"prometheus-client"},
        "otel": {
            "opentelemetry-api",
            "opentelemetry-sdk",
            "opentelemetry-exporter-otlp-proto-http",
            "opentelemetry-instrumentation-sqlalchemy",
            "opentelemetry-instrumentation-redis",
            "greenlet",
        },
    }
    assert set(extras) == expected | set(features) | {"all"}
    for extra in expected:
        assert [Requirement(r).name for r in extras[extra]] == [f"nitro-{extra}"]
    for extra, names in features.items():
        assert {Requirement(r).name for r in extras[extra]} == names
    assert {Requirement(r).name for r in extras["all"]} == {
        f"nitro-{e}" for e in expected
    } | set().union(*features.values())


def test_rusty_tags_cargo_and_pyproject_versions_are_equal():
    cargo = tomllib.loads((REPO_ROOT / "rustytags" / "Cargo.toml").read_text())
    assert cargo["package"]["version"] == project(REPO_ROOT / "rustytags")["version"]


def core_top_level_modules() -> set[str]:
    core = REPO_ROOT / "packages" / "nitro-core" / "src" / "nitro"
    return {
        f"nitro.{p.stem if p.is_file() else p.name}"
        for p in core.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }


def test_forbidden_contract_covers_every_core_module():
    """New core modules must be added to the contract, or the rule silently weakens."""
    modules = core_top_level_modules()
    contracts = [
        c for c in ROOT_CONFIG["tool"]["importlinter"]["contracts"] if c["id"].startswith("core-")
    ]
    assert {c["id"] for c in contracts} == {"core-imports-no-member", "core-is-framework-free"}
    for contract in contracts:
        missing = modules - set(contract["source_modules"])
        assert not missing, f"add {sorted(missing)} to source_modules of {contract['id']!r}"


def test_layers_contract_places_every_core_module():
    """A new core module must be given its layer (see the comments in pyproject.toml)."""
    (contract,) = [
        c for c in ROOT_CONFIG["tool"]["importlinter"]["contracts"] if c["id"] == "layers"
    ]
    placed = {name.strip() for layer in contract["layers"] for name in layer.split("|")}
    missing = core_top_level_modules() - placed
    assert not missing, f"add {sorted(missing)} to a layer of the 'layers' contract"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "lint_imports.py"), "--root", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )


def copy_workspace(tmp_path: Path) -> Path:
    copy = tmp_path / "ws"
    copy.mkdir()
    shutil.copy(REPO_ROOT / "pyproject.toml", copy)
    shutil.copytree(
        REPO_ROOT / "packages", copy / "packages", ignore=shutil.ignore_patterns("__pycache__")
    )
    return copy


def test_import_contract_passes_on_the_real_tree():
    result = lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("importer", "statement", "broken"),
    [
        ("nitro-admin/src/nitro/admin/_probe.py", "import nitro.sql\n", "do not import each other"),
        (
            "nitro-flask/src/nitro/adapters/flask/_probe.py",
            "from nitro.adapters import fastapi\n",
            "do not import each other",
        ),
        ("nitro-core/src/nitro/cli.py", "import nitro.redis\n", "imports no other member"),
        ("nitro-core/src/nitro/web.py", "import starlette\n", "imports no web framework"),
        ("nitro-core/src/nitro/signals.py", "import nitro.entity\n", "imports only point down"),
        (
            "nitro-core/src/nitro/persistence/base.py",
            "def later():\n    from nitro.actions import dispatcher\n",
            "imports only point down",
        ),
    ],
)  # fmt: skip
def test_a_cross_member_import_breaks_the_contract(tmp_path, importer, statement, broken):
    copy = copy_workspace(tmp_path)
    target = copy / "packages" / importer
    target.write_text(statement + (target.read_text() if target.exists() else ""))
    result = lint_imports(copy)
    assert result.returncode != 0, result.stdout
    assert broken in result.stdout, result.stdout
    assert "BROKEN" in result.stdout, result.stdout


def test_ci_runs_the_readme_commands():
    """The README's test command is what .ci/run runs, and its demo is the tested one."""
    readme = (REPO_ROOT / "README.md").read_text()
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"```bash\n(uv run [^\n]+)\n```", readme)
    assert commands == [
        "uv run --all-packages examples/todo/app.py",
        "uv run --all-packages pytest",
    ]
    assert commands[1] in ci.splitlines()
    assert (REPO_ROOT / "examples" / "todo" / "app.py").exists()
