"""The public nitro-sql API type-checks in user code (tests/type_check/, mypy --strict)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TYPE_CHECK_DIR = Path(__file__).parent / "type_check"


@pytest.mark.skipif(
    shutil.which("mypy") is None and not (Path(sys.executable).parent / "mypy").exists(),
    reason="mypy is not installed",
)
def test_user_code_type_checks_strictly(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--python-version=3.11",
            "--follow-imports=silent",  # report errors in the checked file only
            f"--cache-dir={tmp_path / 'mypy-cache'}",
            *map(str, sorted(TYPE_CHECK_DIR.glob("*.py"))),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
