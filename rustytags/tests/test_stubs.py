"""The hand-written stub agrees with the compiled module (mypy.stubtest)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_stubtest() -> None:
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "rusty_tags._rusty_tags"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
