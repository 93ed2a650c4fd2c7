"""The shapes the login pieces of :mod:`nitro.auth` rely on, as protocols.

``nitro.auth`` sits below the HTTP layer (``nitro.actions``) and below entities
(``nitro.sessions``' records are entities), so it cannot import either without an
import cycle. It names what it reads instead: :class:`nitro.actions.ActionRequest`
is an :class:`HttpRequest`, and :class:`nitro.sessions.MemorySessionStore` /
:class:`~nitro.sessions.RepositorySessionStore` are :class:`SessionStore`\\ s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, TypeVar, runtime_checkable

__all__ = ["HttpRequest", "SessionRecordLike", "SessionStore"]


class HttpRequest(Protocol):
    """What a login needs from a request (:class:`nitro.actions.ActionRequest` has it)."""

    @property
    def headers(self) -> Mapping[str, str]:
        """Header values by lower-case name."""
        ...

    @property
    def cookies(self) -> Mapping[str, str]: ...

    @property
    def scheme(self) -> str:
        """``http`` or ``https``, as the server saw it (before any proxy)."""
        ...

    @property
    def client(self) -> str | None:
        """The peer's address, ``None`` when the server does not know it."""
        ...


class SessionRecordLike(Protocol):
    """One server-side login (:class:`nitro.sessions.SessionRecord`)."""

    id: str
    username: str
    #: The site (or app) the login belongs to; another one sharing the store ignores it.
    scope: str
    #: A keyed hash of the user's password hash at login (see ``SessionAuth.auth_hash``).
    auth_hash: str


RecordT = TypeVar("RecordT", bound=SessionRecordLike)


@runtime_checkable
class SessionStore(Protocol[RecordT]):
    """Where session records live; every method may raise
    :class:`~nitro.persistence.BackendUnavailable`. Implemented by
    :mod:`nitro.sessions`' stores."""

    def create(self, username: str, *, auth_hash: str, max_age: float, scope: str = "") -> RecordT:
        """Store a new record (under a fresh random id) that expires after *max_age*."""
        ...

    def get(self, session_id: str) -> RecordT | None:
        """The unexpired record, or ``None``; refreshes ``last_seen`` now and then."""
        ...

    def update(self, record: RecordT) -> None:
        """Save a changed record, keeping its expiry."""
        ...

    def delete(self, session_id: str) -> bool:
        """End one session; ``True`` if it existed."""
        ...

    def delete_user(self, username: str, *, scope: str = "", keep: str | None = None) -> int:
        """End every session of *username* in *scope* except the one with id *keep*."""
        ...
