"""``nitro shell``: a Python prompt with the app's entity classes at hand.

``nitro shell app:app`` imports the module as a server would, and the prompt starts with
the app, every entity class the module defines or imports (``Order.all()`` works at
once), and ``nitro``. IPython is used when it is installed, else the standard prompt.
"""

from __future__ import annotations

import code
from typing import Any

from nitro._route_table import load_app

__all__ = ["shell_namespace", "start_shell"]


def _is_entity(value: Any) -> bool:
    return (
        isinstance(value, type)
        and callable(getattr(value, "repository", None))
        and (callable(getattr(value, "get", None)))
    )


def shell_namespace(spec: str) -> dict[str, Any]:
    """What the prompt starts with for *spec* (``module`` or ``module:attribute``)."""
    import importlib

    import nitro

    module_name, _, attribute = spec.partition(":")
    namespace: dict[str, Any] = {"nitro": nitro}
    if attribute:
        namespace[attribute.split(".")[-1]] = load_app(spec)
    module = importlib.import_module(module_name)
    for name, value in vars(module).items():
        if not name.startswith("_") and _is_entity(value):
            namespace[name] = value
    return namespace


def start_shell(spec: str) -> None:
    namespace = shell_namespace(spec)
    names = ", ".join(sorted(namespace))
    banner = f"Nitro shell for {spec}: {names}"
    try:
        from IPython import start_ipython  # type: ignore[import-not-found]
    except ImportError:
        code.interact(banner=banner, local=namespace, exitmsg="")
        return
    print(banner)
    start_ipython(argv=[], user_ns=namespace)
