"""How a request reaches an admin view: the site's routes, and the one wrapper every
view runs in.

Each route's handler goes through :meth:`RoutingMixin._handle`: it loads the session,
checks the host, the login and the CSRF token, runs the view as the logged-in user and
marks every answer uncacheable, so no view repeats those checks (or forgets one). Kept
apart from the site's setup so that what guards a request reads in one place.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, urlencode

from nitro.actions import ActionRequest, ActionResponse
from nitro.actions.sse import SSE_HEADERS, patch_elements
from nitro.admin.requests import AdminRequest
from nitro.audit.context import via
from nitro.auth import ANONYMOUS, User, acting_as
from nitro.persistence import BackendUnavailable, InvalidQuery
from nitro.web import WebRoute, html, redirect
from rusty_tags import js_string

if TYPE_CHECKING:
    from nitro.admin.csrf import CsrfProtection
    from nitro.admin.jobs import JobsAdmin
    from nitro.admin.options import EntityAdmin
    from nitro.admin.site import Admin
    from nitro.auth.cookies import Session, SessionCookie

__all__ = ["RoutingMixin", "View"]

logger = logging.getLogger("nitro.admin")

View = Callable[..., ActionResponse]


class RoutingMixin:
    """The routes of :class:`~nitro.admin.Admin` (which it is a base of) and the wrapper
    around each of its views."""

    if TYPE_CHECKING:  # what the Admin combined with it provides
        prefix: str
        registry: dict[type[Any], EntityAdmin]
        jobs_admin: JobsAdmin | None
        sessions: SessionCookie
        csrf: CsrfProtection

        def _current_user(self, session: Session) -> User | None: ...

    def _build_routes(self) -> list[WebRoute]:
        from nitro.admin.views import (
            auth,
            bulk,
            delete,
            form,
            history,
            index,
            jobs,
            listing,
            lookup,
        )

        name = "nitro_admin" + re.sub(r"\W", "_", self.prefix)
        p = self.prefix
        routes = [
            WebRoute(("GET",), p + "/", self._view(index.index_view, p + "/"), f"{name}_index"),
            WebRoute(
                ("GET", "POST"),
                p + "/login",
                self._view(auth.login_view, p + "/login", login_required=False),
                f"{name}_login",
            ),
            WebRoute(
                ("POST",),
                p + "/logout",
                self._view(auth.logout_view, p + "/logout"),
                f"{name}_logout",
            ),
        ]
        if p:
            routes.append(WebRoute(("GET",), p, self._view(index.index_view, p), f"{name}_root"))
        for entity_admin in self.registry.values():
            slug = entity_admin.slug_value
            base = f"{p}/{slug}"
            views: list[tuple[tuple[str, ...], str, View, str]] = [
                (("GET",), "", listing.list_view, "list"),
                (("GET",), "/_results", listing.results_view, "results"),
                (("GET",), "/_lookup", lookup.lookup_view, "lookup"),
                (("POST",), "/_action", bulk.action_view, "action"),
                (("GET", "POST"), "/new", form.create_view, "create"),
                (("GET", "POST"), "/{id}/edit", form.edit_view, "edit"),
                (("GET", "POST"), "/{id}/delete", delete.delete_view, "delete"),
                (("GET",), "/{id}/history", history.history_view, "history"),
            ]
            for methods, path, view, suffix in views:
                routes.append(
                    WebRoute(
                        methods,
                        base + path,
                        self._view(view, base + path, entity_admin=entity_admin),
                        f"{name}_{slug}_{suffix}",
                    )
                )
        if self.jobs_admin is not None:
            slug = self.jobs_admin.slug
            base = f"{p}/{slug}"
            job_views: list[tuple[tuple[str, ...], str, View, str]] = [
                (("GET",), "", jobs.dashboard_view, "dashboard"),
                (("GET",), "/{id}", jobs.detail_view, "detail"),
                (("POST",), "/{id}/retry", jobs.retry_view, "retry"),
                (("POST",), "/{id}/discard", jobs.discard_view, "discard"),
            ]
            for methods, path, view, suffix in job_views:
                routes.append(
                    WebRoute(
                        methods,
                        base + path,
                        self._view(view, base + path, jobs_admin=self.jobs_admin),
                        f"{name}_{slug}_{suffix}",
                    )
                )
        return routes

    def _view(
        self,
        view: View,
        path: str,
        *,
        entity_admin: EntityAdmin | None = None,
        jobs_admin: JobsAdmin | None = None,
        login_required: bool = True,
    ) -> Callable[[ActionRequest], ActionResponse]:
        extra: dict[str, Any] = {}
        if entity_admin is not None:
            extra["entity_admin"] = entity_admin
        if jobs_admin is not None:
            extra["jobs_admin"] = jobs_admin

        def handler(raw: ActionRequest) -> ActionResponse:
            return self._handle(raw, view, path, extra, login_required)

        handler.__name__ = getattr(view, "__name__", "view")
        return handler

    def _handle(
        self,
        raw: ActionRequest,
        view: View,
        path: str,
        extra: dict[str, Any],
        login_required: bool,
    ) -> ActionResponse:
        session = self.sessions.load(raw)
        request = AdminRequest(cast("Admin", self), raw, session, None)
        try:
            request.user = user = self._current_user(session)
            if not self.csrf.host_allowed(raw):
                response = _bad_host(request)
            elif login_required and user is None:
                response = _to_login(request.url("login", next=_next_url(path, raw)), raw)
            elif not raw.is_safe and not self.csrf.is_valid(raw, session.nonce, request.form):
                response = _forbidden(
                    request, "The form is out of date or was not sent by this site (CSRF check)."
                )
            else:
                # The admin user is the actor of what the view changes (audit log).
                with acting_as(user or ANONYMOUS), via("admin"):
                    response = view(request, **raw.path_params, **extra)
        except BackendUnavailable:
            logger.exception(
                "nitro.admin: %s: storage unavailable (a repository, session, throttle or "
                "job store)",
                getattr(view, "__name__", view),
            )
            response = html(
                _error_page("The admin is unavailable for a moment; try again shortly.", 503),
                503,
            )
            response.headers["Retry-After"] = "5"
        except InvalidQuery:  # a value the database cannot compare (beyond its column...)
            logger.warning(
                "nitro.admin: %s: query refused", getattr(view, "__name__", view), exc_info=True
            )
            response = _bad_request(
                request, "The database cannot answer this request: a value in it is out of range."
            )
        except Exception:
            logger.exception("nitro.admin: %s failed", getattr(view, "__name__", view))
            response = html(_error_page("Something went wrong; the error was logged."), 500)
        if session.changed:
            response.set_cookies.append(self.sessions.set_cookie(session, raw))
        response.set_cookies.extend(request.cookies_out)
        # Every admin answer, SSE and redirects included: no cache may keep a copy.
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def _next_url(path: str, raw: ActionRequest) -> str | None:
    """Where to go after logging in: this page, when it is a GET of a page.

    ``ActionRequest`` has no path, so it is rebuilt from the route's template.
    """
    if raw.method != "GET" or raw.is_datastar:
        return None
    url = path.format_map({k: quote(v, safe="") for k, v in raw.path_params.items()})
    query = {k: v for k, v in raw.query.items() if k != "datastar"}
    return url + ("?" + urlencode(query) if query else "")


def _to_login(url: str, raw: ActionRequest) -> ActionResponse:
    """A redirect; for a Datastar request (live search after the session expired), an
    SSE event that navigates, since ``fetch`` would follow a redirect silently."""
    if not raw.is_datastar:
        return redirect(url)
    script = f"<script>window.location.assign({js_string(url)})</script>"
    event = patch_elements(script, selector="body", mode="append")
    return ActionResponse(200, dict(SSE_HEADERS), body=event.encode())


def _forbidden(request: AdminRequest, message: str) -> ActionResponse:
    from nitro.admin.views.errors import error_page

    return error_page(request, 403, "Forbidden", message)


def _bad_host(request: AdminRequest) -> ActionResponse:
    from nitro.admin.views.errors import error_page

    message = (
        "This host name is not allowed: add it to NITRO_ALLOWED_HOSTS "
        "(or Admin(allowed_hosts=[...]))."
    )
    return error_page(request, 400, "Bad request", message)


def _bad_request(request: AdminRequest, message: str) -> ActionResponse:
    from nitro.admin.views.errors import bad_request

    return bad_request(request, message)


def _error_page(message: str, status: int = 500) -> str:
    from rusty_tags import H1, P, Page

    title = "Service unavailable" if status == 503 else "Server error"
    return str(Page(H1(title), P(message), title=title, datastar=False))
