"""A real OpenID provider for the tests of OpenID Connect login, and apps that use it
(see tests/oidc/conftest.py for the fixtures).

``start_provider`` runs node's ``oidc-provider`` (``tests/oidc/provider/server.mjs``:
two clients that must use PKCE, the account ann / ann-password) on a free port. Its
npm packages are installed with ``npm ci`` into ``provider/node_modules`` (ignored by
git; ``.ci/run`` installs them too) when missing or older than the lock file. Without
node and npm the tests fail under CI and skip elsewhere, saying how to install them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
from nitro_servers import serve_asgi, serve_wsgi
from nitro_test_services import free_port, missing_service, stop_process, wait_for_port

from nitro.actions.request import ActionRequest, ActionResponse
from nitro.auth import SessionAuth, User
from nitro.login_routes import OIDCLogin
from nitro.sessions import MemorySessionStore
from nitro.web import WebRoute, html

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc" / "provider"
USERNAME, PASSWORD = "ann", "ann-password"
#: Where the provider may send the browser after its logout (registered for both clients).
LOGGED_OUT = "http://127.0.0.1/logged-out"


@dataclass(frozen=True)
class Provider:
    issuer: str
    process: subprocess.Popen[bytes]

    def client(self, client_id: str = "nitro-app") -> tuple[str, str]:
        """The id and secret of a registered client (``nitro-app`` or ``other-app``)."""
        return client_id, f"{client_id}-secret-0123456789abcdef0123456789"


def install_provider() -> None:
    """``npm ci`` when ``node_modules`` is missing or older than the lock file."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        missing_service("node and npm (for the OpenID provider)", "apt-get install nodejs npm")
    installed = PROVIDER_DIR / "node_modules" / ".package-lock.json"
    lock = PROVIDER_DIR / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=PROVIDER_DIR,
        check=True,
        timeout=300,
    )


@contextlib.contextmanager
def start_provider() -> Iterator[Provider]:
    install_provider()
    port = free_port()
    process = subprocess.Popen(
        ["node", "server.mjs"],
        cwd=PROVIDER_DIR,
        env={"PORT": str(port), "PATH": os.environ.get("PATH", ""), "NODE_ENV": "test"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, 30)
        yield Provider(f"http://127.0.0.1:{port}", process)
    finally:
        stop_process(process)


class Accounts:
    """A ``UserStore`` of the people who logged in through the provider (no passwords):
    the real ``SessionAuth`` reloads them from here on every request."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}

    def authenticate(self, username: str, password: str) -> None:
        return None

    def load_user(self, username: str) -> User | None:
        return self.users.get(username)


class MemorySessions:
    """The app's login: nitro.auth's ``SessionAuth`` over a memory store, opened by
    ``on_login`` (the pattern of docs/auth.md)."""

    def __init__(self) -> None:
        self.accounts = Accounts()
        self.users = self.accounts.users
        self.auth = SessionAuth(
            secret_key="session-secret-0123456789abcdef0123456789",
            store=MemorySessionStore(),
            users=self.accounts,
        )

    def on_login(self, user: User, request: Any) -> str:
        self.accounts.users[user.username] = user
        return self.auth.login(request, user)

    def user(self, request: ActionRequest) -> User | None:
        return self.auth.authenticate(request)


class Home:
    """``GET /``: who is logged in, and a logout button (``POST /auth/logout``)."""

    def __init__(self, sessions: MemorySessions) -> None:
        self.sessions = sessions

    def page(self, request: ActionRequest) -> ActionResponse:
        user = self.sessions.user(request)
        if user is None:
            return html("<p id='who'>Nobody is logged in</p>")
        roles = ",".join(sorted(user.role_names))
        token = self.sessions.auth.csrf_token(self.sessions.auth.session(request))
        return html(
            f"<p id='who'>Logged in as {user.username} ({user.id}); roles: {roles}</p>"
            "<form method='post' action='/auth/logout'>"
            f"<input type='hidden' name='csrf_token' value='{token}'>"
            "<button type='submit'>Log out</button></form>"
        )

    def web_routes(self) -> list[WebRoute]:
        return [WebRoute(("GET",), "/", self.page, "home")]


@dataclass
class App:
    url: str
    login: OIDCLogin
    sessions: MemorySessions

    def at(self, path: str) -> str:
        return urljoin(self.url, path)


def make_login(provider: Provider, cls: type[OIDCLogin] = OIDCLogin, **options: Any) -> OIDCLogin:
    client_id, secret = provider.client(options.pop("client_id", "nitro-app"))
    sessions = MemorySessions()
    options.setdefault("on_login", sessions.on_login)
    options.setdefault("session", sessions.auth)  # (serves the logout; on_login logs in)
    return cls(
        provider.issuer,
        client_id,
        secret,
        redirect_uri="http://127.0.0.1/auth/callback",  # the port is set once served
        scopes=["openid", "profile", "email", "roles"],
        secret_key="test-secret-key-0123456789abcdef0123456789",
        **options,
    )


def fastapi_app(login: OIDCLogin, home: Home) -> Any:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    app = FastAPI()
    mount(app, home)
    mount(app, login, prefix="/auth")
    return app


def flask_app(login: OIDCLogin, home: Home) -> Any:
    from flask import Flask

    from nitro.adapters.flask import mount

    app = Flask("oidc_test_app")
    mount(app, home)
    mount(app, login, prefix="/auth")
    return app


ADAPTERS = {"fastapi": (fastapi_app, serve_asgi), "flask": (flask_app, serve_wsgi)}


def serve_app(
    stack: contextlib.ExitStack,
    provider: Provider,
    adapter: str = "fastapi",
    cls: type[OIDCLogin] = OIDCLogin,
    **options: Any,
) -> App:
    """Serve an app with ``cls(...)`` at ``/auth`` on *adapter* until *stack* closes."""
    login = make_login(provider, cls, **options)
    sessions = login.on_login.__self__  # type: ignore[union-attr]
    assert isinstance(sessions, MemorySessions)
    build, serve = ADAPTERS[adapter]
    url = stack.enter_context(serve(build(login, Home(sessions))))
    login.redirect_uri = f"{url}/auth/callback"
    return App(url, login, sessions)


def follow_to_callback(http: requests.Session, app: App, response: requests.Response) -> str:
    """Follow redirects at the provider, signing in as ann on its login page, until it
    sends the browser back to the app's callback; that URL (not followed)."""
    for _ in range(10):
        if response.status_code in (301, 302, 303):
            location = requests.compat.urljoin(response.url, response.headers["Location"])
            if location.startswith(app.at("/auth/callback")):
                return location
            response = http.get(location, allow_redirects=False)
        elif response.status_code == 200 and 'name="password"' in response.text:
            action = re.search(r'action="([^"]+)"', response.text)
            assert action is not None
            response = http.post(
                requests.compat.urljoin(response.url, action.group(1)),
                data={"login": USERNAME, "password": PASSWORD},
                allow_redirects=False,
            )
        else:
            raise AssertionError(f"unexpected {response.status_code} at {response.url}")
    raise AssertionError("the provider never sent the browser back")


def start_login(app: App, http: requests.Session | None = None, next_: str = "/") -> Any:
    """(session, callback URL) of a login started on *app* and signed in at the provider."""
    http = http or requests.Session()
    response = http.get(app.at(f"/auth/login?next={next_}"), allow_redirects=False)
    assert response.status_code == 302
    assert "nitro_oidc=" in response.headers["Set-Cookie"]
    return http, follow_to_callback(http, app, response)
