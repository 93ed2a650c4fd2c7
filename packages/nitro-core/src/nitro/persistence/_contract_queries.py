"""The contract's query tests: listing, filtering, ordering, paging and bad input.

A mixin of :class:`~nitro.persistence.testing.RepositoryContract`, apart from the CRUD
tests because these share a data set (``_three``) and exercise the query API
(:class:`~nitro.persistence.Query`, specifications, the entity query builder) rather
than single records; ``RepositoryContract`` provides the fixtures.
"""

from __future__ import annotations

import pytest

from nitro.persistence._contract_entities import ContractItem, ContractNote, Status
from nitro.persistence.base import Repository
from nitro.persistence.errors import InvalidQuery
from nitro.persistence.query import Query
from nitro.specification import FieldEquals, PredicateSpecification


class QueryContract:
    """Listing, filters, specifications, ordering, paging, counting and typed refusals.

    Not named ``Test...``: pytest collects these tests only through a backend's
    ``RepositoryContract`` subclass, never on their own.
    """

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
