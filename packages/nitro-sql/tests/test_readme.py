"""The README's Python example runs as written, in a fresh interpreter in an empty
directory (as a user would run it: default database file, tables on demand)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_example_runs(tmp_path: Path) -> None:
    (source,) = BLOCKS
    env = {k: v for k, v in os.environ.items() if k != "NITRO_DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", source],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "['pen', 'pad']",
        "2 ['pad', 'pen']",
        "['pad', 'pen']",
        "3",
    ]
    assert (tmp_path / "nitro.db").exists()
