"""What travels through a queue: one JSON document per run of a job."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from nitro.auth import Role, User, current_user
from nitro.ids import new_id

__all__ = ["Actor", "Envelope", "JobRef"]


class Actor(BaseModel):
    """Who enqueued a job, carried with it so the job runs as them: the audit log
    names them, and ``@bus.handles(..., permission=)`` checks their grants. It is what
    the enqueuing request knew (the user's grants at that time), not a fresh lookup;
    anyone who can write to the broker can write an actor, as they can write a job."""

    model_config = ConfigDict(frozen=True)

    id: str
    username: str = ""
    permissions: list[str] = []
    roles: dict[str, list[str]] = {}
    is_superuser: bool = False

    @classmethod
    def of_current_user(cls) -> Actor | None:
        user = current_user()
        if not isinstance(user, User):
            return None
        return cls(
            id=user.id,
            username=user.username,
            permissions=sorted(user.permissions),
            roles={role.name: sorted(role.permissions) for role in user.roles},
            is_superuser=user.is_superuser,
        )

    def user(self) -> User:
        roles = tuple(Role(name, frozenset(grants)) for name, grants in self.roles.items())
        return User(
            id=self.id,
            username=self.username,
            permissions=frozenset(self.permissions),
            roles=roles,
            is_superuser=self.is_superuser,
        )


class Envelope(BaseModel):
    """A run of a job: which job, its JSON arguments, and its delivery state.

    :attr:`id` names the job across its retries (the dedupe record and the dashboard
    use it); :attr:`attempt` counts runs from 1.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(default_factory=new_id)
    job: str
    # (factories, not ``{}``: pydantic deep-copies a mutable default on every decode)
    args: dict[str, Any] = Field(default_factory=dict)
    queue: str = "default"
    key: str | None = None
    key_ttl: float = 24 * 3600.0
    attempt: int = 1
    enqueued_at: float = Field(default_factory=time.time)
    #: Who enqueued it (``None``: nobody logged in); the job runs as them.
    actor: Actor | None = None
    #: What observability carries from the enqueuing request into the worker (its
    #: request id, a W3C ``traceparent``): see :mod:`nitro.probe`.
    context: dict[str, str] = Field(default_factory=dict)

    # The JSON text, made once: a run sends it to the broker and to the store's records
    # (queued, started, done), and a decoded envelope keeps the text it came from.
    _json: str | None = PrivateAttr(default=None)

    def next_attempt(self) -> Envelope:
        return self.model_copy(update={"attempt": self.attempt + 1})

    def model_copy(self, *, update: Any = None, deep: bool = False) -> Envelope:
        copy = super().model_copy(update=update, deep=deep)
        copy._json = None  # (a copy with other values must not reuse this text)
        return copy

    def __eq__(self, other: object) -> bool:
        # The same fields are the same run, whether or not either has made its text.
        if not isinstance(other, Envelope):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def to_json(self) -> str:
        if self._json is None:
            # Fields at their defaults are left out: the text travels through the broker
            # and into the store's records on every run, and reads back the same.
            self._json = self.model_dump_json(exclude_defaults=True)
        return self._json

    @classmethod
    def from_json(cls, text: str | bytes) -> Envelope:
        envelope = cls.model_validate_json(text)
        envelope._json = text.decode() if isinstance(text, bytes) else text
        return envelope


class JobRef(BaseModel):
    """What ``enqueue`` returns: the job's id, and whether this call sent it (``False``
    when its idempotency key was already used, or while it waits for a commit)."""

    model_config = ConfigDict(frozen=True)

    id: str
    job: str
    sent: bool
    deferred: bool = False
