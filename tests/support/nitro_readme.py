"""Run a README's ``python`` code block as written, in a fresh interpreter."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def readme_blocks(readme: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.S)


def run_readme_example(
    readme: Path,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    unset: tuple[str, ...] = (),
    warnings_as_errors: bool = False,
    timeout: float = 120,
) -> list[str]:
    """Run the README's one python block; return its stdout lines (fail on an error)."""
    (source,) = readme_blocks(readme)
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    environ.update(env or {})
    flags = ["-W", "error"] if warnings_as_errors else []
    result = subprocess.run(
        [sys.executable, *flags, "-c", source],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()
