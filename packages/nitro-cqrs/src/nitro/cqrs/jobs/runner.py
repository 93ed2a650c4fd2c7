"""One delivery of one job, the same on every engine.

:func:`execute` decodes the envelope, finds the job, takes its lease (skipping a job
already done, and postponing one another worker is running), validates the arguments,
runs it with its lease renewed, and then records the outcome: done; failed with a retry
sent after the back-off; or dead — in the dead-letter queue with its arguments, error
and traceback — when its tries are used up, the error is not retryable, or the message
cannot be decoded or names an unknown job. It raises only
:class:`~nitro.persistence.BackendUnavailable` — the store cannot be reached, so no
outcome could be recorded: the engine must then return the message to its queue rather
than acknowledge it. Otherwise the engine acknowledges the message once this returns.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import traceback as tb
from contextvars import ContextVar
from typing import Any

from pydantic import ValidationError

from nitro import probe
from nitro.audit.context import via
from nitro.auth import ANONYMOUS, acting_as
from nitro.cqrs.jobs import hooks
from nitro.cqrs.jobs.definition import UnknownJob, job_named
from nitro.cqrs.jobs.engine import Engine
from nitro.cqrs.jobs.envelope import Envelope
from nitro.ids import new_id

__all__ = ["current_job", "execute"]

_current: ContextVar[Envelope | None] = ContextVar("nitro_current_job", default=None)


def current_job() -> Envelope | None:
    """The envelope of the job running in this thread (its ``id``, ``attempt``, ``key``),
    or ``None`` outside a job: for effects that need a key of their own."""
    return _current.get()


logger = logging.getLogger("nitro.jobs")


def execute(payload: str | bytes, engine: Engine, *, first: bool = False) -> str:
    """Run one delivered message; return the outcome (``done``, ``failed``, ``dead``,
    ``skipped``, ``postponed``). *first*: the engine knows this is the only delivery
    so far of a job with a new id (see :meth:`Engine.submit_new`), so the start is
    recorded without waiting for the dedupe and lease check."""
    store = engine.store
    try:
        envelope = Envelope.from_json(payload)
    except ValidationError as exc:
        text = payload.decode(errors="replace") if isinstance(payload, bytes) else payload
        broken = Envelope(id=new_id(), job="(undecodable)", args={"message": text[:2000]})
        store.finish(broken, "dead", error=str(exc), reason="the message cannot be decoded")
        logger.error("job message cannot be decoded; sent to the dead-letter queue: %s", exc)
        return "dead"
    if probe.observers:
        with (
            probe.resumed(envelope.context),
            probe.span(
                "job", envelope.job, id=envelope.id, attempt=envelope.attempt, queue=envelope.queue
            ),
        ):
            return _execute(envelope, engine, first)
    return _execute(envelope, engine, first)


def _execute(envelope: Envelope, engine: Engine, first: bool) -> str:
    store = engine.store
    try:
        job = job_named(envelope.job)
    except UnknownJob as exc:
        store.finish(envelope, "dead", reason=str(exc))
        logger.error("job %s (%s): %s", envelope.job, envelope.id, exc)
        return "dead"
    busy = None
    if first:
        store.note_started(envelope, engine.lease)
    else:
        busy = store.start(envelope, engine.lease)
    if busy == "done":
        logger.info("job %s (%s) was done already; delivery dropped", envelope.job, envelope.id)
        return "skipped"
    if busy == "running":  # another worker has it now: look again after its lease
        engine.submit(envelope, delay=engine.lease)
        return "postponed"
    hooks.job_started.send(
        envelope.job, envelope=envelope, waited=time.time() - envelope.enqueued_at
    )
    try:
        kwargs = job.arguments(envelope.args)
    except ValidationError as exc:
        store.finish(envelope, "dead", error=str(exc), reason="the arguments do not validate")
        hooks.job_failed.send(
            envelope.job, envelope=envelope, error=exc, reason="invalid arguments"
        )
        return "dead"
    started = time.perf_counter()
    token = _current.set(envelope)
    try:
        caller = envelope.actor.user() if envelope.actor is not None else ANONYMOUS
        with _renewing(engine, envelope), via(f"job {envelope.job}"), acting_as(caller):
            result: Any = job.func(**kwargs)
            if job.is_async:
                asyncio.run(result)
    except Exception as exc:
        return _failed(engine, envelope, job.retry, exc)
    finally:
        _current.reset(token)
    store.finish(envelope, "done")
    hooks.job_succeeded.send(
        envelope.job, envelope=envelope, duration=time.perf_counter() - started
    )
    return "done"


def _failed(engine: Engine, envelope: Envelope, retry: Any, exc: Exception) -> str:
    trace = "".join(tb.format_exception(exc))
    error = f"{type(exc).__name__}: {exc}"
    if retry.retries(exc, envelope.attempt):
        delay = retry.delay(envelope.attempt + 1)
        engine.store.finish(envelope, "failed", error=error, traceback=trace)
        engine.submit(envelope.next_attempt(), delay)
        logger.warning(
            "job %s (%s) failed on try %d (%s); retry in %.1f s",
            envelope.job,
            envelope.id,
            envelope.attempt,
            error,
            delay,
        )
        hooks.job_retrying.send(envelope.job, envelope=envelope, error=exc, delay=delay)
        return "failed"
    if envelope.attempt >= retry.max_tries:
        reason = f"failed {envelope.attempt} of {retry.max_tries} tries"
    else:
        reason = f"{type(exc).__name__} is not retried"
    engine.store.finish(envelope, "dead", error=error, traceback=trace, reason=reason)
    logger.error("job %s (%s) is dead: %s; %s", envelope.job, envelope.id, reason, error)
    hooks.job_failed.send(envelope.job, envelope=envelope, error=exc, reason=reason)
    return "dead"


class _Renewer:
    """One thread per engine renews the leases of every run in progress, every third of
    the lease (a thread per job cost more than a short job itself)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        self.running: dict[str, Envelope] = {}
        self.thread: threading.Thread | None = None

    def add(self, envelope: Envelope) -> None:
        with self.lock:
            self.running[envelope.id] = envelope
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._loop, name="nitro-job-leases", daemon=True
                )
                self.thread.start()

    def remove(self, envelope: Envelope) -> None:
        with self.lock:
            self.running.pop(envelope.id, None)

    def _loop(self) -> None:
        while True:
            time.sleep(self.engine.lease / 3)
            with self.lock:
                envelopes = list(self.running.values())
            for envelope in envelopes:
                try:
                    self.engine.store.start(envelope, self.engine.lease, renew=True)
                except Exception:  # the store is down: the next round tries again
                    logger.warning("could not renew the lease of job %s", envelope.id)


_renewers: dict[int, _Renewer] = {}
_renewers_lock = threading.Lock()


class _renewing:
    """Hold *envelope*'s lease (renewed by the engine's one renewer) while it runs."""

    def __init__(self, engine: Engine, envelope: Envelope) -> None:
        with _renewers_lock:
            renewer = _renewers.get(id(engine))
            if renewer is None or renewer.engine is not engine:
                renewer = _renewers[id(engine)] = _Renewer(engine)
        self.renewer = renewer
        self.envelope = envelope

    def __enter__(self) -> None:
        self.renewer.add(self.envelope)

    def __exit__(self, *exc_info: object) -> None:
        self.renewer.remove(self.envelope)
