"""The SQL unit of work on SQLite and PostgreSQL, sync and async: all or nothing,
rollback on exception, nested savepoints, events only after commit."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from nitro import Entity, event, post_save
from nitro.sql import Database, DuplicateId, Field, SQLEntity, SQLModelBackend, UnitOfWork
from nitro.uow import current_unit

money_moved = event("test.sql.money_moved")


class Account(SQLEntity, table=True):
    __tablename__ = "uow_account"
    owner: str
    balance: int = 0


class Entry(SQLEntity, table=True):
    __tablename__ = "uow_entry"
    account_id: str = Field(foreign_key="uow_account.id")
    amount: int


@pytest.fixture
def received() -> Any:
    seen: list[tuple[str, Any]] = []

    def on_moved(sender: Any, **kwargs: Any) -> None:
        seen.append(("moved", kwargs.get("amount")))

    def on_saved(sender: Any, entity: Any, **kwargs: Any) -> None:
        seen.append(("saved", entity.id))

    money_moved.connect(on_moved)
    post_save.connect(on_saved, sender=Account)
    yield seen
    money_moved.disconnect(on_moved)
    post_save.disconnect(on_saved, sender=Account)


def stored() -> tuple[int, int]:
    """(accounts, entries) as another connection sees them (a thread has no unit)."""
    result: list[tuple[int, int]] = []
    thread = threading.Thread(
        target=lambda: result.append((Account.query().count(), Entry.query().count()))
    )
    thread.start()
    thread.join()
    return result[0]


def transfer(uow: UnitOfWork, amount: int) -> tuple[Account, Account]:
    ann, bob = Account(owner="ann", balance=100), Account(owner="bob")
    uow.repo(Account).save(ann)
    bob.save()  # entity.save() joins the active unit
    ann.balance -= amount
    bob.balance += amount
    uow.repo(Account).save(ann)
    uow.repo(Account).save(bob)
    Entry(account_id=ann.id, amount=-amount).save()
    Entry(account_id=bob.id, amount=amount).save()
    uow.publish(money_moved, ann, amount=amount)
    return ann, bob


def test_commit_keeps_everything_and_then_publishes(db: Database, received: list[Any]) -> None:
    with UnitOfWork(accounts=Account) as uow:
        assert current_unit() is uow
        ann, bob = transfer(uow, 30)
        assert uow.repo(Account).get(ann.id).balance == 70  # the unit reads its own writes
        assert stored() == (0, 0)  # ...nobody else does yet
        assert received == []
        uow.commit()
        assert received == [("saved", bob.id), ("moved", 30)]
    assert current_unit() is None
    assert stored() == (2, 2)
    assert Account.get(ann.id).balance == 70
    assert Account.get(bob.id).balance == 30


def test_leaving_without_commit_keeps_nothing(db: Database, received: list[Any]) -> None:
    with UnitOfWork(accounts=Account) as uow:
        transfer(uow, 30)
    assert stored() == (0, 0)
    assert received == []


def failing_transfer() -> None:
    with UnitOfWork(accounts=Account) as uow:
        transfer(uow, 30)
        uow.repo(Account).all()  # force the pending saves to the database first
        raise RuntimeError("boom")


def test_an_exception_rolls_everything_back(db: Database, received: list[Any]) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        failing_transfer()
    assert stored() == (0, 0)
    assert received == []


def test_nested_rollback_keeps_the_outer_work(db: Database, received: list[Any]) -> None:
    with UnitOfWork(accounts=Account) as outer:
        ann = Account(owner="ann")
        outer.repo(Account).save(ann)
        outer.publish(money_moved, ann, amount=1)

        def failing_inner() -> None:
            with UnitOfWork(accounts=Account) as inner:
                assert inner.nested
                assert inner.parent is outer
                inner.repo(Account).save(Account(owner="bob"))
                inner.publish(money_moved, ann, amount=2)
                raise ValueError("inner")

        with pytest.raises(ValueError, match="inner"):
            failing_inner()
        with UnitOfWork() as inner:  # a nested unit that commits hands its work over
            carl = Account(owner="carl")
            carl.save()
            inner.publish(money_moved, carl, amount=3)
            inner.commit()
            assert received == []  # only the outermost commit publishes
        with UnitOfWork():
            Account(owner="dora").save()  # left without commit: undone
        assert sorted(a.owner for a in outer.repo(Account).all()) == ["ann", "carl"]
        outer.commit()
    assert sorted(a.owner for a in Account.all()) == ["ann", "carl"]
    assert [kind for kind in received if kind[0] == "moved"] == [("moved", 1), ("moved", 3)]


def test_outer_rollback_undoes_committed_inner_units(db: Database) -> None:
    with UnitOfWork(), UnitOfWork() as inner:
        Account(owner="x").save()
        inner.commit()
    assert stored() == (0, 0)


def test_duplicate_id_is_a_clear_error_and_the_unit_stays_usable(db: Database) -> None:
    with UnitOfWork(accounts=Account) as uow:
        ann = Account(owner="ann")
        uow.repo(Account).add(ann)
        with pytest.raises(DuplicateId, match=rf"Account with id '{ann.id}' already exists"):
            uow.repo(Account).add(Account(id=ann.id, owner="impostor"))
        uow.repo(Account).add(Account(owner="bob"))
        uow.commit()
    assert sorted(a.owner for a in Account.all()) == ["ann", "bob"]
    # Outside a unit too: the error, then business as usual.
    with pytest.raises(DuplicateId):
        Account.repository().insert(Account(id=ann.id, owner="again"))
    assert Account.get(ann.id).owner == "ann"
    Account(owner="carl").save()
    assert Account.query().count() == 3


def test_a_failing_flush_at_commit_rolls_back(db: Database) -> None:
    from nitro.sql import ConstraintViolation

    def orphan_entry() -> None:
        with UnitOfWork() as uow:
            Account(owner="ann").save()
            Entry(account_id="no-such-account", amount=1).save()
            uow.commit()

    with pytest.raises(ConstraintViolation, match="Entry"):
        orphan_entry()
    assert stored() == (0, 0)
    Account(owner="usable").save()
    assert stored() == (1, 0)


def test_bulk_saves_are_batched(db: Database) -> None:
    with UnitOfWork() as uow:
        for n in range(500):
            Account(owner=f"o{n}", balance=n).save()
        uow.commit()
    assert Account.query().count() == 500
    assert Account.query().where(Account.balance >= 250).count() == 250


def test_repositories_by_attribute(db: Database) -> None:
    class Accounts(UnitOfWork):
        repositories = {"accounts": Account}

    with Accounts() as uow:
        uow.register("entries", Entry)
        assert uow.repo(Account).entity_cls is Account
        with pytest.warns(DeprecationWarning, match=r"uow.entries is deprecated; use uow.repo"):
            assert uow.entries.entity_cls is Entry
        with (
            pytest.warns(DeprecationWarning, match="uow.accounts is deprecated"),
            pytest.raises(TypeError, match="got Entry"),
        ):
            uow.accounts.save(Entry(account_id="a", amount=1))  # the old spelling works
        with pytest.raises(AttributeError, match=r"no repository 'orders'.*uow.repo"):
            _ = uow.orders
        with pytest.raises(TypeError, match="stores Account entities, got Entry"):
            uow.repo(Account).save(Entry(account_id="a", amount=1))
    with pytest.raises(ValueError, match="cannot register"):
        UnitOfWork(commit=Account)


def test_commit_outside_the_block_is_an_error(db: Database) -> None:
    uow = UnitOfWork()
    with pytest.raises(RuntimeError, match=r"commit\(\) outside its 'with' block"):
        uow.commit()


# -- async -----------------------------------------------------------------------------


async def test_async_commit(db: Database, received: list[Any]) -> None:
    async with UnitOfWork(accounts=Account) as uow:
        ann = Account(owner="ann", balance=5)
        await uow.repo(Account).save(ann)
        await Account(owner="bob").asave()
        assert (await uow.repo(Account).get(ann.id)).balance == 5
        uow.publish(money_moved, ann, amount=5)
        assert received == []
        await uow.commit()
        assert ("moved", 5) in received
    assert sorted(a.owner for a in await Account.aall()) == ["ann", "bob"]


async def test_async_exception_and_no_commit_roll_back(db: Database, received: list[Any]) -> None:
    async def failing() -> None:
        async with UnitOfWork(accounts=Account) as uow:
            await uow.repo(Account).save(Account(owner="ann"))
            uow.publish(money_moved, None, amount=1)
            await uow.repo(Account).all()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await failing()
    async with UnitOfWork():
        await Account(owner="bob").asave()
    assert await Account.query().acount() == 0
    assert received == []


async def test_async_nested_rollback_keeps_outer_work(db: Database, received: list[Any]) -> None:
    async with UnitOfWork(accounts=Account) as outer:
        await outer.repo(Account).save(Account(owner="ann"))

        async def failing_inner() -> None:
            async with UnitOfWork(accounts=Account) as inner:
                await inner.repo(Account).save(Account(owner="bob"))
                inner.publish(money_moved, None, amount=2)
                raise ValueError("inner")

        with pytest.raises(ValueError, match="inner"):
            await failing_inner()
        async with UnitOfWork() as inner:
            await Account(owner="carl").asave()
            await inner.commit()
        await outer.commit()
    assert sorted(a.owner for a in await Account.aall()) == ["ann", "carl"]
    assert ("moved", 2) not in received


def test_a_table_first_used_inside_a_unit(db: Database, request: pytest.FixtureRequest) -> None:
    param = request.node.callspec.id
    late = type(
        f"Late{param.capitalize()}",
        (SQLEntity,),
        {
            "__tablename__": f"uow_late_{param}",
            "__annotations__": {"label": str},
            "__module__": __name__,
        },
        table=True,
    )
    with UnitOfWork():
        assert Account.query().count() == 0  # the unit's connection is open and locked
        late(label="rolled back").save()
        assert late.query().count() == 1  # created inside the unit's transaction
    assert late.query().count() == 0  # the CREATE was rolled back too; made again
    with UnitOfWork() as uow:
        assert Account.query().count() == 0
        late(label="kept").save()
        uow.commit()
    assert [x.label for x in late.all()] == ["kept"]


class Memo(Entity):
    """A plain entity on SQLModelBackend (a JSON document) joins units too."""

    text: str = ""
    _persistence_backend_class = SQLModelBackend


def test_plain_entities_join_the_unit(db: Database) -> None:
    with UnitOfWork(memos=Memo) as uow:
        Memo(text="dropped").save()
        assert [m.text for m in uow.repo(Memo).all()] == ["dropped"]
    assert Memo.all() == []
    with UnitOfWork(memos=Memo) as uow:
        kept = Memo(text="kept")
        kept.save()
        uow.repo(Memo).save(Memo(text="also kept"))
        uow.commit()
    assert sorted(m.text for m in Memo.all()) == ["also kept", "kept"]


async def test_concurrent_tasks_share_one_async_unit_safely(db: Database) -> None:
    import asyncio

    async with UnitOfWork(accounts=Account) as uow:
        await asyncio.gather(*(uow.repo(Account).save(Account(owner=f"o{n}")) for n in range(20)))
        counts = await asyncio.gather(*(Account.query().acount() for _ in range(5)))
        assert counts == [20] * 5
        await uow.commit()
    assert await Account.query().acount() == 20


def test_units_of_other_kinds_and_databases_do_not_hide_the_sql_unit(
    db: Database, tmp_path: Any
) -> None:
    from nitro.uow import MemoryUnitOfWork

    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    with UnitOfWork(), MemoryUnitOfWork(), UnitOfWork(other) as elsewhere:
        assert elsewhere.parent is None  # another database: its own transaction
        Account(owner="joins the outer SQL unit").save()
        # leaving the outer unit without commit drops the save made in the inner blocks
    assert stored() == (0, 0)
    other.dispose()


async def test_an_async_unit_goes_to_a_worker_thread_only_to_reach_the_database(
    db: Database, received: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    trips: list[str] = []
    real = asyncio.to_thread

    async def counted(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await real(fn, *args, **kwargs)

    # (nitro.sql and nitro.persistence.base look it up on the asyncio module)
    monkeypatch.setattr(asyncio, "to_thread", counted)
    ann = Account(owner="ann", balance=1)
    await ann.asave()
    trips.clear()
    async with UnitOfWork(accounts=Account) as uow:
        assert trips == []  # beginning takes no connection yet
        found = await Account.aget(ann.id)
        assert found is not None
        found.balance = 7
        await found.asave()  # buffered in the unit
        await Account(owner="bob").asave()
        uow.publish(money_moved, found, amount=7)
        await uow.commit()
    assert trips == ["get", "_commit"]  # the read, and commit + giving the connection back
    assert ("moved", 7) in received
    assert sorted((a.owner, a.balance) for a in await Account.aall()) == [("ann", 7), ("bob", 0)]

    # a failure after a read: the rollback reaches the database, in a worker thread
    async def fail_after_a_read() -> None:
        async with UnitOfWork():
            await Account(owner="carl").asave()
            assert await Account.query().acount() == 3  # the staged save is flushed first
            raise RuntimeError("boom")

    trips.clear()
    with pytest.raises(RuntimeError, match="boom"):
        await fail_after_a_read()
    assert trips[-1] == "_rollback"
    assert await Account.query().acount() == 2

    # saves staged but never written: nothing to undo in the database
    async def fail_before_writing() -> None:
        async with UnitOfWork():
            await Account(owner="dora").asave()
            raise RuntimeError("nothing written")

    trips.clear()
    with pytest.raises(RuntimeError, match="nothing written"):
        await fail_before_writing()
    assert trips == []
    assert await Account.query().acount() == 2
