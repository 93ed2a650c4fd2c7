"""`Page`: a whole HTML document that loads the Datastar client."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
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


def datastar_src(src: str | None = None) -> str:
    """Where the Datastar client is loaded from: `src` if given, else the
    ``RUSTY_TAGS_DATASTAR_SRC`` environment variable, else `DATASTAR_CDN_URL`."""
    return src or os.environ.get(DATASTAR_SRC_ENV) or DATASTAR_CDN_URL


def DatastarScript(src: str | None = None) -> Element:
    """The ``<script type="module">`` tag that loads Datastar (see `datastar_src`)."""
    return Script(type="module", src=datastar_src(src))


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
        it, the ``RUSTY_TAGS_DATASTAR_SRC`` environment variable is read on each call.
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
