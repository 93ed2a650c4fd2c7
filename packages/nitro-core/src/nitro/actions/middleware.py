"""Hooks around every action request, on every framework.

Framework middleware sees bytes and paths; these hooks see the action being called
(:class:`~nitro.actions.registry.ActionRoute`) and Nitro's request and response, so a
plugin written once (request ids, metrics, an extra check) works on FastAPI, Flask
and FastHTML alike. A hook object has either method or both:

``before_action(route, request)``
    runs before anything else; return an :class:`ActionResponse` to answer in place
    of the action (it is not run), or ``None`` to go on. Raising an error answers as
    the action would have (``PermissionDenied`` is 403; anything unexpected a 500
    without the traceback).
``after_action(route, request, response)``
    runs after the action was answered, refused or failed; return a response to
    replace it (add a header), or ``None`` to keep it.

``before_action`` hooks run in the order given, ``after_action`` hooks in reverse, so
the first hook wraps all the others. Installed plugins (:mod:`nitro.plugins`) with
these methods are added after the app's own (``configure_app(app, middleware=[...])``).
An app without hooks pays nothing: the dispatcher skips this module.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from nitro.actions.request import ActionRequest, ActionResponse

if TYPE_CHECKING:
    from nitro.actions.registry import ActionRoute

__all__ = ["MiddlewareChain"]

logger = logging.getLogger("nitro.actions")

Handler = Callable[["ActionRoute", ActionRequest], ActionResponse]
AsyncHandler = Callable[["ActionRoute", ActionRequest], Awaitable[ActionResponse]]
Fail = Callable[["ActionRoute", ActionRequest, Exception], ActionResponse]


class MiddlewareChain:
    """The ``before_action`` and ``after_action`` hooks of an app, in calling order."""

    __slots__ = ("after", "before", "hooks", "sole")

    def __init__(self, hooks: Iterable[Any] = ()) -> None:
        self.hooks = tuple(hooks)
        for hook in self.hooks:
            if not any(callable(getattr(hook, n, None)) for n in ("before_action", "after_action")):
                raise TypeError(
                    f"{hook!r} is not action middleware: it has neither "
                    f"before_action(route, request) nor after_action(route, request, response)"
                )
        self.before = tuple(h.before_action for h in self.hooks if hasattr(h, "before_action"))
        self.after = tuple(
            h.after_action for h in reversed(self.hooks) if hasattr(h, "after_action")
        )
        #: ``(before_action, after_action)`` of the one hook when there is one with both
        #: (the usual case: observability), for the dispatcher to call without the loops
        self.sole: tuple[Any, Any] | None = None
        if len(self.hooks) == 1 and len(self.before) == len(self.after) == 1:
            self.sole = (self.before[0], self.after[0])

    def __bool__(self) -> bool:
        return bool(self.hooks)

    def enter(
        self, route: ActionRoute, request: ActionRequest, fail: Fail
    ) -> ActionResponse | None:
        """Run the ``before_action`` hooks: the answer of the first that answers, or
        ``None`` to run the action."""
        try:
            for before in self.before:
                answer: ActionResponse | None = before(route, request)
                if answer is not None:
                    return answer
        except Exception as error:
            return fail(route, request, error)
        return None

    def leave(
        self, route: ActionRoute, request: ActionRequest, response: ActionResponse, fail: Fail
    ) -> ActionResponse:
        """Run the ``after_action`` hooks on *response*; return what they leave."""
        for after in self.after:
            try:
                replaced = after(route, request, response)
            except Exception as error:
                logger.exception("action middleware %r failed after %s", after, route)
                return fail(route, request, error)
            if replaced is not None:
                response = replaced
        return response

    def run(
        self, route: ActionRoute, request: ActionRequest, handle: Handler, fail: Fail
    ) -> ActionResponse:
        response = self.enter(route, request, fail) or handle(route, request)
        return self.leave(route, request, response, fail)

    async def arun(
        self, route: ActionRoute, request: ActionRequest, handle: AsyncHandler, fail: Fail
    ) -> ActionResponse:
        response = self.enter(route, request, fail) or await handle(route, request)
        return self.leave(route, request, response, fail)
