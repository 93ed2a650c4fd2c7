"""Examples served as subprocesses on free ports, for the browser tests."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nitro_test_services import free_port, stop_process, wait_for_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@contextlib.contextmanager
def serve_example(name: str, workdir: Path) -> Iterator[str]:
    """Run ``examples/<name>/app.py --port PORT`` in ``workdir``; yield its base URL."""
    script = EXAMPLES / name / "app.py"
    port = free_port()
    log = workdir / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(script), "--port", str(port)],
            cwd=workdir,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            try:
                wait_for_port(port, process, timeout=30)
            except (RuntimeError, TimeoutError) as exc:
                raise AssertionError(f"{script} did not start: {exc}\n{log.read_text()}") from exc
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_process(process)


@pytest.fixture
def example_server(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Start examples by name for one test: ``base_url = example_server("counter")``."""
    with contextlib.ExitStack() as stack:

        def start(name: str) -> str:
            workdir = tmp_path / name
            workdir.mkdir(exist_ok=True)
            return stack.enter_context(serve_example(name, workdir))

        yield start
