"""What a page writes to use the WebSocket transport: no JavaScript of its own.

::

    Page(
        H1(post.title),
        ws_list_element(thread, post=post.id),  # the rows, kept live
        Form(..., data_on_submit=ws_action(Post.comment.of(post))),
        hdrs=[ws_script()],  # the glue, once per page
    )

:func:`ws_script` loads the glue (``{prefix}/_ws.js``, served by ``configure_app(...,
websockets=True)``), which opens ``{prefix}/_ws`` on first use, reconnects with backoff
and re-subscribes (each stream starts with the whole state, so the page is re-synced),
and hands every event to Datastar as if it came over SSE. The expression helpers
quote every string with :func:`rusty_tags.js_string`, so no id or parameter can break
out of the attribute's expression.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from nitro.actions.expressions import ActionRef
from nitro.actions.urls import current_prefix
from rusty_tags import Div, Script, js_string

__all__ = [
    "SCRIPT_PATH",
    "script_text",
    "ws_action",
    "ws_list",
    "ws_list_element",
    "ws_live",
    "ws_path",
    "ws_request",
    "ws_script",
    "ws_subscribe",
]

#: Below the app's prefix: the socket and its browser glue.
SOCKET_PATH = "/_ws"
#: The path (under the app's prefix) that serves the page's WebSocket glue script.
SCRIPT_PATH = "/_ws.js"

#: The glue's global object, as the expressions call it.
_GLUE = "window.nitroWs"


def ws_path(prefix: str | None = None) -> str:
    """The socket's path: ``{prefix}/_ws`` (the current request's prefix by default)."""
    return f"{current_prefix() if prefix is None else prefix}{SOCKET_PATH}"


@functools.cache
def script_text() -> str:
    """The browser glue (``nitro/static/nitro-ws.js``)."""
    return (resources.files("nitro") / "static" / "nitro-ws.js").read_text(encoding="utf-8")


def ws_script(*, inline: bool = False) -> Any:
    """The ``<script>`` loading the glue; put it in the page's ``<head>`` (``hdrs=``).

    A classic script, so it runs before Datastar (a module, deferred) applies the
    page's attributes. ``inline=True`` embeds the code (one request less; not for a
    Content-Security-Policy without ``'unsafe-inline'``).
    """
    socket = ws_path()
    if inline:
        return Script(script_text(), data_nitro_ws=socket)
    return Script(src=f"{current_prefix()}{SCRIPT_PATH}", data_nitro_ws=socket)


def ws_subscribe(path: str) -> str:
    """The expression (for ``data-init``) subscribing the page to the live stream at
    *path*, as ``@get(path)`` would open it over SSE."""
    return f"{_GLUE}.subscribe({js_string(path)}, el)"


def ws_live(entity: Any, *, elements: bool = False) -> str:
    """:func:`nitro.actions.live` over the socket: the live stream of *entity*."""
    from nitro.actions.live import live_path

    return ws_subscribe(live_path(entity, elements=elements))


def ws_list(live_list: Any, **params: Any) -> str:
    """The expression subscribing to *live_list*'s stream for *params*."""
    return ws_subscribe(live_list.url(**params))


def ws_list_element(live_list: Any, *, user: Any = None, **params: Any) -> Any:
    """:meth:`LiveList.element <nitro.actions.LiveList.element>` over the socket: the
    container with the rows stored now, inside an element subscribing to its stream
    (the stream patches the container by id; the subscriber stays)."""
    values = live_list.check_params(params)
    shown = not live_list.protected or user is not None  # else the stream fills it
    rows = live_list.rows(values, live_list.viewer_spec(user)) if shown else []
    container = live_list.wrap(values, rows, opener=False)
    return Div(container, data_init=ws_list(live_list, **values), style="display: contents")


def ws_action(ref: ActionRef, *args: Any, **kwargs: Any) -> str:
    """The expression (for ``data-on:click``, ``data-on:submit``) sending an action
    over the socket, with the page's signals as ``@post`` would send them.

    ``ws_action(Post.comment.of(post))``, ``ws_action(Counter.add, 5)``: the arguments
    are those of calling the action (literals and signal references).
    """
    expression = ref(*args, **kwargs)  # "@post(<url expression>)"
    head = f"@{ref.info.method.lower()}("
    if not (expression.startswith(head) and expression.endswith(")")):
        raise ValueError(f"unexpected action expression {expression!r}")
    url = expression[len(head) : -1]
    return f"{_GLUE}.action(el, {js_string(ref.info.method.upper())}, {url}, $)"


def ws_request(method: str, path: str) -> str:
    """The expression sending ``method path`` over the socket (a path built by hand)."""
    return f"{_GLUE}.action(el, {js_string(method.upper())}, {js_string(path)}, $)"
