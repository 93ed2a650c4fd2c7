"""Login flows served as framework-neutral routes: OpenID Connect on any adapter.

.. code-block:: python

    from nitro.adapters.fastapi import mount  # or flask / fasthtml
    from nitro.login_routes import OIDCLogin

    login = OIDCLogin.google(
        client_id=GOOGLE_CLIENT_ID,
        client_secret=GOOGLE_CLIENT_SECRET,
        redirect_uri="https://shop.example.com/auth/callback",
        session=auth,  # a nitro.auth.SessionAuth: the login opens a session
    )
    mount(app, login, prefix="/auth")  # GET /auth/login?next=/orders, GET /auth/callback
    # and POST /auth/logout

The protocol is :class:`nitro.auth.oidc.OIDCClient`; this module adds the
handlers. It sits above :mod:`nitro.auth` (which knows nothing of HTTP answers), beside
:mod:`nitro.web`, whose routes it serves.
"""

from __future__ import annotations

import html as _html
import logging
from collections.abc import Callable
from typing import Any, Protocol

from nitro.actions.request import ActionRequest, ActionResponse
from nitro.auth.errors import AuthError
from nitro.auth.identity import User
from nitro.auth.login import SessionAuth
from nitro.auth.oidc import LoginResult, OIDCClient, OIDCError
from nitro.web import WebRoute, form_fields, html, redirect

__all__ = ["LoginSession", "OIDCLogin"]

logger = logging.getLogger("nitro.auth.oidc")

#: ``on_login(user, request)``: an answer of its own, or a ``Set-Cookie`` value (then
#: the browser goes on to where the login started), or ``None`` (likewise, no cookie).
OnLogin = Callable[[User, ActionRequest], "ActionResponse | str | None"]


class LoginSession(Protocol):
    """What opens the app's session after a login: ``nitro.auth.SessionAuth``, or
    anything with ``login(request, user)`` returning a ``Set-Cookie`` value."""

    def login(self, request: Any, user: User) -> str: ...


class OIDCLogin(OIDCClient):
    """:class:`~nitro.auth.oidc.OIDCClient` with ``GET <prefix>/login`` and
    ``GET <prefix>/callback`` for ``mount(app, login, prefix=...)``; the callback's
    path is the one in *redirect_uri*. With a ``SessionAuth`` as *session*, also
    ``POST <prefix>/logout``: it ends the app's session, then sends the browser to the
    provider's logout (RP-Initiated Logout), so that the next login asks again.

    :param session: opens the app's session for the user (``SessionAuth``), and ends
        it on logout.
    :param on_login: ``on_login(user, request)`` instead, for apps that keep their own
        session or answer themselves (see :data:`OnLogin`); one of the two is needed
        (with both, *on_login* logs in and *session* serves the logout).
    :param post_logout_redirect_uri: where the provider sends the browser after its
        logout (an absolute URL registered at the provider); without it the provider
        shows its own page. Also where the logout goes when the provider has no logout
        endpoint or cannot be reached (else ``/``).
    :param name: prefixes the route names (two providers on one app: two names).

    Every other argument is :class:`~nitro.auth.oidc.OIDCClient`'s.
    """

    login_path = "/login"
    callback_path = "/callback"
    logout_path = "/logout"

    def __init__(
        self,
        *args: Any,
        session: LoginSession | None = None,
        on_login: OnLogin | None = None,
        post_logout_redirect_uri: str | None = None,
        name: str = "oidc",
        **options: Any,
    ) -> None:
        super().__init__(*args, **options)
        if session is None and on_login is None:
            raise ValueError(
                "OIDCLogin needs session= (e.g. a nitro.auth.SessionAuth) or "
                "on_login=(user, request) to know what a login opens"
            )
        self.login_session = session
        self.on_login = on_login
        self.post_logout_redirect_uri = post_logout_redirect_uri
        self.name = name

    def web_routes(self) -> list[WebRoute]:
        routes = [
            WebRoute(("GET",), self.login_path, self.start, f"{self.name}_login"),
            WebRoute(("GET",), self.callback_path, self.callback, f"{self.name}_callback"),
        ]
        if isinstance(self.login_session, SessionAuth):
            routes.append(WebRoute(("POST",), self.logout_path, self.logout, f"{self.name}_logout"))
        return routes

    # -- the handlers ----------------------------------------------------------------

    def start(self, request: ActionRequest) -> ActionResponse:
        """Send the browser to the provider (``?next=/path``: where to land after)."""
        try:
            url, cookie = self.begin(request.query.get("next"))
        except OIDCError as error:
            return self.refusal(error)
        response = redirect(url, 302)
        response.headers["Cache-Control"] = "no-store"
        response.set_cookies.append(cookie)
        return response

    def callback(self, request: ActionRequest) -> ActionResponse:
        """Check the provider's answer and log the user in (see ``OIDCClient.complete``)."""
        try:
            result = self.complete(request.query, request.cookies)
            response = self.logged_in(result, request)
        except AuthError as error:  # OIDCError, or the claim mapping's refusal
            response = self.refusal(error)
        except Exception:
            logger.exception("OpenID Connect login failed")
            response = self.refusal(OIDCError("The login failed", 500))
        response.headers["Cache-Control"] = "no-store"
        response.set_cookies.append(self.cookie.clear())  # one use only
        return response

    def logout(self, request: ActionRequest) -> ActionResponse:
        """End the app's session (every copy of its cookie), then log out at the
        provider. Only from this site's pages (the session's CSRF token, in the form's
        ``csrf_token`` or the ``X-CSRF-Token`` header): another site's form could
        otherwise log the visitor out."""
        auth = self.login_session
        assert isinstance(auth, SessionAuth)  # (the route is served only then)
        if not auth.csrf.is_valid(request, auth.session(request).nonce, form_fields(request)):
            response = html("<p>This logout did not come from this site.</p>", 403)
        else:
            cookie = auth.logout(request)
            try:
                url = self.logout_url(self.post_logout_redirect_uri)
            except OIDCError as error:  # the app's own logout stands
                logger.warning("Logged out here only: %s", error.detail)
                url = None
            response = redirect(url or self.post_logout_redirect_uri or "/", 303)
            response.set_cookies.append(cookie)
        response.headers["Cache-Control"] = "no-store"
        return response

    def logged_in(self, result: LoginResult, request: ActionRequest) -> ActionResponse:
        """The answer to a completed login: *on_login*'s, else the session's cookie and
        a redirect to where the login started."""
        if self.on_login is not None:
            answer = self.on_login(result.user, request)
        else:
            assert self.login_session is not None
            answer = self.login_session.login(request, result.user)
        if isinstance(answer, ActionResponse):
            return answer
        response = redirect(result.return_to, 303)
        if answer:
            response.set_cookies.append(answer)
        return response

    def refusal(self, error: AuthError) -> ActionResponse:
        """A small page saying why the login was refused (the detail is safe to show)."""
        status = error.status
        body = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Login refused</title>"
            f"</head><body><h1>Login refused</h1><p>{_html.escape(error.detail)}</p>"
            f"<p><a href='{_html.escape(self.login_path.lstrip('/'))}'>Try again</a></p>"
            "</body></html>"
        )
        return html(body, status)
