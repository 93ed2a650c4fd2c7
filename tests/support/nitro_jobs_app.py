"""The jobs a test worker runs (``nitro worker --import nitro_jobs_app``). Effects are
lines appended to files in ``$NITRO_TEST_JOBS_DIR``, so the test process can count
them across worker processes."""

from __future__ import annotations

import os
import time
from pathlib import Path

from nitro.cqrs.jobs import JobRetry, job


def _out() -> Path:
    return Path(os.environ["NITRO_TEST_JOBS_DIR"])


def append(name: str, line: str) -> int:
    """Append *line* to the file *name*; return how many lines it has now."""
    path = _out() / name
    with path.open("a") as handle:
        handle.write(line + "\n")
    return len(path.read_text().splitlines())


@job(retry=JobRetry(max_tries=3, backoff=0.3, jitter=0.5))
def flaky(name: str, failures: int) -> None:
    """Fails *failures* times, then succeeds."""
    tries = append(f"{name}.tries", str(time.time()))
    if tries <= failures:
        raise ConnectionError(f"{name}: try {tries} fails")
    append(f"{name}.done", "done")


@job(retry=JobRetry(max_tries=2, backoff=0.2))
def doomed(name: str) -> None:
    """Fails until the file ``{name}.fixed`` exists."""
    if not (_out() / f"{name}.fixed").exists():
        raise RuntimeError(f"{name} cannot work yet")
    append(f"{name}.done", "done")


@job
def slow(name: str, seconds: float) -> None:
    """Marks its start, sleeps, marks its end (a worker killed in between)."""
    append(f"{name}.started", str(os.getpid()))
    time.sleep(seconds)
    append(f"{name}.done", str(os.getpid()))


@job
def effect(name: str) -> None:
    append(f"{name}.done", "done")


@job
def whoami(name: str) -> None:
    """Writes who the job runs as (the user who enqueued it) and one of their grants."""
    from nitro.auth import current_user

    user = current_user()
    append(f"{name}.done", f"{user.id} {user.has_perm('report.send')}")
