"""Optimistic concurrency across real processes: two workers race increments on one
versioned row (a SQLite file, PostgreSQL, Redis); each retries on ConcurrencyError,
and no increment is lost."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nitro import Entity
from nitro.persistence import use_backend
from nitro.redis import RedisRepo
from nitro.sql import SQLEntity, SQLModelBackend

WORKERS, INCREMENTS = 2, 60


class RaceTally(SQLEntity, table=True, versioned=True):
    count: int = 0


class RaceCounter(Entity, versioned=True):
    count: int = 0


WORKER = textwrap.dedent(
    """
    import functools, sys, time
    from pathlib import Path

    from nitro import Entity
    from nitro.persistence import ConcurrencyError

    kind, url, prefix, directory, name, increments = sys.argv[1:7]
    directory = Path(directory)
    if kind == "redis":
        from nitro.redis import RedisRepo

        class RaceCounter(Entity, versioned=True):
            _persistence_backend_class = functools.partial(RedisRepo, url=url, prefix=prefix)
            count: int = 0

        cls = RaceCounter
    else:
        from nitro.sql import SQLEntity, SQLModelBackend

        class RaceTally(SQLEntity, table=True, versioned=True):
            count: int = 0

        RaceTally._persistence_backend_class = functools.partial(SQLModelBackend, url=url)
        cls = RaceTally

    cls.get_or_raise("shared")  # connect before the start line
    (directory / f"{name}.ready").touch()
    while not (directory / "go").exists():
        time.sleep(0.005)
    conflicts = 0
    for _ in range(int(increments)):
        while True:
            copy = cls.get_or_raise("shared")
            copy.count += 1
            try:
                copy.save()
                break
            except ConcurrencyError:
                conflicts += 1
    print(conflicts)
    """
)


def race(tmp_path: Path, kind: str, url: str, prefix: str = "") -> list[int]:
    """Run the workers against the row ``shared``; return each one's conflict count."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                kind,
                url,
                prefix,
                str(tmp_path),
                f"w{n}",
                str(INCREMENTS),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WORKERS)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"w{n}.ready").exists() for n in range(WORKERS)):
            for worker in workers:
                assert worker.poll() is None, worker.communicate()[1]
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.01)
        (tmp_path / "go").touch()
        outputs = [worker.communicate(timeout=180) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    conflicts = [int(out.strip()) for out, _err in outputs]
    print(f"{kind}: conflicts retried per worker: {conflicts}")
    return conflicts


def check_sql(tmp_path: Path, url: str) -> None:
    backend = functools.partial(SQLModelBackend, url=url)
    with use_backend(backend, RaceTally):
        RaceTally(id="shared").save()
        conflicts = race(tmp_path, "sql", url)
        stored = RaceTally.get_or_raise("shared")
        RaceTally.repository().clear()
    assert stored.count == WORKERS * INCREMENTS, conflicts
    assert stored.version == WORKERS * INCREMENTS + 1


def test_two_processes_on_a_sqlite_file_lose_no_increment(tmp_path: Path) -> None:
    check_sql(tmp_path, f"sqlite:///{tmp_path / 'race.db'}")


@pytest.mark.postgres
def test_two_processes_on_postgresql_lose_no_increment(tmp_path: Path, postgres_server) -> None:
    check_sql(tmp_path, postgres_server.url)


@pytest.mark.redis
def test_two_processes_on_redis_lose_no_increment(tmp_path: Path, redis_url: str) -> None:
    prefix = f"race{time.monotonic_ns()}"
    backend = functools.partial(RedisRepo, url=redis_url, prefix=prefix)
    with use_backend(backend, RaceCounter):
        RaceCounter(id="shared").save()
        conflicts = race(tmp_path, "redis", redis_url, prefix)
        stored = RaceCounter.get_or_raise("shared")
        RaceCounter.repository().clear()
    assert stored.count == WORKERS * INCREMENTS, conflicts
    assert stored.version == WORKERS * INCREMENTS + 1
