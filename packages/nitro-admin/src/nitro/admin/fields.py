"""What the admin knows about an entity's fields, read once from the annotations.

Each field gets a *kind* that decides its form widget, its filter and how a string
from a form or a query string becomes a value: ``text``, ``textarea``, ``int``,
``float``, ``decimal``, ``bool``, ``date``, ``datetime``, ``time``, ``choice`` (Enum
and Literal), ``json`` (lists, dicts and anything else, edited as JSON) or
``relation`` (the id of another entity, declared with ``EntityAdmin.relations``).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import types
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import TypeAdapter
from pydantic.fields import FieldInfo

__all__ = ["FieldSpec", "describe_fields"]

RANGE_KINDS = frozenset({"int", "float", "decimal", "date", "datetime", "time"})
CHOICE_KINDS = frozenset({"bool", "choice"})
#: A field holding the id of another registered entity (``EntityAdmin.relations``).
RELATION = "relation"
TEXT_KINDS = frozenset({"text", "textarea"})
#: Strings longer than this (by ``max_length``), or without a limit and with a name
#: like these, get a textarea.
_LONG_TEXT = 255
_LONG_NAMES = frozenset({"description", "body", "content", "notes", "text", "comment", "bio"})


@dataclass(frozen=True)
class FieldSpec:
    """How the admin shows and edits one entity field (label, kind, widget, whether it is
    required), read once from the entity's annotations."""

    name: str
    label: str
    kind: str
    annotation: Any
    optional: bool
    required: bool
    choices: tuple[tuple[str, Any], ...] = ()
    help_text: str | None = None
    #: The entity class a ``relation`` field points to.
    related: Any = None

    @property
    def sortable(self) -> bool:
        """JSON values and Enum members have no order (``Enum < Enum`` is a TypeError)."""
        if self.kind == "json":
            return False
        return not (
            self.kind == "choice" and any(isinstance(v, enum.Enum) for _, v in self.choices)
        )

    def choice_label(self, value: Any) -> str:
        if self.kind == "bool":
            return "Yes" if value else "No"
        if isinstance(value, enum.Enum):
            return str(value.name).replace("_", " ").capitalize()
        return str(value)

    def to_text(self, value: Any) -> str:
        """The value as an ``<input>`` holds it."""
        if value is None:
            return ""
        if self.kind == "choice":
            return _choice_key(value)
        if self.kind == "datetime" and isinstance(value, dt.datetime):
            shown: dt.datetime = value
            if shown.tzinfo is not None:  # <input type=datetime-local> shows no offset:
                shown = shown.astimezone(dt.UTC).replace(tzinfo=None)  # show it in UTC
            return shown.isoformat(timespec="seconds")
        if self.kind == "json":
            return json.dumps(_adapter(self.annotation).dump_python(value, mode="json"), indent=2)
        return str(value)

    def from_text(self, raw: str) -> Any:
        """A form or query string back to a value Pydantic accepts (``ValueError`` if not)."""
        if raw == "" and self.optional:
            return None
        if self.kind == "bool":
            if raw.lower() in ("1", "true", "on", "yes"):
                return True
            if raw.lower() in ("0", "false", "off", "no", ""):
                return False
            raise ValueError(f"{raw!r} is not yes or no")
        if self.kind == "choice":
            for key, value in self.choices:
                if key == raw:
                    return value
            raise ValueError(f"{raw!r} is not one of the choices")
        if self.kind == "json":
            return json.loads(raw) if raw.strip() else None
        if self.kind == "datetime" and self.annotation is dt.datetime:
            return _aware(raw)
        return raw

    def parse(self, raw: str) -> Any:
        """A query-string value as a typed value, for filters (``ValueError`` if bad)."""
        value = self.from_text(raw)
        if value is None or self.kind in CHOICE_KINDS or self.kind == RELATION:
            return value
        try:
            return _adapter(self.annotation).validate_python(value)
        except Exception as exc:  # pydantic.ValidationError
            raise ValueError(str(exc)) from None


def _aware(raw: str) -> Any:
    """A ``datetime-local`` value (no offset) read as UTC, as :meth:`FieldSpec.to_text`
    shows aware values: SQL stores only aware datetimes in a ``datetime`` field, and a
    value edited in the form keeps its instant. (``NaiveDatetime`` fields stay naive.)"""
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return raw  # Pydantic's error names the field
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _choice_key(value: Any) -> str:
    return str(value.value if isinstance(value, enum.Enum) else value)


@functools.cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        optional = len(args) < len(get_args(annotation))
        if len(args) == 1:
            return args[0], optional
        return annotation, optional
    return annotation, False


def _kind(name: str, annotation: Any, info: FieldInfo) -> tuple[str, tuple[tuple[str, Any], ...]]:
    if get_origin(annotation) is Literal:
        return "choice", tuple((_choice_key(v), v) for v in get_args(annotation))
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return "choice", tuple((_choice_key(m), m) for m in annotation)
        if issubclass(annotation, bool):
            return "bool", ((("true", True), ("false", False)))
        if issubclass(annotation, int):
            return "int", ()
        if issubclass(annotation, float):
            return "float", ()
        if issubclass(annotation, Decimal):
            return "decimal", ()
        if issubclass(annotation, dt.datetime):
            return "datetime", ()
        if issubclass(annotation, dt.date):
            return "date", ()
        if issubclass(annotation, dt.time):
            return "time", ()
        if issubclass(annotation, str):
            max_length = _max_length(info)
            long = (max_length or 0) > _LONG_TEXT or (max_length is None and name in _LONG_NAMES)
            return ("textarea" if long else "text"), ()
    return "json", ()


def _max_length(info: FieldInfo) -> int | None:
    for meta in info.metadata:
        value = getattr(meta, "max_length", None)
        if isinstance(value, int):
            return value
    return None


_described: dict[type[Any], dict[str, FieldSpec]] = {}


def describe_fields(entity_cls: type[Any]) -> dict[str, FieldSpec]:
    """Every field of *entity_cls*, in declaration order (cached per class)."""
    cached = _described.get(entity_cls)
    if cached is not None:
        return cached
    specs: dict[str, FieldSpec] = {}
    for name, info in entity_cls.model_fields.items():
        annotation, optional = _unwrap_optional(info.annotation)
        kind, choices = _kind(name, annotation, info)
        label = info.title or name.replace("_", " ").capitalize()
        specs[name] = FieldSpec(
            name=name,
            label=label,
            kind=kind,
            annotation=info.annotation,
            optional=optional,
            required=info.is_required(),
            choices=choices,
            help_text=info.description,
        )
    _described[entity_cls] = specs
    return specs
