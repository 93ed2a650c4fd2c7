"""Which repository serves which entity class.

Resolution order for an entity class, first match wins:

1. the innermost active :func:`use_backend` override that covers the class (tests);
2. ``_persistence_backend_class`` set on the class or on a base class below
   :class:`~nitro.Entity`;
3. the app-wide default from :func:`set_default_backend` (``MemoryRepo`` unless set).

Repositories are created on first use and shared per class, so ``Todo.repository()``
returns the same object every time until the configuration changes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from nitro import probe
from nitro.persistence._instrument import instrument
from nitro.persistence.base import BackendFactory, EntityLike, Repository
from nitro.persistence.memory import MemoryRepo

E = TypeVar("E", bound=EntityLike)

__all__ = [
    "get_default_backend",
    "repository_for",
    "reset_repositories",
    "set_default_backend",
    "use_backend",
]

_lock = threading.RLock()
_default_backend: BackendFactory | None = None
_repositories: dict[type[Any], Repository[Any]] = {}  # per class, without overrides
# What repository_for() answers, per class: a cache of the whole resolution, emptied
# whenever anything that decides it changes.
_resolved: dict[type[Any], Repository[Any]] = {}


class _Override:
    __slots__ = ("classes", "factory", "repositories")

    def __init__(self, factory: BackendFactory, classes: frozenset[type[Any]] | None) -> None:
        self.factory = factory
        self.classes = classes
        self.repositories: dict[type[Any], Repository[Any]] = {}


# A process-wide stack rather than a ContextVar: an override set by a test must also
# reach the threads that test starts.
_overrides: list[_Override] = []


def set_default_backend(factory: BackendFactory | None) -> None:
    """Make *factory* the backend of every entity class that does not choose its own.

    ``None`` restores the built-in default, :class:`~nitro.persistence.MemoryRepo`.
    Call it once at start-up (e.g. ``set_default_backend(SQLModelBackend)``).
    """
    if factory is not None and not callable(factory):
        raise TypeError(
            f"set_default_backend() takes a repository class or factory, got {factory!r}"
        )
    global _default_backend
    with _lock:
        _default_backend = factory
        _repositories.clear()
        _resolved.clear()


def get_default_backend() -> BackendFactory:
    """The app-wide default backend factory."""
    return MemoryRepo if _default_backend is None else _default_backend


@contextmanager
def use_backend(factory: BackendFactory, *entity_classes: type[Any]) -> Iterator[None]:
    """Route *entity_classes* (all entity classes when none are given) to *factory*
    inside the ``with`` block, whatever their ``_persistence_backend_class`` says.

    Meant for tests: ``with use_backend(MemoryRepo): ...`` runs code written for SQL
    against memory. Overrides nest; the innermost one that covers a class wins.
    """
    if not callable(factory):
        raise TypeError(f"use_backend() takes a repository class or factory, got {factory!r}")
    override = _Override(factory, frozenset(entity_classes) if entity_classes else None)
    with _lock:
        _overrides.append(override)
        _resolved.clear()
    try:
        yield
    finally:
        with _lock:
            _overrides.remove(override)
            _resolved.clear()


def repository_for(entity_cls: type[E]) -> Repository[E]:
    """The repository serving *entity_cls* (see the module docs for the order)."""
    repo = _resolved.get(entity_cls)
    if repo is None:
        repo = _resolve(entity_cls)
    return repo


def _resolve(entity_cls: type[Any]) -> Repository[Any]:
    with _lock:
        repo = _effective(entity_cls)
        _resolved[entity_cls] = repo
        return repo


def _effective(entity_cls: type[Any]) -> Repository[Any]:
    for override in reversed(_overrides):
        if override.classes is None or entity_cls in override.classes:
            repo = override.repositories.get(entity_cls)
            if repo is None:
                repo = override.repositories[entity_cls] = _create(override.factory, entity_cls)
            return repo
    repo = _repositories.get(entity_cls)
    if repo is None:
        repo = _repositories[entity_cls] = _create(_class_backend(entity_cls), entity_cls)
    return repo


def reset_repositories() -> None:
    """Forget the shared repository objects (not the stored data); they are recreated
    on next use. Called automatically when ``_persistence_backend_class`` is assigned."""
    with _lock:
        _repositories.clear()
        _resolved.clear()


def _class_backend(entity_cls: type[Any]) -> BackendFactory:
    for klass in entity_cls.__mro__:
        if "_persistence_backend_class" in klass.__dict__:
            if klass.__dict__.get("__nitro_entity_root__", False):
                break  # inherited from nitro.Entity itself: the app default applies
            factory: BackendFactory = klass.__dict__["_persistence_backend_class"]
            if factory is None:
                break
            return factory
    return get_default_backend()


def _create(factory: BackendFactory, entity_cls: type[Any]) -> Repository[Any]:
    repo = factory(entity_cls)
    if not isinstance(repo, Repository):
        raise TypeError(
            f"the persistence backend {getattr(factory, '__name__', factory)!r} of "
            f"{entity_cls.__name__} returned {type(repo).__name__}, not a "
            "nitro.persistence.Repository"
        )
    if probe.observers and repo.observed:
        instrument(repo)
    return repo
