"""Sending a job: now, or after the commit of the active unit of work.

Inside a unit of work a job waits for the commit and is dropped on rollback. When the
engine has an outbox and the unit is a SQL unit on its database, the job is written to
the outbox in the unit's transaction and sent by the relay after the commit — a crash
in between loses nothing, and the job id makes a second send harmless.
"""

from __future__ import annotations

from typing import Any

from nitro import probe
from nitro.cqrs.bus import Bus
from nitro.cqrs.jobs import hooks
from nitro.cqrs.jobs.config import current_engine
from nitro.cqrs.jobs.definition import Job, JobOptions
from nitro.cqrs.jobs.engine import Engine
from nitro.cqrs.jobs.envelope import Actor, Envelope, JobRef
from nitro.cqrs.messages import Event
from nitro.persistence.units import current_unit

__all__ = ["JobRequested", "enqueue", "relay_bus", "send_now"]


class JobRequested(Event):
    """A job waiting in the outbox for its unit's commit."""

    envelope: str
    delay: float = 0.0


#: The bus the outbox relays jobs with (one handler: send the job).
relay_bus = Bus()


@relay_bus.handles(JobRequested)
def _send_requested(evt: JobRequested) -> None:
    send_now(current_engine(), Envelope.from_json(evt.envelope), evt.delay)


class _AfterCommit:
    """A job waiting in a unit of work without an outbox."""

    __slots__ = ("delay", "engine", "envelope")

    def __init__(self, engine: Engine, envelope: Envelope, delay: float) -> None:
        self.engine = engine
        self.envelope = envelope
        self.delay = delay

    def send(self, sender: Any = None, /, **kwargs: Any) -> None:
        send_now(self.engine, self.envelope, self.delay, fresh=True)

    async def asend(self, sender: Any = None, /, **kwargs: Any) -> None:
        import asyncio

        await asyncio.to_thread(send_now, self.engine, self.envelope, self.delay, fresh=True)


def enqueue(job: Job[Any, Any], args: dict[str, Any], options: JobOptions) -> JobRef:
    """Put one run of *job* with *args* on the current engine's queue; returns a reference to
    follow it."""
    engine = current_engine()
    envelope = Envelope(
        job=job.name,
        args=args,
        queue=options.queue or job.queue,
        key=options.key,
        key_ttl=options.key_ttl,
        actor=Actor.of_current_user(),
        context=probe.carrier() if probe.observers else {},
    )
    unit = current_unit()
    if unit is None:
        return send_now(engine, envelope, options.delay, fresh=True)
    requested = JobRequested(id=envelope.id, envelope=envelope.to_json(), delay=options.delay)
    if engine.outbox is not None and engine.outbox.store(requested):
        unit.publish(engine.outbox.relayed(relay_bus, requested))
    else:
        unit.publish(_AfterCommit(engine, envelope, options.delay))
    return JobRef(id=envelope.id, job=job.name, sent=False, deferred=True)


def send_now(
    engine: Engine, envelope: Envelope, delay: float = 0.0, *, fresh: bool = False
) -> JobRef:
    """Send *envelope* unless its key or its id was sent already. A *fresh* envelope
    (a new id, never stored: not one the outbox relays) needs no check of its id, so
    its "queued" record is written without waiting."""
    store = engine.store
    if envelope.key is not None:
        holder = store.reserve_key(envelope.key, envelope.id, envelope.key_ttl)
        if holder is not None and holder != envelope.id:
            return JobRef(id=holder, job=envelope.job, sent=False)
    if fresh:
        store.note_queued(envelope)
    elif not store.queued(envelope):  # sent already (a relay sending it again)
        return JobRef(id=envelope.id, job=envelope.job, sent=False)
    try:
        (engine.submit_new if fresh else engine.submit)(envelope, delay)
    except Exception as exc:
        # Visible in the dead-letter queue, and retried from there.
        store.finish(
            envelope, "dead", error=f"{type(exc).__name__}: {exc}", reason="could not be sent"
        )
        if envelope.key is not None:
            store.release_key(envelope.key, envelope.id)
        raise
    hooks.job_enqueued.send(envelope.job, envelope=envelope, delay=delay)
    return JobRef(id=envelope.id, job=envelope.job, sent=True)
