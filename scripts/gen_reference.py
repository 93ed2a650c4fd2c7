"""Write the generated pages of the documentation site (mkdocs.yml).

- ``docs/reference/<distribution>.md``: one ``::: module`` directive (mkdocstrings)
  per public module that has an ``__all__``, listing exactly those names, so the API
  reference cannot forget a module or a name.
- ``docs/reference/admin-checks.md``: every ``admin.E…``/``admin.W…`` check id raised
  in nitro-admin's source, with its meaning from the table in ``docs/admin.md``.
- ``docs/changelog/<distribution>.md``: each distribution's CHANGELOG.md, included.

A public module is one whose dotted path has no ``_``-prefixed part. The pages are
checked in; ``tests/test_docs_site.py`` fails when they differ from what this script
writes. Usage::

    uv run --no-sync python scripts/gen_reference.py          # write the pages
    uv run --no-sync python scripts/gen_reference.py --check  # exit 1 if out of date
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GENERATED_BY = "scripts/gen_reference.py"

#: Distributions whose compiled (Rust) members griffe may import to document them
#: when their stub does not describe them.
COMPILED = {"rusty-tags"}

#: Extra mkdocstrings options of some modules' directives (lines under ``options:``).
EXTRA_OPTIONS: dict[str, list[str]] = {}

_CHECK_ID = re.compile(r"\badmin\.[EW]\d{3}\b")
_TABLE_ROW = re.compile(r"^\|\s*`(admin\.[EW]\d{3})`\s*\|\s*(.*?)\s*\|\s*$")


@dataclass(frozen=True)
class Distribution:
    name: str  # as on PyPI: "nitro-core"
    directory: Path  # the member's directory: packages/nitro-core
    source: Path  # the import root: packages/nitro-core/src

    @property
    def changelog(self) -> Path:
        return self.directory / "CHANGELOG.md"


@dataclass(frozen=True)
class PublicModule:
    name: str  # "nitro.actions"
    path: Path
    names: tuple[str, ...]  # its __all__, in source order
    #: Names of __all__ imported from outside Nitro -> where from ("sqlmodel.Field").
    third_party: dict[str, str]

    @property
    def own_names(self) -> tuple[str, ...]:
        """The names defined in Nitro, which the reference documents."""
        return tuple(name for name in self.names if name not in self.third_party)


def distributions() -> list[Distribution]:
    """Every member of the uv workspace, nitro-core first, then by name."""
    found = []
    for pyproject in [
        *sorted(ROOT.glob("packages/*/pyproject.toml")),
        ROOT / "rustytags/pyproject.toml",
    ]:
        directory = pyproject.parent
        name = tomllib.loads(pyproject.read_text())["project"]["name"]
        source = directory / ("python" if (directory / "python").is_dir() else "src")
        found.append(Distribution(name, directory, source))
    return sorted(found, key=lambda d: (d.name != "nitro-core", d.name))


def module_all(path: Path) -> tuple[str, ...] | None:
    """The literal ``__all__`` of a module's source, or None if it has none."""
    for node in ast.parse(path.read_text(), str(path)).body:
        target = (
            node.targets[0]
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            else node.target
            if isinstance(node, ast.AnnAssign)
            else None
        )
        if isinstance(target, ast.Name) and target.id == "__all__":
            assert node.value is not None
            value = ast.literal_eval(node.value)  # a computed __all__ is a ValueError here
            return tuple(value)
    return None


def third_party_imports(path: Path) -> dict[str, str]:
    """Names a module imports from outside Nitro: ``{"Field": "sqlmodel.Field"}``."""
    found = {}
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in {"nitro", "rusty_tags", "__future__"}:
                continue
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def public_modules(dist: Distribution) -> list[PublicModule]:
    """The modules of ``dist`` with no ``_``-prefixed part that define ``__all__``."""
    modules = []
    for path in sorted(dist.source.rglob("*.py")):
        parts = list(path.relative_to(dist.source).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if any(part.startswith("_") for part in parts):
            continue
        names = module_all(path)
        if names is not None:
            imported = third_party_imports(path)
            third_party = {name: imported[name] for name in names if name in imported}
            modules.append(PublicModule(".".join(parts), path, names, third_party))
    return sorted(modules, key=lambda m: m.name)


def all_public_names() -> dict[str, tuple[str, ...]]:
    """``{"nitro.actions": ("action", ...), ...}`` over every distribution."""
    return {m.name: m.names for d in distributions() for m in public_modules(d)}


def all_third_party_names() -> dict[str, str]:
    """``{"nitro.sql.Field": "sqlmodel.Field", ...}``: re-exports of other libraries."""
    return {
        f"{m.name}.{name}": source
        for d in distributions()
        for m in public_modules(d)
        for name, source in m.third_party.items()
    }


def _header(title: str, intro: str) -> list[str]:
    return [
        f"<!-- Generated by {GENERATED_BY}: edit the sources and rerun it. -->",
        "",
        f"# {title}",
        "",
        intro,
        "",
    ]


def render_reference(dist: Distribution) -> str:
    modules = public_modules(dist)
    lines = _header(
        dist.name,
        f"The public API of the `{dist.name}` distribution: every name in the `__all__` "
        "of its public modules, read from the source (docstrings and signatures).",
    )
    lines += [f"Modules: {', '.join(f'`{m.name}`' for m in modules)}.", ""]
    for module in modules:
        lines += [f"::: {module.name}", "    options:"]
        if dist.name in COMPILED:
            # The extension module's members come from its hand-written stub
            # (_rusty_tags.pyi); griffe imports the module for anything it lacks.
            lines.append("      allow_inspection: true")
        lines += [f"      {option}" for option in EXTRA_OPTIONS.get(module.name, [])]
        if module.own_names:
            lines.append("      members:")
            lines += [f'        - "{name}"' for name in module.own_names]
        else:
            lines.append("      members: false")
        lines.append("")
        if module.third_party:
            lines += [
                f"### Re-exported by `{module.name}`",
                "",
                "These names come from other libraries and are documented there:",
                "",
                *(f"- `{name}`: `{source}`" for name, source in module.third_party.items()),
                "",
            ]
    return "\n".join(lines)


def check_ids() -> dict[str, list[str]]:
    """Every admin check id in nitro-admin's source -> where it is raised."""
    source = ROOT / "packages/nitro-admin/src"
    found: dict[str, list[str]] = {}
    for path in sorted(source.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        module = ".".join(path.relative_to(source).with_suffix("").parts)
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for check_id in _CHECK_ID.findall(node.value):
                        where = f"{module}.{function.name}"
                        if where not in found.setdefault(check_id, []):
                            found[check_id].append(where)
    return dict(sorted(found.items()))


def check_meanings() -> dict[str, str]:
    """The table of ids in docs/admin.md: id -> what the problem is."""
    meanings = {}
    for line in (DOCS / "admin.md").read_text().splitlines():
        match = _TABLE_ROW.match(line)
        if match:
            meanings[match.group(1)] = match.group(2)
    return meanings


def render_admin_checks() -> str:
    ids = check_ids()
    meanings = check_meanings()
    undocumented = sorted(set(ids) - set(meanings))
    if undocumented:
        raise SystemExit(
            f"admin check ids raised in nitro-admin but missing from the table in "
            f"docs/admin.md: {', '.join(undocumented)}"
        )
    lines = _header(
        "Admin check ids",
        "Mounting the admin checks every option of every registered entity and raises one "
        "`AdminConfigurationError` listing every problem; `admin.check()` returns the same "
        "list. Each message starts with its id, which is never reused. This page lists "
        "every id raised in nitro-admin's source and the function that raises it; see "
        "[The admin](../admin.md#checks-and-their-ids) for the options themselves.",
    )
    lines += ["| ID | Problem | Raised in |", "|---|---|---|"]
    for check_id, where in ids.items():
        raised = ", ".join(f"`{w}`" for w in where)
        lines.append(f"| `{check_id}` | {meanings[check_id]} | {raised} |")
    lines.append("")
    return "\n".join(lines)


def render_changelog(dist: Distribution) -> str:
    changelog = dist.changelog.relative_to(ROOT).as_posix()
    return "\n".join(
        [
            f"<!-- Generated by {GENERATED_BY}: the text is {changelog}. -->",
            "",
            f'--8<-- "{changelog}"',
            "",
        ]
    )


def render_reference_index(dists: list[Distribution]) -> str:
    lines = _header(
        "API reference",
        "One page per distribution, generated from the source: every name in the "
        "`__all__` of every public module (a module with no `_`-prefixed part), with its "
        "docstring and signature.",
    )
    for dist in dists:
        modules = public_modules(dist)
        count = sum(len(m.names) for m in modules)
        lines.append(
            f"- [{dist.name}]({dist.name}.md): {len(modules)} module{'s' * (len(modules) > 1)}, "
            f"{count} names "
            f"(`{modules[0].name}` and below)."
        )
    lines += ["", "Also: [the admin check ids](admin-checks.md).", ""]
    return "\n".join(lines)


def render_changelog_index(dists: list[Distribution]) -> str:
    lines = _header(
        "Changelogs",
        "Each distribution has its own version, release tag and CHANGELOG.md.",
    )
    lines += [f"- [{d.name}]({d.name}.md)" for d in dists if d.changelog.is_file()]
    lines.append("")
    return "\n".join(lines)


def expected_pages() -> dict[Path, str]:
    """Every generated page, by path, with the text this script writes."""
    dists = distributions()
    pages = {
        DOCS / "reference" / "index.md": render_reference_index(dists),
        DOCS / "changelog" / "index.md": render_changelog_index(dists),
    }
    for dist in dists:
        pages[DOCS / "reference" / f"{dist.name}.md"] = render_reference(dist)
        if dist.changelog.is_file():
            pages[DOCS / "changelog" / f"{dist.name}.md"] = render_changelog(dist)
    pages[DOCS / "reference" / "admin-checks.md"] = render_admin_checks()
    return pages


def stale_pages() -> list[Path]:
    return [
        path
        for path, text in expected_pages().items()
        if not path.is_file() or path.read_text() != text
    ]


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        stale = stale_pages()
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)} (run {GENERATED_BY})")
        return 1 if stale else 0
    if argv:
        print(__doc__)
        return 2
    for path, text in expected_pages().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
