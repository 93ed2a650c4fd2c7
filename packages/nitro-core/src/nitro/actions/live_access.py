"""Who may open a live stream, decided before it opens.

A stream URL is not a secret: anyone can type ``/_live/order/<id>``. So a stream
carries only what its caller may see:

* An entity's stream checks the entity's ``live_access`` guard, when it declares one
  (``live_access: ClassVar[Guard] = Guard(permission="order.view", allow=own_orders)``):
  the same rules as ``@action(permission=..., allow=...)``, on the entity shown.
* A live list checks its ``permission`` and filters its rows by its ``rule`` (see
  :class:`~nitro.actions.live_list.LiveList`).

Refusals are 401 (nobody logged in; with the ``WWW-Authenticate`` challenge of a token
app) and 403, as for actions.
"""

from __future__ import annotations

from typing import Any

from nitro.actions._answers import error_response
from nitro.actions.errors import BadRequest, EntityNotFound
from nitro.actions.list_stream import ListView
from nitro.actions.live_list import find_live_list
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.actions.topics import LiveTopic
from nitro.auth.errors import AuthError

__all__ = ["check_entity_access", "open_list_view"]

#: Datastar adds its signals to the query of every GET it sends (``?datastar={...}``).
_DATASTAR_QUERY = "datastar"


def open_list_view(
    dispatcher: Any, name: str, request: ActionRequest
) -> ListView | LiveTopic | ActionResponse:
    """The view of live list *name* for *request* (or the :class:`LiveTopic` of that
    name), or the refusal (404, 400, 401, 403)."""
    live_list = find_live_list(name)
    if live_list is None:
        return error_response(EntityNotFound("No such live list"))
    if isinstance(live_list, LiveTopic):
        try:
            live_list.viewer_spec(_caller(dispatcher, request) if live_list.protected else None)
        except AuthError as error:
            return error_response(_challenged(dispatcher, error))
        return live_list
    params = {k: v for k, v in request.query.items() if k != _DATASTAR_QUERY}
    try:
        values = live_list.check_params(params)
    except ValueError as error:
        return error_response(BadRequest(str(error)))
    try:
        viewer = (
            live_list.viewer_spec(_caller(dispatcher, request)) if live_list.protected else None
        )
    except AuthError as error:
        return error_response(_challenged(dispatcher, error))
    return ListView(live_list, values, viewer)


def check_entity_access(
    dispatcher: Any, entity: Any, request: ActionRequest
) -> ActionResponse | None:
    """``None`` when the caller may watch *entity*, else the refusal (401/403)."""
    guard = getattr(type(entity), "live_access", None)
    if guard is None:
        return None
    try:
        user = _caller(dispatcher, request)
        guard.check_caller(user, challenge=_challenge(dispatcher))
        guard.check_entity(user, entity)
    except AuthError as error:
        return error_response(_challenged(dispatcher, error))
    return None


def _caller(dispatcher: Any, request: ActionRequest) -> Any:
    return dispatcher.identify(request)


def _challenge(dispatcher: Any) -> str | None:
    return dispatcher.auth.challenge if dispatcher.auth is not None else None


def _challenged(dispatcher: Any, error: AuthError) -> AuthError:
    if error.status == 401 and error.challenge is None:
        error.challenge = _challenge(dispatcher)
    return error
