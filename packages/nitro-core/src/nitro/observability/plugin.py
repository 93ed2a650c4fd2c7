"""Observability as a plugin: on from the environment, no code change.

``nitro-core`` installs it under the ``observability`` entry point of
``nitro.plugins``. It does nothing unless ``NITRO_OBSERVABILITY`` names what to turn on
(or :func:`nitro.observability.enable` was called):

==================================== ===============================================
``NITRO_OBSERVABILITY``              ``logs,metrics,traces,timing`` (any of them), or
                                     ``all``
``NITRO_LOG_FORMAT``                 ``json`` (default), ``logfmt`` or ``console``
``NITRO_LOG_LEVEL``                  ``INFO`` (default)
``NITRO_ACCESS_LOG``                 ``on``: a ``nitro.access`` line per request
``NITRO_METRICS_PATH``               where the metrics are served (``/metrics``)
``NITRO_METRICS_TOKEN``              the bearer token a scrape must send
``NITRO_TRACES_SAMPLE``              the ratio of traces sampled (``1.0``)
``NITRO_TRACES_LIBRARIES``           the libraries whose own instrumentation adds
                                     spans: ``sqlalchemy,redis`` (default: both where
                                     installed), or ``none``
``OTEL_EXPORTER_OTLP_ENDPOINT``      where traces go (OTLP/HTTP), and the other
                                     ``OTEL_*`` settings of the OpenTelemetry SDK
==================================== ===============================================

Off, it has no hooks: the dispatcher runs no middleware for it, and no probe listens.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from nitro.observability.setup import TRACE_LIBRARIES, active, enable, unknown_libraries

__all__ = ["ObservabilityPlugin", "plugin", "settings_from_environment"]

_PARTS = {"logs", "metrics", "traces", "timing"}
_HOOKS = ("before_action", "after_action", "web_routes")


def settings_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The :func:`enable` arguments ``NITRO_OBSERVABILITY`` and its companions describe,
    ``None`` when it is unset or off."""
    env = os.environ if environ is None else environ
    wanted = {p.strip().lower() for p in env.get("NITRO_OBSERVABILITY", "").split(",")}
    wanted.discard("")
    if not wanted or wanted & {"off", "none", "0"}:
        return None
    if wanted & {"all", "on", "1"}:
        wanted = set(_PARTS)
    unknown = wanted - _PARTS
    if unknown:
        raise ValueError(
            f"NITRO_OBSERVABILITY: unknown {sorted(unknown)}; use any of {sorted(_PARTS)} or all"
        )
    settings: dict[str, Any] = {}
    if "logs" in wanted:
        settings["logs"] = env.get("NITRO_LOG_FORMAT", "json")
        settings["log_level"] = env.get("NITRO_LOG_LEVEL", "INFO")
        settings["access_log"] = env.get("NITRO_ACCESS_LOG", "off").lower() in ("on", "1")
    if "metrics" in wanted:
        settings["metrics"] = True
        settings["metrics_path"] = env.get("NITRO_METRICS_PATH", "/metrics")
        settings["metrics_token"] = env.get("NITRO_METRICS_TOKEN") or None
    if "traces" in wanted:
        settings["traces"] = float(env.get("NITRO_TRACES_SAMPLE", "1.0"))
        libraries = env.get("NITRO_TRACES_LIBRARIES")
        if libraries is not None:
            names = [n.strip().lower() for n in libraries.split(",") if n.strip()]
            if names in ([], ["none"]):
                names = []
            elif strange := unknown_libraries(names):
                raise ValueError(
                    f"NITRO_TRACES_LIBRARIES: unknown {strange}; use any of "
                    f"{list(TRACE_LIBRARIES)}, or none"
                )
            settings["trace_libraries"] = names
    if "timing" in wanted:
        settings["server_timing"] = True
    return settings


class ObservabilityPlugin:
    """The ``observability`` plugin (see the module docs). Its hooks exist only while
    observability is on, so an app configured while it is off pays nothing."""

    def setup(self) -> None:
        settings = settings_from_environment()
        if settings is not None and active() is None:
            enable(**settings)

    def __getattr__(self, name: str) -> Any:
        on = active()
        if name in _HOOKS and on is not None:
            return getattr(on, name)
        raise AttributeError(name)


#: The ``observability`` plugin, registered under the ``nitro.plugins`` entry point.
plugin = ObservabilityPlugin()
