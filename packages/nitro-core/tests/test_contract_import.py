"""Another package can import the contract suite and run it against its own backend.

The suite is run by a separate pytest process from a directory outside this
repository's configuration, the way nitro-sql or nitro-redis would run it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from nitro.persistence.testing import RepositoryContract

OUTSIDE_TEST = textwrap.dedent(
    """
    import functools

    import pytest

    from nitro.persistence import MemoryRepo, MemoryStore
    from nitro.persistence.testing import RepositoryContract


    class TestThirdPartyBackendContract(RepositoryContract):
        @pytest.fixture
        def backend(self):
            return functools.partial(MemoryRepo, store=MemoryStore())
    """
)


def test_contract_suite_runs_in_another_project(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = strict\n")
    (tmp_path / "test_backend_contract.py").write_text(OUTSIDE_TEST)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    expected = len([name for name in dir(RepositoryContract) if name.startswith("test_")])
    assert expected >= 20
    assert re.search(rf"\b{expected} passed\b", result.stdout), result.stdout
