"""Shared fixtures: a venv with rusty-tags 0.7.0 from PyPI (same import name as ours)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LEGACY_VERSION = "0.7.0"
# Under rustytags/.cache/ (gitignored): reused between runs.
LEGACY_VENV = Path(__file__).resolve().parents[1] / ".cache" / f"rusty-tags-{LEGACY_VERSION}"


def _legacy_python() -> Path:
    python = LEGACY_VENV / "bin" / "python"
    marker = LEGACY_VENV / ".installed"
    if marker.exists() and python.exists():
        return python
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv is not on PATH")
    shutil.rmtree(LEGACY_VENV, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([uv, "venv", "-q", "-p", base, str(LEGACY_VENV)], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "-p", str(python), f"rusty-tags=={LEGACY_VERSION}"],
        check=True,
    )
    marker.write_text(LEGACY_VERSION)
    return python


@pytest.fixture(scope="session")
def legacy_python() -> Path:
    """The Python of a venv holding rusty-tags 0.7.0.

    In CI (``CI=true``) failing to build it fails the test; elsewhere it skips with the
    reason printed, e.g. when there is no network.
    """
    try:
        return _legacy_python()
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        message = f"cannot create a venv with rusty-tags {LEGACY_VERSION}: {exc!r}"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        print(message)
        pytest.skip(message)
