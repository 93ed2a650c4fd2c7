"""SQLAlchemy's OpenTelemetry instrumentation, its statement listeners heard only by the
connections that sampled traces open.

SQLAlchemy's instrumentation listens to every statement of an engine
(``before_cursor_execute`` and ``after_cursor_execute`` on the engine). Any listener
on an engine turns on SQLAlchemy's event dispatch for every connection the engine
opens: its connect, begin, each statement and its commit then go through the event
machinery, even where the listener returns at once because the trace is not sampled.
On PostgreSQL, whose engines have no other listener, that measured about 50 µs of CPU
per two-statement transaction (about 300 → 380 µs, ``benchmarks/README.md``).

Under Nitro's sampler a statement's span is kept exactly when its trace is sampled,
so here the instrumentation's two statement listeners are put on a view of the
engine (``engine.execution_options()``: the same pool, listeners of its own) that
gives the connections opened inside sampled traces, instead of on the engine: the
same spans, made by the same code, and connections outside sampled traces pay nothing
(the ``connection.engine`` of the others is the view). The rest of the instrumentation
(its ``connect`` span, the error listener) stays as it is, with two shortcuts for the
connections every request opens:

- where instrumentation is suppressed (Nitro's mark of a request whose trace is not
  sampled), ``Engine.connect`` goes straight to SQLAlchemy's own, past the
  instrumentation's wrapper, which would only find the same mark and do the same;
- its four pool listeners (``connect``, ``close``, ``checkout``, ``checkin``) feed
  OpenTelemetry's ``db.client.connections.usage`` metric, which goes nowhere until an
  OpenTelemetry ``MeterProvider`` is set; an engine made while none is set does not
  get them (about 40 calls per checked-out connection, for nothing: Nitro's metrics
  are Prometheus's). Set the ``MeterProvider`` before making the engine to have them.

An engine with listeners of its own dispatches every event anyway: there the
statement listeners go on the engine, as the instrumentation does, at its first
connection. One difference remains on the others: a connection opened outside a
sampled trace and used inside one (held across requests) gets no statement spans.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import wrapt  # (what the OpenTelemetry instrumentations wrap with: always there with them)
from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.utils import unwrap
from sqlalchemy import event
from sqlalchemy.engine.base import Engine

from nitro.observability._runtime import suppressed

__all__ = ["instrument", "instrumented", "uninstrument"]

#: The classmethod through which ``EngineTracer`` puts each of its listeners on an engine.
_HOOK = "_register_event_listener"
_STATEMENT_EVENTS = frozenset({"before_cursor_execute", "after_cursor_execute"})
#: The pool events behind the instrumentation's connection usage metric.
_POOL_EVENTS = frozenset({"connect", "close", "checkin", "checkout"})

#: engine -> [(event, listener, keywords)]: the statement listeners its EngineTracer
#: would have put on it.
_listeners: weakref.WeakKeyDictionary[Any, list[tuple[str, Any, dict[str, Any]]]] = (
    weakref.WeakKeyDictionary()
)
#: Where an engine keeps its view for sampled traces (:func:`_sampled_view`), and the
#: engines that have one.
_VIEW = "_nitro_sampled_view"
_IS_VIEW = "_nitro_is_sampled_view"
_viewed: weakref.WeakSet[Any] = weakref.WeakSet()
_lock = threading.Lock()
_patched: Any = None  # EngineTracer._register_event_listener before Nitro's


def instrument(instrumentor: Any, **options: Any) -> None:
    """``instrumentor.instrument(**options)`` (a ``SQLAlchemyInstrumentor``, Nitro's
    lean tracer provider among the options), with the statement listeners per
    connection (see the module docs)."""
    global _patched
    with _lock:
        if _patched is None:
            _patched = EngineTracer.__dict__[_HOOK]
            setattr(EngineTracer, _HOOK, classmethod(_register))
    try:
        instrumentor.instrument(**options)
    except BaseException:
        _unpatch()
        raise
    # (outside the instrumentation's own wrapper: its "connect" span is not current)
    wrapt.wrap_function_wrapper("sqlalchemy.engine.base", "Engine.connect", _connect)


def uninstrument(instrumentor: Any) -> None:
    """Undo :func:`instrument` (this module's wrapper first: the instrumentation removes
    the outermost wrapper of ``Engine.connect``)."""
    if getattr(Engine.connect, "_self_wrapper", None) is _connect:
        unwrap(Engine, "connect")
    try:
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
    finally:
        _unpatch()


def instrumented() -> bool:
    """Whether :func:`instrument` is in effect."""
    return _patched is not None


def _unpatch() -> None:
    global _patched
    with _lock:
        if _patched is not None:
            setattr(EngineTracer, _HOOK, _patched)
            _patched = None
        _listeners.clear()
        for engine in list(_viewed):
            engine.__dict__.pop(_VIEW, None)
        _viewed.clear()


def _register(cls: Any, target: Any, identifier: str, func: Any, *args: Any, **kw: Any) -> None:
    """What ``EngineTracer`` calls to listen on an engine: statement listeners are kept
    for the connections of sampled traces, the others listen as usual."""
    if identifier in _STATEMENT_EVENTS and not args:
        with _lock:
            _listeners.setdefault(target, []).append((identifier, func, kw))
        return
    if identifier in _POOL_EVENTS and not _metered():
        return
    _patched.__func__(cls, target, identifier, func, *args, **kw)


def _metered() -> bool:
    """Whether OpenTelemetry metrics go anywhere: a ``MeterProvider`` was set (the
    default one, a proxy, drops every measurement until then)."""
    from opentelemetry.metrics import NoOpMeterProvider, get_meter_provider

    provider = get_meter_provider()
    return not isinstance(provider, NoOpMeterProvider) and type(provider).__name__ != (
        "_ProxyMeterProvider"
    )


def _connect(wrapped: Any, engine: Any, args: Any, kwargs: Any) -> Any:
    if suppressed():
        # (a trace not sampled: the instrumentation's wrapper, *wrapped*, would see
        # the same and call SQLAlchemy's connect)
        return getattr(wrapped, "__wrapped__", wrapped)(*args, **kwargs)
    if _IS_VIEW in engine.__dict__:  # (a view of _sampled_view connecting)
        return wrapped(*args, **kwargs)
    base, listeners = _statement_listeners(engine)
    if listeners:
        if base._has_events:  # it dispatches anyway (it has listeners of its own)
            _to_engine(base)
        elif _in_sampled_trace():
            return _sampled_view(engine, listeners).connect(*args, **kwargs)
    return wrapped(*args, **kwargs)


def _statement_listeners(engine: Any) -> tuple[Any, list[tuple[str, Any, dict[str, Any]]] | None]:
    """``(the engine the instrumentation registered, its statement listeners)`` for
    *engine*, which may be a view of it (``engine.execution_options(...)``, the app's
    own or one of :func:`_sampled_view`): views see their engine's listeners."""
    base = engine
    while True:
        listeners = _listeners.get(base)
        proxied = getattr(base, "_proxied", None)  # (an OptionEngine's engine)
        if listeners is not None or proxied is None:
            return base, listeners
        base = proxied


def _sampled_view(engine: Any, listeners: list[tuple[str, Any, dict[str, Any]]]) -> Any:
    """*engine* as seen by sampled traces: ``engine.execution_options()``, SQLAlchemy's
    view of an engine that shares its pool and state and has listeners of its own
    (documented for that), with the statement *listeners* on it, made once. Listening
    on each connection instead costs SQLAlchemy's event registry about 30 µs per
    connection."""
    view = engine.__dict__.get(_VIEW)
    if view is None:
        with _lock:
            view = engine.__dict__.get(_VIEW)
            if view is None:
                view = engine.execution_options()
                view.__dict__[_IS_VIEW] = True
                for identifier, func, kw in listeners:
                    event.listen(view, identifier, func, **kw)
                # (kept by the engine itself: a table of its own would keep the engine,
                # which the view refers to, and its pool's connections, alive)
                engine.__dict__[_VIEW] = view
                _viewed.add(engine)
    return view


def _to_engine(engine: Any) -> None:
    """Put *engine*'s statement listeners on the engine itself, as the instrumentation
    does: an engine with listeners of its own dispatches every event already, and
    connecting sampled traces through a view would only add work. Connections already
    open see them too."""
    with _lock:
        listeners = _listeners.pop(engine, None)
        engine.__dict__.pop(_VIEW, None)
    for identifier, func, kw in listeners or ():
        _patched.__func__(EngineTracer, engine, identifier, func, **kw)


def _in_sampled_trace() -> bool:
    """(where instrumentation is not suppressed: _connect has looked)"""
    span = trace.get_current_span().get_span_context()
    return span.is_valid and span.trace_flags.sampled
