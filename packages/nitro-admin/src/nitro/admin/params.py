"""Values from the client, checked in one place before they reach a repository.

* Numbers, dates and choices from the query string (the page number, filter bounds,
  the "Next" cursor) are parsed and range-checked here, so a value no backend can hold
  (SQLite's integers are 64-bit, ``float("1e999")`` is infinite) is refused with a
  message naming the parameter instead of failing in the database driver.
* Text holding U+0000 is refused wherever it comes in (form fields, inline rows,
  relation pickers, the search box, ids): PostgreSQL cannot store it and no form
  should carry it. Django's forms refuse it with the same message.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nitro.admin.fields import FieldSpec

__all__ = [
    "INT_MAX",
    "INT_MIN",
    "MAX_PAGE",
    "NUL_MESSAGE",
    "check_storable",
    "check_text",
    "has_nul",
    "page_number",
    "query_value",
    "quoted",
    "shown",
]

NUL = "\x00"
#: The message for a value holding U+0000, which no backend stores reliably.
NUL_MESSAGE = "Null characters are not allowed."
#: The integers every backend stores (SQLite and PostgreSQL ``BIGINT`` are 64-bit).
INT_MIN = -(2**63)
#: The largest integer the admin accepts, so a value fits every backend's 64-bit column.
INT_MAX = 2**63 - 1
#: The highest page number a list accepts (its offset stays far inside 64 bits).
MAX_PAGE = 1_000_000_000


def has_nul(text: str) -> bool:
    """Whether *text* holds U+0000 (refused: PostgreSQL cannot store it in text)."""
    return NUL in text


def check_text(text: str) -> None:
    """``ValueError`` when *text* holds U+0000."""
    if NUL in text:
        raise ValueError(NUL_MESSAGE)


def shown(text: str) -> str:
    """*text* as it may be shown again (U+0000 as U+FFFD, as rusty_tags renders it)."""
    return text.replace(NUL, "\ufffd")


def quoted(raw: str, limit: int = 40) -> str:
    """A submitted value for a message: quoted, shortened, U+0000 made visible."""
    text = raw if len(raw) <= limit else raw[:limit] + "…"
    return repr(shown(text))


def check_storable(value: Any, *, finite: bool = False) -> None:
    """``ValueError`` when no backend can store (or compare) *value*.

    Integers must fit in 64 bits and text must not hold U+0000; with *finite*, floats
    and decimals must be finite numbers too (a filter bound of ``nan`` means nothing).
    """
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            raise ValueError(f"Ensure this value is between {INT_MIN} and {INT_MAX}.")
    elif isinstance(value, float | Decimal):
        if finite and not math.isfinite(float(value)):
            raise ValueError("Ensure this value is a finite number.")
    elif isinstance(value, str):
        check_text(value)


def query_value(spec: FieldSpec, raw: str) -> Any:
    """A query-string value of *spec*'s field, typed and range-checked.

    :raises ValueError: with a message for the user (the value, never a traceback).
    """
    check_text(raw)
    try:
        value = spec.parse(raw)
    except ValueError:
        raise ValueError(f"{quoted(raw)} is not a valid value.") from None
    try:
        check_storable(value, finite=True)
    except ValueError:
        raise ValueError(f"{quoted(raw)} is out of range.") from None
    return value


def page_number(raw: str) -> int:
    """``?p=``: a whole number from 1 to :data:`MAX_PAGE` (``ValueError`` if not)."""
    text = raw.strip()
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE))
    if not digits or not 1 <= int(text) <= MAX_PAGE:
        raise ValueError(f"{quoted(raw)} is not a page number (1 to {MAX_PAGE}).")
    return int(text)
