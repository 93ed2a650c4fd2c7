"""The answers of an action request: Datastar SSE events or JSON, and the safe answers
to failures (see :class:`~nitro.actions.dispatcher.ActionDispatcher`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from pydantic_core import to_json

from nitro.actions import sse
from nitro.actions.errors import (
    ActionError,
    ActionFailed,
    AuthError,
    Conflict,
    EntityNotFound,
    InvalidParameters,
    ServiceUnavailable,
)
from nitro.actions.patch import Patch
from nitro.actions.registry import ActionRoute
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.persistence.errors import BackendUnavailable, ConcurrencyError, NotFound

__all__ = [
    "CONFLICT_SIGNAL",
    "ERRORS_SIGNAL",
    "MAPPED_ERRORS",
    "error_response",
    "events_for",
    "exception_answer",
    "failure_response",
    "sse_response",
]

logger = logging.getLogger("nitro.actions")

#: The local signal (Datastar does not send ``_``-prefixed signals back) that receives
#: parameter errors on Datastar requests: ``{"_errors": {"title": "Field required"}}``.
ERRORS_SIGNAL = "_errors"
#: The signal a Datastar page gets when a versioned entity was changed by someone else
#: while the action ran (the answer to other clients is a 409): the message to show.
CONFLICT_SIGNAL = "_conflict"


def sse_response(text: str) -> ActionResponse:
    """A complete ``text/event-stream`` answer holding *text* (whole events)."""
    return ActionResponse(200, dict(sse.SSE_HEADERS), text.encode())


def events_for(route: ActionRoute, value: Any) -> list[str]:
    """The SSE events showing what an action returned (or yielded)."""
    if value is None or isinstance(value, str | bytes):
        return []
    if isinstance(value, Patch):
        return [sse.patch_elements(value.html, selector=value.selector, mode=value.mode)]
    if hasattr(value, "__html__"):
        html = value.__html__()
        return [sse.patch_elements(html, selector=route.info.selector, mode=route.info.mode)]
    if isinstance(value, list | tuple):
        return [event for item in value for event in events_for(route, item)]
    signals = getattr(value, "signals", None)
    if isinstance(signals, dict) and hasattr(value, "model_dump"):
        return [sse.patch_signals(signals)]
    if isinstance(value, dict):
        return [sse.patch_signals(value)]
    return []


def datastar_result(
    route: ActionRoute, cleared: dict[str, str], entity_signals: Any, result: Any
) -> ActionResponse:
    """A successful Datastar answer: one signals patch (the messages of an earlier
    failure cleared, the entity's state when the page holds it), then the result."""
    signals: dict[str, Any] = {}
    if cleared:
        signals[ERRORS_SIGNAL] = dict(cleared)
    if entity_signals is not None:
        signals.update(entity_signals)
    text = sse.patch_signals(signals) if signals else ""
    if result is not None:
        text += "".join(events_for(route, result))
    return sse_response(text)


def json_result(target: Any, result: Any, alive: bool) -> ActionResponse:
    """A successful answer to a plain client: ``{"result": ..., "entity": ...}``."""
    payload: dict[str, Any] = {"result": result if result is None else _jsonable(result)}
    if target is not None:
        payload["entity"] = target if alive else None
    body = to_json(payload, fallback=str)
    return ActionResponse(200, {"Content-Type": "application/json"}, body)


def error_response(error: ActionError | AuthError) -> ActionResponse:
    response = ActionResponse.json(error.to_json(), status=error.status)
    challenge = getattr(error, "challenge", None)
    if challenge:  # a 401 names the scheme the client should use
        response.headers["WWW-Authenticate"] = challenge
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:  # a 429 says when to come back
        response.headers["Retry-After"] = str(retry_after)
    return response


def failure_response(
    route: ActionRoute, request: ActionRequest, error: Exception, parameters: Iterable[str]
) -> ActionResponse:
    """The answer for a failed request; unexpected errors are logged, never sent.

    *parameters* are the action's parameter names (whose ``_errors`` messages a
    Datastar page gets).
    """
    if isinstance(error, InvalidParameters):
        return invalid_response(request, error, parameters)
    if isinstance(error, ActionError | AuthError):
        return error_response(error)
    if isinstance(error, NotFound):
        return error_response(not_found(error))
    if isinstance(error, ConcurrencyError):
        return conflict_response(request)
    if isinstance(error, BackendUnavailable):
        logger.error("action %s: storage unavailable", route, exc_info=error)
        return error_response(ServiceUnavailable())
    logger.error("action %s failed", route, exc_info=error)
    return error_response(ActionFailed())


#: The exceptions whose answer is the same wherever they are raised: in an action, or
#: in the app's own route (``configure_app`` installs a handler for each on every
#: framework). Anything else stays the framework's (a 500 without details).
MAPPED_ERRORS: tuple[type[Exception], ...] = (
    ActionError,
    AuthError,
    NotFound,
    ConcurrencyError,
    BackendUnavailable,
)


def not_found(error: NotFound) -> EntityNotFound:
    """404 ``{"error": "Counter not found"}``, as for an unknown id in an action URL (the
    id itself is not repeated)."""
    return EntityNotFound(f"{error.entity_cls.__name__} not found")


def exception_answer(error: BaseException) -> ActionResponse | None:
    """The answer to *error* raised in a route of the app's own (a page, an API view),
    the same status and body as an action would get: ``NotFound`` 404,
    ``ConcurrencyError`` 409, ``BackendUnavailable`` 503 (logged, never detailed), any
    :class:`~nitro.actions.ActionError` or auth refusal its own; ``None`` for anything
    else (left to the framework)."""
    if isinstance(error, ActionError | AuthError):
        return error_response(error)
    if isinstance(error, NotFound):
        return error_response(not_found(error))
    if isinstance(error, ConcurrencyError):
        return error_response(Conflict())
    if isinstance(error, BackendUnavailable):
        logger.error("storage unavailable", exc_info=error)
        return error_response(ServiceUnavailable())
    return None


def conflict_response(request: ActionRequest) -> ActionResponse:
    """409 for plain clients; for Datastar (which drops the body of a non-2xx
    answer) a 200 event stream setting the ``$_conflict`` signal to the message."""
    if not request.is_datastar:
        return error_response(Conflict())
    return sse_response(sse.patch_signals({CONFLICT_SIGNAL: Conflict.detail}))


def invalid_response(
    request: ActionRequest, error: InvalidParameters, parameters: Iterable[str]
) -> ActionResponse:
    """422 for plain clients; for Datastar, the errors as the ``_errors`` signal.

    Datastar 1.0 drops the body of any answer that is not 2xx, so a page could
    never show the message: it gets a 200 event stream setting ``$_errors``.
    """
    if not request.is_datastar:
        return error_response(error)
    messages = dict.fromkeys(parameters, "")
    for item in error.errors:
        messages[str(item["parameter"]).split(".")[0]] = str(item["message"])
    return sse_response(sse.patch_signals({ERRORS_SIGNAL: messages}))


def yielded(items: Any) -> list[Any]:
    """What a generator action yielded, for a plain client (``None`` means "the entity
    as it is now", which the JSON answer carries anyway)."""
    return [item for item in items if item is not None]


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Patch):
        return value.html
    if hasattr(value, "__html__"):
        return value.__html__()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return str(value)
