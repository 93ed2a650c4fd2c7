"""``mypy --strict`` is clean on every member's library code, not only on the samples.

A ``# type: ignore[code]`` in library code needs a reason next to it (a wrong
third-party stub, for example); mypy's ``warn_unused_ignores`` (part of ``--strict``)
reports the ones that stopped being needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nitro_typecheck import LIBRARY_PACKAGES, strict_mypy_errors


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("mypy-cache")  # shared: the later packages reuse core


@pytest.mark.parametrize("package", LIBRARY_PACKAGES.values(), ids=LIBRARY_PACKAGES.keys())
def test_library_code_type_checks_strictly(package: str, cache_dir) -> None:
    status, report = strict_mypy_errors(package, cache_dir)
    assert status == 0, report
    assert "no issues found" in report, report


def test_every_member_with_library_code_is_checked() -> None:
    root = Path(__file__).resolve().parent.parent
    members = {p.parent.parent.name for p in root.glob("packages/*/src/nitro")}
    assert members == set(LIBRARY_PACKAGES)
