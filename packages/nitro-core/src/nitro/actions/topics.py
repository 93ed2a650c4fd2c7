"""Custom topics: an app's own events, pushed to the pages that follow them.

Not every update is a stored entity: an announcement, a progress bar, a counter of
people online. Declare a topic at module level, put its opener on the page, and
publish signals or elements to it from anywhere in the process::

    news = LiveTopic("news")

    Div(P(id="banner"), data_init=news.opener())  # in the page

    news.publish_elements(P("Back at 6pm", id="banner"))  # anywhere
    news.publish_signals({"online": 42})

The page's stream is ``GET {prefix}/_live/_list/{name}`` (the route of live lists:
topics and lists share one namespace of names). ``permission=`` makes a topic
private (401/403 as for actions). A message goes through every broadcaster of the
apps in this process (and from there to other instances with nitro-redis); a process
without an app passes ``broadcaster=``. Nothing is replayed: a page that connects
gets the messages published from then on.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

from nitro.actions import sse
from nitro.actions.live_list import claim_name
from nitro.actions.registry import LIVE_SEGMENT
from nitro.actions.urls import current_prefix
from nitro.broadcast import CLOSED
from nitro.signals import json_safe
from rusty_tags import js_string

__all__ = ["LiveTopic", "atopic_events", "topic_event", "topic_events"]

_MODES = frozenset({"outer", "inner", "replace", "prepend", "append", "before", "after", "remove"})
_LINE_BREAK = re.compile(r"[\r\n]")

#: The broadcasters of this process's apps (each ActionApp adds its own).
broadcasters: weakref.WeakSet[Any] = weakref.WeakSet()


class LiveTopic:
    """A named stream of an app's own events (see the module docs)."""

    def __init__(self, name: str, *, permission: str | None = None) -> None:
        self.name = name
        self.permission = permission
        self.protected = permission is not None
        self.topic = f"topic/{name}"  # never an entity's topic (no class name has "/")
        claim_name(name, self)

    def opener(self) -> str:
        """The Datastar expression that opens this topic's stream (for ``data-init``)."""
        path = f"{current_prefix()}/{LIVE_SEGMENT}/_list/{self.name}"
        return f"@get({js_string(path)}, {{openWhenHidden: true}})"

    def publish_signals(self, signals: dict[str, Any], *, broadcaster: Any = None) -> None:
        self._publish({"signals": json_safe(signals)}, broadcaster)

    def publish_elements(
        self,
        element: Any,
        *,
        selector: str | None = None,
        mode: str = "outer",
        broadcaster: Any = None,
    ) -> None:
        """Patch *element* (anything with ``__html__``, escaped as any rusty_tags
        output) into the pages; without *selector*, by its id."""
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(sorted(_MODES))}, not {mode!r}")
        if selector is not None and _LINE_BREAK.search(selector):
            raise ValueError("a selector cannot contain a line break")
        html = "" if element is None else str(element.__html__())
        self._publish({"elements": html, "selector": selector, "mode": mode}, broadcaster)

    def _publish(self, message: dict[str, Any], broadcaster: Any) -> None:
        targets = [broadcaster] if broadcaster is not None else list(broadcasters)
        for target in targets:
            target.publish(self.topic, message)

    def viewer_spec(self, user: Any) -> None:
        """Raise ``NotAuthenticated``/``PermissionDenied`` for a refused viewer."""
        if not self.protected:
            return
        from nitro.auth.errors import NotAuthenticated, PermissionDenied

        if user is None or not user.is_authenticated:
            raise NotAuthenticated()
        if not user.has_perm(self.permission):
            raise PermissionDenied()

    def __repr__(self) -> str:
        return f"LiveTopic({self.name!r})"


def topic_event(message: Any) -> str | None:
    """The SSE event of one published topic message (``None`` for anything else)."""
    if not isinstance(message, dict):
        return None
    if "signals" in message and isinstance(message["signals"], dict):
        return sse.patch_signals(message["signals"])
    if "elements" in message:
        selector, mode = message.get("selector"), message.get("mode", "outer")
        if mode not in _MODES or (selector is not None and _LINE_BREAK.search(str(selector))):
            return None  # not one LiveTopic wrote (it came through a shared channel)
        return sse.patch_elements(str(message["elements"]), selector=selector, mode=mode)
    return None


def topic_events(
    broadcaster: Any, topic: LiveTopic, keepalive: float, streams: Any = None
) -> Iterator[str]:
    """Events of *topic* for a sync server, until shutdown or disconnection."""
    with broadcaster.subscribe(topic.topic) as subscription, _tracked(streams, subscription):
        yield sse.keepalive()  # headers and a first byte, at once
        while True:
            message = subscription.get(timeout=keepalive)
            if message is CLOSED:
                return
            event = sse.keepalive() if message is None else topic_event(message)
            if event is not None:
                yield event


async def atopic_events(
    broadcaster: Any, topic: LiveTopic, keepalive: float, streams: Any = None
) -> AsyncIterator[str]:
    """Events of *topic* for an async server, until shutdown or disconnection."""
    async with broadcaster.asubscribe(topic.topic) as subscription:
        with _tracked(streams, subscription):
            yield sse.keepalive()
            while True:
                message = await subscription.aget(timeout=keepalive)
                if message is CLOSED:
                    return
                event = sse.keepalive() if message is None else topic_event(message)
                if event is not None:
                    yield event


def _tracked(streams: Any, subscription: Any) -> Any:
    return streams.track(subscription) if streams is not None else contextlib.nullcontext()
