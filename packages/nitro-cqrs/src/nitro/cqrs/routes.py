"""Commands and queries as HTTP routes, through the same machinery as ``@action``.

.. code-block:: python

    from nitro.cqrs.routes import expose

    expose(app_bus, PlaceOrder, GetStock, name="shop")
    configure_app(app)  # FastAPI, Flask or FastHTML
    # POST /shop/place_order      (the command's fields: query, JSON body or signals)
    # GET  /shop/get_stock?product_id=pear

:func:`expose` makes a small class of classmethod actions, one per chosen message,
named after the message in snake case. Each route therefore gets everything an
``@action`` gets, on every adapter: the same-origin and allowed-host checks, the body
limit, validation of every field with a 422 naming it (for Datastar pages, the
``_errors`` signal), 409 on a lost optimistic-concurrency race, errors logged and never
sent, and JSON or Datastar answers. Commands are ``POST``, queries ``GET``.

Handlers refuse with :class:`~nitro.cqrs.Rejected` (409 and its message, or its
``status``: it is an action error); :class:`~nitro.persistence.NotFound` answers 404
and :class:`PermissionError` 403; any other exception is a 500 whose details stay in
the log.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pydantic

from nitro import Entity, action
from nitro.actions.errors import ActionError, EntityNotFound, InvalidParameters
from nitro.cqrs.bus import Bus, UnknownMessage
from nitro.cqrs.messages import Command, Message, Query
from nitro.persistence import NotFound

__all__ = ["expose", "route_name"]


class _Answer(ActionError):
    """An :class:`ActionError` whose status is chosen per instance."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


def route_name(message_type: type[Message]) -> str:
    """``PlaceOrder`` -> ``place_order``: the route segment of a message."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", message_type.__name__).lower()


def expose(bus: Bus, *message_types: type[Message], name: str = "cqrs") -> type[Entity]:
    """Make routes of the chosen commands and queries (see the module docs), under
    ``/{name}/``; returns the class holding them (``configure_app(app,
    entities=[...])`` can choose it like an entity class)."""
    if not name.isidentifier():
        raise ValueError(f"expose(name={name!r}): use an identifier such as 'orders'")
    if not message_types:
        raise ValueError("expose() needs at least one Command or Query class")
    namespace: dict[str, Any] = {"__module__": __name__, "__doc__": f"Routes of {bus!r}."}
    for message_type in message_types:
        if not (isinstance(message_type, type) and issubclass(message_type, (Command, Query))):
            raise TypeError(f"expose() takes Command and Query classes, not {message_type!r}")
        if not bus.bound_handlers(message_type):
            raise UnknownMessage(
                f"expose(): no handler is registered for {message_type.__name__}; "
                f"register it with @bus.handles({message_type.__name__}) first"
            )
        segment = route_name(message_type)
        if segment in namespace:
            raise ValueError(f"two messages would both be routed as {segment!r}")
        method = "POST" if issubclass(message_type, Command) else "GET"
        route: Any = classmethod(_endpoint(bus, message_type))
        namespace[segment] = action(method=method)(route)
    return type(name[:1].upper() + name[1:], (Entity,), namespace)


def _endpoint(bus: Bus, message_type: type[Message]) -> Callable[..., Any]:
    is_command = issubclass(message_type, Command)
    handler = bus.bound_handlers(message_type)[0]

    if handler.handler.is_async:

        async def endpoint(cls: type, **values: Any) -> Any:
            message = _build(message_type, values)
            try:
                if is_command:
                    return await bus.asend(message)  # type: ignore[arg-type]
                return await bus.aask(message)  # type: ignore[arg-type]
            except Exception as exc:
                answer = _translate(exc)
                if answer is exc:
                    raise
                raise answer from exc

    else:

        def endpoint(cls: type, **values: Any) -> Any:  # type: ignore[misc]
            message = _build(message_type, values)
            try:
                if is_command:
                    return bus.send(message)  # type: ignore[arg-type]
                return bus.ask(message)  # type: ignore[arg-type]
            except Exception as exc:
                answer = _translate(exc)
                if answer is exc:
                    raise
                raise answer from exc

    params = [inspect.Parameter("cls", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[str, Any] = {}
    for field_name, field in message_type.model_fields.items():
        params.append(
            inspect.Parameter(
                field_name,
                inspect.Parameter.KEYWORD_ONLY,
                default=field,
                annotation=field.annotation,
            )
        )
        annotations[field_name] = field.annotation
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    endpoint.__annotations__ = annotations
    endpoint.__name__ = endpoint.__qualname__ = route_name(message_type)
    endpoint.__doc__ = message_type.__doc__
    return endpoint


def _build(message_type: type[Message], values: dict[str, Any]) -> Message:
    try:
        return message_type(**values)
    except pydantic.ValidationError as exc:  # a model validator across fields
        errors = [
            {
                "parameter": ".".join(str(part) for part in error["loc"]) or message_type.__name__,
                "message": error["msg"],
                "type": error["type"],
            }
            for error in exc.errors()
        ]
        detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
        raise InvalidParameters(f"Invalid parameters: {detail}", errors=errors) from None


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, NotFound):
        return EntityNotFound()
    if isinstance(exc, PermissionError):
        return _Answer(403, "Forbidden")
    return exc
