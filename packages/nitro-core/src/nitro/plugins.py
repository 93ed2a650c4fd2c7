"""Plugins: installed distributions that extend every Nitro app without code changes.

A plugin is an object named by an entry point in the ``nitro.plugins`` group:

.. code-block:: toml

    [project.entry-points."nitro.plugins"]
    hello = "nitro_hello:plugin"

Every hook is optional; Nitro calls those the object has:

========================== =====================================================
``setup()``                once, when the plugins load: connect entity lifecycle
                           receivers (``nitro.events.post_save``...), register
                           entity classes, read settings
``web_routes()``           framework-neutral routes (:class:`nitro.web.WebRoute`)
                           served by every ``configure_app`` on any framework
``app_configured(nitro,    after ``configure_app``: the :class:`ActionApp` and the
app)``                     framework's app object (add middleware there)
``cli(group)``             add ``nitro <command>`` commands to the root
                           :class:`click.Group` (``group.add_command(...)``)
``admin_mounted(admin)``   when a nitro-admin site is mounted: register entities,
                           add views
``before_action(route,     around every action request, on every framework
request)``, ``after_action (:mod:`nitro.actions.middleware`): observe, refuse,
(route, request,           add headers
response)``
========================== =====================================================

``NITRO_PLUGINS`` chooses: unset loads every installed plugin; ``""`` or ``off``
loads none; ``a,b`` loads only those names. A plugin that fails to load is an error
naming it (an app silently missing its auth plugin would be worse). See
``docs/plugins.md``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

__all__ = [
    "ENTRY_POINT_GROUP",
    "PluginError",
    "call",
    "loaded",
    "reset",
    "with_hooks",
    "with_routes",
]

#: The entry point group a distribution registers its Nitro plugin under.
ENTRY_POINT_GROUP = "nitro.plugins"
logger = logging.getLogger("nitro.plugins")


class PluginError(RuntimeError):
    """A plugin could not be loaded or set up."""


_lock = threading.Lock()
_loaded: dict[str, Any] | None = None


def _wanted() -> set[str] | None:
    setting = os.environ.get("NITRO_PLUGINS")
    if setting is None:
        return None
    if setting.strip().lower() in ("", "off", "none", "0"):
        return set()
    return {name.strip() for name in setting.split(",") if name.strip()}


def loaded() -> dict[str, Any]:
    """``{name: plugin}`` of the plugins in use, loaded and set up on first call."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None:
            found: dict[str, Any] = {}
            wanted = _wanted()
            for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
                if wanted is not None and ep.name not in wanted:
                    continue
                try:
                    plugin = ep.load()
                    setup = getattr(plugin, "setup", None)
                    if callable(setup):
                        setup()
                except Exception as exc:
                    raise PluginError(
                        f"Nitro plugin {ep.name!r} ({ep.value}) failed to load: {exc}; "
                        f"uninstall it or leave it out with NITRO_PLUGINS"
                    ) from exc
                found[ep.name] = plugin
                logger.info("plugin %s loaded from %s", ep.name, ep.value)
            _loaded = found
    return _loaded


def call(hook: str, *args: Any) -> None:
    """Call *hook* on every loaded plugin that has it."""
    for plugin in loaded().values():
        method: Callable[..., Any] | None = getattr(plugin, hook, None)
        if callable(method):
            method(*args)


def with_hooks(*hooks: str) -> list[Any]:
    """The loaded plugins that have any of *hooks*, in name order."""
    return [p for p in loaded().values() if any(callable(getattr(p, h, None)) for h in hooks)]


def with_routes() -> list[Any]:
    """The loaded plugins that serve web routes (each is a ``Mountable``)."""
    return with_hooks("web_routes")


def reset() -> None:
    """Forget the loaded plugins (tests; the next call loads them again)."""
    global _loaded
    with _lock:
        _loaded = None
