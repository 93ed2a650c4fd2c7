"""The three kinds of message: commands change state, queries read it, events say
what happened.

Messages are Pydantic models that hold data only: validated when built (a bad field is
a :class:`pydantic.ValidationError` naming it), immutable afterwards, and serialisable
as JSON, which is how the outbox stores events and how routes receive commands.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from nitro.ids import new_id

__all__ = ["Command", "Event", "Message", "Query", "message_name"]

R = TypeVar("R")


class Message(BaseModel):
    """The base of :class:`Command`, :class:`Query` and :class:`Event`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: What the bus calls this kind of message: ``"command"``, ``"query"``, ``"event"``.
    kind: ClassVar[str] = "message"


class Command(Message):
    """A request to change state: exactly one handler, run in its own unit of work."""

    kind: ClassVar[str] = "command"


class Query(Message, Generic[R]):
    """A request to read state, answered with an ``R``: exactly one handler, which
    must not write (``bus.ask(GetOrder(...))`` is typed as returning ``R``)."""

    kind: ClassVar[str] = "query"


class Event(Message):
    """Something that happened: any number of handlers.

    :attr:`id` is stable across deliveries (the outbox stores it with the event), so a
    handler can use it to apply the event once even when it is delivered again.
    """

    kind: ClassVar[str] = "event"

    id: str = Field(default_factory=new_id)
    occurred_at: float = Field(default_factory=time.time)


def message_name(message_type: type[Any]) -> str:
    """The stable name of a message class: ``module.QualName`` (how the outbox and the
    error messages refer to it)."""
    return f"{message_type.__module__}.{message_type.__qualname__}"
