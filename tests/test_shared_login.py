"""One login for an app and its admin, over real HTTP (FastAPI on uvicorn).

The app is configured with a :class:`nitro.auth.SessionAuth` and mounts the admin with
``Admin(auth=session_auth)``:

* a user logged in through the admin's login form is ``current_user()`` in the app's
  actions, with the same grants;
* a user logged in through the app's own login handler (``SessionAuth.login``) is
  logged in to the admin;
* logging out in either (the admin's button, the app's ``SessionAuth.logout``) ends
  both, for every copy of the cookie; a password change ends the other sessions;

with the session records in memory, in a SQLite file (``RepositorySessionStore`` over
``SQLModelBackend``) and in a real redis-server (``RedisRepo``). With the shared stores,
a second app instance over the same store sees the same logins and logouts.

The docs example (docs/auth.md, "Password login and sessions": examples/shared_login)
is run as written too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from nitro_examples import EXAMPLES, serve_example
from nitro_servers import serve_asgi

from nitro import Entity
from nitro.actions import action
from nitro.admin import Admin
from nitro.auth import PasswordAuth, PasswordUser, SessionAuth, current_user, hash_password
from nitro.auth.csrf import same_origin
from nitro.sessions import MemorySessionStore, RepositorySessionStore, SessionStore
from nitro.web import WebRequest, WebResponse, WebRoute, redirect

REPO_ROOT = Path(__file__).resolve().parent.parent
SECRET = "shared-login-secret-0123456789-abcdefgh"
PASSWORD = "correct horse battery staple"
HASH = hash_password(PASSWORD)
COOKIE = "nitro_session"


class Ledger(Entity):
    balance: int = 0
    credited_by: str = ""

    @action(permission="ledger.change")  # the admin's per-entity grant
    def credit(self, amount: int = 1) -> int:
        self.balance += amount
        self.credited_by = current_user().username
        return self.balance

    @action(method="GET")
    @classmethod
    def whoami(cls) -> str:
        user = current_user()
        return user.username if user.is_authenticated else "anonymous"


def users() -> PasswordAuth:
    return PasswordAuth(
        [
            PasswordUser("ann", HASH, is_superuser=True),
            PasswordUser("ed", HASH, permissions=["ledger.*"]),
            PasswordUser("viv", HASH, permissions=["ledger.view"]),
        ]
    )


class AppLogin:
    """The app's own login and logout (no admin page involved), on SessionAuth's API."""

    def __init__(self, auth: SessionAuth) -> None:
        self.auth = auth

    def web_routes(self) -> list[WebRoute]:
        return [
            WebRoute(("POST",), "/login", self.login, "app_login"),
            WebRoute(("POST",), "/logout", self.logout, "app_logout"),
        ]

    def login(self, request: WebRequest) -> WebResponse:
        if not same_origin(request):
            return WebResponse(403, {}, b"")
        form = parse_qs(request.body.decode())
        user = self.auth.check_password(form["username"][0], form["password"][0])
        if user is None:
            return WebResponse(401, {}, b"wrong username or password")
        response = redirect("/")
        response.set_cookies.append(self.auth.login(request, user))
        return response

    def logout(self, request: WebRequest) -> WebResponse:
        response = redirect("/")
        response.set_cookies.append(self.auth.logout(request))
        return response


def build_app(store: SessionStore[Any], user_store: PasswordAuth | None = None) -> Any:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import configure_app, mount

    auth = SessionAuth(secret_key=SECRET, store=store, users=user_store or users())
    admin = Admin(auth=auth)
    admin.register(Ledger)
    app = FastAPI()
    configure_app(app, entities=[Ledger], auth=auth)
    mount(app, admin)
    mount(app, AppLogin(auth))
    app.state.session_auth = auth
    return app


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Any]:
    """Makes session stores; the SQLite and Redis ones share their records."""
    if request.param == "memory":
        shared = MemorySessionStore()
        return lambda: shared
    if request.param == "sqlite":
        from nitro.sql import SQLModelBackend

        url = f"sqlite:///{tmp_path / 'sessions.db'}"
        return lambda: RepositorySessionStore(functools.partial(SQLModelBackend, url=url))
    from nitro.redis import RedisRepo

    redis_url = request.getfixturevalue("redis_url")  # fails under CI without redis-server
    return lambda: RepositorySessionStore(
        functools.partial(RedisRepo, url=redis_url, prefix="shared-login")
    )


@pytest.fixture
def ledger() -> Iterator[None]:
    Ledger.repository().clear()
    Ledger(id="main").save()
    yield
    Ledger.repository().clear()


@pytest.fixture
def served(store_factory: Callable[[], Any], ledger: None) -> Iterator[tuple[str, Any]]:
    app = build_app(store_factory())
    with serve_asgi(app) as url:
        yield url, app


@pytest.fixture
def base_url(served: tuple[str, Any]) -> str:
    return served[0]


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def admin_login(client: httpx.Client, username: str) -> None:
    token = csrf(client.get("/admin/login").text)
    answer = client.post(
        "/admin/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text


def app_login(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/login", data={"username": username, "password": password})


def whoami(client: httpx.Client) -> str:
    answer = client.get("/ledger/whoami")
    assert answer.status_code == 200, answer.text
    result: str = answer.json()["result"]
    return result


def admin_page_status(client: httpx.Client) -> int:
    return client.get("/admin/ledger").status_code


def copy_of(client: httpx.Client, base_url: str) -> httpx.Client:
    """Another client with the same cookie (a stolen or shared copy)."""
    other = httpx.Client(base_url=base_url, timeout=10)
    other.cookies.set(COOKIE, client.cookies[COOKIE])
    return other


def test_the_admins_login_is_the_apps_login(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        assert whoami(client) == "anonymous"
        assert client.post("/ledger/main/credit").status_code == 401
        admin_login(client, "ed")
        assert list(client.cookies.keys()) == [COOKIE]  # one cookie for both
        assert whoami(client) == "ed"
        answer = client.post("/ledger/main/credit", json={"amount": 5})
        assert answer.status_code == 200, answer.text
        assert Ledger.get("main").credited_by == "ed"
        assert admin_page_status(client) == 200


def test_the_admins_grants_gate_the_actions(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        admin_login(client, "viv")  # ledger.view only
        assert client.post("/ledger/main/credit").status_code == 403
        assert admin_page_status(client) == 200
        assert client.get("/admin/ledger/main/delete").status_code == 403


def test_the_apps_login_is_the_admins_login(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        assert admin_page_status(client) == 303  # to the login page
        assert app_login(client, "ann", "wrong").status_code == 401
        assert app_login(client, "ann").status_code == 303
        assert whoami(client) == "ann"
        assert admin_page_status(client) == 200


def test_logging_out_of_the_admin_ends_the_apps_session(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        app_login(client, "ed")
        with copy_of(client, base_url) as copy:
            token = csrf(client.get("/admin/").text)
            assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
            assert whoami(client) == "anonymous"
            assert client.post("/ledger/main/credit").status_code == 401
            assert whoami(copy) == "anonymous"  # the record is gone: every copy is dead
            assert admin_page_status(copy) == 303


def test_logging_out_of_the_app_ends_the_admins_session(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        admin_login(client, "ed")
        with copy_of(client, base_url) as copy:
            answer = client.post("/logout")
            assert answer.status_code == 303
            assert "Max-Age=0" in answer.headers["set-cookie"]
            assert COOKIE not in client.cookies
            assert admin_page_status(copy) == 303
            assert whoami(copy) == "anonymous"
            assert copy.post("/ledger/main/credit").status_code == 401


def test_a_password_change_ends_the_other_sessions(served: tuple[str, Any]) -> None:
    base_url, app = served
    auth: SessionAuth = app.state.session_auth
    with (
        httpx.Client(base_url=base_url, timeout=10) as mine,
        httpx.Client(base_url=base_url, timeout=10) as other,
    ):
        admin_login(mine, "ed")
        app_login(other, "ed")
        raw = WebRequest("GET", headers={"cookie": f"{COOKIE}={mine.cookies[COOKIE]}"})
        auth.change_password("ed", "a new password", keep=auth.session(raw))
        assert whoami(mine) == "ed"  # the one who changed it stays logged in
        assert whoami(other) == "anonymous"
        assert admin_page_status(other) == 303


def test_a_second_instance_shares_the_logins(
    store_factory: Callable[[], Any], ledger: None
) -> None:
    """Two app instances over one store (SQLite, Redis): a login and a logout count in
    both (memory: the same store object stands in for one process)."""
    with (
        serve_asgi(build_app(store_factory())) as first,
        serve_asgi(build_app(store_factory())) as second,
        httpx.Client(base_url=first, timeout=10) as client,
    ):
        admin_login(client, "ed")
        with copy_of(client, second) as there:
            assert whoami(there) == "ed"
            assert admin_page_status(there) == 200
            there.post("/logout")
            assert whoami(client) == "anonymous"
            assert admin_page_status(client) == 303


# -- the docs example, as written -----------------------------------------------------

EXAMPLE = EXAMPLES / "shared_login" / "app.py"


def test_the_docs_show_the_example_as_it_is() -> None:
    text = (REPO_ROOT / "docs" / "auth.md").read_text()
    section = text.split("## Password login and sessions", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert match, "no python example under 'Password login and sessions'"
    assert match.group(1) == EXAMPLE.read_text()


def test_the_example_shares_one_login(tmp_path: Path) -> None:
    env = {"NITRO_SECRET_KEY": SECRET, "ANN_PASSWORD": PASSWORD, "ED_PASSWORD": PASSWORD}
    with (
        serve_example("shared_login", tmp_path, env) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        assert client.get("/note/whoami").json()["result"] == "nobody"
        assert client.post("/note/write", json={"text": "hi"}).status_code == 401
        admin_login(client, "ed")
        assert client.get("/note/whoami").json()["result"] == "ed"
        written = client.post("/note/write", json={"text": "hi"})
        assert written.status_code == 200, written.text
        assert written.json()["result"]
        assert client.get("/admin/note").status_code == 200
        with copy_of(client, url) as copy:
            assert client.post("/logout").status_code == 303
            assert copy.get("/note/whoami").json()["result"] == "nobody"
            assert copy.get("/admin/note").status_code == 303
