"""``nitro dev`` run as a user runs it, for the tests that serve a project with it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nitro_test_services import free_port

NITRO = Path(sys.executable).with_name("nitro")


@dataclass(frozen=True)
class DevServer:
    base: str
    log: Path

    def wait_for_line(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first match of *pattern* in what the server printed, waiting for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.log.read_text())
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} never appeared in:\n{self.log.read_text()}")


@contextmanager
def nitro_dev(cwd: Path, env: dict[str, str] | None = None) -> Iterator[DevServer]:
    """``nitro dev app:app`` in *cwd* on a free port, its output in ``cwd/../dev.log``;
    stopped with its reloader's children (its own session) when the block ends. Without
    *env*, the environment minus any ``NITRO_ADMIN_*`` (so it makes its own user)."""
    if env is None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NITRO_ADMIN_")}
    port = free_port()
    log = cwd.parent / f"dev-{cwd.name}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(NITRO), "dev", "app:app", "--port", str(port)],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # the server and its reloader children go together
        )
    try:
        yield DevServer(f"http://127.0.0.1:{port}", log)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
