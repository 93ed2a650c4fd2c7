"""The README's example runs as written, in a fresh interpreter, against the fixture's Redis."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.redis
def test_readme_example_runs(redis_url: str) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "NITRO_REDIS_URL": redis_url},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "id='main' count=1",
        "2",
        "None",
        "{'Counter': {'id': 'main', 'count': 1}}",
        "5 5",
    ]
