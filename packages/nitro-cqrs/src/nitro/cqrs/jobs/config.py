"""Choosing the engine: configuration, not job code.

``NITRO_JOBS_URL`` (or :func:`configure_jobs`) names it:

==================================== ===============================================
``inprocess://``                     threads of this process (the default)
``celery+redis://host:6379/0``       Celery on a Redis broker
``dramatiq+redis://host:6379/0``     Dramatiq on a Redis broker
``rq+redis://host:6379/0``           RQ on Redis
==================================== ===============================================

The real engines keep job state, the dead-letter queue and idempotency keys in the same
Redis (:class:`~nitro.cqrs.jobs.redis_store.RedisJobStore`), so web processes and
workers see one dashboard.
"""

from __future__ import annotations

import importlib
import os
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from nitro.cqrs.jobs.engine import Engine

if TYPE_CHECKING:
    from nitro.cqrs.outbox import Outbox

__all__ = ["ENV_VAR", "configure_jobs", "current_engine", "engine_for_url"]

#: The environment variable naming the jobs engine (``NITRO_JOBS_URL``, e.g. ``redis://...``) when
#: none is configured in code.
ENV_VAR = "NITRO_JOBS_URL"
_lock = threading.Lock()
_engine: Engine | None = None


def engine_for_url(url: str, **options: Any) -> Engine:
    """The engine a ``NITRO_JOBS_URL`` names (see the module docs). Query parameters
    are engine options: ``?lease=10`` (seconds a run holds its job before a dead
    worker's job may run elsewhere), and each engine's own (see its class)."""
    url, _, query = url.partition("?")
    for name, value in parse_qsl(query):
        options.setdefault(name, _number(value))
    scheme, _, rest = url.partition("://")
    kind, _, broker = scheme.partition("+")
    if kind == "inprocess":
        from nitro.cqrs.jobs.inprocess import InProcessEngine

        return InProcessEngine(**options)
    if kind not in ("celery", "dramatiq", "rq") or broker not in ("redis", "rediss"):
        raise ValueError(
            f"{ENV_VAR}={url!r}: use inprocess://, celery+redis://..., dramatiq+redis://... "
            f"or rq+redis://..."
        )
    module_name, class_name = _ENGINES[kind]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(
            f"{ENV_VAR}={url!r} needs the {kind} engine's libraries: "
            f"pip install 'nitro-cqrs[{kind}]' ({exc})"
        ) from exc
    engine: Engine = getattr(module, class_name)(f"{broker}://{rest}", **options)
    return engine


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


#: The real engines, imported on first use (their libraries are extras).
_ENGINES = {
    "celery": ("nitro.cqrs.jobs.engines.celery", "CeleryEngine"),
    "dramatiq": ("nitro.cqrs.jobs.engines.dramatiq", "DramatiqEngine"),
    "rq": ("nitro.cqrs.jobs.engines.rq", "RQEngine"),
}


def configure_jobs(
    engine: Engine | str | None = None, *, outbox: Outbox | None = None, **options: Any
) -> Engine:
    """Make *engine* (an :class:`Engine`, a URL, or ``None`` for ``NITRO_JOBS_URL``,
    else in-process) the one ``enqueue`` sends to. With *outbox*, jobs enqueued inside
    a SQL unit of work are stored with its transaction and sent after the commit (and
    after a crash, by the relay this starts)."""
    global _engine
    if engine is None or isinstance(engine, str):
        engine = engine_for_url(engine or os.environ.get(ENV_VAR, "inprocess://"), **options)
    if outbox is not None:
        engine.outbox = outbox
    with _lock:
        previous, _engine = _engine, engine
    if previous is not None and previous is not engine:
        previous.close()
    if engine.outbox is not None:
        from nitro.cqrs.jobs.enqueue import relay_bus

        engine.outbox.relay_pending(relay_bus)
        engine.outbox.start(relay_bus)
    return engine


def current_engine() -> Engine:
    """The configured engine; configured from ``NITRO_JOBS_URL`` on first use."""
    engine = _engine
    if engine is None:
        with _lock:
            engine = _engine
        if engine is None:
            engine = configure_jobs()
    return engine
