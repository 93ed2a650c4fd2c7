"""SQLAlchemy's and redis-py's own OpenTelemetry instrumentation, turned on and off with
Nitro's traces: their spans (a statement, a command) go below Nitro's repository spans,
through Nitro's provider, made as lean as Nitro's own inside sampled traces (``_spans``),
and, for SQLAlchemy, with its statement listeners only on the connections of sampled
traces (``_sqlalchemy``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from nitro.observability._spans import LeanTracerProvider

__all__ = ["SQLALCHEMY_ENGINES", "instrument_libraries", "uninstrument_libraries"]

logger = logging.getLogger("nitro.observability")


def instrument_libraries(provider: Any, libraries: Sequence[str] | None = None) -> list[str]:
    """Turn on SQLAlchemy's and redis-py's OpenTelemetry instrumentation where installed
    (only those named in *libraries*, when given); return the names of those turned on."""
    done = []
    for name, module, cls in (
        ("sqlalchemy", "opentelemetry.instrumentation.sqlalchemy", "SQLAlchemyInstrumentor"),
        ("redis", "opentelemetry.instrumentation.redis", "RedisInstrumentor"),
    ):
        if libraries is not None and name not in libraries:
            continue
        try:
            imported = __import__(module, fromlist=[cls])
            __import__(name)
        except ImportError:
            continue
        instrumentor = getattr(imported, cls)()
        if not instrumentor.is_instrumented_by_opentelemetry:
            # Engines made from now on are instrumented as they are created; those
            # made before (the app touched its database first) are handed over.
            existing = {"engines": _existing_engines()} if name == "sqlalchemy" else {}
            # The SQLAlchemy instrumentation declares "< 2.1" but works on 2.1 (its
            # spans are tested in tests/test_observability.py).
            options = {"tracer_provider": _for_libraries(provider), "skip_dep_check": True}
            try:
                if name == "sqlalchemy" and _keeps_sampled_children(provider):
                    from nitro.observability import _sqlalchemy

                    _sqlalchemy.instrument(instrumentor, **options, **existing)
                else:
                    instrumentor.instrument(**options, **existing)
            except Exception as exc:  # Nitro's own spans do not depend on it
                logger.warning("%s's OpenTelemetry instrumentation is off: %s", name, exc)
                continue
        done.append(name)
    return done


def _keeps_sampled_children(provider: Any) -> bool:
    """Whether *provider* samples with Nitro's sampler, which keeps a span exactly when
    its parent is sampled (what the lean spans and ``_sqlalchemy`` rely on)."""
    return bool(getattr(getattr(provider, "sampler", None), "nitro_keeps_sampled_children", False))


def _for_libraries(provider: Any) -> Any:
    """The provider the libraries' instrumentation gets: with Nitro's sampler, one whose
    tracers make their spans in sampled traces as lean as Nitro's own (``_spans``)."""
    return LeanTracerProvider(provider) if _keeps_sampled_children(provider) else provider


#: Sent when SQLAlchemy's instrumentation is turned on; a receiver returns the engines
#: it has already made (``nitro.sql`` does), which are then instrumented too.
SQLALCHEMY_ENGINES = "nitro.observability.sqlalchemy_engines"


def _existing_engines() -> list[Any]:
    from nitro.events import event

    engines: list[Any] = []
    for _receiver, found in event(SQLALCHEMY_ENGINES).send(None):
        if isinstance(found, list):  # (a receiver that raised returns its exception)
            engines += found
    return engines


def uninstrument_libraries() -> None:
    for module, cls in (
        ("opentelemetry.instrumentation.sqlalchemy", "SQLAlchemyInstrumentor"),
        ("opentelemetry.instrumentation.redis", "RedisInstrumentor"),
    ):
        try:
            instrumentor = getattr(__import__(module, fromlist=[cls]), cls)()
        except ImportError:
            continue
        if module.endswith("sqlalchemy"):
            from nitro.observability import _sqlalchemy

            if _sqlalchemy.instrumented():
                _sqlalchemy.uninstrument(instrumentor)
                continue
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
