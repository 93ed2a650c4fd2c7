"""Every job engine against real worker processes (``nitro worker``) and a real
redis-server: retries, the dead-letter queue, a worker killed mid-job, enqueue after
commit and after a crash, idempotency, unknown jobs. The same cases on each engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from nitro_test_services import free_port, start_redis, stop_process
from nitro_test_services import wait_for as poll

from nitro.cqrs.jobs import Engine, Envelope, configure_jobs
from nitro.persistence import BackendUnavailable

SUPPORT = Path(__file__).resolve().parents[3] / "tests" / "support"
ENGINES = ["celery", "dramatiq", "rq"]
#: Seconds a dead worker's job waits before another worker may run it.
LEASE = 3
pytestmark = pytest.mark.redis


def wait_for(check: Callable[[], Any], timeout: float = 45.0, what: str = "") -> Any:
    return poll(check, timeout, what)  # (job engines get longer by default)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


class Workers:
    """Worker processes of one engine, each in its own process group."""

    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url = url
        self.env = env
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, concurrency: int = 2) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "nitro.cli", "worker", "--url", self.url]
        command += ["--import", "nitro_jobs_app", "-c", str(concurrency)]
        log_path = Path(self.env["NITRO_TEST_JOBS_DIR"]) / f"worker-{len(self.running)}.log"
        with log_path.open("wb") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and everything it started (its pool processes)."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


@pytest.fixture(params=ENGINES)
def engine_url(request: pytest.FixtureRequest, redis_url: str) -> str:
    return f"{request.param}+{redis_url}?lease={LEASE}"


@pytest.fixture
def jobs_dir(tmp_path: Path) -> Path:
    path = tmp_path / "jobs"
    path.mkdir()
    return path


@pytest.fixture
def env(jobs_dir: Path) -> dict[str, str]:
    pythonpath = os.pathsep.join(p for p in [str(SUPPORT), os.environ.get("PYTHONPATH", "")] if p)
    return {**os.environ, "PYTHONPATH": pythonpath, "NITRO_TEST_JOBS_DIR": str(jobs_dir)}


@pytest.fixture
def engine(engine_url: str, jobs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("NITRO_TEST_JOBS_DIR", str(jobs_dir))
    sys.path.insert(0, str(SUPPORT))
    engine = configure_jobs(engine_url)
    yield engine
    configure_jobs("inprocess://")
    sys.path.remove(str(SUPPORT))


@pytest.fixture
def workers(engine_url: str, env: dict[str, str], engine: Engine) -> Iterator[Workers]:
    started = Workers(engine_url, env)
    yield started
    started.stop_all()


def state_of(engine: Engine, job_id: str) -> str | None:
    record = engine.store.get(job_id)
    return None if record is None else record.state


def test_a_failing_job_is_retried_with_back_off_and_completes(engine, workers, jobs_dir):
    import nitro_jobs_app

    workers.start()
    ref = nitro_jobs_app.flaky.enqueue(name="f", failures=2)
    wait_for(lambda: lines(jobs_dir / "f.done"), what="the third try")
    tries = [float(t) for t in lines(jobs_dir / "f.tries")]
    assert len(tries) == 3
    assert tries[1] - tries[0] >= 0.15  # back-off: 0.3 s less up to half of it
    assert tries[2] - tries[1] >= 0.3  # doubled
    wait_for(lambda: state_of(engine, ref.id) == "done", what="state done")
    assert engine.store.get(ref.id).envelope.attempt == 3  # type: ignore[union-attr]


def test_an_always_failing_job_is_dead_then_retried_from_the_dead_letters(
    engine, workers, jobs_dir
):
    import nitro_jobs_app

    workers.start()
    ref = nitro_jobs_app.doomed.enqueue(name="d")
    wait_for(lambda: state_of(engine, ref.id) == "dead", what="the dead-letter queue")
    [dead] = engine.store.dead_letters()
    assert dead.reason == "failed 2 of 2 tries"
    assert dead.error == "RuntimeError: d cannot work yet"
    assert "Traceback" in (dead.traceback or "")
    assert dead.envelope.args == {"name": "d"}
    (jobs_dir / "d.fixed").touch()
    revived = engine.store.revive(ref.id)
    assert revived is not None
    engine.submit(revived)
    wait_for(lambda: lines(jobs_dir / "d.done"), what="the retried job")
    wait_for(lambda: state_of(engine, ref.id) == "done")


def test_a_worker_killed_mid_job_leaves_it_to_another_which_completes_it_once(
    engine, workers, jobs_dir
):
    import nitro_jobs_app

    first = workers.start(concurrency=1)
    nitro_jobs_app.slow.enqueue(name="s", seconds=3)
    wait_for(lambda: lines(jobs_dir / "s.started"), what="the job to start")
    workers.kill(first)
    assert lines(jobs_dir / "s.done") == []
    workers.start(concurrency=1)
    done = wait_for(
        lambda: lines(jobs_dir / "s.done"), timeout=90, what="the job on the second worker"
    )
    time.sleep(LEASE + 2)  # no second completion shows up
    assert lines(jobs_dir / "s.done") == done
    assert len(done) == 1
    assert done[0] != lines(jobs_dir / "s.started")[0]  # another process completed it


def test_the_same_key_enqueued_five_times_and_delivered_twice_runs_once(engine, workers, jobs_dir):
    import nitro_jobs_app

    workers.start()
    refs = [nitro_jobs_app.effect.options(key="once").enqueue(name="k") for _ in range(5)]
    assert sum(r.sent for r in refs) == 1
    wait_for(lambda: state_of(engine, refs[0].id) == "done")
    engine.submit(engine.store.get(refs[0].id).envelope)  # type: ignore[union-attr]  # again
    time.sleep(2)
    assert lines(jobs_dir / "k.done") == ["done"]


def test_a_job_runs_as_the_user_who_enqueued_it(engine, workers, jobs_dir):
    import nitro_jobs_app

    from nitro.auth import Role, User, acting_as

    workers.start()
    with acting_as(User(id="ann", roles=[Role("clerk", {"report.*"})])):
        nitro_jobs_app.whoami.enqueue(name="as-ann")
    nitro_jobs_app.whoami.enqueue(name="as-nobody")
    wait_for(lambda: lines(jobs_dir / "as-ann.done"), what="the job enqueued by ann")
    wait_for(lambda: lines(jobs_dir / "as-nobody.done"), what="the anonymous job")
    assert lines(jobs_dir / "as-ann.done") == ["ann True"]
    assert lines(jobs_dir / "as-nobody.done") == ["None False"]


def test_an_unknown_job_reaching_a_worker_is_dead_with_the_reason(engine, workers):
    workers.start()
    stray = Envelope(job="elsewhere.report", args={"n": 1})
    engine.submit(stray)
    wait_for(lambda: state_of(engine, stray.id) == "dead", what="the dead-letter queue")
    reason = engine.store.get(stray.id).reason  # type: ignore[union-attr]
    assert reason.startswith("no job is called 'elsewhere.report' in this process")


CRASHING_APP = textwrap.dedent(
    """
    import os, signal, sys
    from nitro import Entity
    from nitro.events import on, post_save
    from nitro.cqrs.jobs import configure_jobs
    from nitro.cqrs.outbox import Outbox
    from nitro.persistence.registry import use_backend
    from nitro.sql import SQLModelBackend, UnitOfWork, use_database
    import nitro_jobs_app

    engine_url, db_url, mode = sys.argv[1:4]

    class Invoice(Entity):
        total: int = 0

    with use_database(db_url), use_backend(SQLModelBackend, Invoice):
        configure_jobs(engine_url, outbox=Outbox(db_url))
        if mode == "rollback":
            try:
                with UnitOfWork():
                    Invoice(id="i0", total=1).save()
                    nitro_jobs_app.effect.enqueue(name="rolled-back")
                    raise RuntimeError("the unit fails")
            except RuntimeError:
                print("rolled back")
        elif mode == "crash":
            # post_save of the invoice runs after the commit and before the job is sent
            # (it was queued first): die there, as a killed process would.
            @on(post_save, sender=Invoice, weak=False)
            def die(sender, **extra):
                os.kill(os.getpid(), signal.SIGKILL)

            with UnitOfWork() as uow:
                Invoice(id="i1", total=2).save()
                nitro_jobs_app.effect.enqueue(name="after-crash")
                uow.commit()
            print("not killed")
        else:
            print("restarted")  # configure_jobs relayed what the outbox holds
    """
)


def test_enqueue_waits_for_the_commit_and_survives_a_crash(
    engine_url, workers, jobs_dir, env, tmp_path
):
    script = tmp_path / "app.py"
    script.write_text(CRASHING_APP)
    db_url = f"sqlite:///{tmp_path / 'app.db'}"

    def run(mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), engine_url, db_url, mode],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    workers.start()
    rolled = run("rollback")
    assert rolled.returncode == 0, rolled.stderr
    crashed = run("crash")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    time.sleep(2)
    assert lines(jobs_dir / "after-crash.done") == []  # committed, never sent
    restarted = run("restart")
    assert restarted.returncode == 0, restarted.stderr
    wait_for(lambda: lines(jobs_dir / "after-crash.done"), what="the job sent after the restart")
    time.sleep(1)
    assert lines(jobs_dir / "after-crash.done") == ["done"]
    assert lines(jobs_dir / "rolled-back.done") == []


def test_celery_checks_a_redelivered_first_message_like_any_other(redis_url: str) -> None:
    """Only a first message kombu has not put back skips the start check: a redelivery
    (a dead worker's message, one restored at shutdown) is checked."""
    from nitro.cqrs.jobs.engines.celery import CeleryEngine

    engine = CeleryEngine(redis_url)
    seen: list[bool] = []
    engine._run = lambda payload, due, first=False: seen.append(first) or "done"  # type: ignore[method-assign]
    for delivery_info, first, expected in [
        ({}, True, True),
        ({"redelivered": False}, True, True),
        ({"redelivered": True}, True, False),
        ({}, False, False),
    ]:
        engine.task.push_request(delivery_info=delivery_info)
        try:
            engine.task.run("{}", first=first)
        finally:
            engine.task.pop_request()
        assert seen.pop() is expected, (delivery_info, first)
    engine.close()


class Restartable:
    """An engine and its workers on a redis-server of their own, which a test may stop
    and start again on the same port."""

    def __init__(self, engine: Engine, workers: Workers, server: Any, directory: Path):
        self.engine = engine
        self.workers = workers
        self.server = server
        self.directory = directory

    def stop_redis(self) -> None:
        stop_process(self.server.process)

    def start_redis(self) -> None:
        self.server = start_redis(self.server.directory or self.directory, self.server.port)


@pytest.fixture(params=ENGINES)
def restartable(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    env: dict[str, str],
    jobs_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    redis_server: object,
) -> Iterator[Restartable]:
    server = start_redis(tmp_path, free_port())
    url = f"{request.param}+{server.url}?lease={LEASE}"
    monkeypatch.setenv("NITRO_TEST_JOBS_DIR", str(jobs_dir))
    monkeypatch.syspath_prepend(str(SUPPORT))
    setup = Restartable(configure_jobs(url), Workers(url, env), server, tmp_path)
    try:
        yield setup
    finally:
        setup.workers.stop_all()
        configure_jobs("inprocess://")
        if setup.server.process is not None:
            stop_process(setup.server.process)


def test_a_worker_goes_on_after_its_redis_restarts(restartable: Restartable, jobs_dir) -> None:
    import nitro_jobs_app

    worker = restartable.workers.start()
    first = nitro_jobs_app.effect.enqueue(name="before")
    wait_for(lambda: lines(jobs_dir / "before.done"), what="a job before the restart")
    nitro_jobs_app.slow.enqueue(name="during", seconds=2.0)
    wait_for(lambda: (jobs_dir / "during.started").exists(), what="the slow job's start")
    restartable.stop_redis()  # Redis goes away under the running job
    time.sleep(3)
    assert worker.poll() is None, "the worker exited when Redis went away"
    restartable.start_redis()
    after = wait_for(
        lambda: _enqueued(nitro_jobs_app.effect, "after"), timeout=30, what="Redis back"
    )
    wait_for(lambda: lines(jobs_dir / "after.done"), timeout=60, what="a job after the restart")
    assert worker.poll() is None
    wait_for(lambda: state_of(restartable.engine, after.id) == "done", what="its record")
    assert first.sent


def _enqueued(job: Any, name: str) -> Any:
    """The job's reference, or ``None`` while its Redis does not answer yet."""
    try:
        return job.enqueue(name=name)
    except BackendUnavailable:
        return None
