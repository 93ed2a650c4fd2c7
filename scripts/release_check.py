"""Resolve a release tag to the one distribution it releases, and check its version.

Tags look like ``<distribution>-v<version>``, e.g. ``nitro-sql-v0.3.0`` or
``rusty-tags-v0.8.1``. The script fails unless the distribution exists in the workspace
and its static version (and, for rusty-tags, the Cargo.toml version) equals the tag's.
On success it prints ``name=...``, ``version=...``, ``path=...`` and ``kind=...``
(``maturin`` or ``hatchling``) lines, ready to append to ``$GITHUB_OUTPUT``.

Usage: ``python scripts/release_check.py nitro-sql-v0.3.0``
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TAG_PATTERN = re.compile(r"^(?P<name>[a-z][a-z0-9-]*?)-v(?P<version>\d+\.\d+\.\d+(?:[-.]?\w+)*)$")


class ReleaseError(Exception):
    """The tag does not describe a releasable state of the workspace."""


def members(root: Path) -> dict[str, Path]:
    found = {}
    for pyproject in [
        *sorted(root.glob("packages/*/pyproject.toml")),
        root / "rustytags" / "pyproject.toml",
    ]:
        name = tomllib.loads(pyproject.read_text())["project"]["name"]
        found[name] = pyproject.parent
    return found


def check(tag: str, root: Path = REPO_ROOT) -> dict[str, str]:
    match = TAG_PATTERN.match(tag)
    if match is None:
        raise ReleaseError(f"tag {tag!r} is not of the form '<distribution>-v<version>'")
    name, version = match["name"], match["version"]
    known = members(root)
    if name not in known:
        raise ReleaseError(
            f"tag {tag!r} names {name!r}, which is not one of: {', '.join(sorted(known))}"
        )
    path = known[name]
    declared = tomllib.loads((path / "pyproject.toml").read_text())["project"]["version"]
    if declared != version:
        raise ReleaseError(
            f"tag {tag!r} says {version} but {path.name}/pyproject.toml says {declared}"
        )
    kind = "hatchling"
    cargo = path / "Cargo.toml"
    if cargo.exists():
        kind = "maturin"
        crate_version = tomllib.loads(cargo.read_text())["package"]["version"]
        if crate_version != version:
            raise ReleaseError(
                f"tag {tag!r} says {version} but {path.name}/Cargo.toml says {crate_version}"
            )
    changelog = (path / "CHANGELOG.md").read_text()
    if f"## {version}" not in changelog:
        raise ReleaseError(f"{path.name}/CHANGELOG.md has no '## {version}' section")
    return {"name": name, "version": version, "path": str(path.relative_to(root)), "kind": kind}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        outputs = check(argv[0])
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for key, value in outputs.items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
