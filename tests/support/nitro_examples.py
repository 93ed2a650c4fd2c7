"""Run an example app as the README does, as a subprocess on a free port."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from nitro_test_services import free_port, stop_process, wait_for_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: Settings a developer may have exported that would send the examples elsewhere: the
#: page must load Datastar from the CDN address (the browser tests answer it), and an
#: example must keep its SQLite file in the test's directory.
CLEARED_ENV = ("RUSTY_TAGS_DATASTAR_SRC", "NITRO_DATASTAR_JS", "NITRO_DATABASE_URL")


@contextlib.contextmanager
def serve_example(
    name: str, workdir: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Run ``examples/<name>/app.py --port PORT`` in ``workdir``; yield its base URL.

    The server's output goes to ``workdir/<name>.log``, which a start failure quotes.
    """
    script = EXAMPLES / name / "app.py"
    port = free_port()
    log = workdir / f"{name}.log"
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env.update(extra_env or {})
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(script), "--port", str(port)],
            cwd=workdir,
            env=env,
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
