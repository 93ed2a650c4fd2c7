"""The job store's contract, on MemoryJobStore and on RedisJobStore with a real redis-server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nitro_test_services import free_port, start_redis, stop_process

from nitro.cqrs.jobs import Envelope, JobStore, MemoryJobStore
from nitro.persistence import BackendUnavailable


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest) -> Iterator[JobStore]:
    if request.param == "memory":
        yield MemoryJobStore()
        return
    from nitro.cqrs.jobs.redis_store import RedisJobStore

    redis_store = RedisJobStore(request.getfixturevalue("redis_url"))
    yield redis_store
    redis_store.close()


def envelope(**changes: object) -> Envelope:
    return Envelope(job="app.send", args={"n": 1}, **changes)  # type: ignore[arg-type]


def test_an_idempotency_key_is_held_by_one_job(store: JobStore) -> None:
    assert store.reserve_key("k", "job1", 60) is None
    assert store.reserve_key("k", "job2", 60) == "job1"
    store.release_key("k", "job2")  # not the holder: no effect
    assert store.reserve_key("k", "job3", 60) == "job1"
    store.release_key("k", "job1")
    assert store.reserve_key("k", "job3", 60) is None


def test_a_key_expires_with_its_ttl(store: JobStore) -> None:
    assert store.reserve_key("short", "job1", 0.05) is None
    time.sleep(0.12)
    assert store.reserve_key("short", "job2", 60) is None


def test_a_job_runs_once_then_redeliveries_are_skipped(store: JobStore) -> None:
    env = envelope()
    assert store.queued(env) is True
    assert store.queued(env) is False  # sent already
    assert store.start(env, lease=30) is None
    assert store.start(env, lease=30) == "running"  # another worker holds the lease
    store.finish(env, "done")
    assert store.start(env, lease=30) == "done"
    record = store.get(env.id)
    assert record is not None
    assert record.state == "done"
    assert record.duration is not None
    assert record.duration >= 0


def test_a_dead_workers_lease_runs_out(store: JobStore) -> None:
    env = envelope()
    store.queued(env)
    assert store.start(env, lease=0.05) is None
    time.sleep(0.12)
    assert store.start(env, lease=30) is None  # taken over
    assert store.start(env, lease=0.05, renew=True) is None
    time.sleep(0.12)
    assert store.start(env, lease=30) is None


def test_dead_jobs_are_listed_revived_and_discarded(store: JobStore) -> None:
    failing, other = envelope(attempt=3), envelope()
    store.queued(failing)
    store.queued(other)
    store.start(failing, lease=30)
    store.finish(
        failing,
        "dead",
        error="ValueError: bad",
        traceback="Traceback ...",
        reason="failed 3 of 3 tries",
    )
    assert store.counts() == {"queued": 1, "running": 0, "done": 0, "failed": 0, "dead": 1}
    [dead] = store.dead_letters()
    assert (dead.id, dead.error, dead.reason, dead.envelope.args) == (
        failing.id,
        "ValueError: bad",
        "failed 3 of 3 tries",
        {"n": 1},
    )
    assert dead.traceback == "Traceback ..."
    revived = store.revive(failing.id)
    assert revived is not None
    assert revived.attempt == 1
    assert store.revive(failing.id) is None  # not dead any more
    assert store.get(failing.id).state == "queued"  # type: ignore[union-attr]
    store.finish(revived, "dead", error="again")
    assert store.discard(failing.id) is True
    assert store.discard(failing.id) is False
    assert store.get(failing.id) is None
    assert [r.id for r in store.recent()] == [other.id]


@pytest.mark.redis
def test_a_stopped_redis_is_a_clear_error() -> None:
    from nitro.cqrs.jobs.redis_store import RedisJobStore

    unreachable = RedisJobStore("redis://:secret@127.0.0.1:1/0")
    with pytest.raises(BackendUnavailable, match=r"127\.0\.0\.1:1") as caught:
        unreachable.queued(envelope())
    assert "secret" not in str(caught.value)


@pytest.mark.redis
def test_done_and_fresh_queued_records_are_written_behind_and_read_back(redis_url: str) -> None:
    from nitro.cqrs.jobs.redis_store import RedisJobStore

    writer, reader = RedisJobStore(redis_url), RedisJobStore(redis_url)
    try:
        first, second = envelope(), envelope()
        writer.note_queued(first)
        assert writer.start(first, 30) is None  # the waiting "queued" rode along
        writer.finish(first, "done")
        writer.note_queued(second)
        # Another process sees them within the write-behind delay (50 ms) ...
        deadline = time.monotonic() + 2
        while reader.counts()["done"] != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert reader.counts() == {"queued": 1, "running": 0, "done": 1, "failed": 0, "dead": 0}
        # ... and this process at once: a read sends what waits first.
        third = envelope()
        writer.note_queued(third)
        assert writer.get(third.id) is not None
        assert writer.start(first, 30) == "done"
    finally:
        writer.close()
        reader.close()


@pytest.mark.redis
def test_forgotten_scripts_are_sent_again(redis_url: str) -> None:
    from nitro.cqrs.jobs.redis_store import RedisJobStore

    store = RedisJobStore(redis_url)
    try:
        job = envelope()
        store.note_queued(job)
        store.client.script_flush()  # what a restarted Redis forgets
        assert store.start(job, 30) is None
        store.client.script_flush()
        store.finish(job, "done")
        store.client.script_flush()
        assert store.get(job.id).state == "done"  # type: ignore[union-attr]
    finally:
        store.close()


@pytest.mark.redis
def test_writes_waiting_for_a_stopped_redis_are_kept_and_sent_after_restart(
    redis_server: object, tmp_path: Path
) -> None:
    from nitro.cqrs.jobs.redis_store import RedisJobStore

    server = start_redis(tmp_path, free_port())
    # The writer thread waits a minute: the test's own flushes do the sending.
    store = RedisJobStore(server.url, write_delay=60)
    try:
        job = envelope()
        assert store.start(job, 30) is None
        assert server.process is not None
        stop_process(server.process)
        store.finish(job, "done")  # written behind: nothing raises here
        with pytest.raises(BackendUnavailable, match="cannot be reached"):
            store.flush()
        server = start_redis(server.directory or tmp_path, server.port)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                store.flush()
                break
            except BackendUnavailable:
                time.sleep(0.1)
        # An empty Redis (no persistence here): the record comes back from the waiting write.
        assert store.get(job.id).state == "done"  # type: ignore[union-attr]
    finally:
        store.client.close()
        if server.process is not None:
            stop_process(server.process)


def test_a_socket_failing_under_the_client_keeps_the_writes() -> None:
    """redis-py may report a connection closed under it as a ValueError (CI saw "I/O
    operation on closed file"): the waiting writes stay, and the caller gets a
    ConnectionError (BackendUnavailable through the store)."""
    import redis

    from nitro.cqrs.jobs.write_behind import WriteBehind

    class ClosedSocket:
        def script_load(self, script: str) -> str:
            return "digest"

        def evalsha(self, *args: object) -> object:
            raise ValueError("I/O operation on closed file.")

    writes = WriteBehind(ClosedSocket(), "p:", delay=60)  # type: ignore[arg-type]
    writes.add("script", ["job-1", 1.0])
    with pytest.raises(redis.ConnectionError, match="closed file"):
        writes.flush()
    assert writes  # still waiting, sent on the next try


def test_a_first_start_written_behind_holds_the_lease_and_never_undoes_a_finish(
    store: JobStore,
) -> None:
    """note_started (a new job's first delivery) is written behind: once it lands, a
    second delivery finds the job running; when the job's "done" is sent before it (in
    one batch, scripts go in their own order), the job stays done."""
    job = envelope()
    store.note_started(job, lease=30)
    store.flush()
    assert store.get(job.id).state == "running"  # type: ignore[union-attr]
    assert store.start(job, lease=30) == "running"  # a copy delivered meanwhile waits
    store.finish(job, "done")
    store.flush()
    assert store.start(job, lease=30) == "done"

    quick = envelope()
    store.finish(quick, "done")  # overtakes its own start in the batch
    store.note_started(quick, lease=30)
    store.flush()
    assert store.get(quick.id).state == "done"  # type: ignore[union-attr]
    assert store.start(quick, lease=30) == "done"


def test_a_short_jobs_start_and_finish_are_one_record(store: JobStore) -> None:
    """A first delivery that finishes while its start still waits to be written: the
    finish carries the start, the job is done with both times, no lease is left, and a
    later copy of the message is skipped."""
    job = envelope()
    store.note_started(job, lease=30)
    before = time.time()
    store.finish(job, "done")
    store.flush()
    record = store.get(job.id)
    assert record is not None
    assert record.state == "done"
    assert record.started_at is not None
    assert record.finished_at is not None
    assert record.started_at <= before <= record.finished_at
    assert store.counts().get("running", 0) == 0
    assert store.start(job, lease=30) == "done"


@pytest.mark.redis
def test_a_start_taken_back_is_not_sent(redis_url: str) -> None:
    import redis as redis_py

    from nitro.cqrs.jobs.redis_store import _STARTED, RedisJobStore

    store = RedisJobStore(redis_url, write_delay=60)  # nothing leaves by itself
    try:
        job = envelope()
        store.note_started(job, lease=30)
        store.finish(job, "done")
        plain = redis_py.Redis.from_url(redis_url)
        assert plain.exists(f"nitro:jobs:lease:{job.id}") == 0
        assert store._later.take(_STARTED, job.id) is None  # merged into the finish
        store.flush()
        assert plain.exists(f"nitro:jobs:lease:{job.id}") == 0
        assert plain.hget(f"nitro:jobs:job:{job.id}", "state") == b"done"
    finally:
        store.close()


@pytest.mark.redis
def test_closing_the_store_stops_its_writer_thread(redis_url: str) -> None:
    import threading

    from nitro.cqrs.jobs.redis_store import RedisJobStore

    def writers() -> int:
        return sum(t.name == "nitro-job-writes" and t.is_alive() for t in threading.enumerate())

    before = writers()
    store = RedisJobStore(redis_url)
    job = envelope()
    store.note_queued(job)
    assert writers() == before + 1
    store.close()
    assert writers() == before
    assert store.get(job.id).state == "queued"  # type: ignore[union-attr]  # flushed first
