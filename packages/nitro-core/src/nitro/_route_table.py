"""``nitro routes``: every route of an app, on any of the three frameworks.

Nitro's own routes come from the :class:`~nitro.actions.app.ActionApp` that
``configure_app`` keeps on the app (``app.state.nitro`` on FastAPI and FastHTML,
``app.extensions["nitro"]`` on Flask), with who may call each action; the others (the
admin, health checks, the app's own pages) from the framework's route table, read by
duck typing: nitro-core imports no framework.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

__all__ = ["load_app", "route_table"]

HEADER = ("METHOD", "PATH", "SERVES", "WHO MAY CALL")


def load_app(spec: str) -> Any:
    """The object *spec* (``module:attribute``) names, importing from the current
    directory as a server would."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{spec!r} is not module:attribute (e.g. app:app)")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    app = module
    for part in attribute.split("."):
        app = getattr(app, part)
    return app


def _nitro_of(app: Any) -> Any:
    state = getattr(app, "state", None)
    found = getattr(state, "nitro", None) if state is not None else None
    if found is None:
        found = getattr(app, "extensions", {}).get("nitro")
    return found


def _who(guard: Any) -> str:
    if guard is None:
        return "anyone"
    parts = []
    if guard.permission:
        parts.append(f"permission {guard.permission}")
    if guard.allow is not None:
        parts.append(f"allow={getattr(guard.allow, '__name__', 'rule')}")
    return ", ".join(parts) or "logged in"


def _framework_routes(app: Any) -> list[tuple[str, str, str]]:
    """``(methods, path, name)`` of the framework's routes."""
    rows = []
    url_map = getattr(app, "url_map", None)
    if url_map is not None:  # Flask
        for rule in url_map.iter_rules():
            methods = sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"})
            rows.append((",".join(methods), str(rule.rule), str(rule.endpoint)))
        return rows
    for route in getattr(app, "routes", []) or []:  # Starlette: FastAPI, FastHTML
        path = getattr(route, "path", None)
        if path is None:
            continue
        methods = sorted(set(getattr(route, "methods", None) or ()) - {"HEAD", "OPTIONS"})
        rows.append((",".join(methods) or "*", str(path), str(getattr(route, "name", ""))))
    return rows


def route_table(app: Any) -> list[tuple[str, str, str, str]]:
    """The rows ``nitro routes`` prints, header first: Nitro's routes, then the rest."""
    rows: list[tuple[str, str, str, str]] = [HEADER]
    nitro = _nitro_of(app)
    ours: set[tuple[str, str]] = set()
    if nitro is not None:
        for route in nitro.routes:
            target = f"{route.entity.__name__}.{route.info.name}"
            rows.append((route.method, route.path, target, _who(route.info.guard)))
            ours.add((route.method, route.path))
        for entity, path in nitro.live_routes():
            rows.append(("GET", path, f"live stream of {entity.__name__}", "anyone"))
            ours.add(("GET", path))
    for methods, path, name in _framework_routes(app):
        if any((method, path) in ours for method in methods.split(",")):
            continue
        rows.append((methods, path, name, ""))
    return rows
