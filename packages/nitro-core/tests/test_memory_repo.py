"""MemoryRepo: the contract suite, TTL on a fake clock, the sweep, copies, threads."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator

import pytest

from nitro import Entity
from nitro.persistence import MemoryRepo, MemoryStore, Query, use_backend
from nitro.persistence.testing import (  # memory_store: a fixture, found by name
    FakeClock,
    RepositoryContract,
    memory_store,  # noqa: F401
)


class TestMemoryRepoContract(RepositoryContract):
    """The shared, process-wide store."""

    @pytest.fixture
    def backend(self) -> type[MemoryRepo]:  # type: ignore[type-arg]
        return MemoryRepo


class TestMemoryRepoPrivateStoreContract(RepositoryContract):
    """A repository on its own store behaves the same."""

    @pytest.fixture
    def backend(self) -> functools.partial[MemoryRepo]:  # type: ignore[type-arg]
        return functools.partial(MemoryRepo, store=MemoryStore())


class Session(Entity):
    user: str
    hits: int = 0
    tags: list[str] = []


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


@pytest.fixture(autouse=True)
def routed(store: MemoryStore) -> Iterator[None]:
    with use_backend(functools.partial(MemoryRepo, store=store), Session):
        yield


def test_ttl_entity_is_gone_for_get_all_filter_exists_and_count_after_expiry(
    clock: FakeClock,
) -> None:
    short = Session(user="ann")
    forever = Session(user="ann")
    short.save(ttl=1)
    forever.save()
    clock.advance(0.999)
    assert Session.get(short.id) == short
    assert Session.all() == [short, forever]
    clock.advance(0.001)  # exactly at expiry: gone
    assert Session.get(short.id) is None
    assert short.exists() is False
    assert Session.all() == [forever]
    assert Session.filter(user="ann") == [forever]
    assert Session.repository().count() == 1
    assert short.delete() is False


def test_sweep_removes_only_expired_entries(clock: FakeClock, store: MemoryStore) -> None:
    expiring = [Session(user=f"e{n}") for n in range(5)]
    for n, session in enumerate(expiring):
        session.save(ttl=n + 1)
    permanent = [Session(user=f"p{n}") for n in range(3)]
    for session in permanent:
        session.save()
    assert len(store) == 8
    clock.advance(2.5)
    assert store.sweep() == 2
    assert len(store) == 6
    clock.advance(1000)
    assert store.sweep() == 3
    assert len(store) == 3
    assert Session.all() == permanent
    clock.advance(10**6)
    assert store.sweep() == 0
    assert Session.all() == permanent


def test_writes_sweep_expired_entries_without_a_thread(
    clock: FakeClock, store: MemoryStore
) -> None:
    threads_before = threading.active_count()
    for n in range(100):
        Session(user=str(n)).save(ttl=1)
    clock.advance(2)
    Session(user="writer").save()  # the write sweeps: no read of the expired ones needed
    assert len(store) == 1
    assert threading.active_count() == threads_before


def test_resave_with_new_ttl_keeps_it_until_the_new_expiry(
    clock: FakeClock, store: MemoryStore
) -> None:
    session = Session(user="ann")
    session.save(ttl=1)
    clock.advance(0.5)
    session.save(ttl=10)  # the old heap row must not delete the renewed entry
    clock.advance(1)
    assert store.sweep() == 0
    assert Session.get(session.id) == session
    clock.advance(9)
    assert Session.get(session.id) is None


def test_save_without_ttl_makes_an_expiring_entity_permanent(clock: FakeClock) -> None:
    session = Session(user="ann")
    session.save(ttl=1)
    session.save()
    clock.advance(3600)
    assert Session.get(session.id) == session


def test_fractional_ttl(clock: FakeClock) -> None:
    session = Session(user="ann")
    session.save(ttl=0.25)
    clock.advance(0.2)
    assert session.exists()
    clock.advance(0.05)
    assert not session.exists()


def test_real_clock_ttl_expiry() -> None:
    with use_backend(functools.partial(MemoryRepo, store=MemoryStore()), Session):
        session = Session(user="ann")
        session.save(ttl=0.2)
        assert Session.get(session.id) == session
        time.sleep(0.3)
        assert Session.get(session.id) is None


def test_stored_values_are_copies_not_shared_objects() -> None:
    session = Session(user="ann", tags=["a"])
    session.save()
    first = Session.get(session.id)
    second = Session.get(session.id)
    assert first == second
    assert first is not second
    assert first.tags is not second.tags
    first.tags.append("b")
    first.hits = 5
    assert Session.get(session.id).tags == ["a"]
    assert Session.get(session.id).hits == 0


def test_loaded_entities_have_every_field_set_and_validate_assignment() -> None:
    session = Session(user="ann")
    session.save()
    loaded = Session.get(session.id)
    assert loaded.model_fields_set == {"id", "user", "hits", "tags"}
    assert session.model_fields_set == {"user"}  # the saved instance is untouched
    with pytest.raises(ValueError, match="hits"):
        loaded.hits = "many"  # type: ignore[assignment]


def test_private_attributes_start_from_their_defaults_after_a_load() -> None:
    class Cart(Entity):
        items: list[str] = []
        _dirty: bool = False

    with use_backend(functools.partial(MemoryRepo, store=MemoryStore()), Cart):
        cart = Cart(items=["x"])
        cart._dirty = True
        cart.save()
        loaded = Cart.get(cart.id)
        assert loaded._dirty is False
        assert loaded.items == ["x"]


def test_nested_models_are_copied() -> None:
    from pydantic import BaseModel

    class Address(BaseModel):
        lines: list[str]

    class Customer(Entity):
        address: Address

    with use_backend(functools.partial(MemoryRepo, store=MemoryStore()), Customer):
        customer = Customer(address=Address(lines=["1 Main St"]))
        customer.save()
        customer.address.lines.append("changed")
        assert Customer.get(customer.id).address.lines == ["1 Main St"]


def test_clear_of_the_store_empties_every_class(store: MemoryStore) -> None:
    class Other(Entity):
        pass

    with use_backend(functools.partial(MemoryRepo, store=store), Session, Other):
        Session(user="a").save()
        Other().save()
        store.clear()
        assert Session.all() == []
        assert Other.all() == []


def test_default_store_is_process_wide() -> None:
    class Shared(Entity):
        pass

    entity = Shared()
    MemoryRepo(Shared).save(entity)
    try:
        assert MemoryRepo(Shared).get(entity.id) == entity
        assert MemoryRepo(Shared).store is MemoryRepo.default_store
    finally:
        MemoryRepo(Shared).clear()


def test_count_and_find_share_the_query_semantics() -> None:
    for n in range(6):
        Session(user="u", hits=n % 3).save()
    repo = Session.repository()
    assert repo.count() == 6
    assert [s.hits for s in repo.find(Query(order_by=("-hits",), limit=3))] == [2, 2, 1]


def test_resaving_with_ttl_does_not_grow_the_expiry_heap_without_bound(
    clock: FakeClock, store: MemoryStore
) -> None:
    session = Session(user="busy")
    for _ in range(10_000):  # e.g. a session whose TTL is renewed on every request
        session.save(ttl=3600)
    # Stale rows are compacted away; checking the private heap is the point here.
    assert len(store._expiries) <= 2048
    assert Session.get(session.id) == session
    clock.advance(3601)
    assert store.sweep() == 1
    assert len(store) == 0


@pytest.mark.timeout(5)
def test_clearing_a_class_the_store_has_never_seen_is_a_no_op() -> None:
    class Unseen(Entity):
        pass

    store = MemoryStore()
    store.clear(Unseen)
    assert len(store) == 0
    store.clear()


def test_fake_clock_only_moves_forward() -> None:
    clock = FakeClock(start=5)
    clock.advance(2.5)
    assert clock() == 7.5
    with pytest.raises(ValueError, match=r"only moves forward, got advance\(-1\)"):
        clock.advance(-1)


class Gadget(Entity):
    name: str = ""


@pytest.mark.usefixtures("memory_store")
def test_memory_store_fixture_isolates_a_test() -> None:
    Gadget(name="x").save()
    assert len(Gadget.all()) == 1


@pytest.mark.usefixtures("memory_store")
def test_memory_store_fixture_gives_each_test_an_empty_store() -> None:
    assert Gadget.all() == []
    gadget = Gadget()
    gadget.save()
    store = Gadget.repository().store  # type: ignore[attr-defined]
    assert store is not MemoryRepo.default_store
    assert len(store) == 1
    assert MemoryRepo(Gadget).get(gadget.id) is None  # the default store is untouched


def test_nested_containers_are_copied_at_every_level() -> None:
    class Sheet(Entity):
        rows: list[list[int]] = []
        meta: dict[str, list[str]] = {}
        flat: dict[str, int] = {}

    with use_backend(functools.partial(MemoryRepo, store=MemoryStore()), Sheet):
        sheet = Sheet(rows=[[1, 2], [3]], meta={"tags": ["a"]}, flat={"n": 1})
        sheet.save()
        sheet.rows[0].append(99)
        sheet.meta["tags"].append("b")
        sheet.flat["n"] = 2
        loaded = Sheet.get_or_raise(sheet.id)
        assert loaded.rows == [[1, 2], [3]]
        assert loaded.meta == {"tags": ["a"]}
        assert loaded.flat == {"n": 1}
        loaded.rows[1].append(7)
        assert Sheet.get_or_raise(sheet.id).rows == [[1, 2], [3]]
