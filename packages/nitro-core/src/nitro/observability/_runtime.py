"""OpenTelemetry's context variable, read and set directly where the SDK keeps its
runtime context in one (its ``contextvars`` context, the default): a request path that
reads the current context several times saves the API's two calls each time."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from opentelemetry import context as otel_context

__all__ = ["otel_now"]

#: OpenTelemetry's context variable (behind otel_context.attach/detach), where the SDK
#: keeps it (``None`` elsewhere: the API's functions are used then).
otel_now: ContextVar[Any] | None = getattr(
    getattr(otel_context, "_RUNTIME_CONTEXT", None), "_current_context", None
)
if not isinstance(otel_now, ContextVar):
    otel_now = None
