"""OpenTelemetry's context variable, read and set directly where the SDK keeps its
runtime context in one (its ``contextvars`` context, the default): a request path that
reads the current context several times saves the API's two calls each time."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY

__all__ = ["current", "otel_now", "suppressed"]

#: OpenTelemetry's context variable (behind otel_context.attach/detach), where the SDK
#: keeps it (``None`` elsewhere: the API's functions are used then).
otel_now: ContextVar[Any] | None = getattr(
    getattr(otel_context, "_RUNTIME_CONTEXT", None), "_current_context", None
)
if not isinstance(otel_now, ContextVar):
    otel_now = None


def current() -> Any:
    """OpenTelemetry's current context, read from its variable where the SDK keeps it."""
    return otel_context.get_current() if otel_now is None else otel_now.get()


def suppressed() -> bool:
    """Whether instrumentation is suppressed here: OpenTelemetry's own mark, which the
    libraries' instrumentation obeys, and which Nitro sets in a trace it does not
    sample (``tracing``)."""
    now = current()
    return bool(now) and bool(now.get(_SUPPRESS_INSTRUMENTATION_KEY))
