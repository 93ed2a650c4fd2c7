"""The hand-written stub agrees with the compiled module (mypy.stubtest)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_stubtest() -> None:
    # mypy is a dev dependency: a missing one fails here rather than skipping.
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "rusty_tags._rusty_tags"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_user_code_type_checks() -> None:
    # mypy is a dev dependency: a missing one fails here rather than skipping.
    usage = Path(__file__).parent / "type_check" / "usage.py"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(usage)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_type_errors_are_caught() -> None:
    # The stubs reject what the library rejects, so the check above means something.
    # mypy is a dev dependency: a missing one fails here rather than skipping.
    code = "from rusty_tags import Div\nDiv(object(), x=object())\n"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "arg-type" in result.stdout
