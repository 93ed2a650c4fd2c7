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
    a context manager around one timed operation (``None``: not interested);
``event(kind, name, attributes)``
    something that happened (a commit, a stream opened);
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

from collections.abc import Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

__all__ = [
    "Observer",
    "carrier",
    "event",
    "evented",
    "flush",
    "install",
    "listening",
    "observers",
    "resumed",
    "span",
    "spanned",
    "uninstall",
]

Attributes = Mapping[str, Any]


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

    def wants_span(self, kind: str) -> bool:
        """Whether :meth:`span` can return a manager for *kind*; asked once per kind
        while installed, so that kinds nobody times cost nothing per report."""
        return type(self).span is not Observer.span

    def wants_event(self, kind: str) -> bool:
        """Whether :meth:`event` does anything for *kind* (asked once per kind)."""
        return type(self).event is not Observer.event


#: The installed observers, in installation order; empty unless something listens.
observers: tuple[Observer, ...] = ()

# kind -> the observers that want its spans / its events. Replaced (never cleared) when
# the observers change: a report racing an install fills the table it started with.
_span_takers: dict[str, tuple[Observer, ...]] = {}
_event_takers: dict[str, tuple[Observer, ...]] = {}


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

#: Which of :data:`KINDS` an installed observer wants spans of. Hot call sites test
#: membership here (``if "render" in probe.spanned:``): no call at all when nobody
#: wants the kind. Other kinds go through :func:`listening`.
spanned: frozenset[str] = frozenset()
#: Which of :data:`KINDS` an installed observer wants events of (``if "uow" in
#: probe.evented: probe.event("uow", ...)``), as :data:`spanned` for spans.
evented: frozenset[str] = frozenset()


def _forget_kinds() -> None:
    global _span_takers, _event_takers, spanned, evented
    _span_takers, _event_takers = {}, {}
    spanned = frozenset(kind for kind in KINDS if _span_observers(kind))
    evented = frozenset(kind for kind in KINDS if _event_observers(kind))


def _takers(table: dict[str, tuple[Observer, ...]], kind: str, wants: str) -> tuple[Observer, ...]:
    """The observers whose ``wants_span`` or ``wants_event`` (*wants*) says yes to
    *kind*, from *table*, which keeps the answer until the observers change."""
    found = table.get(kind)
    if found is None:
        found = table[kind] = tuple(o for o in observers if getattr(o, wants)(kind))
    return found


def _span_observers(kind: str) -> tuple[Observer, ...]:
    return _takers(_span_takers, kind, "wants_span")


def _event_observers(kind: str) -> tuple[Observer, ...]:
    return _takers(_event_takers, kind, "wants_event")


def listening(kind: str) -> bool:
    """Whether an installed observer wants spans of *kind* (a hot call site checks this
    before building its attributes)."""
    found = _span_takers.get(kind)  # (the lookup _takers makes, without the calls)
    if found is None:
        found = _takers(_span_takers, kind, "wants_span")
    return bool(found)


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


_NOTHING = _Stack([])


def span(kind: str, name: str, /, **attributes: Any) -> AbstractContextManager[Any]:
    """A context manager that reports the operation ``kind``/``name`` around it
    (``with probe.span("command", "PlaceOrder"): ...``); exceptions pass through."""
    managers = []
    takers = _span_takers.get(kind)
    for observer in _span_observers(kind) if takers is None else takers:
        manager = observer.span(kind, name, attributes)
        if manager is not None:
            managers.append(manager)
    if not managers:
        return _NOTHING
    # (usually one: the metrics' timer, in a trace that is not sampled)
    return managers[0] if len(managers) == 1 else _Stack(managers)


def event(kind: str, name: str, /, **attributes: Any) -> None:
    """Report that ``kind``/``name`` happened (``probe.event("uow", "commit")``)."""
    takers = _event_takers.get(kind)
    for observer in _event_observers(kind) if takers is None else takers:
        observer.event(kind, name, attributes)


def carrier() -> dict[str, str]:
    """What must travel with work sent elsewhere (a job): ``{}`` when nothing listens."""
    found: dict[str, str] = {}
    for observer in observers:
        observer.inject(found)
    return found


def resumed(carrier: Mapping[str, str]) -> _Stack:
    """Restore, around the work it arrived with, what :func:`carrier` collected."""
    managers = []
    for observer in observers:
        manager = observer.resume(carrier)
        if manager is not None:
            managers.append(manager)
    return _Stack(managers) if managers else _NOTHING


def flush() -> None:
    """Ask every observer to send what it buffers (before a worker process exits)."""
    for observer in observers:
        observer.flush()
