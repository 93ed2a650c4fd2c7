"""Log in and log out."""

from __future__ import annotations

from nitro.actions import ActionResponse
from nitro.admin.requests import AdminRequest
from nitro.admin.templates.layout import csrf_input, layout
from nitro.web import html, redirect
from rusty_tags import H1, Button, Div, Form, Input, Label, P

__all__ = ["login_view", "logout_view", "safe_next"]


def safe_next(request: AdminRequest, target: str) -> str:
    """*target* if it is a page of this admin, else the index (no open redirects)."""
    prefix = request.site.prefix
    if (
        (target.startswith(prefix + "/") or target == prefix)
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target or "/"
    return request.url("")


def login_view(request: AdminRequest) -> ActionResponse:
    site = request.site
    target = safe_next(request, request.form_value("next") or request.query.get("next", ""))
    if request.user is not None:
        return redirect(target)
    error = None
    username = ""
    if request.method == "POST":
        username = request.form_value("username")[:150]
        password = request.form_value("password")[:1024]
        user = site.auth.authenticate(username, password) if site.auth and username else None
        if user is not None:
            request.session.login(user.username)
            return redirect(target)
        error = "Wrong username or password."
    card = Div(
        H1(site.title),
        P(error, cls="flash error", role="alert") if error else None,
        Form(
            csrf_input(request),
            Input(type="hidden", name="next", value=target),
            Div(
                Label("Username", for_="username"),
                Input(
                    id="username",
                    name="username",
                    value=username,
                    autocomplete="username",
                    autofocus=True,
                ),
                cls="field",
            ),
            Div(
                Label("Password", for_="password"),
                Input(
                    id="password",
                    name="password",
                    type="password",
                    autocomplete="current-password",
                ),
                cls="field",
            ),
            Button("Log in", type="submit", cls="btn btn-primary"),
            method="post",
            action=request.url("login"),
        ),
        cls="card login",
    )
    return html(layout(request, "Log in", card, bare=True), 401 if error else 200)


def logout_view(request: AdminRequest) -> ActionResponse:
    request.session.login("")  # a fresh nonce...
    request.session.username = None  # ...and nobody logged in
    request.flash("You are logged out.")
    return redirect(request.url("login"))
