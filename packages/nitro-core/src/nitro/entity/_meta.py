"""The metaclass and class-definition checks behind :class:`nitro.Entity`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, dataclass_transform

from pydantic import AliasChoices, AliasPath, BaseModel, Field, PrivateAttr
from pydantic._internal._model_construction import ModelMetaclass
from pydantic_core import ValidationError

from nitro.persistence.registry import reset_repositories
from nitro.signals import SIGNAL_SUFFIX, class_signal

__all__ = [
    "EntityMeta",
    "check_field_names",
    "describe_api",
    "register_entity_api",
    "reject_unknown_keys",
]
# Names the API may grow into (nitro-sql's SQLEntity adds search()).
_RESERVED_FOR_LATER = {"search": "the classmethod SQLEntity.search() of nitro-sql"}
_reserved: dict[str, str] = {}  # filled by register_entity_api(Entity)


# Repeated from ModelMetaclass: mypy does not inherit dataclass_transform from a base
# metaclass, and without it entity constructors would not be type-checked.
@dataclass_transform(kw_only_default=True, field_specifiers=(Field, PrivateAttr))
class EntityMeta(ModelMetaclass):
    """Pydantic's metaclass plus three things entities need at class level:

    * a field that shadows Entity API is a :class:`TypeError` at class definition;
    * ``Counter.count_signal`` is ``"$Counter.count"`` for every field ``count``;
    * assigning ``_persistence_backend_class`` re-routes the class at once.
    """

    def __new__(
        mcs, cls_name: str, bases: tuple[type[Any], ...], namespace: dict[str, Any], **kwargs: Any
    ) -> type:
        # Check before pydantic runs: it would only warn about the shadowing.
        _check_field_names(cls_name, namespace.get("__annotations__", {}), bases)
        cls = super().__new__(mcs, cls_name, bases, namespace, **kwargs)
        _check_field_names(cls_name, getattr(cls, "__pydantic_fields__", {}), ())
        return cls

    if TYPE_CHECKING:
        # What type checkers see: ``Counter.count_signal`` is a str. (The price is that
        # any unknown class attribute types as str too; instances stay strict.)
        def __getattr__(cls, name: str) -> str: ...

    else:

        def __getattr__(cls, name: str) -> Any:
            ref = class_signal(cls, name)
            return ref if ref is not None else super().__getattr__(name)

    def __setattr__(cls, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "_persistence_backend_class":
            reset_repositories()


def _check_field_names(cls_name: str, field_names: Any, bases: tuple[type[Any], ...]) -> None:
    if not _reserved:
        return  # defining Entity itself
    names = set(field_names)
    for base in bases:
        names.update(getattr(base, "__pydantic_fields__", ()))
    check_field_names(cls_name, field_names, names, _reserved)


def check_field_names(
    cls_name: str, new_names: Any, all_names: set[str], reserved: dict[str, str]
) -> None:
    """Refuse fields that would shadow entity API or another field's signal reference.

    *new_names* are the fields the class declares, *all_names* every field it will have
    (inherited ones too), *reserved* maps API names to a description (see
    :func:`describe_api`). Shared with entity bases outside nitro-core (nitro-sql).
    """
    for name in new_names:
        clash = reserved.get(name)
        if clash is not None:
            raise TypeError(
                f"{cls_name}: the field {name!r} would shadow {clash}; "
                f"rename the field (for example {name + '_value'!r})"
            )
        if name.endswith(SIGNAL_SUFFIX) and name[: -len(SIGNAL_SUFFIX)] in all_names:
            base_name = name[: -len(SIGNAL_SUFFIX)]
            raise TypeError(
                f"{cls_name}: the field {name!r} would shadow the signal reference "
                f"{cls_name}.{name} of the field {base_name!r}; rename one of them"
            )


def reject_unknown_keys(cls: type[BaseModel], data: dict[str, Any], also_known: Any = ()) -> None:
    """Raise pydantic's ``extra_forbidden`` error for keys *cls* does not know.

    Field names and every alias count as known, and so do *also_known* (nitro-sql
    passes its relationship names).
    """
    if cls.model_config.get("extra") is not None:
        return  # the subclass chose its own extra= policy; pydantic applied it
    known: set[object] = set(also_known)
    for name, info in cls.__pydantic_fields__.items():
        known.add(name)
        known.update(_alias_keys(info.alias))
        known.update(_alias_keys(info.validation_alias))
    unknown = [key for key in data if key not in known]
    if unknown:
        raise ValidationError.from_exception_data(
            cls.__name__,
            [{"type": "extra_forbidden", "loc": (key,), "input": data[key]} for key in unknown],
        )


def _alias_keys(alias: object) -> list[object]:
    """The top-level input keys an alias reads (str, AliasPath, AliasChoices)."""
    if alias is None:
        return []
    if isinstance(alias, str):
        return [alias]
    if isinstance(alias, AliasPath):
        return list(alias.path[:1])
    if isinstance(alias, AliasChoices):
        return [key for choice in alias.choices for key in _alias_keys(choice)]
    return []


def describe_api(
    entity_base: type[Any], exclude: tuple[str, ...] = ("model_config",)
) -> dict[str, str]:
    """``{name: "the method Entity.save()", ...}`` for every public name of *entity_base*."""
    base = entity_base.__name__
    described = {}
    for name, value in vars(entity_base).items():
        if name.startswith("_") or name in exclude:
            continue
        if isinstance(value, classmethod):
            described[name] = f"the classmethod {base}.{name}()"
        elif isinstance(value, property):
            described[name] = f"the property {base}.{name}"
        else:
            described[name] = f"the method {base}.{name}()"
    return described


def register_entity_api(entity_base: type[Any]) -> None:
    """Reserve every public name of *entity_base* (called once, for Entity)."""
    _reserved.update(describe_api(entity_base))
    _reserved.update(_RESERVED_FOR_LATER)
