"""The user of the work in progress: a request, a command, a job.

The action dispatcher sets it for each request from the app's authenticators; code
below (entity methods, handlers, audit) reads it with :func:`current_user` instead of
passing the user down every call. :func:`acting_as` sets it for other work: a job
acting for the user who enqueued it, a script, a test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from nitro.auth.identity import ANONYMOUS, AnonymousUser, User

__all__ = ["acting_as", "current_user"]

_user: ContextVar[User | AnonymousUser] = ContextVar("nitro_current_user", default=ANONYMOUS)


def current_user() -> User | AnonymousUser:
    """The caller of the request (or job, or command) in progress; :data:`ANONYMOUS`
    when nobody is logged in."""
    return _user.get()


@contextmanager
def acting_as(user: User | AnonymousUser) -> Iterator[User | AnonymousUser]:
    """Run the block as *user* (what :func:`current_user` returns inside it)."""
    token = _user.set(user)
    try:
        yield user
    finally:
        _user.reset(token)
