"""Type-check sample user code with ``mypy --strict`` (each package's tests/type_check/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


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
