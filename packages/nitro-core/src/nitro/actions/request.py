"""The framework-neutral request and response that adapters translate to and from."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload
from urllib.parse import parse_qsl

from nitro.actions.errors import ActionError, InvalidParameters
from nitro.actions.limits import parse_json

__all__ = ["ActionRequest", "ActionResponse", "refusal"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

T = TypeVar("T")


class _once(Generic[T]):
    """``functools.cached_property`` without its lock (which Python 3.11 takes on
    every first access: a request is read by one thread)."""

    def __init__(self, func: Callable[[Any], T]):
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _once[T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> T | _once[T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


@dataclass
class ActionRequest:
    """What the dispatcher needs from an HTTP request.

    ``headers`` must have lower-case keys. ``form`` is for adapters whose framework has
    already parsed a form body; otherwise URL-encoded forms are parsed from ``body``.
    """

    method: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    form: Mapping[str, Any] | None = None
    #: The request path as the client sent it (below any mount point), its scheme,
    #: and the client's address when the server knows it.
    path: str = ""
    scheme: str = "http"
    client: str | None = None
    #: The address the server answered on (ASGI ``scope["server"]``, WSGI
    #: ``SERVER_NAME``), for the allowed-hosts check; ``None`` when unknown.
    server: str | None = None

    @property
    def cookies(self) -> dict[str, str]:
        """The ``Cookie`` header, parsed."""
        from http.cookies import SimpleCookie

        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except Exception:  # a malformed header means no usable cookies, not an error
            return {}
        return {key: morsel.value for key, morsel in jar.items()}

    @_once
    def is_datastar(self) -> bool:
        return self.headers.get("datastar-request", "").lower() == "true"

    @property
    def is_safe(self) -> bool:
        return self.method in SAFE_METHODS

    @_once
    def data(self) -> Mapping[str, Any]:
        """The request's JSON object: Datastar signals, a JSON body or form fields."""
        if self.method in ("GET", "DELETE") and "datastar" in self.query:
            return _json_object(self.query["datastar"].encode(), "the datastar query parameter")
        if self.form is not None:
            return self.form
        content_type = self.headers.get("content-type", "")
        if content_type != "application/json":  # (what Datastar sends: nothing to trim)
            content_type = content_type.split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded":
            return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        if not self.body.strip():
            return {}
        if content_type in ("", "application/json") or content_type.endswith("+json"):
            return _json_object(self.body, "the request body")
        raise InvalidParameters(f"unsupported content type {content_type!r}; send JSON or a form")


def _json_object(raw: bytes, where: str) -> Mapping[str, Any]:
    try:
        value = parse_json(raw, where)
    except ValueError:
        raise InvalidParameters(f"{where} is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidParameters(f"{where} must be a JSON object")
    return value


@dataclass
class ActionResponse:
    """An answer: a complete ``body``, or a ``stream``/``astream`` of SSE text chunks."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: Iterator[str] | None = None
    astream: AsyncIterator[str] | None = None
    #: Raw ``Set-Cookie`` header values (several may be sent, unlike other headers).
    set_cookies: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "application/json")

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> ActionResponse:
        body = json.dumps(payload, separators=(",", ":"), default=str).encode()
        return cls(status, {"Content-Type": "application/json"}, body)


def refusal(error: ActionError) -> ActionResponse:
    """The answer to a request refused before its body was read (413, 400), the same
    on every driver.

    ``Connection: close``: the unread rest of the body must not be parsed as the next
    request on a kept-alive connection.
    """
    response = ActionResponse.json(error.to_json(), error.status)
    response.headers["Connection"] = "close"
    return response
