"""A password login page for a :class:`~nitro.auth.SessionAuth`, on any adapter.

.. code-block:: python

    from nitro.adapters.fastapi import configure_app, mount  # or flask / fasthtml
    from nitro.password_login import PasswordLogin

    configure_app(app, auth=auth)  # actions see current_user()
    mount(app, PasswordLogin(auth))  # GET/POST /login, POST /logout

The page, the check and the cookie are the parts every app would otherwise write
again, and the security of each is easy to get subtly wrong: the form carries the
session's CSRF token and the browser's ``Origin`` must be this site (no login CSRF),
guessing is throttled by ``SessionAuth.check_password`` (429 with ``Retry-After``),
``?next=`` only leads to a path on this site, and the answers are never cached.
"""

from __future__ import annotations

import html as _html

from nitro.actions.request import ActionRequest, ActionResponse
from nitro.auth.errors import TooManyAttempts
from nitro.auth.login import SessionAuth
from nitro.auth.oidc import safe_return_to
from nitro.web import WebRoute, form_fields, html, redirect

__all__ = ["PasswordLogin"]


class PasswordLogin:
    """``GET``/``POST <prefix>/login`` and ``POST <prefix>/logout`` for ``mount(app,
    login)``.

    :param auth: whose users may log in and whose session the login opens.
    :param title: the page's heading.
    :param home: where the browser goes after a login without ``?next=``, and after a
        logout.
    :param name: prefixes the route names.
    """

    login_path = "/login"
    logout_path = "/logout"

    def __init__(
        self, auth: SessionAuth, *, title: str = "Log in", home: str = "/", name: str = "password"
    ) -> None:
        if not isinstance(auth, SessionAuth):
            raise TypeError(f"PasswordLogin needs a nitro.auth.SessionAuth, got {auth!r}")
        self.auth = auth
        self.title = title
        self.home = home
        self.name = name

    def web_routes(self) -> list[WebRoute]:
        return [
            WebRoute(("GET",), self.login_path, self.page, f"{self.name}_login_page"),
            WebRoute(("POST",), self.login_path, self.login, f"{self.name}_login"),
            WebRoute(("POST",), self.logout_path, self.logout, f"{self.name}_logout"),
        ]

    # -- the handlers ----------------------------------------------------------------

    def page(self, request: ActionRequest) -> ActionResponse:
        """The form (its CSRF token belongs to the browser's session cookie, which an
        anonymous visitor gets here)."""
        return self.form(request, request.query.get("next") or "")

    def login(self, request: ActionRequest) -> ActionResponse:
        form = form_fields(request)
        session = self.auth.session(request)
        back = (form.get("next") or [""])[-1]
        if not self.auth.csrf.is_valid(request, session.nonce, form):
            return self.form(request, back, "The form expired: please log in again.", 403)
        username = (form.get("username") or [""])[-1]
        password = (form.get("password") or [""])[-1]
        if not username or not password:
            return self.form(request, back, "Give a username and a password.", 400, username)
        try:
            user = self.auth.check_password(username, password, request)
        except TooManyAttempts as exc:
            answer = self.form(request, back, str(exc), 429, username)
            answer.headers["Retry-After"] = str(exc.retry_after)
            return answer
        if user is None:
            return self.form(request, back, "Wrong username or password.", 401, username)
        response = self._no_store(redirect(safe_return_to(back, self.home), 303))
        response.set_cookies.append(self.auth.login(request, user))
        return response

    def logout(self, request: ActionRequest) -> ActionResponse:
        """End the session (for every copy of its cookie). Only from this site's
        pages: another site's form could otherwise log the visitor out."""
        if not self.auth.csrf.is_valid(
            request, self.auth.session(request).nonce, form_fields(request)
        ):
            return self._no_store(html("<p>This logout did not come from this site.</p>", 403))
        response = self._no_store(redirect(self.home, 303))
        response.set_cookies.append(self.auth.logout(request))
        return response

    # -- the page --------------------------------------------------------------------

    def form(
        self,
        request: ActionRequest,
        back: str,
        error: str = "",
        status: int = 200,
        username: str = "",
    ) -> ActionResponse:
        """The login page; override to give it the app's own look (keep the
        ``csrf_token`` and ``next`` fields)."""
        session = self.auth.session(request)
        escape = _html.escape
        token = escape(self.auth.csrf_token(session))
        problem = f'<p role="alert">{escape(error)}</p>' if error else ""
        body = (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{escape(self.title)}</title></head><body><main>"
            f"<h1>{escape(self.title)}</h1>{problem}"
            f'<form method="post" action="{escape(self.login_path.lstrip("/"))}">'
            f'<input type="hidden" name="csrf_token" value="{token}">'
            f'<input type="hidden" name="next" value="{escape(back)}">'
            '<label>Username <input name="username" autocomplete="username" required '
            f'value="{escape(username)}"></label>'
            '<label>Password <input name="password" type="password" '
            'autocomplete="current-password" required></label>'
            '<button type="submit">Log in</button></form></main></body></html>'
        )
        response = self._no_store(html(body, status))
        if session.changed:  # an anonymous visitor: the cookie the token belongs to
            response.set_cookies.append(self.auth.cookie.set_cookie(session, request))
        return response

    @staticmethod
    def _no_store(response: ActionResponse) -> ActionResponse:
        response.headers["Cache-Control"] = "no-store"
        return response
