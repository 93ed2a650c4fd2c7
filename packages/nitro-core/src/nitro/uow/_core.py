"""What every unit of work shares, sync or async: registration, nesting, the event
queue and the context that makes a unit the active one."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from contextvars import Token
from typing import TYPE_CHECKING, Any, ClassVar

from nitro import probe
from nitro.persistence.registry import repository_for
from nitro.persistence.units import active

if TYPE_CHECKING:
    from nitro.events import Event
    from nitro.persistence.base import Repository

__all__ = ["UnitCore", "publish"]


def publish(evt: Event, sender: Any = None, /, **kwargs: Any) -> None:
    """Send *evt* after the active unit of work commits, or now when none is active."""
    unit = active.get()
    if unit is None:
        evt.send(sender, **kwargs)
    else:
        unit.publish(evt, sender, **kwargs)


class UnitCore:
    """The state and rules shared by :class:`~nitro.uow.UnitOfWork` and
    :class:`~nitro.uow.AsyncUnitOfWork`. Implementations provide three blocking hooks
    (:meth:`_begin`, :meth:`_commit`, :meth:`_rollback`) and :meth:`view`.

    Register entity classes by name with keyword arguments (``UnitOfWork(orders=Order)``),
    :meth:`register`, or a class attribute (``repositories = {"orders": Order}``); the
    typed way to reach a repository is ``uow.repo(Order)``.
    """

    #: Repositories every instance of the class offers, by name (the old ``uow.<name>``).
    repositories: ClassVar[Mapping[str, type[Any]]] = {}

    def __init__(self, **repositories: type[Any]) -> None:
        self._repositories: dict[str, type[Any]] = {**type(self).repositories}
        for name, entity_cls in repositories.items():
            self.register(name, entity_cls)
        #: The outer unit this one nests in and hands its work to (same kind only).
        self.parent: UnitCore | None = None
        #: Whatever unit was active when this one started, of any kind.
        self.enclosing: UnitCore | None = None
        self.active = False
        self._events: list[tuple[Event, Any, dict[str, Any]]] = []
        self._token: Token[Any] | None = None

    # -- repositories -------------------------------------------------------------------

    def register(self, name: str, entity_cls: type[Any]) -> None:
        """Name *entity_cls* in this unit (for the deprecated ``uow.<name>`` spelling)."""
        if not name.isidentifier() or name.startswith("_") or hasattr(type(self), name):
            raise ValueError(
                f"cannot register a repository as {name!r}: use a public identifier that "
                f"is not already an attribute of {type(self).__name__}"
            )
        self._repositories[name] = entity_cls

    def __getattr__(self, name: str) -> Any:
        repositories = self.__dict__.get("_repositories", {})
        if name in repositories:
            entity_cls = repositories[name]
            warnings.warn(
                f"uow.{name} is deprecated; use uow.repo({entity_cls.__name__}), which is typed",
                DeprecationWarning,
                stacklevel=2,
            )
            return self.repo(entity_cls)
        raise AttributeError(
            f"{type(self).__name__} has no repository {name!r}; registered: "
            f"{', '.join(repositories) or 'none'}. Use uow.repo(EntityClass)"
        )

    def view(self, repository: Repository[Any]) -> Repository[Any] | None:
        """The repository to use for *repository* while this unit is active, or
        ``None`` when this unit does not cover it (its calls then go straight to it)."""
        return None

    def repository_in_unit(self, entity_cls: type[Any]) -> Repository[Any]:
        """The view of *entity_cls*'s repository; :class:`TypeError` if not covered."""
        self._check_active("repository access")
        repo = repository_for(entity_cls)
        view = self.view(repo)
        if view is None:
            raise TypeError(
                f"{entity_cls.__name__} is stored by {repo!r}, which "
                f"{type(self).__name__} does not cover; {self.covers}"
            )
        return view

    #: What the unit covers, for error messages.
    covers: ClassVar[str] = "it covers no repository"

    # -- events -----------------------------------------------------------------------

    def publish(self, evt: Event, sender: Any = None, /, **kwargs: Any) -> None:
        """Queue *evt*; it is sent after the outermost commit and dropped on rollback."""
        self._events.append((evt, sender, kwargs))

    def has_events(self) -> bool:
        """Whether events (or jobs) wait for this unit's commit."""
        return bool(self._events)

    def _take_events(self) -> list[tuple[Event, Any, dict[str, Any]]]:
        """After a commit: hand the events to the unit this one runs in (the parent, or
        an active unit of another kind, such as the SQL transaction around an action's
        memory unit) or, from the outermost unit, return them to send."""
        events = self._events
        if not events:
            return events
        self._events = []
        outer = self.parent if self.parent is not None else self.enclosing
        if outer is not None and outer.active:
            outer._events.extend(events)
            return []
        return events

    # -- nesting and the active unit ---------------------------------------------------

    @property
    def nested(self) -> bool:
        """Whether this unit runs inside an outer one it hands its work to."""
        return self.parent is not None

    def _joins(self, outer: UnitCore) -> bool:
        """Whether this unit nests inside *outer* (default: the same class)."""
        return type(outer) is type(self)

    def _enter(self) -> None:
        if self.active:
            raise RuntimeError(f"{type(self).__name__} is already active; create a new one")
        outer = active.get()
        self.enclosing = outer
        self.parent = outer if outer is not None and self._joins(outer) else None
        self._events = []
        self._committed = False

    def _activate(self) -> None:
        self.active = True
        self._token = active.set(self)

    def _leave(self) -> None:
        if "uow" in probe.evented and self.enclosing is None:  # the outermost unit
            outcome = "commit" if self._committed else "rollback"
            attributes = {"unit": type(self).__name__}
            for listener in probe.listeners.get("uow", ()):  # (probe.event, inline)
                listener(outcome, attributes)
        self.active = False
        self._events.clear()
        if self._token is not None:
            try:
                active.reset(self._token)
            except ValueError:  # left in another context (an odd async shape)
                active.set(self.enclosing)
            self._token = None

    def _check_active(self, what: str) -> None:
        if not self.active:
            raise RuntimeError(
                f"{type(self).__name__}.{what}() outside its 'with' block; "
                f"call it inside 'with {type(self).__name__}() as uow:'"
            )

    # -- hooks for implementations (blocking) -------------------------------------------

    def _begin(self) -> None:
        """Start the unit's work (a transaction, a savepoint, a buffer)."""

    def _commit(self) -> None:
        """Make the work permanent (or hand it to :attr:`parent`)."""

    def _rollback(self) -> None:
        """Discard the uncommitted work; must be harmless when there is none."""
