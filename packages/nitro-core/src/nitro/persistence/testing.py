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

import functools
from collections.abc import Iterator
from typing import ClassVar

import pytest

from nitro.persistence._contract_crud import CrudContract
from nitro.persistence._contract_entities import (
    ContractItem,
    ContractNote,
    ContractVersioned,
    Status,
)
from nitro.persistence._contract_queries import QueryContract
from nitro.persistence._contract_ttl_and_threads import TtlAndThreadsContract
from nitro.persistence._contract_versions import VersionedContract
from nitro.persistence.base import BackendFactory, Repository
from nitro.persistence.errors import NotFound
from nitro.persistence.memory import MemoryRepo, MemoryStore
from nitro.persistence.query import Query
from nitro.persistence.registry import use_backend
from nitro.specification import FieldEquals

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


# pytest runs inherited tests starting from the last base (reverse MRO), so the mixins
# are listed last-first to keep the suite's order: CRUD, queries, TTL and threads,
# versions, then the async twins below.
class RepositoryContract(VersionedContract, TtlAndThreadsContract, QueryContract, CrudContract):
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
