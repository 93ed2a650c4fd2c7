"""The entities the repository contract stores, kept apart from the suite's tests.

Every contract mixin (``_contract_crud``, ``_contract_queries``, ...) and
:mod:`nitro.persistence.testing` need the same classes, and the mixins cannot import
them from ``testing`` without an import cycle; this is also the one module of the
contract that imports :mod:`nitro.entity`. Import them from
:mod:`nitro.persistence.testing`, their public home.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from nitro.entity import Entity


class Status(enum.Enum):
    """An enum field for the contract entity: backends must store and return enum members."""

    OPEN = "open"
    DONE = "done"


class ContractItem(Entity):
    """An entity with the field types backends must round-trip."""

    name: str
    qty: int = 0
    price: Decimal = Decimal("0")
    tags: list[str] = []
    status: Status = Status.OPEN
    due: dt.datetime | None = None


class ContractNote(Entity):
    """A second class, to prove classes are stored apart."""

    text: str = ""


class ContractVersioned(Entity, versioned=True):
    """A versioned entity: saves from stale copies raise ConcurrencyError."""

    name: str = ""
    qty: int = 0
    if TYPE_CHECKING:  # versioned=True adds it at run time; this tells type checkers
        version: int = 0
