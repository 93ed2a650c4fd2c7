"""The OpenAPI description of action routes, the same on every framework.

:func:`openapi_operation` describes one route: its parameters (from the action's
Pydantic binder: path, query string or JSON body), its JSON answer
(``{"result": <the return annotation>, "entity": <the entity>}``), the errors every
adapter gives, and for guarded actions the bearer security and the 401/403 answers.
nitro-fastapi passes it to FastAPI as ``openapi_extra``; :func:`openapi_document`
builds a whole OpenAPI 3.1 document from an :class:`~nitro.actions.ActionApp`, which
the Flask and FastHTML adapters serve with ``configure_app(app, openapi_url=...)``.

Schemas of nested models go to ``components/schemas`` (a ``$ref`` inside an operation
must point into the document, not into a schema's own ``$defs``).
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any

import pydantic

from nitro.actions.binding import ParameterBinder
from nitro.actions.registry import ActionRoute

if TYPE_CHECKING:
    from nitro.actions.app import ActionApp

__all__ = ["live_list_operation", "live_operation", "openapi_document", "openapi_operation"]

REF = "#/components/schemas/{model}"
#: The security scheme guarded operations name (``Authorization: Bearer``).
BEARER = "bearerAuth"

_ERRORS = {
    "400": "Host not allowed, or JSON nested too deeply",
    "403": "Cross-origin request refused, or permission denied",
    "404": "Unknown entity id",
    "409": "Changed by someone else since it was loaded",
    "413": "Request body too large",
    "422": "Invalid or missing parameter",
}
_ERROR_BODY = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "errors": {"type": "array"}},
    "required": ["error"],
}


def _lift(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """*schema* without its ``$defs`` (moved to *components*)."""
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    return schema


def _schema_of(annotation: Any, components: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of an annotation, ``{}`` (anything) when Pydantic has none."""
    try:
        adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(annotation)
        schema = adapter.json_schema(mode="serialization", ref_template=REF)
    except Exception:  # an HTML element, a generator...: not describable
        return {}
    return _lift(schema, components)


def _return_annotation(route: ActionRoute) -> Any:
    try:
        hints = typing.get_type_hints(route.info.func)
    except Exception:
        return Any
    found = hints.get("return", Any)
    return Any if found is type(None) else found


def openapi_operation(
    route: ActionRoute, components: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The OpenAPI operation fields of *route* (see the module docs). Nested schemas
    go to *components* (a fresh dict when not given: then they are lost, so give one
    when the operation goes into a document)."""
    components = {} if components is None else components
    schema = ParameterBinder(route.info).model.model_json_schema(ref_template=REF)
    schema = _lift(schema, components)
    parameters: list[dict[str, Any]] = []
    if route.with_id:
        parameters.append(
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        )
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        parameters.append({"name": name, "in": "query", "required": False, "schema": prop})
    operation: dict[str, Any] = {"parameters": parameters}
    if route.method not in ("GET", "DELETE") and schema.get("properties"):
        body = {k: v for k, v in schema.items() if k != "title"}
        if required:
            body["required"] = sorted(required)
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": body}},
        }
    answer: dict[str, Any] = {"result": _schema_of(_return_annotation(route), components)}
    if not route.info.is_classmethod:
        answer["entity"] = {
            "anyOf": [_schema_of(route.entity, components), {"type": "null"}],
            "description": "The entity after the action (null once deleted)",
        }
    responses: dict[str, Any] = {
        "200": {
            "description": "JSON for plain clients; Server-Sent Events for Datastar",
            "content": {
                "application/json": {"schema": {"type": "object", "properties": answer}},
                "text/event-stream": {"schema": {"type": "string"}},
            },
        }
    }
    for status, description in _ERRORS.items():
        responses[status] = {
            "description": description,
            "content": {"application/json": {"schema": _ERROR_BODY}},
        }
    if route.info.guard is not None:
        responses["401"] = {
            "description": "Not logged in, or invalid credentials",
            "content": {"application/json": {"schema": _ERROR_BODY}},
        }
        operation["security"] = [{BEARER: []}]
    operation["responses"] = responses
    return operation


def live_operation() -> dict[str, Any]:
    """The OpenAPI operation fields of an entity's live stream."""
    return {
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {
                "description": "Server-Sent Events: the entity's signals on every change",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
            "404": {"description": "Unknown entity id"},
        },
    }


def live_list_operation() -> dict[str, Any]:
    """The OpenAPI operation fields of the live lists' stream."""
    return {
        "parameters": [
            {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {
                "description": "Server-Sent Events: the list's rows as element patches",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
            "400": {"description": "Missing or unknown list parameters"},
            "401": {"description": "The list needs a logged-in viewer"},
            "403": {"description": "The viewer may not see this list"},
            "404": {"description": "Unknown list name"},
        },
    }


def openapi_document(
    nitro: ActionApp, *, title: str = "Nitro actions", version: str = "0.1.0"
) -> dict[str, Any]:
    """An OpenAPI 3.1 document of every action route of *nitro* (as
    ``configure_app`` returned it)."""
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for route in nitro.routes:
        operation = openapi_operation(route, components)
        name = f"{route.entity.__name__}.{route.info.name}"
        operation = {
            "operationId": route.endpoint,
            "summary": name,
            "description": (route.info.func.__doc__ or "").strip(),
            "tags": [route.entity.__name__],
            **operation,
        }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    for entity, path in nitro.live_routes():
        paths.setdefault(path, {})["get"] = {
            "operationId": nitro.live_name(entity),
            "summary": f"Live updates of one {entity.__name__} (Server-Sent Events)",
            "tags": [entity.__name__],
            **live_operation(),
        }
    paths[nitro.live_list_path()] = {
        "get": {
            "operationId": nitro.live_list_name,
            "summary": "Live updates of a live list (Server-Sent Events)",
            "tags": ["live"],
            **live_list_operation(),
        }
    }
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": components},
    }
    document["components"]["securitySchemes"] = security_schemes()
    return document


def merge_components(document: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Add the action operations' schemas (*components*) and the bearer scheme to a
    framework's own OpenAPI *document* (FastAPI knows only its models); in place."""
    merged = document.setdefault("components", {})
    schemas = merged.setdefault("schemas", {})
    for name, schema in components.items():
        schemas.setdefault(name, schema)
    merged.setdefault("securitySchemes", {}).update(security_schemes())
    return document


def security_schemes() -> dict[str, Any]:
    """The ``securitySchemes`` guarded operations refer to."""
    return {BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
