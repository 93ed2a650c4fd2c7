"""Cheap independent copies of pydantic models, for stores that keep objects in memory.

``model_copy()`` is shallow (a list field would be shared with the caller) and
``model_copy(deep=True)`` runs :func:`copy.deepcopy` over everything, which is slow.
Here immutable values (str, int, datetime, Decimal, UUID, enums, ...) are shared and
only containers and nested models are copied, recursively.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import uuid
from decimal import Decimal
from fractions import Fraction
from pathlib import PurePath
from typing import Any, TypeVar

from pydantic import BaseModel

from nitro.persistence.base import EntityLike

M = TypeVar("M", bound=BaseModel)
S = TypeVar("S", bound=EntityLike)

_ATOMIC: frozenset[type] = frozenset(
    {
        str,
        int,
        float,
        bool,
        type(None),
        bytes,
        complex,
        Decimal,
        Fraction,
        uuid.UUID,
        dt.datetime,
        dt.date,
        dt.time,
        dt.timedelta,
        dt.timezone,
    }
)
_set_attr = object.__setattr__


def copy_value(value: Any) -> Any:
    """Return a copy of *value* that shares nothing mutable with it."""
    kind = type(value)
    if kind in _ATOMIC:
        return value
    if kind is list:
        for item in value:  # the common list of str/int needs only a shallow copy
            if type(item) not in _ATOMIC:
                return [copy_value(item) for item in value]
        return value.copy()
    if kind is dict:
        for item in value.values():
            if type(item) not in _ATOMIC:
                return {key: copy_value(item) for key, item in value.items()}
        return value.copy()
    if kind is tuple:
        return tuple(copy_value(item) for item in value)
    if kind is set:
        return {copy_value(item) for item in value}
    if kind is frozenset:
        return frozenset(copy_value(item) for item in value)
    if isinstance(value, enum.Enum | PurePath):
        return value
    if isinstance(value, BaseModel):
        return copy_model(value)
    return copy.deepcopy(value)


def copy_values(values: dict[str, Any]) -> dict[str, Any]:
    """Copy a model's ``__dict__``; shallow when every value is atomic (the usual case)."""
    out = values.copy()
    for key, value in values.items():
        if type(value) not in _ATOMIC:
            out[key] = copy_value(value)
    return out


def copy_model(model: M) -> M:
    """An independent copy of *model* (fields, fields-set, extras and private state)."""
    cls = type(model)
    copied = cls.__new__(cls)
    _set_attr(copied, "__dict__", copy_values(model.__dict__))
    _set_attr(copied, "__pydantic_fields_set__", set(model.__pydantic_fields_set__))
    _set_attr(copied, "__pydantic_extra__", copy_value(model.__pydantic_extra__))
    _set_attr(copied, "__pydantic_private__", copy_value(model.__pydantic_private__))
    return copied


def restore(cls: type[S], values: dict[str, Any], fields_set: set[str]) -> S:
    """Make an instance of *cls* from already-validated *values*, without validation.

    Private attributes start from their defaults and a ``model_post_init`` override
    runs, as after validation. *values* becomes the instance's ``__dict__``.
    """
    instance = cls.__new__(cls)
    _set_attr(instance, "__dict__", values)
    _set_attr(instance, "__pydantic_fields_set__", fields_set)
    _set_attr(instance, "__pydantic_extra__", None)
    _set_attr(instance, "__pydantic_private__", None)
    if getattr(cls, "__pydantic_post_init__", None):  # a pydantic model's hook
        instance.model_post_init(None)  # type: ignore[attr-defined]
    return instance
