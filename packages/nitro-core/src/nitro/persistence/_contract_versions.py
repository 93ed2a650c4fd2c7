"""The contract's optimistic-concurrency tests, for ``versioned=True`` entities.

A mixin of :class:`~nitro.persistence.testing.RepositoryContract`. Version checks are
a feature of their own (stale copies, deletes, races that retry, expiry), with their
own entity (:class:`ContractVersioned`), so they read best in one place;
``RepositoryContract`` provides the fixtures and the ``ttl_grace`` setting.
"""

from __future__ import annotations

import threading
import time
from typing import ClassVar

import pytest

from nitro.persistence._contract_entities import ContractItem, ContractVersioned
from nitro.persistence.base import Repository
from nitro.persistence.errors import ConcurrencyError


class VersionedContract:
    """Saves from stale copies of a versioned entity raise; unversioned ones still win.

    Not named ``Test...``: pytest collects these tests only through a backend's
    ``RepositoryContract`` subclass, never on their own.
    """

    #: Set by :class:`~nitro.persistence.testing.RepositoryContract` (a backend may
    #: override it there).
    ttl_grace: ClassVar[float]

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
