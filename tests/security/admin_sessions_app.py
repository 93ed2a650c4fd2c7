"""An admin whose users, session records and login counters live in a shared store, so
that several processes serve it as one (for ``test_admin_sessions.py``).

Configured from the environment, read at import (process start):

* ``NITRO_TEST_SESSION_BACKEND`` -- ``redis`` (``NITRO_REDIS_URL``) or ``sql``
  (``NITRO_TEST_SQL_URL``, e.g. a SQLite file shared by the processes).

Run one: ``uvicorn admin_sessions_app:app --app-dir tests/security``.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from nitro import Entity
from nitro.admin import Admin, AdminUser, hash_password, verify_password
from nitro.persistence import Repository

SECRET = "multi-process-secret-0123456789-abcdef"
PASSWORD = "correct horse battery staple"


class StaffUser(Entity):
    """An admin user stored where every process sees it (its id is the username)."""

    password_hash: str
    is_superuser: bool = True


class Note(Entity):
    text: str = ""


class RepositoryAuth:
    """An auth backend over a repository of :class:`StaffUser` (what an app with its
    users in a database writes)."""

    def __init__(self, repository: Repository[Any]) -> None:
        self.repository = repository

    def _user(self, staff: StaffUser | None) -> AdminUser | None:
        if staff is None:
            return None
        return AdminUser(staff.id, staff.password_hash, is_superuser=staff.is_superuser)

    def authenticate(self, username: str, password: str) -> AdminUser | None:
        user = self._user(self.repository.get(username))
        if user is None or not verify_password(password, user.password_hash):
            return None
        return user

    def load_user(self, username: str) -> AdminUser | None:
        return self._user(self.repository.get(username))

    def set_password(self, username: str, password: str) -> None:
        self.repository.save(StaffUser(id=username, password_hash=hash_password(password)))


def backend_factory(kind: str) -> Any:
    if kind == "redis":
        from nitro.redis import RedisRepo

        return functools.partial(RedisRepo, url=os.environ["NITRO_REDIS_URL"], prefix="sec")
    if kind == "sql":
        from nitro.sql import SQLModelBackend

        return functools.partial(SQLModelBackend, url=os.environ["NITRO_TEST_SQL_URL"])
    raise ValueError(f"unknown NITRO_TEST_SESSION_BACKEND {kind!r}")


def build_admin(kind: str) -> Admin:
    factory = backend_factory(kind)
    throttle_store = None
    if kind == "redis":
        from nitro.redis import RedisCounterStore

        throttle_store = RedisCounterStore(os.environ["NITRO_REDIS_URL"], prefix="sec")
    admin = Admin(
        auth=RepositoryAuth(factory(StaffUser)),
        secret_key=SECRET,
        session_repository=factory,
        throttle_store=throttle_store,
    )
    admin.register(Note)
    return admin


def build_app() -> Any:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    app = FastAPI()
    mount(app, build_admin(os.environ.get("NITRO_TEST_SESSION_BACKEND", "")))
    return app


app = build_app() if os.environ.get("NITRO_TEST_SESSION_BACKEND") else None
