"""The refusal a handler may give its caller."""

from __future__ import annotations

from nitro.actions.errors import ActionError

__all__ = ["Rejected"]


class Rejected(ActionError):
    """A handler refuses a message for a reason the caller may read ("only 2 left").

    Nothing of the command is kept (it raised, so its unit of work rolled back). Over
    HTTP — a route made by :func:`nitro.cqrs.routes.expose`, or an ``@action`` that sent
    the command — the answer is :attr:`status` (409 unless given) with the message;
    other exceptions answer 500 and stay in the log.
    """

    status: int = 409
    detail: str = "Rejected"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            if not 400 <= status < 500:
                raise ValueError(f"Rejected(status={status}): a client error, 400-499")
            self.status = status
