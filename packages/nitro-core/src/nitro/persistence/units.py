"""Which unit of work is active, and which repository an entity call goes to.

The unit-of-work classes live in :mod:`nitro.uow`; this module holds the little that
the entity API needs from them, so that persistence stays below the units: the
context variable holding the innermost active unit and :func:`unit_repository`.

A unit decides which repositories it covers through ``view(repository)``: it returns
the repository to use instead (a buffering view for
:class:`~nitro.uow.MemoryUnitOfWork`, the repository itself for a SQL transaction that
the backend joins on its own), or ``None`` when it does not cover it. Units of other
kinds opened inside each other are walked from the innermost outwards.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from nitro.persistence.base import EntityLike
from nitro.persistence.registry import repository_for

if TYPE_CHECKING:
    from nitro.persistence.base import Repository

__all__ = ["ActiveUnit", "current_unit", "unit_repository"]

E = TypeVar("E", bound=EntityLike)


class ActiveUnit(Protocol):
    """What :func:`unit_repository` asks of an active unit of work."""

    @property
    def enclosing(self) -> ActiveUnit | None: ...

    def view(self, repository: Repository[Any]) -> Repository[Any] | None: ...

    def publish(self, evt: Any, sender: Any = None, /, **kwargs: Any) -> None: ...


#: The innermost active unit of work of this thread or task.
active: ContextVar[Any] = ContextVar("nitro_current_unit", default=None)


def current_unit() -> Any:
    """The innermost unit of work active in this thread or task, if any."""
    return active.get()


def unit_repository(entity_cls: type[E]) -> Repository[E]:
    """The repository an entity call on *entity_cls* uses now: the class's repository,
    as seen through the innermost active unit of work that covers it."""
    repo: Repository[E] = repository_for(entity_cls)
    unit = active.get()
    while unit is not None:
        view = unit.view(repo)
        if view is not None:
            return view  # type: ignore[no-any-return]
        unit = unit.enclosing
    return repo
