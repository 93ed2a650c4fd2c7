"""SQLEntity: the Entity API on a SQLModel table."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from nitro import action, post_delete, post_save, pre_save
from nitro.actions.registry import default_registry
from nitro.persistence import NotFound
from nitro.sql import Database, SQLEntity, SQLModelBackend


class Counter(SQLEntity, table=True):
    __tablename__ = "entity_counter"
    count: int = 0
    name: str = ""
    type: str = "plain"
    status: str = "new"

    @action(method="POST")
    def increment(self, amount: int = 1) -> None:
        self.count += amount


class NoTTL(SQLEntity, table=True):
    __tablename__ = "entity_no_ttl"
    __nitro_ttl__ = False
    label: str = ""


def test_class_surface_leaves_common_field_names_free(db: Database) -> None:
    counter = Counter(name="c", type="t", status="s")
    counter.save()
    assert Counter.get(counter.id).count == 0
    assert Counter.query().count() == 1
    assert Counter.query().where(status="s").count() == 1
    assert Counter.count_signal == "$Counter.count"
    assert Counter.status_signal == "$Counter.status"


def test_signals_and_actions(db: Database) -> None:
    counter = Counter(id="c1")
    counter.increment(2)  # an @action is a plain method on instances
    assert counter.signals == {
        "Counter": {"id": "c1", "count": 2, "name": "", "type": "plain", "status": "new"}
    }
    assert "increment" in default_registry.actions_of(Counter)
    assert Counter.increment(3).startswith("@post(")


@pytest.mark.parametrize(
    ("field", "clash"),
    [
        ("query", "the classmethod SQLEntity.query()"),
        ("save", "the method SQLEntity.save()"),
        ("signals", "the property SQLEntity.signals"),
        ("search", "the classmethod SQLEntity.search()"),
    ],
)
def test_a_field_shadowing_the_api_fails_at_class_definition(field: str, clash: str) -> None:
    with pytest.raises(TypeError, match=rf"the field '{field}' would shadow {clash}"):
        type(
            "Bad",
            (SQLEntity,),
            {"__annotations__": {field: int}, "__module__": __name__},
            table=False,
        )


def test_a_signal_name_clash_fails() -> None:
    with pytest.raises(TypeError, match="would shadow the signal reference"):
        type("Bad2", (SQLEntity,), {"__annotations__": {"a": int, "a_signal": str}})


def test_input_is_validated_and_unknown_keys_refused() -> None:
    assert Counter(count="5").count == 5
    with pytest.raises(ValidationError, match="count"):
        Counter(count="many")
    with pytest.raises(ValidationError, match=r"extra_forbidden|Extra inputs"):
        Counter(colour="red")
    counter = Counter()
    with pytest.raises(ValidationError):
        counter.count = "x"
    assert len(counter.id) == 32


def test_crud_and_copies(db: Database) -> None:
    counter = Counter(name="a")
    assert counter.exists() is False
    assert counter.save() is True
    assert counter.exists() is True
    loaded = Counter.get(counter.id)
    assert loaded == counter
    assert loaded is not counter
    assert loaded.model_fields_set == set(Counter.model_fields)
    loaded.count = 9  # a loaded entity is detached: nothing stored changes
    counter.name = "changed"
    assert Counter.get(counter.id).count == 0
    assert Counter.get(counter.id).name == "a"
    assert Counter.get_or_raise(counter.id) == Counter.get(counter.id)
    assert counter.delete() is True
    assert counter.delete() is False
    with pytest.raises(NotFound):
        Counter.get_or_raise(counter.id)
    with pytest.raises(TypeError, match=r"Counter.get\(\) expects the id as a str"):
        Counter.get(1)  # type: ignore[arg-type]


def test_all_filter_search(db: Database) -> None:
    a = Counter(name="alpha", count=1)
    b = Counter(name="beta", count=2, status="done")
    c = Counter(name="gamma", count=2)
    for counter in (a, b, c):
        counter.save()
    assert Counter.all() == [a, b, c]
    assert Counter.filter(count=2) == [b, c]
    assert Counter.filter(Counter.count > 1, status="new") == [c]
    assert Counter.search("A") == [a, b, c]
    assert Counter.search("ta", fields=["name"]) == [b]
    assert Counter.search("a", sort="-name") == [c, b, a]
    assert Counter.search("a", sort=["count", "-name"], limit=2) == [a, c]
    assert Counter.search("a", sort="name", limit=1, offset=1) == [b]
    assert Counter.search("") == [a, b, c]
    assert Counter.search("zzz") == []


def test_ttl(db: Database) -> None:
    import time

    short = Counter(name="short")
    short.save(ttl=0.2)
    keep = Counter(name="keep")
    keep.save()
    assert Counter.get(short.id) is not None
    time.sleep(0.35)
    assert Counter.get(short.id) is None
    assert short.exists() is False
    assert Counter.all() == [keep]
    assert Counter.query().count() == 1
    assert Counter.repository().purge_expired() == 1
    with pytest.raises(ValueError, match="ttl must be a positive"):
        keep.save(ttl=0)


def test_expired_rows_are_purged_by_writes(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa

    monkeypatch.setattr(SQLModelBackend, "purge_interval", 0.0)
    Counter(name="old").save(ttl=0.05)
    import time

    time.sleep(0.1)
    Counter(name="new").save()  # this write purges
    with db.engine.connect() as conn:
        names = conn.execute(sa.text("SELECT name FROM entity_counter")).scalars().all()
    assert names == ["new"]


def test_ttl_needs_the_expiry_column(db: Database) -> None:
    from nitro.persistence import UnsupportedOperation

    assert "nitro_expires_at" not in NoTTL.__table__.c
    NoTTL(label="x").save()
    with pytest.raises(UnsupportedOperation, match="no expiry column"):
        NoTTL(label="y").save(ttl=5)
    assert NoTTL.repository().supports_ttl is False
    assert [n.label for n in NoTTL.all()] == ["x"]


def test_lifecycle_events(db: Database) -> None:
    seen: list[Any] = []

    def on_pre(sender: Any, entity: Any, **kwargs: Any) -> None:
        if entity.name == "veto":
            raise PermissionError("vetoed")

    def on_post(sender: Any, entity: Any, **kwargs: Any) -> None:
        seen.append(("saved", entity.name))

    def on_deleted(sender: Any, entity: Any, **kwargs: Any) -> None:
        seen.append(("deleted", entity.name))

    pre_save.connect(on_pre, sender=Counter)
    post_save.connect(on_post, sender=Counter)
    post_delete.connect(on_deleted, sender=Counter)
    try:
        counter = Counter(name="ok")
        counter.save()
        with pytest.raises(PermissionError):
            Counter(name="veto").save()
        counter.delete()
        assert seen == [("saved", "ok"), ("deleted", "ok")]
        assert Counter.all() == []
    finally:
        pre_save.disconnect(on_pre, sender=Counter)
        post_save.disconnect(on_post, sender=Counter)
        post_delete.disconnect(on_deleted, sender=Counter)


async def test_async_twins(db: Database) -> None:
    counter = Counter(name="async", count=3)
    assert await counter.asave() is True
    assert await counter.aexists() is True
    assert await Counter.aget(counter.id) == counter
    assert await Counter.aget_or_raise(counter.id) == counter
    assert await Counter.aall() == [counter]
    assert await Counter.afilter(count=3) == [counter]
    assert await Counter.asearch("ASY") == [counter]
    assert await counter.adelete() is True
    assert await Counter.aget(counter.id) is None
    with pytest.raises(NotFound):
        await Counter.aget_or_raise(counter.id)


def test_actions_dispatch_to_sql_entities(db: Database) -> None:
    import asyncio

    from nitro.actions import ActionDispatcher, ActionRequest, build_action_app

    app = build_action_app(entities=[Counter])
    (route,) = [r for r in app.routes if r.with_id and r.info.name == "increment"]
    Counter(id="c9").save()
    request = ActionRequest(
        method="POST", path_params={"id": "c9"}, query={"amount": "2"}, headers={"host": "app"}
    )
    assert ActionDispatcher().handle(route, request).status == 200
    assert Counter.get("c9").count == 2
    response = asyncio.run(ActionDispatcher().ahandle(route, request))  # aget/asave
    assert response.status == 200
    assert Counter.get("c9").count == 4
    missing = ActionRequest(method="POST", path_params={"id": "nope"}, headers={"host": "app"})
    assert asyncio.run(ActionDispatcher().ahandle(route, missing)).status == 404


def test_the_repository_protocol_works_for_sql_entities(db: Database) -> None:
    """What backend-neutral code (nitro-admin, nitro-cqrs) uses: Query in, entities out."""
    from nitro import FieldEquals
    from nitro.persistence import InvalidQuery, Query

    repo = Counter.repository()
    made = [Counter(name=f"n{n}", count=n % 3) for n in range(7)]
    for counter in made:
        repo.save(counter)
    assert repo.find(Query(where=FieldEquals("count", 1), order_by=("-name",))) == [
        made[4],
        made[1],
    ]
    assert repo.find(Query(order_by=("count", "-name"), limit=2, offset=1)) == [made[3], made[0]]
    assert repo.count(FieldEquals("count", 0)) == 3
    assert repo.count() == 7
    assert repo.all() == made
    with pytest.raises(InvalidQuery, match="'colour' is not a field of Counter"):
        repo.find(Query(where=FieldEquals("colour", 1)))
    repo.clear()
    assert repo.count() == 0
