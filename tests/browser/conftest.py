"""Examples served as subprocesses on free ports, for the browser tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nitro_test_services import free_port, stop_process, wait_for_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: Settings a developer may have exported that would send the examples elsewhere: the
#: page must load Datastar from the CDN address (the tests answer it), and the todo
#: example must keep its SQLite file in the test's directory.
CLEARED_ENV = ("RUSTY_TAGS_DATASTAR_SRC", "NITRO_DATABASE_URL")


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
            env={k: v for k, v in os.environ.items() if k not in CLEARED_ENV},
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
