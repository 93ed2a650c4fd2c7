"""Instrumentation points: where Nitro's own code reports what it does.

Repositories, units of work, rendering, live streams, command and event handlers and
jobs call this module; observers (logs, Prometheus metrics, OpenTelemetry traces,
``Server-Timing``: :mod:`nitro.observability`) listen. The module sits below every
other part of core so each of them can report without knowing who listens.

Nothing listens by default, and then reporting costs one truth test of
:data:`observers` at each call site::

    if probe.observers:
        with probe.span("repository", "save", backend="SQLModelBackend"):
            ...

Each observer is asked once per kind whether it wants that kind's spans or events
(:meth:`Observer.wants_span`, :meth:`Observer.wants_event`); the answer is kept until
the observers change. A report of a kind nobody wants costs a dictionary lookup, and a
hot call site can skip building its attributes with :func:`listening`.

An :class:`Observer` subclass overrides what it needs:

``span(kind, name, attributes)``
    a context manager around one operation (``None``: not interested);
``timer(kind)``
    a function called with ``(name, attributes, seconds, failed)`` once each operation
    of *kind* ended, for an observer that only wants durations (a histogram): the
    reporting site times the operation itself, and no context manager is made per
    operation (``None``: not interested; asked once per kind);
``event(kind, name, attributes)``
    something that happened (a commit, a stream opened);
``listener(kind)``
    the function called with ``(name, attributes)`` for each event of *kind*
    (by default :meth:`event` with *kind* bound, where :meth:`wants_event` says yes):
    an observer gives one of its own where the kind's events are frequent;
``inject(carrier)``
    write what must travel with work handed to another process (a request id, a W3C
    ``traceparent``) into *carrier*, a ``dict[str, str]``;
``resume(carrier)``
    a context manager that restores what :meth:`inject` wrote, around the work
    where it arrives (a job in a worker);
``flush()``
    send what waits in buffers now (a worker process about to exit);
``wants_span(kind)``, ``wants_event(kind)``
    whether ``span``/``event`` can do anything for *kind* (by default: whether the
    subclass overrides them).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from time import perf_counter
from types import TracebackType
from typing import Any

__all__ = [
    "NOTHING",
    "Listener",
    "Observer",
    "Timer",
    "carrier",
    "event",
    "evented",
    "flush",
    "install",
    "listeners",
    "listening",
    "observers",
    "resumed",
    "span",
    "spanned",
    "spans",
    "timers",
    "uninstall",
]

Attributes = Mapping[str, Any]
#: What :meth:`Observer.timer` gives: called with ``(name, attributes, seconds, failed)``.
Timer = Callable[[str, Attributes, float, bool], None]
#: What :meth:`Observer.listener` gives: called with ``(name, attributes)``.
Listener = Callable[[str, Attributes], None]


class Observer:
    """Base class of a listener; every hook does nothing until overridden."""

    def span(
        self, kind: str, name: str, attributes: Attributes
    ) -> AbstractContextManager[Any] | None:
        return None

    def event(self, kind: str, name: str, attributes: Attributes) -> None:
        return None

    def inject(self, carrier: dict[str, str]) -> None:
        return None

    def resume(self, carrier: Mapping[str, str]) -> AbstractContextManager[Any] | None:
        return None

    def flush(self) -> None:
        return None

    def timer(self, kind: str) -> Timer | None:
        """A function to call with each *kind* operation's duration (``None``: not
        interested); asked once per kind while installed, like :meth:`wants_span`."""
        return None

    def wants_span(self, kind: str) -> bool:
        """Whether :meth:`span` can return a manager for *kind*; asked once per kind
        while installed, so that kinds nobody times cost nothing per report."""
        return type(self).span is not Observer.span

    def wants_event(self, kind: str) -> bool:
        """Whether :meth:`event` does anything for *kind* (asked once per kind)."""
        return type(self).event is not Observer.event

    def listener(self, kind: str) -> Listener | None:
        """What hears the events of *kind* (asked once per kind while installed):
        :meth:`event` for it where :meth:`wants_event` says yes, else ``None``."""
        return functools.partial(self.event, kind) if self.wants_event(kind) else None


#: The installed observers, in installation order; empty unless something listens.
observers: tuple[Observer, ...] = ()

# kind -> the observers that want its spans / its events. Replaced (never cleared) when
# the observers change: a report racing an install fills the table it started with.
_span_takers: dict[str, tuple[Observer, ...]] = {}
#: kind -> the :class:`Timer` functions of the observers that time it (read-only: a hot
#: call site reads ``probe.timers.get(kind, ())`` after :func:`spans`); replaced when
#: the observers change, like the table above.
timers: dict[str, tuple[Timer, ...]] = {}
#: kind -> the :class:`Listener` functions of the observers that hear its events
#: (read-only, as :data:`timers`: ``for listener in probe.listeners.get("uow", ())``).
listeners: dict[str, tuple[Listener, ...]] = {}


def install(observer: Observer) -> None:
    """Start reporting to *observer* (installing it twice is harmless)."""
    global observers
    if observer not in observers:
        observers = (*observers, observer)
        _forget_kinds()


def uninstall(observer: Observer) -> None:
    """Stop reporting to *observer* (no error if it was not installed)."""
    global observers
    observers = tuple(o for o in observers if o is not observer)
    _forget_kinds()


#: The kinds Nitro's own code reports.
KINDS = ("repository", "uow", "render", "command", "query", "event", "job", "stream")

#: Which of :data:`KINDS` an installed observer wants spans of or times. Hot call sites
#: test membership here (``if "render" in probe.spanned:``): no call at all when nobody
#: wants the kind. Other kinds go through :func:`listening`.
spanned: frozenset[str] = frozenset()
#: Which of :data:`KINDS` an installed observer wants events of (``if "uow" in
#: probe.evented: probe.event("uow", ...)``), as :data:`spanned` for spans.
evented: frozenset[str] = frozenset()


def _forget_kinds() -> None:
    global _span_takers, timers, listeners, spanned, evented
    _span_takers, timers, listeners = {}, {}, {}
    # (every kind's timers and listeners looked up now: hot call sites read them directly)
    spanned = frozenset(kind for kind in KINDS if _timers(kind) or _span_observers(kind))
    evented = frozenset(kind for kind in KINDS if _listeners(kind))


def _kept(
    table: dict[str, tuple[Any, ...]], kind: str, ask: Callable[[Observer], Any]
) -> tuple[Any, ...]:
    """What each observer gives *ask* for *kind* (``None``: nothing), from *table*,
    which keeps the answer until the observers change."""
    found = table.get(kind)
    if found is None:
        found = table[kind] = tuple(x for o in observers if (x := ask(o)) is not None)
    return found


def _timers(kind: str) -> tuple[Timer, ...]:
    return _kept(timers, kind, lambda o: o.timer(kind))


def _listeners(kind: str) -> tuple[Listener, ...]:
    return _kept(listeners, kind, lambda o: o.listener(kind))


def _span_observers(kind: str) -> tuple[Observer, ...]:
    return _kept(_span_takers, kind, lambda o: o if o.wants_span(kind) else None)


def listening(kind: str) -> bool:
    """Whether an installed observer wants spans of *kind* or times it (a hot call site
    checks this before building its attributes)."""
    found = _span_takers.get(kind)  # (the lookup _span_observers makes, without the call)
    if found is None:
        found = _span_observers(kind)
    return bool(found) or bool(_timers(kind))


class _Stack:
    """The context managers the observers returned, entered in order and left in
    reverse: an observer's failure is its own (the operation goes on)."""

    __slots__ = ("managers",)

    def __init__(self, managers: list[AbstractContextManager[Any]]) -> None:
        self.managers = managers

    def __enter__(self) -> None:
        for manager in self.managers:
            manager.__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for manager in reversed(self.managers):
            manager.__exit__(exc_type, exc, tb)


class _Clock:
    """A span's managers (*inner*) around a timing for the kind's timers."""

    __slots__ = ("attributes", "inner", "name", "started", "timers")

    def __init__(
        self,
        inner: AbstractContextManager[Any],
        timers: tuple[Timer, ...],
        name: str,
        attributes: Attributes,
    ) -> None:
        self.inner = inner
        self.timers = timers
        self.name = name
        self.attributes = attributes
        self.started = 0.0

    def __enter__(self) -> None:
        self.inner.__enter__()
        self.started = perf_counter()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        seconds = perf_counter() - self.started
        try:
            self.inner.__exit__(exc_type, exc, tb)
        finally:
            for timer in self.timers:
                timer(self.name, self.attributes, seconds, exc_type is not None)


#: What :func:`spans` returns when no observer makes a span: a hot call site may run
#: the operation without a ``with`` when it gets this (``if spans is probe.NOTHING``).
NOTHING: AbstractContextManager[None] = _Stack([])


def span(kind: str, name: str, /, **attributes: Any) -> AbstractContextManager[Any]:
    """A context manager that reports the operation ``kind``/``name`` around it
    (``with probe.span("command", "PlaceOrder"): ...``) to the observers' spans and
    timers; exceptions pass through."""
    inner = spans(kind, name, attributes)
    found = timers.get(kind)
    if found is None:
        found = _timers(kind)
    return _Clock(inner, found, name, attributes) if found else inner


def spans(kind: str, name: str, attributes: Attributes) -> AbstractContextManager[Any]:
    """The observers' spans of ``kind``/``name`` only, without the timers: for a hot
    call site that times the operation itself and calls ``probe.timers.get(kind, ())``
    with it (repository calls); :data:`NOTHING` when no observer makes a span."""
    managers = []
    takers = _span_takers.get(kind)
    for observer in _span_observers(kind) if takers is None else takers:
        manager = observer.span(kind, name, attributes)
        if manager is not None:
            managers.append(manager)
    if not managers:
        return NOTHING
    # (usually none: a trace that is not sampled; else the tracer's)
    return managers[0] if len(managers) == 1 else _Stack(managers)


def event(kind: str, name: str, /, **attributes: Any) -> None:
    """Report that ``kind``/``name`` happened (``probe.event("uow", "commit")``)."""
    found = listeners.get(kind)
    for listener in _listeners(kind) if found is None else found:
        listener(name, attributes)


def carrier() -> dict[str, str]:
    """What must travel with work sent elsewhere (a job): ``{}`` when nothing listens."""
    found: dict[str, str] = {}
    for observer in observers:
        observer.inject(found)
    return found


def resumed(carrier: Mapping[str, str]) -> AbstractContextManager[None]:
    """Restore, around the work it arrived with, what :func:`carrier` collected."""
    managers = []
    for observer in observers:
        manager = observer.resume(carrier)
        if manager is not None:
            managers.append(manager)
    return _Stack(managers) if managers else NOTHING


def flush() -> None:
    """Ask every observer to send what it buffers (before a worker process exits)."""
    for observer in observers:
        observer.flush()
