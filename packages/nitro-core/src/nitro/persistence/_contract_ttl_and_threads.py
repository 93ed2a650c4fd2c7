"""The contract's tests that run on real time: TTL expiry and eight racing threads.

A mixin of :class:`~nitro.persistence.testing.RepositoryContract`. These tests sleep
or hammer the backend from several threads, so they are the slow and scheduling-
sensitive part of the suite; kept together, apart from the quick functional tests.
``RepositoryContract`` provides the fixtures and the ``ttl_grace`` setting.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import ClassVar

import pytest

from nitro.persistence._contract_entities import ContractItem
from nitro.persistence.base import Repository


class TtlAndThreadsContract:
    """A TTL that expires for every read, and concurrent writers that lose nothing.

    Not named ``Test...``: pytest collects these tests only through a backend's
    ``RepositoryContract`` subclass, never on their own.
    """

    #: Set by :class:`~nitro.persistence.testing.RepositoryContract` (a backend may
    #: override it there).
    ttl_grace: ClassVar[float]

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
