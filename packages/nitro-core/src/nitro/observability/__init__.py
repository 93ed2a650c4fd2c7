"""Observability: structured logs with request ids, Prometheus metrics, OpenTelemetry
traces, health checks and ``Server-Timing``. Off by default, at no cost; on with one
line::

    import nitro.observability

    nitro.observability.enable(logs="json", metrics=True, traces=0.1)

or with no code at all: ``NITRO_OBSERVABILITY=logs,metrics,traces`` (the
``observability`` plugin, :mod:`nitro.observability.plugin`). See
``docs/observability.md``.

The exporters are extras: ``nitro-core[metrics]`` (prometheus-client) and
``nitro-core[otel]`` (the OpenTelemetry SDK, its OTLP exporter, and SQLAlchemy's and
redis-py's instrumentation). Health checks are :mod:`nitro.health`.
"""

from nitro.observability.context import current_request_id as current_request_id
from nitro.observability.logs import ConsoleFormatter as ConsoleFormatter
from nitro.observability.logs import JSONFormatter as JSONFormatter
from nitro.observability.logs import LogfmtFormatter as LogfmtFormatter
from nitro.observability.logs import RequestContext as RequestContext
from nitro.observability.logs import configure_logging as configure_logging
from nitro.observability.setup import Observability as Observability
from nitro.observability.setup import active as active
from nitro.observability.setup import disable as disable
from nitro.observability.setup import enable as enable

__all__ = [
    "ConsoleFormatter",
    "JSONFormatter",
    "LogfmtFormatter",
    "Observability",
    "RequestContext",
    "active",
    "configure_logging",
    "current_request_id",
    "disable",
    "enable",
]
