"""Bad input: values are bound parameters, unknown fields are named, duplicate ids
are clear errors that leave the session usable. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from nitro import Entity
from nitro.persistence import InvalidQuery, Query
from nitro.specification import Specification
from nitro.sql import (
    ConstraintViolation,
    Database,
    DuplicateId,
    Field,
    SQLEntity,
    SQLModelBackend,
    UnitOfWork,
)

INJECTIONS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "'; DROP TABLE bad_user; --",
    '" OR ""="',
    "x' UNION SELECT id, name, email, nitro_expires_at FROM bad_user --",
    "1; DELETE FROM bad_user",
    "%",
    "_",
    "%' OR 1=1 --",
    "\\",
    "admin'--",
    "') OR ('a'='a",
    "$1",
    ":name",
]


class BadUser(SQLEntity, table=True):
    __tablename__ = "bad_user"
    name: str
    email: str = Field(unique=True)


class BadNote(Entity):
    text: str = ""
    _persistence_backend_class = SQLModelBackend


@pytest.fixture
def users(db: Database) -> list[BadUser]:
    made = [BadUser(name=n, email=f"{n}@example.com") for n in ("ann", "bob", "carl")]
    for user in made:
        user.save()
    for n in ("one", "two"):
        BadNote(text=n).save()
    return made


def table_rows(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM bad_user")).scalar_one())


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_strings_find_nothing_and_damage_nothing(
    users: list[BadUser], db: Database, value: str
) -> None:
    assert BadUser.search(value) == []
    assert BadUser.search(value, fields=["name", "email"], sort="-name", limit=5) == []
    assert BadUser.filter(name=value) == []
    assert BadUser.query().where(BadUser.email == value).all() == []
    assert BadUser.query().where(name=value).count() == 0
    assert BadUser.get(value) is None
    assert BadUser.repository().delete(value) is False
    assert BadNote.filter(text=value) == []
    assert table_rows(db) == 3
    assert len(BadNote.all()) == 2


def test_injection_strings_round_trip_as_data(users: list[BadUser]) -> None:
    for n, value in enumerate(INJECTIONS):
        user = BadUser(id=f"evil-{n}", name=value, email=f"e{n}@example.com")
        user.save()
        assert BadUser.get(user.id).name == value
        assert BadUser.filter(name=value) == [user]
        assert BadUser.search(value, fields=["name"]) == [
            u for u in BadUser.all() if value.lower() in u.name.lower()
        ]
        BadNote(id=f"evil-{n}", text=value).save()
        assert [note.id for note in BadNote.filter(text=value)] == [f"evil-{n}"]


def test_unknown_fields_raise_naming_the_field(users: list[BadUser]) -> None:
    for attempt in (
        lambda: BadUser.filter(colour="red"),
        lambda: BadUser.query().where(colour="red"),
        lambda: BadUser.query().order_by("colour"),
        lambda: BadUser.search("x", fields=["colour"]),
        lambda: BadNote.filter(colour="red"),
    ):
        with pytest.raises(InvalidQuery, match=r"'colour' is not a field of Bad(User|Note)"):
            attempt()


def test_duplicate_id_is_clear_and_the_session_stays_usable(users: list[BadUser]) -> None:
    ann = users[0]
    repo = BadUser.repository()
    with pytest.raises(DuplicateId, match=rf"BadUser with id '{ann.id}' already exists"):
        repo.insert(BadUser(id=ann.id, name="x", email="x@example.com"))
    assert BadUser.get(ann.id).name == "ann"
    assert repo.insert(BadUser(name="dan", email="dan@example.com")) is True
    with pytest.raises(DuplicateId):
        BadNote.repository().insert(BadNote(id=BadNote.all()[0].id))  # type: ignore[attr-defined]
    # save() replaces by id; another unique column is a ConstraintViolation.
    with pytest.raises(ConstraintViolation, match=r"BadUser: the database refused the write"):
        BadUser(name="clash", email="bob@example.com").save()
    assert BadUser.query().count() == 4
    with UnitOfWork(users=BadUser) as uow:
        with pytest.raises(DuplicateId):
            uow.repo(BadUser).add(BadUser(id=ann.id, name="y", email="y@example.com"))
        uow.repo(BadUser).add(BadUser(name="eve", email="eve@example.com"))
        uow.commit()
    assert sorted(u.name for u in BadUser.all()) == ["ann", "bob", "carl", "dan", "eve"]


class BadScore(SQLEntity, table=True):
    __tablename__ = "bad_score"
    name: str = ""
    points: int = 0


class PointsAtLeast(Specification[BadScore]):
    def __init__(self, low: int) -> None:
        self.low = low

    def is_satisfied_by(self, candidate: BadScore) -> bool:
        return candidate.points >= self.low

    def to_sql(self, entity_cls: type[BadScore]) -> Any:
        return entity_cls.points >= self.low  # type: ignore[operator]


@pytest.mark.parametrize("low", [2**31, 2**63, 2**70])
def test_a_value_the_database_cannot_compare_is_an_invalid_query(db: Database, low: int) -> None:
    """SQLite binds 64-bit integers, PostgreSQL's INTEGER column 32-bit ones, and
    PostgreSQL refuses U+0000 in text: each is InvalidQuery (a 400 in the web
    adapters), never OverflowError or a driver error, and the repository stays usable."""
    BadScore(name="one", points=1).save()
    repo = BadScore.repository()
    column_max = 2**31 - 1 if db.engine.dialect.name == "postgresql" else 2**63 - 1
    for attempt in (
        lambda: repo.find(Query(where=PointsAtLeast(low))),
        lambda: repo.count(PointsAtLeast(low)),
        lambda: BadScore.filter(points=low),
    ):
        if low <= column_max:
            assert attempt() in ([], 0)
        else:
            with pytest.raises(InvalidQuery, match=r"BadScore: .*(out of range|refused)"):
                attempt()
    postgres = db.engine.dialect.name == "postgresql"
    for attempt in (
        lambda: BadScore.filter(name="o\x00ne"),
        lambda: BadScore.get("x\x00"),
        lambda: BadScore.repository().exists("x\x00"),
    ):
        if postgres:
            with pytest.raises(InvalidQuery, match=r"NUL"):
                attempt()
        else:
            assert attempt() in ([], None, False)
    assert [s.name for s in BadScore.all()] == ["one"]
