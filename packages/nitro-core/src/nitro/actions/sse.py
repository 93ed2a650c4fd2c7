"""Datastar 1.0 Server-Sent Events, formatted without any web framework.

Two event types are used: ``datastar-patch-signals`` (merge a JSON object into the
page's signals) and ``datastar-patch-elements`` (morph HTML into the DOM at a selector,
or by the elements' ids). Every adapter sends these bytes as ``text/event-stream``.
"""

from __future__ import annotations

from typing import Any

from nitro.signals import json_safe
from rusty_tags import datastar_json

__all__ = ["SSE_HEADERS", "keepalive", "patch_elements", "patch_signals"]

#: The headers of a Datastar SSE answer: no caching and no proxy buffering, so each event reaches
#: the browser at once.
SSE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Type": "text/event-stream",
    "X-Accel-Buffering": "no",
}


def patch_signals(signals: dict[str, Any], *, only_if_missing: bool = False) -> str:
    """A ``datastar-patch-signals`` event.

    Datastar parses the payload with ``JSON.parse`` and, when that fails, evaluates it as
    JavaScript; it always gets strict JSON here (NaN as ``null``), written by the one
    Datastar-safe encoder (:func:`rusty_tags.datastar_json`).
    """
    try:
        text = datastar_json(signals)  # entity signals are JSON-safe already
    except (TypeError, ValueError):  # datetimes, decimals, NaN...: convert, then encode
        text = datastar_json(json_safe(signals))
    if only_if_missing:
        return f"event: datastar-patch-signals\ndata: onlyIfMissing true\ndata: signals {text}\n\n"
    return f"event: datastar-patch-signals\ndata: signals {text}\n\n"


def patch_elements(html: str, *, selector: str | None = None, mode: str = "outer") -> str:
    """One ``datastar-patch-elements`` SSE event for *html* (its *selector* and *mode* when not
    the defaults)."""
    lines = ["event: datastar-patch-elements"]
    if selector:
        lines.append(f"data: selector {selector}")
    if mode != "outer":
        lines.append(f"data: mode {mode}")
    lines.extend(f"data: elements {line}" for line in html.splitlines() or [""])
    return "\n".join(lines) + "\n\n"


def keepalive() -> str:
    """A comment line: keeps proxies from closing an idle stream."""
    return ": keepalive\n\n"
