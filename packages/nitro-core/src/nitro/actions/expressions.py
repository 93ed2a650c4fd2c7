"""Datastar action expressions for ``data-on:*`` attributes.

``Counter.increment(5)`` returns ``"@post('/counter/increment?amount=5')"``. Literal
arguments are URL-encoded into the query string; a signal reference such as
``Counter.step_signal`` (``"$Counter.step"``) is read in the browser when the event
fires, so the server receives the client's current value. Datastar sends the page's
signals along, from which the dispatcher takes the entity id (``$Counter.id``).

``Todo.toggle.of(todo)`` (or ``.of(todo_id)``) targets one instance by putting its id
in the path: the form to use for lists, where each row's buttons act on their row.
"""

from __future__ import annotations

import enum
import inspect
import json
from typing import Any
from urllib.parse import quote

from nitro.actions.metadata import ActionInfo
from nitro.actions.urls import action_path, current_prefix
from nitro.signals import SignalRef
from rusty_tags import js_string

__all__ = ["ActionRef", "is_signal_reference"]


def is_signal_reference(value: object) -> bool:
    """A :class:`~nitro.signals.SignalRef` such as ``Counter.step_signal``: read in the
    browser. Plain strings, whatever they hold, are sent literally."""
    return isinstance(value, SignalRef)


def _encode_literal(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, enum.Enum):
        text = str(value.value)
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        text = json.dumps(value, separators=(",", ":"), default=str)
    return quote(text, safe="")


class ActionRef:
    """An action seen from its class: call it to get a Datastar expression."""

    __slots__ = ("entity", "entity_id", "info")

    def __init__(self, entity: type, info: ActionInfo, entity_id: str | None = None):
        self.entity = entity
        self.info = info
        self.entity_id = entity_id

    @property
    def name(self) -> str:
        return self.info.name

    def of(self, target: Any) -> ActionRef:
        """The same action aimed at one instance (an entity or its id)."""
        if self.info.is_classmethod:
            raise TypeError(
                f"{self.entity.__name__}.{self.name} is a class action; it has no instance"
            )
        entity_id = target if isinstance(target, str) else getattr(target, "id", None)
        if not isinstance(entity_id, str) or not entity_id:
            raise TypeError(
                f"{self.entity.__name__}.{self.name}.of() needs an entity or an id string"
            )
        return ActionRef(self.entity, self.info, entity_id)

    def url(self, *args: Any, **kwargs: Any) -> str:
        """The URL with literal arguments (signal references are not allowed here)."""
        pieces = self._query_pieces(args, kwargs)
        if any(kind == "signal" for kind, _, _ in pieces):
            raise TypeError("url() takes literal arguments only; call the action for signals")
        return self._base_url() + self._literal_query(pieces)

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        pieces = self._query_pieces(args, kwargs)
        text = self._base_url() + self._literal_query(pieces)
        separator = "&" if "?" in text else "?"
        tokens = [js_string(text)]
        for kind, name, ref in pieces:
            if kind != "signal":
                continue
            tokens.append(js_string(f"{separator}{quote(name, safe='')}="))
            tokens.append(f"encodeURIComponent({ref})")
            separator = "&"
        return f"@{self.info.method.lower()}({' + '.join(tokens)})"

    def _base_url(self) -> str:
        segment = self.info.path or self.info.name
        with_id = self.entity_id is not None
        path = action_path(self.entity, segment, with_id=with_id, prefix=current_prefix())
        if with_id:
            path = path.replace("{id}", quote(str(self.entity_id), safe=""))
        return path

    def _query_pieces(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> list[tuple[str, str, Any]]:
        params = self.info.parameters
        signature = inspect.Signature(params)
        try:
            bound = signature.bind_partial(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.entity.__name__}.{self.name}(): {exc}") from None
        pieces = []
        for name, value in bound.arguments.items():
            if value is None:
                continue
            kind = "signal" if is_signal_reference(value) else "literal"
            pieces.append((kind, name, value))
        return pieces

    @staticmethod
    def _literal_query(pieces: list[tuple[str, str, Any]]) -> str:
        parts = [
            f"{quote(n, safe='')}={_encode_literal(v)}"
            for kind, n, v in pieces
            if kind == "literal"
        ]
        return "?" + "&".join(parts) if parts else ""

    def __str__(self) -> str:
        return self()

    def __repr__(self) -> str:
        return f"<ActionRef {self.info.method} {self._base_url()}>"
