"""OpenAPI metadata of an action route, for frameworks that publish a schema.

Framework-neutral: the declared parameters (from the action's Pydantic binder), where
they may come from (path, query string, JSON body) and the answers every adapter gives.
nitro-fastapi passes it as ``openapi_extra``.
"""

from __future__ import annotations

from typing import Any

from nitro.actions.binding import ParameterBinder
from nitro.actions.registry import ActionRoute

__all__ = ["openapi_operation"]


def openapi_operation(route: ActionRoute) -> dict[str, Any]:
    """Document the declared parameters: in the query string or in a JSON body."""
    schema = ParameterBinder(route.info).model.model_json_schema()
    parameters: list[dict[str, Any]] = []
    if route.with_id:
        parameters.append(
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        )
    for name, prop in schema.get("properties", {}).items():
        parameters.append({"name": name, "in": "query", "required": False, "schema": prop})
    extra: dict[str, Any] = {"parameters": parameters}
    if route.method not in ("GET", "DELETE") and schema.get("properties"):
        extra["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": schema}},
        }
    extra["responses"] = {
        "200": {
            "description": "JSON for plain clients; Server-Sent Events for Datastar",
            "content": {"application/json": {}, "text/event-stream": {}},
        },
        "404": {"description": "Unknown entity id"},
        "422": {"description": "Invalid or missing parameter"},
        "403": {"description": "Cross-origin request refused"},
        "400": {"description": "Host not allowed, or JSON nested too deeply"},
        "413": {"description": "Request body too large"},
    }
    return extra
