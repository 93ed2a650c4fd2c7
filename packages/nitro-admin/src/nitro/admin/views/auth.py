"""Log in and log out."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

from nitro.actions import ActionResponse
from nitro.admin.requests import AdminRequest
from nitro.admin.templates.layout import csrf_input, layout
from nitro.auth.errors import TooManyAttempts
from nitro.web import html, redirect
from rusty_tags import H1, Button, Div, Form, Input, Label, P

__all__ = ["login_view", "logout_view", "safe_next"]


# Characters kept as they are when a next= URL is re-encoded: RFC 3986's unreserved and
# sub-delims, ":" and "@", and "%" (existing escapes stay escapes).
_PATH_SAFE = "/-._~!$&'()*+,;=:@%"
_QUERY_SAFE = _PATH_SAFE + "?"


def safe_next(request: AdminRequest, target: str) -> str:
    """*target* if it is a page of this admin, else the index (no open redirects).

    The path is normalised first (``.``/``..`` segments, also percent-encoded, are
    resolved), so ``/admin/../evil`` is not inside the admin; backslashes, control
    characters (raw or encoded: ``%0d%0a``, ``%00``) and scheme-relative ``//host``
    URLs are refused; what is returned is plain ASCII, safe for a ``Location`` header.
    """
    index = request.url("")
    if not target or any(ord(c) < 0x20 or c in "\\\x7f" for c in target):
        return index
    decoded = unquote(target)
    if any(ord(c) < 0x20 or c in "\\\x7f" for c in decoded):
        return index
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return index
    path = _remove_dot_segments(parts.path)
    if path.startswith("//"):
        return index
    prefix = request.site.prefix
    if prefix and not (path == prefix or path.startswith(prefix + "/")):
        return index
    path = quote(path, safe=_PATH_SAFE)
    return path + ("?" + quote(parts.query, safe=_QUERY_SAFE) if parts.query else "")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, with ``%2e``-encoded dots counted as dots."""
    out: list[str] = []
    segments = path.split("/")[1:]
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        dots = unquote(segment)
        if dots == ".":
            if last:
                out.append("")
        elif dots == "..":
            if out:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)


def _login_page(
    request: AdminRequest, target: str, username: str, error: str | None, status: int
) -> ActionResponse:
    site = request.site
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
    return html(layout(request, "Log in", card, bare=True), status)


def login_view(request: AdminRequest) -> ActionResponse:
    """The login page: shows the form, checks the credentials (429 after too many attempts) and
    starts the session, then redirects to the safe ``next`` URL."""
    site = request.site
    target = safe_next(request, request.form_value("next") or request.query.get("next", ""))
    if request.user is not None:
        return redirect(target)
    if request.method != "POST":
        return _login_page(request, target, "", None, 200)
    username = request.form_value("username")[:150]
    password = request.form_value("password")[:1024]
    try:
        user = site.session_auth.check_password(username, password, request.raw)
    except TooManyAttempts as refused:  # before the password is checked: no scrypt work
        response = _login_page(request, target, username, refused.detail, 429)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    if user is None:
        return _login_page(request, target, username, "Wrong username or password.", 401)
    site.start_session(request, user)
    return redirect(target)


def logout_view(request: AdminRequest) -> ActionResponse:
    """End the session and go back to the login page (POST only, so a link cannot log anyone
    out)."""
    request.site.end_session(request)
    request.flash("You are logged out.")
    return redirect(request.url("login"))
