"""nitro.probe: reports reach only the observers that want their kind."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

from nitro import probe


class Recorder(probe.Observer):
    """Wants spans of *kinds* only; records every call it gets."""

    def __init__(self, *kinds: str) -> None:
        self.kinds = set(kinds)
        self.asked: list[str] = []
        self.spans: list[tuple[str, str]] = []

    def wants_span(self, kind: str) -> bool:
        self.asked.append(kind)
        return kind in self.kinds

    def span(self, kind: str, name: str, attributes: Mapping[str, Any]) -> Any:
        self.spans.append((kind, name))
        return _noted(self, kind)


@contextmanager
def _noted(recorder: Recorder, kind: str) -> Iterator[None]:
    yield


class EventsOnly(probe.Observer):
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def event(self, kind: str, name: str, attributes: Mapping[str, Any]) -> None:
        self.events.append((kind, name, dict(attributes)))


@pytest.fixture
def installed() -> Iterator[list[probe.Observer]]:
    added: list[probe.Observer] = []
    yield added
    for observer in added:
        probe.uninstall(observer)


def test_a_span_reaches_only_observers_that_want_its_kind(installed: list[Any]) -> None:
    jobs, repos = Recorder("job"), Recorder("repository")
    installed += [jobs, repos]
    probe.install(jobs)
    probe.install(repos)
    with probe.span("job", "send_receipt", id="1"):
        pass
    with probe.span("render", "increment"):
        pass
    assert jobs.spans == [("job", "send_receipt")]
    assert repos.spans == []
    assert probe.listening("job")
    assert probe.listening("repository")
    assert not probe.listening("render")


def test_each_observer_is_asked_once_per_kind_until_the_observers_change(
    installed: list[Any],
) -> None:
    first = Recorder("job")
    installed.append(first)
    probe.install(first)
    # Nitro's own kinds are asked at install (probe.spanned: hot call sites test it)
    assert first.asked == list(probe.KINDS)
    assert probe.spanned == {"job"}
    for _ in range(3):
        with probe.span("render", "x"), probe.span("a.plugins.kind", "y"):
            pass
    assert first.asked == [*probe.KINDS, "a.plugins.kind"]  # other kinds when first seen
    second = Recorder("render")  # a change of observers: every kind is asked again
    installed.append(second)
    probe.install(second)
    with probe.span("render", "x"):
        pass
    assert first.asked == [*probe.KINDS, "a.plugins.kind", *probe.KINDS]
    assert second.spans == [("render", "x")]
    assert probe.spanned == {"job", "render"}
    probe.uninstall(second)
    assert not probe.listening("render")
    assert probe.spanned == {"job"}


def test_an_observer_without_span_is_never_asked_for_spans(installed: list[Any]) -> None:
    events = EventsOnly()
    installed.append(events)
    probe.install(events)
    assert not probe.listening("repository")
    with probe.span("repository", "save", backend="MemoryRepo"):
        pass
    probe.event("uow", "commit", unit="MemoryUnitOfWork")
    assert events.events == [("uow", "commit", {"unit": "MemoryUnitOfWork"})]


def test_nothing_installed_listens_to_nothing() -> None:
    assert probe.observers == ()
    assert not probe.listening("job")
    with probe.span("job", "x"):  # a no-op, not an error
        pass


class Stopwatch(probe.Observer):
    """Times *kinds* (``timer``) and makes no spans; records what its timers get."""

    def __init__(self, *kinds: str) -> None:
        self.kinds = set(kinds)
        self.timed: list[tuple[str, str, dict[str, Any], float, bool]] = []

    def timer(self, kind: str) -> probe.Timer | None:
        if kind not in self.kinds:
            return None

        def note(name: str, attributes: Mapping[str, Any], seconds: float, failed: bool) -> None:
            self.timed.append((kind, name, dict(attributes), seconds, failed))

        return note


def test_a_timer_gets_each_operations_duration_and_whether_it_failed(
    installed: list[Any],
) -> None:
    import time

    watch = Stopwatch("command", "a.plugins.kind")
    installed.append(watch)
    probe.install(watch)
    assert probe.spanned == {"command"}  # a timed kind counts as listened to
    assert probe.listening("a.plugins.kind")
    with probe.span("command", "PlaceOrder", handler="place"):
        time.sleep(0.01)
    with pytest.raises(KeyError), probe.span("a.plugins.kind", "lookup"):
        raise KeyError("sku")
    with probe.span("render", "page"):  # not timed
        pass
    [(kind, name, attributes, seconds, failed), second] = watch.timed
    assert (kind, name, attributes) == ("command", "PlaceOrder", {"handler": "place"})
    assert failed is False
    assert 0.01 <= seconds < 1.0
    assert second[:3] == ("a.plugins.kind", "lookup", {})
    assert second[4] is True  # it raised


def test_spans_leaves_the_timers_to_the_call_site_and_says_when_there_is_no_span(
    installed: list[Any],
) -> None:
    watch, spans = Stopwatch("repository"), Recorder("repository")
    installed.append(watch)
    probe.install(watch)
    assert probe.spans("repository", "get", {"backend": "MemoryRepo"}) is probe.NOTHING
    assert len(probe.timers["repository"]) == 1  # (what the call site calls itself)
    installed.append(spans)
    probe.install(spans)
    with probe.spans("repository", "get", {"backend": "MemoryRepo"}):
        pass
    assert spans.spans == [("repository", "get")]
    assert watch.timed == []  # spans() alone times nothing


def test_each_repository_call_reaches_the_timers_with_its_outcome(
    installed: list[Any],
) -> None:
    from nitro import Entity
    from nitro.persistence import MemoryRepo
    from nitro.persistence.registry import repository_for

    class Observed(MemoryRepo[Any]):
        observed = True  # (MemoryRepo itself is not: a dict lookup has no latency)

    class Timed(Entity):
        _persistence_backend_class = Observed
        title: str = ""

    watch = Stopwatch("repository")
    installed.append(watch)
    probe.install(watch)
    repo = repository_for(Timed)  # made while something listens: its calls are timed
    Timed(id="a", title="first").save()
    assert repo.get("a") is not None
    with pytest.raises(TypeError):
        repo.get(object())  # type: ignore[arg-type]
    assert [(name, a["backend"], failed) for _, name, a, _, failed in watch.timed] == [
        ("save", "Observed", False),
        ("get", "Observed", False),
        ("get", "Observed", True),
    ]


def test_an_observers_own_listener_hears_its_kinds_events_instead_of_event(
    installed: list[Any],
) -> None:
    heard: list[tuple[str, dict[str, Any]]] = []

    class Counting(EventsOnly):
        def listener(self, kind: str) -> probe.Listener | None:
            if kind == "uow":
                return lambda name, attributes: heard.append((name, dict(attributes)))
            return super().listener(kind)

    counting = Counting()
    installed.append(counting)
    probe.install(counting)
    assert {"uow", "stream"} <= probe.evented
    probe.event("uow", "rollback", unit="MemoryUnitOfWork")
    probe.event("stream", "open", transport="sse")
    assert heard == [("rollback", {"unit": "MemoryUnitOfWork"})]
    assert counting.events == [("stream", "open", {"transport": "sse"})]  # (its event())
