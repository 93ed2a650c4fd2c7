"""Framework-neutral routes, for packages that serve pages on any framework.

nitro-admin (and any extension) describes its pages as :class:`WebRoute` objects whose
handlers take a :class:`~nitro.actions.ActionRequest` and return an
:class:`~nitro.actions.ActionResponse`; each adapter's ``mount(app, mountable)`` turns
them into that framework's routes. This keeps extensions free of framework imports and
of each other, which is what lets one admin run on FastAPI, Flask and FastHTML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qs

from nitro.actions.request import ActionRequest, ActionResponse

__all__ = [
    "Mountable",
    "WebRequest",
    "WebResponse",
    "WebRoute",
    "form_fields",
    "html",
    "redirect",
]

#: The framework-free request the adapters hand to web routes (the actions' request type).
WebRequest = ActionRequest
#: The framework-free response web routes return (the actions' response type).
WebResponse = ActionResponse

#: A handler runs synchronously; async servers call it in a worker thread.
Handler = Callable[[ActionRequest], ActionResponse]


@dataclass(frozen=True)
class WebRoute:
    """``methods path`` served by ``handler``; ``{name}`` segments become path params."""

    methods: tuple[str, ...]
    path: str
    handler: Handler
    name: str

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"route path {self.path!r} must start with '/'")
        bad = set(self.methods) - {"GET", "POST", "PUT", "PATCH", "DELETE"}
        if bad:
            raise ValueError(f"route {self.name!r}: unsupported methods {sorted(bad)}")


@runtime_checkable
class Mountable(Protocol):
    """Anything an adapter's ``mount(app, mountable)`` can serve."""

    def web_routes(self) -> Sequence[WebRoute]: ...


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> ActionResponse:
    """An HTML response with *body* (UTF-8)."""
    return ActionResponse(
        status, {"Content-Type": "text/html; charset=utf-8", **(headers or {})}, body.encode()
    )


def redirect(location: str, status: int = 303) -> ActionResponse:
    """A redirect to *location* (303 by default, so a POST is followed by a GET)."""
    return ActionResponse(status, {"Location": location}, b"")


def form_fields(request: ActionRequest) -> dict[str, list[str]]:
    """The posted form as ``{name: [values]}`` (every value of a repeated field, as
    ``CsrfProtection.is_valid`` reads them), parsed by the framework or here."""
    if request.form is not None:
        parsed: Mapping[str, Any] = request.form
        return {
            key: [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
            for key, value in parsed.items()
        }
    return parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
