"""`Page`: a whole HTML document that loads the Datastar client."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from contextvars import ContextVar, Token
from typing import Any

from rusty_tags._rusty_tags import (
    Body,
    Element,
    Fragment,
    Head,
    Html,
    Meta,
    Raw,
    Script,
    Title,
    datastar_json,
)

#: The Datastar release that `Page` loads by default.
DATASTAR_VERSION = "1.0.3"
#: The official CDN address of that release (the one the Datastar README gives).
DATASTAR_CDN_URL = (
    f"https://cdn.jsdelivr.net/gh/starfederation/datastar@v{DATASTAR_VERSION}/bundles/datastar.js"
)
#: Environment variable read on every `Page()` call: where to load Datastar from instead
#: of the CDN, e.g. ``/static/datastar.js`` when you host the file yourself.
DATASTAR_SRC_ENV = "RUSTY_TAGS_DATASTAR_SRC"

_DOCTYPE = Raw("<!doctype html>")

#: The ``id`` of the notice a page shows when the Datastar client could not be loaded.
DATASTAR_NOTICE_ID = "datastar-load-error"

# Set for one request by a framework integration (Nitro's ``configure_app(...,
# datastar_js=...)``): the address of the app's own copy of the client.
_context_src: ContextVar[str | None] = ContextVar("rusty_tags_datastar_src", default=None)


def set_datastar_src(src: str | None) -> Token[str | None]:
    """Load Datastar from `src` in the pages rendered for the rest of the current
    context (one request); ``None`` goes back to the default. Hand the returned token to
    `reset_datastar_src` when the request ends (WSGI threads keep their context)."""
    return _context_src.set(src)


def reset_datastar_src(token: Token[str | None]) -> None:
    """Undo `set_datastar_src` (in another context: back to the default)."""
    try:
        _context_src.reset(token)
    except ValueError:  # a different context (a streamed response's generator)
        _context_src.set(None)


def datastar_src(src: str | None = None) -> str:
    """Where the Datastar client is loaded from: `src` if given, else the address set
    for the current request with `set_datastar_src`, else the ``RUSTY_TAGS_DATASTAR_SRC``
    environment variable, else `DATASTAR_CDN_URL`."""
    return src or _context_src.get() or os.environ.get(DATASTAR_SRC_ENV) or DATASTAR_CDN_URL


def datastar_notice_script(src: str) -> str:
    """The ``onerror`` handler of the Datastar ``<script>``: it puts a visible
    ``role="alert"`` notice at the top of the page saying the client at `src` could not
    be loaded (unreachable CDN, 404, wrong content type), so the page does not silently
    stop updating. The message is a JSON string literal (`datastar_json`), never
    concatenated into the code, so no `src` can break out of it."""
    message = (
        f"The Datastar client could not be loaded from {src}; this page will not update. "
        "See the docs: self-hosting Datastar."
    )
    return (
        "(function(d){"
        f"if(d.getElementById({datastar_json(DATASTAR_NOTICE_ID)}))return;"
        "var n=d.createElement('div');"
        f"n.id={datastar_json(DATASTAR_NOTICE_ID)};"
        "n.setAttribute('role','alert');"
        f"n.textContent={datastar_json(message)};"
        "n.style.cssText='position:sticky;top:0;z-index:2147483647;margin:0;"
        "padding:.75em 1em;background:#b00020;color:#fff;font:16px/1.4 sans-serif';"
        "var show=function(){d.body.prepend(n)};"
        "if(d.body){show()}else{d.addEventListener('DOMContentLoaded',show)}"
        "})(document)"
    )


def DatastarScript(src: str | None = None, *, notice: bool = True) -> Element:
    """The ``<script type="module">`` tag that loads Datastar (see `datastar_src`).

    :param notice: when the file cannot be loaded, show a ``role="alert"`` notice at the
        top of the page (an ``onerror`` handler, see `datastar_notice_script`); nothing
        is shown when the client loads. ``False`` leaves the handler out (for a
        Content-Security-Policy without ``'unsafe-inline'``, which blocks it anyway).
    """
    address = datastar_src(src)
    handler = datastar_notice_script(address) if notice else None
    return Script(type="module", src=address, onerror=handler)


def Page(
    *content: Any,
    title: str = "",
    hdrs: Iterable[Any] | None = (),
    ftrs: Iterable[Any] | None = (),
    htmlkw: Mapping[str, Any] | None = None,
    bodykw: Mapping[str, Any] | None = None,
    lang: str | None = "en",
    datastar: bool = True,
    datastar_src: str | None = None,
) -> Element:
    """A complete HTML document.

    ``<!doctype html>``, ``<html lang>``, a ``<head>`` with ``<meta charset="utf-8">``, the
    viewport ``<meta>``, ``<title>``, `hdrs` and the Datastar client script, then a
    ``<body>`` with `content` followed by `ftrs`.

    :param title: text of ``<title>`` (escaped).
    :param hdrs: extra children of ``<head>`` (stylesheets, scripts, meta tags).
    :param ftrs: children appended to ``<body>`` after `content`.
    :param htmlkw: attributes of ``<html>``; :param bodykw: attributes of ``<body>``.
    :param lang: the ``lang`` attribute of ``<html>``; ``None`` leaves it out.
    :param datastar: ``False`` leaves the Datastar script out.
    :param datastar_src: load Datastar from this address instead of the CDN; without
        it, the address set for the request (`set_datastar_src`, which Nitro's
        ``configure_app(..., datastar_js=...)`` uses) or the ``RUSTY_TAGS_DATASTAR_SRC``
        environment variable is read on each call. If the client cannot be loaded, the
        page shows a ``role="alert"`` notice at its top (see `DatastarScript`).
    """
    head = Head(
        Meta(charset="utf-8"),
        Meta(name="viewport", content="width=device-width, initial-scale=1"),
        Title(title),
        *(hdrs or ()),
        DatastarScript(datastar_src) if datastar else None,
    )
    html_attrs = {"lang": lang, **(htmlkw or {})}
    body = Body(*content, *(ftrs or ()), **(bodykw or {}))
    return Fragment(_DOCTYPE, Html(head, body, **html_attrs))
