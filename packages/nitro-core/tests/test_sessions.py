"""nitro.sessions: session records in memory and in any repository with TTL."""

from __future__ import annotations

import time

import pytest

from nitro.persistence import MemoryRepo, MemoryStore
from nitro.sessions import (
    MemorySessionStore,
    RepositorySessionStore,
    SessionRecord,
    SessionStore,
)


def test_create_get_delete() -> None:
    store = MemorySessionStore()
    assert isinstance(store, SessionStore)
    record = store.create("ann", auth_hash="h1", max_age=60, scope="/admin")
    assert len(record.id) >= 40  # a random, unguessable id
    loaded = store.get(record.id)
    assert loaded is not None
    assert (loaded.username, loaded.scope, loaded.auth_hash) == ("ann", "/admin", "h1")
    assert loaded.expires == pytest.approx(time.time() + 60, abs=2)
    assert store.delete(record.id)
    assert store.get(record.id) is None
    assert not store.delete(record.id)
    assert store.get("") is None


def test_records_expire() -> None:
    store = MemorySessionStore()
    record = store.create("ann", auth_hash="h", max_age=0.05)
    time.sleep(0.1)
    assert store.get(record.id) is None


def test_delete_user_keeps_one_and_spares_other_scopes_and_users() -> None:
    store = MemorySessionStore()
    kept = store.create("ann", auth_hash="h", max_age=60, scope="/admin")
    ended = store.create("ann", auth_hash="h", max_age=60, scope="/admin")
    other_site = store.create("ann", auth_hash="h", max_age=60, scope="/staff")
    other_user = store.create("bob", auth_hash="h", max_age=60, scope="/admin")
    assert store.delete_user("ann", scope="/admin", keep=kept.id) == 1
    assert store.get(ended.id) is None
    for alive in (kept, other_site, other_user):
        assert store.get(alive.id) is not None


def test_update_keeps_the_expiry() -> None:
    store = MemorySessionStore()
    record = store.create("ann", auth_hash="old", max_age=60)
    record.auth_hash = "new"
    store.update(record)
    loaded = store.get(record.id)
    assert loaded is not None
    assert loaded.auth_hash == "new"
    assert loaded.expires == record.expires


def test_memory_stores_are_separate() -> None:
    first, second = MemorySessionStore(), MemorySessionStore()
    record = first.create("ann", auth_hash="h", max_age=60)
    assert second.get(record.id) is None


def test_repository_store_takes_a_repository_or_a_factory() -> None:
    shared = MemoryStore()
    by_repo = RepositorySessionStore(MemoryRepo(SessionRecord, store=shared))
    by_factory = RepositorySessionStore(lambda cls: MemoryRepo(cls, store=shared))
    record = by_repo.create("ann", auth_hash="h", max_age=60)
    assert by_factory.get(record.id) is not None  # two processes' view of one store


def test_repository_store_refuses_the_wrong_class() -> None:
    class NotASession(SessionRecord):
        pass

    with pytest.raises(TypeError, match="SessionRecord"):
        RepositorySessionStore(MemoryRepo(NotASession))
