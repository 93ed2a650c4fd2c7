"""FieldAfter / FieldBefore select exactly the rows after / before a row of a sorted
list, in memory and as SQL (SQLite), for every ordering the admin seeks on."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import create_engine, select
from sqlmodel import Field, Session, SQLModel

from nitro.admin.specs import FieldAfter, FieldBefore


class Row(SQLModel, table=True):
    __tablename__ = "keyset_rows"
    id: str = Field(primary_key=True)
    price: int = 0
    live: bool = False


ROWS = [
    Row(id=f"r{i}", price=price, live=live)
    for i, (price, live) in enumerate(itertools.product([1, 2, 2, 3], [False, True]))
]


def ordered(field: str, descending: bool) -> list[Row]:
    """The admin's list order: *field*, then id, both descending or both not."""
    return sorted(ROWS, key=lambda r: (getattr(r, field), r.id), reverse=descending)


@pytest.fixture(scope="module")
def session() -> Session:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=[Row.__table__])  # type: ignore[attr-defined]
    with Session(engine) as session:
        session.add_all([Row(**r.model_dump()) for r in ROWS])
        session.commit()
        yield session


@pytest.mark.parametrize("field", ["id", "price", "live"])
@pytest.mark.parametrize("descending", [False, True])
def test_the_rows_after_and_before_each_row(session: Session, field: str, descending: bool):
    rows = ordered(field, descending)
    for position, pivot in enumerate(rows):
        value = getattr(pivot, field)
        for spec, expected in (
            (FieldAfter(field, value, pivot.id, descending=descending), rows[position + 1 :]),
            (FieldBefore(field, value, pivot.id, descending=descending), rows[:position]),
        ):
            want = {r.id for r in expected}
            assert {r.id for r in ROWS if spec.is_satisfied_by(r)} == want, spec
            found = session.execute(select(Row.id).where(spec.to_sql(Row))).scalars()
            assert set(found) == want, spec
