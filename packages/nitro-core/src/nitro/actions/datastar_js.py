"""Self-hosted Datastar: the app serves the client file, and its pages load it.

Pages built with ``rusty_tags.Page`` load Datastar from the official CDN. One setting
changes that for an app: ``configure_app(app, datastar_js="static/datastar.js")``, or
the ``NITRO_DATASTAR_JS`` environment variable (read when the app is configured). The
app then serves that file at ``GET {prefix}/_nitro/datastar.js`` (``text/javascript``,
an ``ETag`` of its content, cached for a year: the address pages use carries the
content hash, ``?v=<hash>``, so a new file is a new address), and every page rendered
while the app serves a request loads Datastar from there (through
:func:`rusty_tags.set_datastar_src`). The file is read once, at configure time; a missing
or unreadable file is an :class:`~nitro.actions.ActionConfigurationError` naming it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nitro.actions.errors import ActionConfigurationError
from nitro.actions.request import ActionRequest, ActionResponse
from nitro.actions.urls import normalize_prefix
from rusty_tags import set_datastar_src

__all__ = [
    "DATASTAR_JS_ENV",
    "DATASTAR_JS_PATH",
    "ROUTE_NAME",
    "DatastarJs",
    "DatastarSrcMiddleware",
    "resolve_datastar_js",
]

#: The environment variable naming the Datastar file to serve (when ``configure_app``
#: gets no ``datastar_js=``).
DATASTAR_JS_ENV = "NITRO_DATASTAR_JS"
#: Below the app's prefix: where the file is served.
DATASTAR_JS_PATH = "/_nitro/datastar.js"
#: The endpoint name of that route on every framework.
ROUTE_NAME = "nitro_datastar_js"

_CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class DatastarJs:
    """One app's copy of the Datastar client, read at configure time."""

    file: Path
    body: bytes = field(repr=False)
    digest: str
    prefix: str = ""

    @classmethod
    def load(cls, file: str | os.PathLike[str], prefix: str = "") -> DatastarJs:
        """Read *file*.

        :raises ActionConfigurationError: it is missing, not a file, unreadable or empty.
        """
        path = Path(file).expanduser()
        try:
            body = path.read_bytes()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise ActionConfigurationError(
                f"Cannot read the Datastar client {str(path)!r} given by datastar_js= or "
                f"{DATASTAR_JS_ENV} ({reason}): point it at your copy of datastar.js"
            ) from None
        if not body.strip():
            raise ActionConfigurationError(
                f"The Datastar client {str(path)!r} given by datastar_js= or "
                f"{DATASTAR_JS_ENV} is empty"
            )
        digest = hashlib.sha256(body).hexdigest()[:16]
        return cls(path.resolve(), body, digest, normalize_prefix(prefix))

    @property
    def path(self) -> str:
        """The route: ``{prefix}/_nitro/datastar.js``."""
        return self.prefix + DATASTAR_JS_PATH

    @property
    def src(self) -> str:
        """The address pages load: the route with the content hash, ``?v=<hash>``."""
        return f"{self.path}?v={self.digest}"

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'

    def respond(self, request: ActionRequest) -> ActionResponse:
        """The file, or ``304 Not Modified`` when the browser's copy is current."""
        headers = {"ETag": self.etag, "Cache-Control": _CACHE_CONTROL}
        if self._current(request.headers.get("if-none-match", "")):
            return ActionResponse(304, headers, b"")
        headers["Content-Type"] = "text/javascript; charset=utf-8"
        headers["Content-Length"] = str(len(self.body))
        return ActionResponse(200, headers, self.body)

    def _current(self, if_none_match: str) -> bool:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return self.etag in tags or "*" in tags

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """The route as an ASGI app (FastAPI, FastHTML): no body to read, no thread."""
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope.get("headers", ())
        }
        result = self.respond(ActionRequest(method=scope.get("method", "GET"), headers=headers))
        raw = [(k.lower().encode(), v.encode()) for k, v in result.headers.items()]
        await send({"type": "http.response.start", "status": result.status, "headers": raw})
        body = b"" if scope.get("method") == "HEAD" else result.body
        await send({"type": "http.response.body", "body": body})


def resolve_datastar_js(
    datastar_js: str | os.PathLike[str] | None = None,
    prefix: str = "",
    environ: Mapping[str, str] | None = None,
) -> DatastarJs | None:
    """The argument, else ``NITRO_DATASTAR_JS``, read now; ``None`` when neither is set
    (pages load the CDN).

    :raises ActionConfigurationError: the file cannot be read.
    """
    if datastar_js is None:
        datastar_js = (os.environ if environ is None else environ).get(DATASTAR_JS_ENV, "")
        datastar_js = datastar_js.strip()
    if not str(datastar_js):
        return None
    return DatastarJs.load(datastar_js, prefix)


class DatastarSrcMiddleware:
    """ASGI middleware: pages rendered during a request load the app's own Datastar."""

    def __init__(self, app: Any, src: str):
        self.app = app
        self.src = src

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            set_datastar_src(self.src)  # each ASGI request runs in a context of its own
        await self.app(scope, receive, send)
