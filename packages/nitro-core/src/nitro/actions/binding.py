"""Binding an action's declared parameters from a request, validated by Pydantic.

Only the parameters in the method's signature are read; everything else the client
sends -- in particular the entity's own signals -- is ignored. Sources, first match
wins: path parameters, the query string, then the request's JSON object (the Datastar
signals, or a plain JSON body) or form fields.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import inspect
import uuid
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from nitro.actions.decorator import ActionInfo
from nitro.actions.errors import InvalidParameters
from nitro.actions.limits import parse_json

__all__ = ["ParameterBinder"]

_SCALARS = (str, int, float, bool, decimal.Decimal, uuid.UUID, datetime.date, datetime.datetime)


def _is_scalar(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if annotation is inspect.Parameter.empty or annotation is Any:
        return True
    return isinstance(annotation, type) and issubclass(annotation, (*_SCALARS, enum.Enum))


class ParameterBinder:
    """Validates the parameters of one action; built once per action and reused."""

    def __init__(self, info: ActionInfo):
        self.info = info

    @cached_property
    def _hints(self) -> dict[str, Any]:
        try:
            # include_extras keeps Annotated[...] constraints (Field(ge=1), ...)
            return get_type_hints(self.info.func, include_extras=True)
        except (NameError, TypeError):
            return {}

    @cached_property
    def parameters(self) -> tuple[inspect.Parameter, ...]:
        return self.info.parameters

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.parameters)

    @cached_property
    def model(self) -> type[BaseModel]:
        fields: dict[str, Any] = {}
        for param in self.parameters:
            annotation = self._hints.get(param.name, param.annotation)
            if annotation is inspect.Parameter.empty:
                annotation = Any
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[param.name] = (annotation, default)
        return create_model(
            f"{self.info.func.__qualname__.replace('.', '_')}_Params",
            __config__=ConfigDict(extra="ignore", arbitrary_types_allowed=True),
            **fields,
        )

    @cached_property
    def _json_params(self) -> frozenset[str]:
        """Parameters whose query-string values are JSON text (lists, dicts, models)."""
        return frozenset(
            p.name for p in self.parameters if not _is_scalar(self._hints.get(p.name, p.annotation))
        )

    @cached_property
    def _plain(self) -> tuple[tuple[str, type, Any], ...] | None:
        """``(name, int or str, default)`` per parameter when every parameter is a plain
        ``int`` or ``str`` (no constraint) with no default or an immutable one; else
        ``None``. Such values need no model to validate them (see :func:`_plain_values`)."""
        plain = []
        for param in self.parameters:
            hint = self._hints.get(param.name, param.annotation)
            if hint is not int and hint is not str:
                return None
            if (
                param.default is not inspect.Parameter.empty
                and type(param.default) not in _IMMUTABLE
            ):
                return None
            plain.append((param.name, hint, param.default))
        return tuple(plain)

    @cached_property
    def _plan(self) -> tuple[tuple[str, bool], ...]:
        """``(name, whether its text value is JSON)`` per parameter, in order."""
        return tuple((p.name, p.name in self._json_params) for p in self.parameters)

    def bind(self, *sources: Mapping[str, Any], text_sources: int = 0) -> dict[str, Any]:
        """Return validated keyword arguments.

        The first ``text_sources`` mappings hold strings (path and query); JSON-typed
        parameters found there are decoded before validation.
        """
        raw: dict[str, Any] = {}
        for name, is_json in self._plan:
            for index, source in enumerate(sources):
                if name in source:
                    value = source[name]
                    if is_json and index < text_sources:
                        value = _maybe_json(value, name)
                    raw[name] = value
                    break
        return self.validate(raw)

    def bind_request(
        self,
        path: Mapping[str, str],
        query: Mapping[str, str],
        data: Callable[[], Mapping[str, Any]],
    ) -> dict[str, Any]:
        """:meth:`bind` from a request's path parameters (but ``id``, the entity's),
        query (but ``datastar``, the signals of a GET) and, only when a parameter is in
        neither, its JSON object ``data()`` (so the body is parsed only when needed)."""
        raw: dict[str, Any] = {}
        missing: list[str] | None = None
        for name, is_json in self._plan:
            if name in path and name != "id":
                value: Any = path[name]
            elif name in query and name != "datastar":
                value = query[name]
            else:
                if missing is None:
                    missing = []
                missing.append(name)
                continue
            raw[name] = _maybe_json(value, name) if is_json else value
        if missing is not None:
            body = data()
            for name in missing:
                if name in body:
                    raw[name] = body[name]
        return self.validate(raw)

    def validate(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters' values validated by the model (422 errors as
        :class:`InvalidParameters`), strings with NUL refused."""
        if not self._plan:
            return {}
        plain = self._plain
        if plain is not None:
            arguments = _plain_values(plain, raw)
            if arguments is not None:
                return arguments
        try:
            values = self.model.model_validate(raw).__dict__
        except ValidationError as exc:
            raise InvalidParameters(
                _summary(exc), errors=[_describe(error) for error in exc.errors()]
            ) from None
        arguments = {name: values[name] for name, _ in self._plan}
        refused = [
            path
            for name, value in arguments.items()
            if type(value) not in _NO_TEXT
            for path in _nul_paths(value, name)
        ]
        if refused:
            raise InvalidParameters(
                "Invalid parameter " + "; ".join(f"{path}: {NUL_MESSAGE}" for path in refused),
                errors=[
                    {"parameter": path, "message": NUL_MESSAGE, "type": "null_character"}
                    for path in refused
                ],
            )
        return arguments


#: Default values used as they are (the model would not copy them either).
_IMMUTABLE = frozenset({int, str, float, bool, type(None)})
_EMPTY = inspect.Parameter.empty


def _plain_values(
    plain: tuple[tuple[str, type, Any], ...], raw: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The arguments when every raw value is what the model would return unchanged
    or, for ``int``, a short string of ASCII digits (which it reads as ``int()`` does);
    ``None`` when any value needs the model (which then validates or refuses it)."""
    arguments: dict[str, Any] = {}
    for name, kind, default in plain:
        if name in raw:
            value = raw[name]
            if kind is int:
                if type(value) is not int:
                    if type(value) is not str or not (value.isascii() and value.isdigit()):
                        return None
                    if len(value) > 18:
                        return None
                    value = int(value)
            elif type(value) is not str or "\x00" in value:
                return None
        elif default is _EMPTY:
            return None
        else:
            value = default
        arguments[name] = value
    return arguments


#: Values that hold no text, so no NUL to look for.
_NO_TEXT = frozenset({int, float, bool, type(None), decimal.Decimal, uuid.UUID})


#: Django's wording (``ProhibitNullCharactersValidator``).
NUL_MESSAGE = "Null characters are not allowed."


def _nul_paths(value: Any, path: str) -> list[str]:
    """Where ``value`` holds a string with U+0000 (NUL): ``["note.text", "tags.2"]``.

    NUL is refused at the boundary because storage rejects or truncates it (PostgreSQL
    text cannot hold it, C libraries stop at it) and it is never legitimate form input.
    """
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, BaseModel):
        items: Any = ((name, getattr(value, name, None)) for name in type(value).model_fields)
    elif isinstance(value, Mapping):
        found += [f"{path}.{key}" for key in value if isinstance(key, str) and "\x00" in key]
        items = value.items()
    elif isinstance(value, list | tuple | set | frozenset):
        items = enumerate(value)
    else:
        return found
    for key, item in items:
        found += _nul_paths(item, f"{path}.{key}")
    return found


def _maybe_json(value: Any, name: str) -> Any:
    if isinstance(value, str):
        try:
            return parse_json(value, f"the {name} parameter")
        except ValueError:
            return value
    return value


def _describe(error: Any) -> dict[str, Any]:
    location = ".".join(str(part) for part in error["loc"])
    return {"parameter": location, "message": error["msg"], "type": error["type"]}


def _summary(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"]) or "parameters"
        parts.append(f"{location}: {error['msg']}")
    return "Invalid parameter " + "; ".join(parts)
