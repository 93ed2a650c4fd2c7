"""Datastar signal helpers.

Datastar keeps client state in *signals*, a JSON object sent with every request. An
entity's signals live under its class name: ``counter.signals`` is
``{"Counter": {"id": "...", "count": 0}}``, and ``Counter.count_signal`` is the
expression ``"$Counter.count"`` that a ``data-text``/``data-bind`` attribute uses.

Everything here produces JSON-safe data: datetimes and dates become ISO 8601 strings,
decimals become strings (no precision lost in JavaScript), UUIDs strings, enums their
values, sets and tuples lists, nested models objects, bytes base64 strings, and NaN
or infinite floats ``None``.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from pydantic import BaseModel
from pydantic_core import from_json, to_json

from rusty_tags import datastar_json

__all__ = [
    "SIGNAL_SUFFIX",
    "HasSignals",
    "SignalRef",
    "class_signal",
    "data_signals",
    "json_safe",
    "signal_path",
    "signal_ref",
    "signals_namespace",
]


class HasSignals(Protocol):
    """What :func:`data_signals` reads of an entity (signals sit below the entity
    layer and never import it)."""

    @property
    def signals(self) -> dict[str, dict[str, Any]]: ...


def json_safe(value: Any) -> Any:
    """Convert *value* into data made only of dict, list, str, int, float, bool, None.

    Raises :class:`TypeError` naming the type when something cannot be converted.
    """
    try:
        return from_json(to_json(value, inf_nan_mode="null", bytes_mode="base64"))
    except Exception as exc:  # pydantic_core raises its own error type
        raise TypeError(f"cannot convert {type(value).__name__} to a JSON signal value") from exc


def signals_namespace(entity_cls: type[Any]) -> str:
    """The top-level signal key of an entity class: ``_signals_namespace`` or its name."""
    return getattr(entity_cls, "_signals_namespace", None) or entity_cls.__name__


def signal_path(entity_cls: type[BaseModel], field: str) -> str:
    """``"Counter.count"``: the dotted signal name of *field*."""
    if field not in entity_cls.__pydantic_fields__:
        raise AttributeError(
            f"{field!r} is not a field of {entity_cls.__name__}; its fields are: "
            f"{', '.join(entity_cls.__pydantic_fields__)}"
        )
    return f"{signals_namespace(entity_cls)}.{field}"


_SIGNAL_NAME = re.compile(r"^\$[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class SignalRef(str):
    """A signal read in the browser, such as ``"$Counter.step"``.

    Action expressions treat arguments of this type as references
    (``encodeURIComponent($Counter.step)``) and every other string as a literal, so a
    stored value that happens to look like ``"$Secret.token"`` is sent as that text and
    never reads a signal. ``Counter.step_signal`` is one; ``SignalRef("$title")`` names a
    page-level signal.
    """

    __slots__ = ()

    def __new__(cls, reference: str) -> SignalRef:
        if not _SIGNAL_NAME.match(reference):
            raise ValueError(
                f"{reference!r} is not a signal reference: expected '$name' or '$Name.path'"
            )
        return super().__new__(cls, reference)


def signal_ref(entity_cls: type[BaseModel], field: str) -> SignalRef:
    """``"$Counter.count"``: the Datastar expression reading *field*'s signal."""
    return SignalRef("$" + signal_path(entity_cls, field))


#: ``Counter.count_signal``: the class attribute suffix of a field's signal reference.
SIGNAL_SUFFIX = "_signal"


def class_signal(entity_cls: type[Any], attribute: str) -> SignalRef | None:
    """``"$Counter.count"`` for ``attribute == "count_signal"`` when ``count`` is a field
    of *entity_cls*, else ``None``. Entity metaclasses call it from ``__getattr__``."""
    if attribute.endswith(SIGNAL_SUFFIX) and not attribute.startswith("__"):
        fields = entity_cls.__dict__.get("__pydantic_fields__")
        field = attribute[: -len(SIGNAL_SUFFIX)]
        if fields and field in fields:
            return signal_ref(entity_cls, field)
    return None


def data_signals(*entities: HasSignals, **extra: Any) -> str:
    """The JSON for a ``data-signals`` attribute holding the signals of *entities*
    plus any *extra* top-level signals, e.g. ``data_signals(counter, loading=False)``.

    Two entities of the same class overwrite each other (they share a namespace). The
    text goes through :func:`rusty_tags.datastar_json`, the one encoder for values that
    Datastar evaluates, so stored strings arrive unchanged and never run.
    """
    merged: dict[str, Any] = {}
    for entity in entities:
        merged.update(entity.signals)
    merged.update(json_safe(extra))
    return datastar_json(merged)
