"""Route paths for actions, and the per-request URL prefix.

An action of entity ``Counter`` named ``increment`` is served at
``{prefix}/counter/increment`` (the instance comes from the ``Counter`` signals) and,
for instance actions, also at ``{prefix}/counter/{id}/increment``. The prefix is set
per app by ``configure_app(app, prefix=...)``; expressions rendered while that app
serves a request pick it up from a context variable, so two apps with different
prefixes in one process do not interfere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar, Token

__all__ = [
    "action_path",
    "current_prefix",
    "entity_segment",
    "normalize_prefix",
    "reset_prefix",
    "set_prefix",
    "url_prefix",
]

_prefix: ContextVar[str] = ContextVar("nitro_url_prefix", default="")


def normalize_prefix(prefix: str) -> str:
    """``"api/"`` -> ``"/api"``; ``""`` and ``"/"`` -> ``""``."""
    stripped = prefix.strip().strip("/")
    return f"/{stripped}" if stripped else ""


def current_prefix() -> str:
    """The URL prefix action expressions are rendered under (set by ``url_prefix``)."""
    return _prefix.get()


@contextlib.contextmanager
def url_prefix(prefix: str) -> Iterator[None]:
    """Render action expressions for an app mounted under ``prefix``."""
    token = _prefix.set(normalize_prefix(prefix))
    try:
        yield
    finally:
        _prefix.reset(token)


def set_prefix(prefix: str) -> Token[str]:
    """Set the prefix for the rest of the current context (one request).

    ASGI servers run each request in a context of its own; a WSGI thread keeps its
    context from one request to the next, so WSGI callers hand the returned token to
    :func:`reset_prefix` when the request ends.
    """
    return _prefix.set(normalize_prefix(prefix))


def reset_prefix(token: Token[str]) -> None:
    """Undo :func:`set_prefix` (in the context that set it, else back to no prefix)."""
    try:
        _prefix.reset(token)
    except ValueError:  # a different context (a streamed response's generator)
        _prefix.set("")


def entity_segment(entity: type) -> str:
    """The URL segment of an entity class: its name in lower case."""
    return entity.__name__.lower()


def action_path(
    entity: type, action_segment: str, *, with_id: bool = False, prefix: str = ""
) -> str:
    """The route pattern; ``with_id`` adds the ``{id}`` placeholder segment."""
    middle = "/{id}" if with_id else ""
    return f"{normalize_prefix(prefix)}/{entity_segment(entity)}{middle}/{action_segment}"
