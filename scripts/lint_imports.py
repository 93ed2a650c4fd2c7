"""Run import-linter over the whole ``nitro`` namespace.

Every workspace member ships its own ``src/nitro/`` portion. nitro-core's
``nitro/__init__.py`` stitches them together at import time with ``extend_path``, but
grimp (import-linter's graph builder) reads a single directory per root package and
never executes that line. So this script builds a merged view -- one ``nitro/`` tree of
symlinks to the real files, with an empty ``nitro/adapters/__init__.py`` standing in
for the PEP 420 namespace -- puts it first on ``PYTHONPATH`` and runs ``lint-imports``
with the contracts from the root ``pyproject.toml``.

Usage: ``uv run python scripts/lint_imports.py [--root DIR] [lint-imports options]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def member_portions(root: Path) -> list[Path]:
    """Every member's ``src/nitro`` directory, nitro-core first."""
    portions = sorted((root / "packages").glob("*/src/nitro"))
    portions.sort(key=lambda p: p.parts[-3] != "nitro-core")
    return portions


def build_merged_view(root: Path, target: Path) -> Path:
    """Symlink every file of every portion into ``target/nitro`` and return it."""
    merged = target / "nitro"
    for portion in member_portions(root):
        for source in portion.rglob("*.py"):
            if "__pycache__" in source.parts:
                continue
            dest = merged / source.relative_to(portion)
            if dest.exists():
                raise SystemExit(f"{source} clashes with {dest.resolve()}: two members ship it")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(source)
    for directory in [merged, *(p for p in merged.rglob("*") if p.is_dir())]:
        if directory.name != "__pycache__":
            (directory / "__init__.py").touch(exist_ok=True)
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="workspace root")
    args, rest = parser.parse_known_args(argv)
    root = args.root.resolve()
    with tempfile.TemporaryDirectory(prefix="nitro-lint-imports-") as tmp:
        build_merged_view(root, Path(tmp))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [tmp, env.get("PYTHONPATH")]))
        command = [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
            "--no-cache",
            *rest,
            str(root / "pyproject.toml"),
        ]
        return subprocess.run(command, env=env, cwd=root, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
