"""The refusal a handler may give its caller."""

from __future__ import annotations

__all__ = ["Rejected"]


class Rejected(Exception):
    """A handler refuses a message for a reason the caller may read ("only 2 left").

    Nothing of the command is kept (it raised, so its unit of work rolled back). A
    route made by :func:`nitro.cqrs.routes.expose` answers :attr:`status` (409 unless
    given) with the message; other exceptions answer 500 and stay in the log.
    """

    status: int = 409

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            if not 400 <= status < 500:
                raise ValueError(f"Rejected(status={status}): a client error, 400-499")
            self.status = status
