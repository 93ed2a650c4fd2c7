"""Server-side login sessions that end on logout, on a password change and everywhere.

A login creates a :class:`SessionRecord` under a random id; the browser's (signed)
cookie carries only that id. Logging out deletes the record, so a cookie captured
earlier opens nothing any more, in this process or any other that shares the store.
Each record also keeps an *auth hash* (a keyed hash of the user's password hash): the
app compares it with the user's current one on every request, so changing a password
ends the sessions opened with the old one.

:class:`nitro.auth.SessionAuth` keeps an app's (and its admin's) logins in one of
these. Two stores ship here, both implementing :class:`SessionStore` (defined in
:mod:`nitro.auth.types`, re-exported here):

* :class:`MemorySessionStore`: one process (the admin's default);
* :class:`RepositorySessionStore`: records as entities in any nitro repository with
  TTL, e.g. ``RepositorySessionStore(functools.partial(RedisRepo, url=...))`` or
  ``RepositorySessionStore(SQLModelBackend)`` when several processes serve the app.
"""

from __future__ import annotations

import secrets
import time

from nitro.auth.types import SessionStore as SessionStore
from nitro.entity import Entity
from nitro.persistence.base import BackendFactory, Repository
from nitro.persistence.memory import MemoryRepo, MemoryStore

__all__ = ["MemorySessionStore", "RepositorySessionStore", "SessionRecord", "SessionStore"]

#: ``last_seen`` is written back at most this often (seconds), not on every request.
TOUCH_INTERVAL = 60.0


class SessionRecord(Entity):
    """One logged-in session; ``id`` is the random session id the cookie carries."""

    username: str
    #: Which site the session belongs to (the admin's prefix), so a record opened on
    #: one site is not accepted by another that shares the store.
    scope: str = ""
    #: A keyed hash of the user's password hash at login.
    auth_hash: str = ""
    created: float = 0.0
    last_seen: float = 0.0
    #: Unix time after which the record is gone (it is saved with a matching TTL).
    expires: float = 0.0


class RepositorySessionStore:
    """Session records in a nitro repository: any backend with TTL works.

    :param repository: a repository of :class:`SessionRecord`, or a backend factory
        that builds one from the class (``functools.partial(RedisRepo, url=...)``,
        ``SQLModelBackend``, ``MemoryRepo``).
    """

    def __init__(self, repository: Repository[SessionRecord] | BackendFactory) -> None:
        if not isinstance(repository, Repository):
            repository = repository(SessionRecord)
        if repository.entity_cls is not SessionRecord:
            raise TypeError(
                f"the session repository must store SessionRecord entities, got {repository!r}"
            )
        if not repository.supports_ttl:
            raise TypeError(f"{repository!r} cannot expire records (no TTL support)")
        self.repository: Repository[SessionRecord] = repository

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.repository!r})"

    def create(
        self, username: str, *, auth_hash: str, max_age: float, scope: str = ""
    ) -> SessionRecord:
        now = time.time()
        record = SessionRecord(
            id=secrets.token_urlsafe(32),
            username=username,
            scope=scope,
            auth_hash=auth_hash,
            created=now,
            last_seen=now,
            expires=now + max_age,
        )
        self.repository.save(record, ttl=max_age)
        return record

    def get(self, session_id: str) -> SessionRecord | None:
        if not session_id:
            return None
        record = self.repository.get(session_id)
        now = time.time()
        if record is None or record.expires <= now:
            return None
        if now - record.last_seen >= TOUCH_INTERVAL:
            record.last_seen = now
            self.update(record)
        return record

    def update(self, record: SessionRecord) -> None:
        left = record.expires - time.time()
        if left > 0:
            self.repository.save(record, ttl=left)
        else:
            self.repository.delete(record.id)

    def delete(self, session_id: str) -> bool:
        return bool(session_id) and self.repository.delete(session_id)

    def delete_user(self, username: str, *, scope: str = "", keep: str | None = None) -> int:
        ended = 0
        for record in self.repository.filter(username=username, scope=scope):
            if record.id != keep and self.repository.delete(record.id):
                ended += 1
        return ended


class MemorySessionStore(RepositorySessionStore):
    """Session records in this process's memory: right for one process only.

    Each store has its own :class:`~nitro.persistence.MemoryStore`, so two sites (or
    two tests) never see each other's sessions.
    """

    def __init__(self) -> None:
        super().__init__(MemoryRepo(SessionRecord, store=MemoryStore()))
