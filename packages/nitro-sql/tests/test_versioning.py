"""Optimistic concurrency on SQLEntity tables (a real ``version`` column), on SQLite and
PostgreSQL: a conditional UPDATE, inside and outside a unit of work."""

from __future__ import annotations

import pytest

from nitro.persistence import ConcurrencyError
from nitro.sql import Database, SQLEntity, UnitOfWork


class Invoice(SQLEntity, table=True, versioned=True):
    __tablename__ = "versioning_invoice"
    total: int = 0


def test_the_version_is_a_column(db: Database) -> None:
    assert "version" in Invoice.__table__.c  # type: ignore[attr-defined]
    invoice = Invoice(total=1)
    invoice.save()
    assert invoice.version == 1
    assert Invoice.get_or_raise(invoice.id).version == 1
    assert Invoice.query().where(Invoice.version == 1).count() == 1


def test_a_stale_copy_is_refused_and_nothing_changes(db: Database) -> None:
    invoice = Invoice(total=1)
    invoice.save()
    mine, theirs = Invoice.get_or_raise(invoice.id), Invoice.get_or_raise(invoice.id)
    theirs.total = 2
    theirs.save()
    mine.total = 3
    with pytest.raises(ConcurrencyError, match="changed by someone else") as caught:
        mine.save()
    assert (caught.value.expected, caught.value.found) == (1, 2)
    stored = Invoice.get_or_raise(invoice.id)
    assert (stored.total, stored.version) == (2, 2)
    with pytest.raises(ConcurrencyError, match="already exists"):
        Invoice(id=invoice.id, total=9).save()


def test_inside_a_unit_the_check_is_immediate(db: Database) -> None:
    invoice = Invoice(total=1)
    invoice.save()
    stale = Invoice.get_or_raise(invoice.id)
    with UnitOfWork():
        fresh = Invoice.get_or_raise(invoice.id)  # reads and saves join the unit
        fresh.total = 5
        fresh.save()  # written now, in the unit's transaction
        stale.total = 6
        with pytest.raises(ConcurrencyError):
            stale.save()  # sees the unit's own write: refused at once
        # leaving without commit() rolls the unit back
    stored = Invoice.get_or_raise(invoice.id)
    assert (stored.total, stored.version) == (1, 1)  # the unit rolled back


def test_insert_of_a_versioned_entity_stores_version_one(db: Database) -> None:
    invoice = Invoice(total=1)
    Invoice.repository().insert(invoice)
    assert invoice.version == 1
    assert Invoice.get_or_raise(invoice.id).version == 1
