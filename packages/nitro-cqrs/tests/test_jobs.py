"""Jobs on the in-process engine: validation at enqueue, retries, the dead-letter queue,
idempotency, enqueue after commit, hooks. (The real engines: test_job_engines.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest

from nitro.cqrs.jobs import (
    InProcessEngine,
    JobArgumentError,
    JobRetry,
    configure_jobs,
    job,
    job_enqueued,
    job_failed,
    job_retrying,
    job_started,
    job_succeeded,
)
from nitro.cqrs.jobs.envelope import Envelope
from nitro.cqrs.jobs.runner import execute
from nitro.uow import MemoryUnitOfWork

FAST = JobRetry(max_tries=3, backoff=0.01, jitter=0.5)
effects: list[Any] = []


@job(retry=FAST)
def record(value: int, note: str = "") -> None:
    effects.append((value, note))


attempts: dict[str, int] = {}


@job(retry=FAST)
def flaky(name: str, failures: int) -> None:
    attempts[name] = attempts.get(name, 0) + 1
    if attempts[name] <= failures:
        raise ConnectionError(f"{name}: try {attempts[name]} fails")
    effects.append(name)


@job(retry=JobRetry(max_tries=5, backoff=0.01, retry_on=(ConnectionError,)))
def picky(kind: str) -> None:
    raise KeyError(kind)


@pytest.fixture
def engine() -> Iterator[InProcessEngine]:
    effects.clear()
    attempts.clear()
    engine = InProcessEngine()
    configure_jobs(engine)
    yield engine
    engine.drain()


def test_arguments_are_checked_at_enqueue_naming_them(engine: InProcessEngine) -> None:
    with pytest.raises(pydantic.ValidationError, match="value"):
        record.enqueue(value="seven")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        record.enqueue(value=1, colour="red")  # type: ignore[call-arg]

    @job
    def loose(payload: Any) -> None: ...

    unsendable = r"argument 'payload' \(object\) cannot be sent as JSON"
    with pytest.raises(JobArgumentError, match=unsendable):
        loose.enqueue(payload=object())
    engine.drain()
    assert effects == []


def test_a_job_runs_with_its_arguments(engine: InProcessEngine) -> None:
    ref = record.enqueue(value=3, note="hi")
    assert ref.sent
    assert engine.drain()
    assert effects == [(3, "hi")]
    assert engine.store.get(ref.id).state == "done"  # type: ignore[union-attr]
    record(4)  # a plain call runs it here
    assert effects[-1] == (4, "")


def test_a_failing_job_is_retried_with_back_off_and_completes(engine: InProcessEngine) -> None:
    ref = flaky.enqueue(name="twice", failures=2)
    assert engine.drain()
    assert attempts["twice"] == 3
    assert effects == ["twice"]
    record_ = engine.store.get(ref.id)
    assert record_ is not None
    assert (record_.state, record_.envelope.attempt) == ("done", 3)
    assert 0.005 <= FAST.delay(2) <= 0.01
    assert 0.01 <= FAST.delay(3) <= 0.02
    assert JobRetry(backoff=10, max_delay=30, jitter=0).delay(9) == 30


def test_a_job_that_always_fails_is_dead_then_revived(engine: InProcessEngine) -> None:
    ref = flaky.enqueue(name="always", failures=99)
    assert engine.drain()
    [dead] = engine.store.dead_letters()
    assert dead.id == ref.id
    assert dead.reason == "failed 3 of 3 tries"
    assert dead.error == "ConnectionError: always: try 3 fails"
    assert "Traceback" in (dead.traceback or "")
    assert dead.envelope.args == {"name": "always", "failures": 99}
    attempts["always"] = 100  # the cause is fixed: the next try is past the failures
    revived = engine.store.revive(ref.id)
    assert revived is not None
    engine.submit(revived)
    assert engine.drain()
    assert effects == ["always"]
    assert engine.store.counts()["dead"] == 0


def test_a_non_retryable_error_goes_to_the_dead_letters_at_once(engine: InProcessEngine) -> None:
    picky.enqueue(kind="x")
    assert engine.drain()
    [dead] = engine.store.dead_letters()
    assert dead.reason == "KeyError is not retried"
    assert dead.envelope.attempt == 1


def test_unknown_and_undecodable_messages_are_dead_with_a_reason(engine: InProcessEngine) -> None:
    assert execute(Envelope(job="gone.job", args={}).to_json(), engine) == "dead"
    assert execute("{not json", engine) == "dead"
    reasons = sorted(r.reason or "" for r in engine.store.dead_letters())
    assert reasons[0].startswith("no job is called 'gone.job' in this process; known jobs: ")
    assert reasons[1] == "the message cannot be decoded"


def test_the_same_key_five_times_and_a_double_delivery_run_once(engine: InProcessEngine) -> None:
    refs = [record.options(key="report-7").enqueue(value=7) for _ in range(5)]
    assert [r.sent for r in refs] == [True, False, False, False, False]
    assert len({r.id for r in refs}) == 1
    assert engine.drain()
    payload = engine.store.get(refs[0].id).envelope.to_json()  # type: ignore[union-attr]
    assert execute(payload, engine) == "skipped"  # delivered a second time
    assert effects == [(7, "")]


def test_jobs_enqueued_in_a_unit_wait_for_its_commit(engine: InProcessEngine) -> None:
    with MemoryUnitOfWork():
        ref = record.enqueue(value=1)
        assert ref.deferred
    assert engine.drain()
    assert effects == []  # rolled back: never sent
    with MemoryUnitOfWork() as uow:
        record.enqueue(value=2)
        assert engine.drain()
        assert effects == []
        uow.commit()
    assert engine.drain()
    assert effects == [(2, "")]


def test_hooks_report_each_step(engine: InProcessEngine) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    def listen(name: str) -> Any:
        def receiver(sender: str, **extra: Any) -> None:
            seen.append((name, extra))

        return receiver

    receivers = {name: listen(name) for name in ("enqueued", "started", "ok", "retry", "dead")}
    for name, signal in zip(
        receivers, (job_enqueued, job_started, job_succeeded, job_retrying, job_failed), strict=True
    ):
        signal.connect(receivers[name])
    try:
        flaky.enqueue(name="once", failures=1)
        picky.enqueue(kind="y")
        assert engine.drain()
    finally:
        for name, signal in zip(
            receivers,
            (job_enqueued, job_started, job_succeeded, job_retrying, job_failed),
            strict=True,
        ):
            signal.disconnect(receivers[name])
    names = sorted(name for name, _ in seen)
    assert names == sorted(
        ["enqueued", "enqueued", "started", "started", "started", "retry", "ok", "dead"]
    )
    [ok] = [extra for name, extra in seen if name == "ok"]
    assert ok["duration"] >= 0


def test_jobs_go_through_the_outbox_of_a_sql_unit(tmp_path: Path) -> None:
    from nitro.cqrs.outbox import Outbox, outbox_table
    from nitro.sql import UnitOfWork, use_database
    from nitro.sql.config import database_for

    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    effects.clear()
    with use_database(url):
        engine = configure_jobs(InProcessEngine(), outbox=Outbox(url))
        try:
            with UnitOfWork():
                record.enqueue(value=9)  # rolled back: its row goes too
            with UnitOfWork() as uow:
                record.enqueue(value=10)
                uow.commit()
            assert engine.drain()
            assert effects == [(10, "")]
            with database_for(url).engine.connect() as conn:
                rows = list(conn.execute(outbox_table.select()))
            assert len(rows) == 1
            assert json.loads(json.loads(rows[0].payload)["envelope"])["args"] == {
                "value": 10,
                "note": "",
            }
            assert rows[0].delivered_at is not None
        finally:
            engine.outbox.stop()  # type: ignore[union-attr]
            database_for(url).dispose()


seen_ids: list[str | None] = []


@job
def who_am_i() -> None:
    from nitro.cqrs.jobs import current_job

    found = current_job()
    seen_ids.append(None if found is None else found.id)


def test_a_running_job_knows_its_envelope(engine: InProcessEngine) -> None:
    from nitro.cqrs.jobs import current_job

    seen_ids.clear()
    ref = who_am_i.enqueue()
    assert engine.drain()
    assert seen_ids == [ref.id]
    assert current_job() is None  # outside a job


def test_an_envelope_makes_its_text_once_and_a_copy_makes_its_own() -> None:
    first = Envelope(job="report", args={"n": 1})
    text = first.to_json()
    assert first.to_json() is text  # sent to the broker and the store: made once
    assert json.loads(text) == {
        "id": first.id,
        "job": "report",
        "args": {"n": 1},
        "enqueued_at": first.enqueued_at,
    }
    retry = first.next_attempt()
    assert json.loads(retry.to_json())["attempt"] == 2  # not the first try's text
    received = Envelope.from_json(text.encode())
    assert received.to_json() == text
    assert received == first  # the text made or not, the same run
    assert received != retry
