"""The repository contract suite: the behaviour every Nitro backend must have.

A backend proves itself by subclassing :class:`RepositoryContract` in its own tests
and providing a ``backend`` fixture that returns the backend factory (a repository
class, or a callable ``entity_cls -> repository``)::

    # nitro-redis: tests/test_contract.py
    import functools

    import pytest

    from nitro.persistence.testing import RepositoryContract
    from nitro.redis import RedisRepo


    class TestRedisRepoContract(RepositoryContract):
        @pytest.fixture
        def backend(self, redis_server):
            return functools.partial(RedisRepo, url=redis_server.url)

The suite routes its own entity classes (:class:`ContractItem`, :class:`ContractNote`)
to that backend with :func:`~nitro.persistence.use_backend`, clears them before and
after each test, and exercises both the repository API and the entity API on top of
it: CRUD, copies, listing/filtering/ordering/paging/counting, typed errors, TTL
(skipped when the backend sets ``supports_ttl = False``), eight concurrent threads,
and the async twins. This module needs pytest (and pytest-asyncio for the async
tests); it is imported only by test suites.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import pytest

from nitro.entity import Entity
from nitro.persistence.base import BackendFactory, Repository
from nitro.persistence.errors import ConcurrencyError, InvalidQuery, NotFound
from nitro.persistence.memory import MemoryRepo, MemoryStore
from nitro.persistence.query import Query
from nitro.persistence.registry import use_backend
from nitro.specification import FieldEquals, PredicateSpecification

__all__ = [
    "ContractItem",
    "ContractNote",
    "ContractVersioned",
    "FakeClock",
    "RepositoryContract",
    "Status",
    "memory_store",
]


class FakeClock:
    """A clock for :class:`~nitro.persistence.MemoryStore` that moves only when told.

    ``store = MemoryStore(clock=clock)``; ``clock.advance(61)`` expires a ``ttl=60``
    entity without sleeping.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"a clock only moves forward, got advance({seconds!r})")
        self.now += seconds


@pytest.fixture
def memory_store() -> Iterator[MemoryStore]:
    """Pytest fixture: every entity class uses a fresh, empty :class:`MemoryStore`.

    Import it into a ``conftest.py`` (``from nitro.persistence.testing import
    memory_store``) and request it, or wrap it in an autouse fixture of your own. It
    overrides ``_persistence_backend_class`` and the app-wide default for the test.
    """
    store = MemoryStore()
    with use_backend(functools.partial(MemoryRepo, store=store)):
        yield store


class Status(enum.Enum):
    """An enum field for the contract entity: backends must store and return enum members."""

    OPEN = "open"
    DONE = "done"


class ContractItem(Entity):
    """An entity with the field types backends must round-trip."""

    name: str
    qty: int = 0
    price: Decimal = Decimal("0")
    tags: list[str] = []
    status: Status = Status.OPEN
    due: dt.datetime | None = None


class ContractNote(Entity):
    """A second class, to prove classes are stored apart."""

    text: str = ""


class ContractVersioned(Entity, versioned=True):
    """A versioned entity: saves from stale copies raise ConcurrencyError."""

    name: str = ""
    qty: int = 0
    if TYPE_CHECKING:  # versioned=True adds it at run time; this tells type checkers
        version: int = 0


class RepositoryContract:
    """Subclass as ``Test<Backend>Contract`` and provide a ``backend`` fixture."""

    #: Seconds to wait past a 1-second TTL before checking it expired.
    ttl_grace: ClassVar[float] = 0.25

    @pytest.fixture
    def backend(self) -> BackendFactory:
        raise NotImplementedError("provide a `backend` fixture returning the backend factory")

    @pytest.fixture(autouse=True)
    def _routed(self, backend: BackendFactory) -> Iterator[None]:
        classes = (ContractItem, ContractNote, ContractVersioned)
        with use_backend(backend, *classes):
            for cls in classes:
                cls.repository().clear()
            yield
            for cls in classes:
                cls.repository().clear()

    @pytest.fixture
    def repo(self) -> Repository[ContractItem]:
        return ContractItem.repository()

    # -- basic CRUD ----------------------------------------------------------------------

    def test_repository_is_bound_and_shared(self, repo: Repository[ContractItem]) -> None:
        assert isinstance(repo, Repository)
        assert repo.entity_cls is ContractItem
        assert ContractItem.repository() is repo

    def test_save_then_get_round_trips_every_field(self, repo: Repository[ContractItem]) -> None:
        due = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        item = ContractItem(
            name="pen ✓ üñï 🖊",
            qty=3,
            price=Decimal("1.25"),
            tags=["a", "b"],
            status=Status.DONE,
            due=due,
        )
        assert repo.save(item) is True
        loaded = repo.get(item.id)
        assert loaded is not None
        assert loaded == item
        assert loaded is not item
        assert type(loaded) is ContractItem
        assert loaded.price == Decimal("1.25")
        assert loaded.due == due
        assert loaded.status is Status.DONE
        # As if validated from a complete record: every field counts as set.
        assert loaded.model_fields_set == set(ContractItem.model_fields)

    def test_get_unknown_id_returns_none(self, repo: Repository[ContractItem]) -> None:
        assert repo.get("no-such-id") is None
        assert ContractItem.get("no-such-id") is None

    def test_save_again_replaces(self, repo: Repository[ContractItem]) -> None:
        item = ContractItem(name="a")
        item.save()
        item.qty = 7
        item.save()
        assert ContractItem.get_or_raise(item.id).qty == 7
        assert repo.count() == 1

    def test_mutating_after_save_changes_nothing_stored(self) -> None:
        item = ContractItem(name="a", tags=["x"])
        item.save()
        item.name = "changed"
        item.tags.append("y")
        stored = ContractItem.get_or_raise(item.id)
        assert stored.name == "a"
        assert stored.tags == ["x"]

    def test_mutating_a_loaded_entity_changes_nothing_stored(self) -> None:
        item = ContractItem(name="a", tags=["x"])
        item.save()
        loaded = ContractItem.get_or_raise(item.id)
        loaded.tags.append("y")
        assert ContractItem.get_or_raise(item.id).tags == ["x"]

    def test_delete(self, repo: Repository[ContractItem]) -> None:
        item = ContractItem(name="a")
        item.save()
        assert item.exists() is True
        assert item.delete() is True
        assert item.exists() is False
        assert repo.get(item.id) is None
        assert item.delete() is False
        assert repo.delete("no-such-id") is False

    def test_exists(self, repo: Repository[ContractItem]) -> None:
        item = ContractItem(name="a")
        assert repo.exists(item.id) is False
        item.save()
        assert repo.exists(item.id) is True

    def test_get_or_raise(self) -> None:
        item = ContractItem(name="a")
        item.save()
        assert ContractItem.get_or_raise(item.id) == item
        with pytest.raises(NotFound, match=r"ContractItem with id 'missing' was not found"):
            ContractItem.get_or_raise("missing")

    def test_classes_are_stored_apart_even_with_equal_ids(self) -> None:
        ContractItem(id="same", name="item").save()
        ContractNote(id="same", text="note").save()
        assert ContractItem.get_or_raise("same").name == "item"
        assert ContractNote.get_or_raise("same").text == "note"
        ContractNote.repository().clear()
        assert ContractItem.get("same") is not None
        assert ContractNote.get("same") is None

    def test_clear_removes_everything_of_the_class(self, repo: Repository[ContractItem]) -> None:
        for n in range(3):
            ContractItem(name=str(n)).save()
        repo.clear()
        assert repo.all() == []
        assert repo.count() == 0

    # -- listing -------------------------------------------------------------------------

    def _three(self) -> list[ContractItem]:
        items = [
            ContractItem(name="b", qty=2, status=Status.DONE),
            ContractItem(name="a", qty=5),
            ContractItem(name="c", qty=2),
        ]
        for item in items:
            item.save()
        return items

    def test_all_is_ordered_by_id(self) -> None:
        items = self._three()
        assert ContractItem.all() == sorted(items, key=lambda i: i.id)
        assert [i.id for i in ContractItem.all()] == [i.id for i in items]  # creation order

    def test_filter_by_field_values(self) -> None:
        b, _, c = self._three()
        assert ContractItem.filter(qty=2) == [b, c]
        assert ContractItem.filter(qty=2, name="c") == [c]
        assert ContractItem.filter(status=Status.DONE) == [b]
        assert ContractItem.filter(name="zzz") == []

    def test_filter_by_specification(self) -> None:
        b, a, c = self._three()
        two = FieldEquals("qty", 2)
        named_b = FieldEquals("name", "b")
        assert ContractItem.filter(two & ~named_b) == [c]
        assert ContractItem.filter(named_b | FieldEquals("qty", 5)) == [b, a]
        big: PredicateSpecification[ContractItem] = PredicateSpecification(
            lambda i: i.qty > 3, name="big"
        )
        assert ContractItem.filter(big) == [a]
        assert ContractItem.filter(~big, name="c") == [c]

    def test_find_orders_and_pages(self, repo: Repository[ContractItem]) -> None:
        b, a, c = self._three()
        assert repo.find(Query(order_by=("name",))) == [a, b, c]
        assert repo.find(Query(order_by=("-name",))) == [c, b, a]
        # Ties on qty are broken by id.
        assert repo.find(Query(order_by=("qty",))) == [b, c, a]
        assert repo.find(Query(order_by=("-qty",))) == [a, b, c]
        pages = [repo.find(Query(order_by=("name",), limit=2, offset=o)) for o in (0, 2, 4)]
        assert pages == [[a, b], [c], []]
        assert repo.find(Query(where=FieldEquals("qty", 2), limit=1)) == [b]
        assert repo.find(Query(limit=0)) == []

    def test_count(self, repo: Repository[ContractItem]) -> None:
        self._three()
        assert repo.count() == 3
        assert repo.count(FieldEquals("qty", 2)) == 2
        assert ContractItem.query().where(qty=2).count() == 2

    def test_entity_query_builder(self) -> None:
        b, _a, c = self._three()
        query = ContractItem.query().where(qty=2)
        assert query.order_by("-name").all() == [c, b]
        assert query.order_by("name").first() == b
        assert ContractItem.query().order_by("name").offset(1).limit(1).all() == [b]
        assert ContractItem.query().where(name="none").first() is None

    # -- bad input ----------------------------------------------------------------------

    def test_unknown_field_is_rejected_with_its_name(self, repo: Repository[ContractItem]) -> None:
        with pytest.raises(InvalidQuery, match=r"'colour' is not a field of ContractItem"):
            ContractItem.filter(colour="red")
        with pytest.raises(InvalidQuery, match=r"'colour' is not a field of ContractItem"):
            repo.find(Query(where=FieldEquals("colour", "red")))
        with pytest.raises(InvalidQuery, match=r"'size' is not a field"):
            repo.find(Query(order_by=("-size",)))

    def test_bad_ttl_is_rejected(self) -> None:
        item = ContractItem(name="a")
        for bad in (0, -1, float("nan")):
            with pytest.raises(ValueError, match="ttl must be a positive"):
                item.save(ttl=bad)
        for bad_type in ("10", True):
            with pytest.raises(TypeError, match="ttl must be a number of seconds"):
                item.save(ttl=bad_type)  # type: ignore[arg-type]
        assert item.exists() is False

    def test_bad_id_type_is_rejected(self, repo: Repository[ContractItem]) -> None:
        with pytest.raises(
            TypeError, match=r"ContractItem.get\(\) expects the id as a str, got int"
        ):
            ContractItem.get(42)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="ids are str, got int"):
            repo.get(42)  # type: ignore[arg-type]

    def test_saving_another_class_is_rejected(self, repo: Repository[ContractItem]) -> None:
        with pytest.raises(TypeError, match="stores ContractItem entities, got ContractNote"):
            repo.save(ContractNote())  # type: ignore[arg-type]

    # -- TTL (real time: one sleep of ~1.25 s) ------------------------------------------

    def test_ttl_expires_for_every_read_and_spares_the_rest(
        self, repo: Repository[ContractItem]
    ) -> None:
        if not repo.supports_ttl:
            pytest.skip(f"{type(repo).__name__} does not support TTL")
        short = ContractItem(name="short", qty=1)
        keep = ContractItem(name="keep", qty=1)
        renewed = ContractItem(name="renewed", qty=1)
        assert short.save(ttl=1) is True
        keep.save()
        renewed.save(ttl=1)
        renewed.save()  # saving without a TTL makes it permanent again
        assert ContractItem.get(short.id) == short
        time.sleep(1 + self.ttl_grace)
        assert ContractItem.get(short.id) is None
        assert short.exists() is False
        assert ContractItem.all() == [keep, renewed]
        assert ContractItem.filter(qty=1) == [keep, renewed]
        assert repo.count() == 2

    # -- concurrency ------------------------------------------------------------------------

    def test_eight_threads_lose_no_writes_and_see_no_torn_entities(self) -> None:
        threads, per_thread, rounds = 8, 40, 40
        shared = [ContractItem(id=f"shared-{n}", name="v0", tags=["v0"] * 3) for n in range(4)]
        for item in shared:
            item.save()
        barrier = threading.Barrier(threads)
        errors: list[BaseException] = []

        def work(t: int) -> None:
            try:
                barrier.wait()
                for n in range(per_thread):
                    ContractItem(id=f"t{t}-{n}", name=f"t{t}", qty=n).save()
                for r in range(rounds):
                    target = shared[(t + r) % len(shared)].model_copy()
                    version = f"t{t}r{r}"
                    target.name = version
                    target.tags = [version] * 3
                    target.qty = r
                    target.save()
                    seen = ContractItem.get(shared[r % len(shared)].id)
                    # A torn write would mix the fields of two saves.
                    assert seen is not None
                    assert seen.tags == [seen.name] * 3, seen
                    assert seen.name == "v0" or seen.name.endswith(f"r{seen.qty}"), seen
            except BaseException as exc:  # reported below, with the thread's traceback
                errors.append(exc)

        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-5)  # switch threads far more often than usual
        try:
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=60)
        finally:
            sys.setswitchinterval(switch_interval)
        assert not any(worker.is_alive() for worker in workers), "a worker thread hung"
        assert not errors, errors[0]
        for t in range(threads):
            for n in range(per_thread):
                stored = ContractItem.get(f"t{t}-{n}")
                assert stored is not None
                assert (stored.name, stored.qty) == (f"t{t}", n)
        assert ContractItem.repository().count() == threads * per_thread + len(shared)

    # -- optimistic concurrency (versioned=True) -------------------------------------------

    def test_versioned_save_counts_versions(self) -> None:
        order = ContractVersioned(name="a")
        assert order.version == 0
        assert order.save() is True
        assert order.version == 1
        assert ContractVersioned.get_or_raise(order.id).version == 1
        order.qty = 2
        order.save()
        order.save()  # saving the up-to-date copy again is fine
        stored = ContractVersioned.get_or_raise(order.id)
        assert (stored.version, stored.qty) == (3, 2)
        assert order == stored

    def test_stale_copy_raises_and_changes_nothing(self) -> None:
        order = ContractVersioned(name="a")
        order.save()
        mine = ContractVersioned.get_or_raise(order.id)
        theirs = ContractVersioned.get_or_raise(order.id)
        theirs.qty = 5
        theirs.save()
        mine.name = "mine"
        with pytest.raises(ConcurrencyError, match="changed by someone else") as caught:
            mine.save()
        assert (caught.value.expected, caught.value.found) == (1, 2)
        assert caught.value.entity_id == order.id
        assert mine.version == 1  # the refused copy keeps its version
        stored = ContractVersioned.get_or_raise(order.id)
        assert (stored.name, stored.qty, stored.version) == ("a", 5, 2)
        # Reloading and applying the change again succeeds.
        fresh = ContractVersioned.get_or_raise(order.id)
        fresh.name = "mine"
        fresh.save()
        assert ContractVersioned.get_or_raise(order.id).version == 3

    def test_new_entity_with_a_stored_id_raises(self) -> None:
        ContractVersioned(id="v1", name="first").save()
        with pytest.raises(ConcurrencyError, match="already exists"):
            ContractVersioned(id="v1", name="second").save()
        assert ContractVersioned.get_or_raise("v1").name == "first"

    def test_delete_is_not_checked_and_stale_copies_stay_deleted(self) -> None:
        order = ContractVersioned(name="a")
        order.save()
        stale = ContractVersioned.get_or_raise(order.id)
        order.qty = 1
        order.save()
        assert stale.delete() is True  # delete wins, whatever the copy's version
        assert ContractVersioned.get(order.id) is None
        with pytest.raises(ConcurrencyError, match="deleted"):
            order.save()  # no resurrection from a copy
        assert ContractVersioned.get(order.id) is None
        again = ContractVersioned(id=order.id, name="new")  # a new entity may take the id
        again.save()
        assert ContractVersioned.get_or_raise(order.id).version == 1

    def test_unversioned_entities_keep_last_write_wins(self) -> None:
        item = ContractItem(name="a")
        item.save()
        stale = ContractItem.get_or_raise(item.id)
        item.qty = 1
        item.save()
        stale.name = "b"
        assert stale.save() is True
        assert ContractItem.get_or_raise(item.id).name == "b"
        assert "version" not in ContractItem.model_fields

    def test_racing_threads_lose_no_increment_when_they_retry(self) -> None:
        threads, per_thread = 6, 15
        counter = ContractVersioned(id="race", qty=0)
        counter.save()
        barrier = threading.Barrier(threads)
        errors: list[BaseException] = []
        conflicts = [0] * threads

        def work(t: int) -> None:
            try:
                barrier.wait()
                for _ in range(per_thread):
                    while True:
                        copy = ContractVersioned.get_or_raise("race")
                        copy.qty += 1
                        try:
                            copy.save()
                            break
                        except ConcurrencyError:
                            conflicts[t] += 1
            except BaseException as exc:  # reported below
                errors.append(exc)

        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert not any(worker.is_alive() for worker in workers), "a worker thread hung"
        assert not errors, errors[0]
        stored = ContractVersioned.get_or_raise("race")
        assert stored.qty == threads * per_thread
        assert stored.version == threads * per_thread + 1

    @pytest.mark.asyncio
    async def test_async_save_of_a_stale_copy_raises(self) -> None:
        order = ContractVersioned(name="a")
        await order.asave()
        assert order.version == 1
        stale = await ContractVersioned.aget_or_raise(order.id)
        await order.asave()
        with pytest.raises(ConcurrencyError):
            await stale.asave()
        assert (await ContractVersioned.aget_or_raise(order.id)).version == 2

    def test_expired_versioned_entity_counts_as_deleted(
        self, repo: Repository[ContractItem]
    ) -> None:
        if not repo.supports_ttl:
            pytest.skip(f"{type(repo).__name__} does not support TTL")
        order = ContractVersioned(name="short")
        order.save(ttl=1)
        time.sleep(1 + self.ttl_grace)
        with pytest.raises(ConcurrencyError):
            order.save()
        ContractVersioned(id=order.id, name="again").save()  # the id is free again
        assert ContractVersioned.get_or_raise(order.id).version == 1

    # -- async twins ---------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_async_twins(self, repo: Repository[ContractItem]) -> None:
        item = ContractItem(name="async", qty=2)
        other = ContractItem(name="other", qty=3)
        assert await item.asave() is True
        await other.asave()
        assert await ContractItem.aget(item.id) == item
        assert await item.aexists() is True
        assert await ContractItem.aall() == [item, other]
        assert await ContractItem.afilter(qty=2) == [item]
        assert await ContractItem.afilter(FieldEquals("name", "other")) == [other]
        assert await ContractItem.query().where(qty=3).aall() == [other]
        assert await ContractItem.query().acount() == 2
        assert await repo.acount(FieldEquals("qty", 2)) == 1
        assert await repo.afind(Query(order_by=("-qty",))) == [other, item]
        assert await item.adelete() is True
        assert await item.adelete() is False
        assert await ContractItem.aget(item.id) is None
        with pytest.raises(NotFound):
            await ContractItem.aget_or_raise(item.id)
        await repo.aclear()
        assert await repo.aall() == []

    @pytest.mark.asyncio
    async def test_async_ttl_is_validated(self) -> None:
        with pytest.raises(ValueError, match="ttl must be a positive"):
            await ContractItem(name="a").asave(ttl=-5)
