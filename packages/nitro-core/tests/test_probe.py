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
