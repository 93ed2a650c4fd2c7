"""The README's Python examples run as written."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nitro import MemoryRepo, use_backend
from nitro.persistence import MemoryStore

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("source", BLOCKS, ids=[f"block{n}" for n in range(len(BLOCKS))])
def test_readme_example_runs(source: str, capsys: pytest.CaptureFixture[str]) -> None:
    if "nitro.observability.enable" in source:
        # process-wide for good (OpenTelemetry's tracer provider is set once): run it
        # in its own interpreter
        result = subprocess.run(
            [sys.executable, "-c", source], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        return
    with use_backend(functools.partial(MemoryRepo, store=MemoryStore())):
        exec(compile(source, str(README), "exec"), {"__name__": "readme_example"})
    out = capsys.readouterr().out
    if "class Todo" in source:
        assert "done: milk" in out
        assert "$Todo.title" in out
        assert "'done': True" in out
