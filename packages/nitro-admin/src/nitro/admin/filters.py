"""List filters: query-string values to specifications, and the filter bar's inputs.

bool, Enum and Literal fields get a choice (``?in_stock=true``); numbers, dates and
times get a range (``?price__gte=10&price__lte=99``). Values that do not parse, or
that no backend can hold (:func:`nitro.admin.params.query_value`), are reported with
the parameter's name and ignored; the list page then answers 400, never a server
error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nitro.admin.fields import CHOICE_KINDS, RANGE_KINDS, RELATION, FieldSpec
from nitro.admin.params import check_text, query_value, quoted
from nitro.admin.specs import FieldRange
from nitro.specification import FieldEquals, Specification
from rusty_tags import Div, Input, Label, Option, Select

__all__ = ["FilterResult", "apply_filters", "filter_keys", "render_filters"]

_INPUT_TYPES = {"date": "date", "datetime": "datetime-local", "time": "time"}


@dataclass
class FilterResult:
    """The specifications the list page's filters add to its query, and the messages for the
    values that could not be read."""

    specs: list[Specification[Any]] = field(default_factory=list)
    #: The query values in effect, ``{"price__gte": "10"}`` (kept in links).
    active: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def filter_keys(spec: FieldSpec) -> tuple[str, ...]:
    """The query-string keys a filter on *spec* reads: the field name for a choice or relation,
    ``<name>__gte``/``<name>__lte`` for a range."""
    if spec.kind in CHOICE_KINDS or spec.kind == RELATION:
        return (spec.name,)
    return (f"{spec.name}__gte", f"{spec.name}__lte")


def apply_filters(specs: list[FieldSpec], query: Mapping[str, str]) -> FilterResult:
    """Turn the filter values of a list page's query into specifications; a bad value is reported
    in the result instead of raising, so the page still shows."""
    result = FilterResult()
    for spec in specs:
        if spec.kind == RELATION:
            raw = query.get(spec.name, "").strip()
            if raw:
                try:
                    check_text(raw)
                except ValueError as exc:
                    result.errors.append(f"{spec.label} ({spec.name}): {exc}")
                    continue
                result.specs.append(FieldEquals(spec.name, raw))
                result.active[spec.name] = raw
        elif spec.kind in CHOICE_KINDS:
            raw = query.get(spec.name, "")
            if raw == "":
                continue
            try:
                value = None if raw == "__none__" else spec.from_text(raw)
            except ValueError:
                result.errors.append(
                    f"{spec.label} ({spec.name}): {quoted(raw)} is not one of the choices."
                )
                continue
            result.specs.append(FieldEquals(spec.name, value))
            result.active[spec.name] = raw
        elif spec.kind in RANGE_KINDS:
            bounds: list[Any] = []
            for key in filter_keys(spec):
                raw = query.get(key, "").strip()
                if raw == "":
                    bounds.append(None)
                    continue
                try:
                    bounds.append(query_value(spec, raw))
                    result.active[key] = raw
                except ValueError as exc:
                    result.errors.append(f"{spec.label} ({key}): {exc}")
                    bounds.append(None)
            if bounds[0] is not None or bounds[1] is not None:
                result.specs.append(FieldRange(spec.name, bounds[0], bounds[1]))
    return result


def render_filters(
    specs: list[FieldSpec], active: Mapping[str, str], picker: Callable[[FieldSpec, str], Any]
) -> list[Any]:
    """One labelled control per filter, for a GET form (*picker* renders relations)."""
    controls = []
    for spec in specs:
        if spec.kind == RELATION:
            controls.append(
                Div(
                    Label(spec.label, for_=f"filter-{spec.name}-search"),
                    picker(spec, active.get(spec.name, "")),
                )
            )
        elif spec.kind in CHOICE_KINDS:
            current = active.get(spec.name, "")
            options = [Option("All", value="", selected=current == "")]
            options += [
                Option(spec.choice_label(value), value=key, selected=current == key)
                for key, value in spec.choices
            ]
            if spec.optional:
                options.append(Option("(empty)", value="__none__", selected=current == "__none__"))
            controls.append(
                Div(
                    Label(spec.label, for_=f"filter-{spec.name}"),
                    Select(*options, name=spec.name, id=f"filter-{spec.name}"),
                )
            )
        else:
            low, high = filter_keys(spec)
            input_type = _INPUT_TYPES.get(spec.kind, "number")
            step = "any" if spec.kind in ("float", "decimal") else None
            controls.append(
                Div(
                    Label(spec.label, for_=f"filter-{low}"),
                    Div(
                        Input(
                            type=input_type,
                            name=low,
                            id=f"filter-{low}",
                            step=step,
                            value=active.get(low, ""),
                            placeholder="min",
                            aria_label="minimum",
                        ),
                        Input(
                            type=input_type,
                            name=high,
                            step=step,
                            value=active.get(high, ""),
                            placeholder="max",
                            aria_label="maximum",
                        ),
                        cls="range",
                    ),
                )
            )
    return controls
