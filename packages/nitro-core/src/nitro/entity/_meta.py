"""The metaclass and class-definition checks behind :class:`nitro.Entity`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, dataclass_transform

from pydantic import AliasChoices, AliasPath, BaseModel, Field, PrivateAttr
from pydantic._internal._model_construction import ModelMetaclass
from pydantic_core import ValidationError

from nitro.persistence.registry import reset_repositories
from nitro.signals import signal_ref

__all__ = ["EntityMeta", "register_entity_api", "reject_unknown_keys"]

_SIGNAL_SUFFIX = "_signal"
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
            if name.endswith(_SIGNAL_SUFFIX) and not name.startswith("__"):
                fields = cls.__dict__.get("__pydantic_fields__")
                if fields and name[: -len(_SIGNAL_SUFFIX)] in fields:
                    return signal_ref(cls, name[: -len(_SIGNAL_SUFFIX)])
            return super().__getattr__(name)

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
    for name in field_names:
        clash = _reserved.get(name)
        if clash is not None:
            raise TypeError(
                f"{cls_name}: the field {name!r} would shadow {clash}; "
                f"rename the field (for example {name + '_value'!r})"
            )
        if name.endswith(_SIGNAL_SUFFIX) and name[: -len(_SIGNAL_SUFFIX)] in names:
            base_name = name[: -len(_SIGNAL_SUFFIX)]
            raise TypeError(
                f"{cls_name}: the field {name!r} would shadow the signal reference "
                f"{cls_name}.{name} of the field {base_name!r}; rename one of them"
            )


def reject_unknown_keys(cls: type[BaseModel], data: dict[str, Any]) -> None:
    """Raise pydantic's ``extra_forbidden`` error for keys *cls* does not know."""
    if cls.model_config.get("extra") is not None:
        return  # the subclass chose its own extra= policy; pydantic applied it
    known: set[object] = set()
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


def _describe(name: str, value: Any) -> str:
    if isinstance(value, classmethod):
        return f"the classmethod Entity.{name}()"
    if isinstance(value, property):
        return f"the property Entity.{name}"
    return f"the method Entity.{name}()"


def register_entity_api(entity_base: type[Any]) -> None:
    """Reserve every public name of *entity_base* (called once, for Entity)."""
    _reserved.update(
        {
            name: _describe(name, value)
            for name, value in vars(entity_base).items()
            if not name.startswith("_") and name != "model_config"
        }
    )
    _reserved.update(_RESERVED_FOR_LATER)
