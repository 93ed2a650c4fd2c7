"""Examples served as subprocesses on free ports, for the browser tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nitro_examples import serve_example


@pytest.fixture
def example_server(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Start examples by name for one test: ``base_url = example_server("counter")``."""
    with contextlib.ExitStack() as stack:

        def start(name: str) -> str:
            workdir = tmp_path / name
            workdir.mkdir(exist_ok=True)
            return stack.enter_context(serve_example(name, workdir))

        yield start
