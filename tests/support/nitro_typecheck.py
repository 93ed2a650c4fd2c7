"""Type-check sample user code with ``mypy --strict`` (each package's tests/type_check/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The root pyproject's [tool.mypy]: enables the nitro.mypy plugin.
CONFIG = f"--config-file={REPO_ROOT / 'pyproject.toml'}"


def assert_strict_mypy_passes(type_check_dir: Path, cache_dir: Path) -> None:
    """Fail with mypy's report unless every file in ``type_check_dir`` passes.

    mypy is a dev dependency of the workspace, so a missing mypy is a failure, not a skip.
    """
    files = sorted(type_check_dir.glob("*.py"))
    assert files, f"no sample files in {type_check_dir}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            CONFIG,
            "--python-version=3.11",
            "--follow-imports=silent",  # report errors in the checked files only
            f"--cache-dir={cache_dir}",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


#: The import package of each member's library code (rusty_tags has stubtest instead).
LIBRARY_PACKAGES = {
    "nitro-core": "nitro",
    "nitro-sql": "nitro.sql",
    "nitro-redis": "nitro.redis",
    "nitro-fastapi": "nitro.adapters.fastapi",
    "nitro-flask": "nitro.adapters.flask",
    "nitro-fasthtml": "nitro.adapters.fasthtml",
    "nitro-admin": "nitro.admin",
    "nitro-cqrs": "nitro.cqrs",
}


def strict_mypy_errors(package: str, cache_dir: Path) -> tuple[int, str]:
    """``(exit status, report)`` of ``mypy --strict -p package`` over the installed
    (editable) workspace. Only the package's own modules are reported: the siblings it
    imports are found as installed packages, whose errors mypy keeps silent."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            CONFIG,
            "--python-version=3.11",
            f"--cache-dir={cache_dir}",
            "-p",
            package,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr
