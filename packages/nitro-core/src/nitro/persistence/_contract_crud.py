"""The contract's basic CRUD tests: what a backend must get right before anything else.

A mixin of :class:`~nitro.persistence.testing.RepositoryContract`, in a module of its
own so the suite reads one concern at a time; ``RepositoryContract`` provides the
``backend``, ``_routed`` and ``repo`` fixtures these tests use.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from nitro.persistence._contract_entities import ContractItem, ContractNote, Status
from nitro.persistence.base import Repository
from nitro.persistence.errors import NotFound


class CrudContract:
    """Save, get, delete, exists and clear, through the repository and the entity API.

    Not named ``Test...``: pytest collects these tests only through a backend's
    ``RepositoryContract`` subclass, never on their own.
    """

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
