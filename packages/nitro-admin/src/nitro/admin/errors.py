"""The admin's exceptions: configuration problems are raised early and say the fix."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AdminConfigurationError",
    "AdminError",
    "AlreadyMounted",
    "AlreadyRegistered",
    "NotRegistered",
]


class AdminError(Exception):
    """Base class of every nitro-admin error."""


class AdminConfigurationError(AdminError):
    """The checks found problems; :attr:`messages` holds every one of them.

    Raised when the admin is mounted (``mount(app, admin)``), so a misconfigured admin
    never serves a request.
    """

    def __init__(self, messages: Sequence[object]) -> None:
        self.messages = list(messages)
        lines = "\n".join(f"  {message}" for message in self.messages)
        count = len(self.messages)
        super().__init__(
            f"the admin has {count} configuration problem{'s' if count != 1 else ''}:\n{lines}"
        )


class AlreadyRegistered(AdminError):
    """An entity class was registered twice on the same site."""


class NotRegistered(AdminError):
    """An entity class is not registered on this site."""


class AlreadyMounted(AdminError):
    """A setup method (``register``...) was called after the admin was mounted."""
