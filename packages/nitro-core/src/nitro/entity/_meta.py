"""The metaclass and class-definition checks behind :class:`nitro.Entity`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, dataclass_transform

from pydantic import AliasChoices, AliasPath, BaseModel, Field, PrivateAttr
from pydantic._internal._model_construction import ModelMetaclass
from pydantic_core import ValidationError

from nitro.persistence.registry import get_default_backend, reset_repositories
from nitro.persistence.versioning import add_version_field
from nitro.signals import SIGNAL_SUFFIX, class_signal

__all__ = [
    "EntityClass",
    "EntityDescriptor",
    "EntityMeta",
    "check_field_names",
    "describe_api",
    "reject_unknown_keys",
]


class EntityDescriptor:
    """Base of descriptors that entity classes carry as class attributes, not fields.

    Entity bases list it in pydantic's ``ignored_types``, so an instance in a class body
    never becomes a field. ``@action`` methods are such descriptors: the actions layer
    subclasses this hook rather than the entity layer importing the actions layer.
    """

    __slots__ = ()


class _AppDefaultBackend:
    """``Todo._persistence_backend_class`` where no class sets it: the app-wide default
    in effect now (a non-data descriptor on the metaclass, so a class that sets its own
    backend, or an assignment, simply shadows it)."""

    def __get__(self, cls: type[Any] | None, meta: type[Any] | None = None) -> Any:
        if cls is None:
            return self
        return get_default_backend()


class EntityClass(type):
    """The class-level behaviour of every entity base, as a metaclass mixin combined
    with the model's own metaclass (pydantic's here, SQLModel's in nitro-sql):

    * a field that shadows entity API is a :class:`TypeError` at class definition;
    * ``Counter.count_signal`` is ``"$Counter.count"`` for every field ``count``;
    * assigning ``_persistence_backend_class`` re-routes the class at once;
    * ``versioned=True`` adds the version field (see :mod:`nitro.persistence.versioning`).
    """

    #: What reading ``_persistence_backend_class`` answers when no class sets it.
    _persistence_backend_class: Any = _AppDefaultBackend()
    #: The field specifier of the model base (``versioned=True`` declares the version
    #: field with it).
    field_specifier: Any = Field
    #: The API names a field may not take, ``{name: description}``; empty while the
    #: entity base itself is being defined (see :func:`describe_api`).
    reserved_names: dict[str, str] = {}

    def __new__(
        mcs,
        cls_name: str,
        bases: tuple[type[Any], ...],
        namespace: dict[str, Any],
        versioned: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        add_version_field(cls_name, namespace, bases, versioned, mcs.field_specifier)
        reserved = mcs.reserved_names
        if reserved:  # checked before the model class runs: it would only warn
            annotations = namespace.get("__annotations__", {})
            names = {n for n in annotations if mcs.is_field(namespace.get(n))}
            for base in bases:
                names.update(getattr(base, "__pydantic_fields__", ()))
            check_field_names(cls_name, annotations, names, reserved)
        cls = super().__new__(mcs, cls_name, bases, namespace, **kwargs)
        if reserved:
            fields = getattr(cls, "__pydantic_fields__", {})
            check_field_names(cls_name, fields, set(fields), reserved)
        return cls

    @staticmethod
    def is_field(default: Any) -> bool:
        """Whether an annotated name with this class-body value becomes a field
        (nitro-sql: not a relationship)."""
        return True

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


# Repeated from ModelMetaclass: mypy does not inherit dataclass_transform from a base
# metaclass, and without it entity constructors would not be type-checked.
@dataclass_transform(kw_only_default=True, field_specifiers=(Field, PrivateAttr))
class EntityMeta(EntityClass, ModelMetaclass):
    """The metaclass of :class:`nitro.Entity`: pydantic's plus :class:`EntityClass`."""

    reserved_names: dict[str, str] = {}  # filled once Entity exists


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
    entity_base: type[Any],
    exclude: tuple[str, ...] = ("model_config",),
    *,
    name: str | None = None,
) -> dict[str, str]:
    """``{name: "the method Entity.save()", ...}`` for every public name that
    *entity_base* defines itself; the names read *name* (default: the class name)."""
    base = entity_base.__name__ if name is None else name
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
