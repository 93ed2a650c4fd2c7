"""Entity: ids, validation, the shadowing guard, signal references, persistence API."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator

import pytest
from pydantic import ConfigDict, Field, ValidationError

from nitro import Entity, MemoryRepo, NotFound, use_backend
from nitro.ids import is_valid_id
from nitro.persistence import InvalidQuery, MemoryStore


class Counter(Entity):
    count: int = 0
    label: str = "clicks"

    def increment(self, amount: int = 1) -> None:
        self.count += amount
        self.save()


@pytest.fixture(autouse=True)
def fresh_store() -> Iterator[MemoryStore]:
    store = MemoryStore()
    with use_backend(functools.partial(MemoryRepo, store=store)):
        yield store


# -- ids ----------------------------------------------------------------------------


def test_id_is_generated_sortable_and_url_safe() -> None:
    counters = [Counter() for _ in range(50)]
    ids = [c.id for c in counters]
    assert len(set(ids)) == 50
    assert ids == sorted(ids)
    assert all(is_valid_id(i) for i in ids)
    assert uuid.UUID(ids[0]).version == 7


def test_given_id_is_kept() -> None:
    assert Counter(id="my-counter").id == "my-counter"


def test_empty_id_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValidationError, match=r"(?s)^1 validation error for Counter\nid\n"):
        Counter(id="")


# -- validation ------------------------------------------------------------------------


def test_assignment_is_validated_at_once_naming_the_field() -> None:
    counter = Counter()
    with pytest.raises(ValidationError) as info:
        counter.count = "abc"  # type: ignore[assignment]
    assert info.value.errors()[0]["loc"] == ("count",)
    assert "count" in str(info.value)
    assert counter.count == 0


def test_a_failed_validation_saves_nothing() -> None:
    counter = Counter(count=1)
    counter.save()
    with pytest.raises(ValidationError):
        counter.count = "abc"  # type: ignore[assignment]
    counter.save()
    assert Counter.get(counter.id).count == 1
    with pytest.raises(ValidationError, match="count"):
        Counter(count="many")  # type: ignore[arg-type]
    assert len(Counter.all()) == 1


def test_assignment_coerces_like_construction() -> None:
    counter = Counter()
    counter.count = "5"  # type: ignore[assignment]
    assert counter.count == 5


@pytest.mark.parametrize(
    "build",
    [
        lambda: Counter(cuont=1),  # type: ignore[call-arg]
        lambda: Counter.model_validate({"cuont": 1}),
        lambda: Counter.model_validate_json('{"cuont": 1}'),
        lambda: Counter.model_validate_strings({"cuont": "1"}),
    ],
    ids=["init", "model_validate", "model_validate_json", "model_validate_strings"],
)
def test_unknown_fields_are_refused_naming_them(build: object) -> None:
    with pytest.raises(ValidationError) as info:
        build()  # type: ignore[operator]
    assert [(e["loc"], e["type"]) for e in info.value.errors()] == [(("cuont",), "extra_forbidden")]


def test_unknown_attribute_assignment_is_refused() -> None:
    with pytest.raises(ValidationError, match="cuont"):
        Counter().cuont = 1  # type: ignore[attr-defined]


def test_aliases_count_as_known_keys() -> None:
    class Person(Entity):
        full_name: str = Field(alias="fullName")
        model_config = ConfigDict(populate_by_name=True)

    assert Person(fullName="Ann").full_name == "Ann"
    assert Person.model_validate({"fullName": "Ann", "full_name": "Ann"}).full_name == "Ann"


def test_a_subclass_may_choose_its_own_extra_policy() -> None:
    class Loose(Entity):
        model_config = ConfigDict(extra="ignore")
        name: str = ""

    assert Loose(name="a", other=1).name == "a"  # type: ignore[call-arg]


def test_only_declared_fields_are_stored() -> None:
    counter = Counter(count=2)
    counter.save()
    assert Counter.get(counter.id).model_dump() == {"id": counter.id, "count": 2, "label": "clicks"}


# -- the shadowing guard -------------------------------------------------------------------

RESERVED = [
    "save",
    "delete",
    "exists",
    "get",
    "all",
    "filter",
    "query",
    "signals",
    "repository",
    "get_or_raise",
    "asave",
    "adelete",
    "aexists",
    "aget",
    "aall",
    "afilter",
    "search",
]


@pytest.mark.parametrize("name", RESERVED)
def test_field_shadowing_entity_api_is_a_type_error_naming_both(name: str) -> None:
    with pytest.raises(TypeError) as info:
        type(f"Bad_{name}", (Entity,), {"__annotations__": {name: int}, name: 0})
    message = str(info.value)
    assert f"Bad_{name}: the field {name!r} would shadow" in message
    assert name + ("" if name == "signals" else "(") in message


def test_shadowing_in_a_subclass_of_a_subclass_is_caught() -> None:
    with pytest.raises(TypeError, match=r"the field 'save' would shadow the method Entity\.save"):

        class Deep(Counter):
            save: bool = False  # type: ignore[assignment]


def test_shadowing_a_signal_reference_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="'count_signal' would shadow the signal reference"):

        class Both(Entity):
            count: int = 0
            count_signal: str = ""


def test_a_field_named_count_works_on_instances_and_classes() -> None:
    counter = Counter(count=3)
    assert counter.count == 3
    counter.count += 1
    assert counter.count == 4
    assert Counter.count_signal == "$Counter.count"


# -- signal references ----------------------------------------------------------------------


def test_every_field_has_a_class_level_signal_reference() -> None:
    assert Counter.id_signal == "$Counter.id"
    assert Counter.count_signal == "$Counter.count"
    assert Counter.label_signal == "$Counter.label"


def test_signal_references_follow_the_subclass_name() -> None:
    class BigCounter(Counter):
        limit: int = 10

    assert BigCounter.count_signal == "$BigCounter.count"
    assert BigCounter.limit_signal == "$BigCounter.limit"


def test_unknown_signal_reference_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="nope_signal"):
        _ = Counter.nope_signal
    assert not hasattr(Counter, "nope_signal")


# -- persistence API --------------------------------------------------------------------------


def test_business_method_saves_through_the_repository() -> None:
    counter = Counter()
    counter.increment(2)
    counter.increment()
    assert Counter.get(counter.id).count == 3


def test_save_get_exists_delete() -> None:
    counter = Counter()
    assert counter.exists() is False
    assert counter.save() is True
    assert counter.exists() is True
    assert Counter.get(counter.id) == counter
    assert counter.delete() is True
    assert counter.delete() is False
    assert Counter.get(counter.id) is None


def test_get_or_raise_names_class_and_id() -> None:
    with pytest.raises(NotFound) as info:
        Counter.get_or_raise("nope")
    assert str(info.value) == "Counter with id 'nope' was not found"
    assert info.value.entity_cls is Counter
    assert isinstance(info.value, LookupError)


def test_get_with_a_non_str_id_names_the_problem() -> None:
    with pytest.raises(TypeError, match=r"Counter.get\(\) expects the id as a str, got int 7"):
        Counter.get(7)  # type: ignore[arg-type]


def test_filter_rejects_a_non_specification_positional() -> None:
    with pytest.raises(
        TypeError, match="takes a Specification as its positional argument, got dict"
    ):
        Counter.filter({"count": 1})  # type: ignore[arg-type]


def test_filter_with_unknown_fields_lists_them_and_the_real_fields() -> None:
    with pytest.raises(InvalidQuery) as info:
        Counter.filter(cuont=1, lable="x")
    assert str(info.value) == (
        "'cuont', 'lable' are not fields of Counter; its fields are: id, count, label"
    )


def test_query_builder_validates_eagerly() -> None:
    with pytest.raises(InvalidQuery, match="'nope' is not a field of Counter"):
        Counter.query().order_by("nope")
    with pytest.raises(InvalidQuery, match="limit must be None or an int >= 0, got -1"):
        Counter.query().limit(-1)
    with pytest.raises(InvalidQuery, match="offset must be an int >= 0, got '2'"):
        Counter.query().offset("2")  # type: ignore[arg-type]


def test_query_builder_is_immutable() -> None:
    base = Counter.query()
    narrowed = base.where(count=1)
    assert base.spec.where is None
    assert narrowed.spec.where is not None
    assert narrowed.where().spec == narrowed.spec


async def test_async_methods() -> None:
    counter = Counter(count=1)
    assert await counter.asave() is True
    assert await counter.aexists() is True
    assert await Counter.aget(counter.id) == counter
    assert await Counter.aget_or_raise(counter.id) == counter
    assert await Counter.aall() == [counter]
    assert await Counter.afilter(count=1) == [counter]
    with pytest.raises(TypeError, match=r"aget\(\) expects the id as a str"):
        await Counter.aget(1)  # type: ignore[arg-type]
    assert await counter.adelete() is True
    with pytest.raises(NotFound):
        await Counter.aget_or_raise(counter.id)


def test_alias_choices_and_paths_count_as_known_keys() -> None:
    from pydantic import AliasChoices, AliasPath

    class Contact(Entity):
        email: str = Field(validation_alias=AliasChoices("email", "mail", AliasPath("data", 0)))

    assert Contact.model_validate({"email": "a@x", "mail": "b@x"}).email == "a@x"
    assert Contact.model_validate({"data": ["c@x"]}).email == "c@x"
    with pytest.raises(ValidationError) as info:
        Contact.model_validate({"email": "a@x", "mial": "typo"})
    assert [e["loc"] for e in info.value.errors()] == [("mial",)]


def test_class_attributes_need_no_classvar_annotation_in_subclasses() -> None:
    class Cart(Entity):
        _signals_namespace = "cart"
        _persistence_backend_class = MemoryRepo
        items: int = 0

    assert Cart.__private_attributes__ == {}
    cart = Cart()
    assert cart.signals == {"cart": {"id": cart.id, "items": 0}}
    assert Cart.items_signal == "$cart.items"


def test_unknown_keys_are_refused_in_nested_and_adapter_validation() -> None:
    from pydantic import BaseModel, TypeAdapter

    class Order(BaseModel):
        counter: Counter

    with pytest.raises(ValidationError) as info:
        Order.model_validate({"counter": {"count": 1, "cuont": 2}})
    assert info.value.errors()[0]["type"] == "extra_forbidden"
    with pytest.raises(ValidationError, match="cuont"):
        TypeAdapter(list[Counter]).validate_python([{"cuont": 1}])
    assert TypeAdapter(list[Counter]).validate_json('[{"count": 4}]')[0].count == 4
