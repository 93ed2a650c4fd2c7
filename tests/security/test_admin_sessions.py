"""Admin sessions, login throttling, next= redirects and cookies, over real servers.

* Logging out ends the session everywhere: a cookie captured before logout opens
  nothing, in this process or another sharing the store (Redis, a SQLite file).
* A password change (or removing the user) ends that user's other sessions.
* Failed logins are throttled per username and per client address: 429 with
  ``Retry-After`` and a message, the password is not checked while throttled, and the
  limit holds across instances sharing Redis.
* ``next=`` is normalised (``..``, ``%2e%2e``), refuses other hosts, backslashes and
  control characters, and non-ASCII comes back percent-encoded: never a 500.
* Every admin answer (pages, ``_results``, SSE, redirects, errors) is ``no-store``.
* The flash cookie is capped at 2 KB and ``Secure`` like the session cookie.
* ``Secure`` behind a proxy: ``X-Forwarded-Proto`` only from trusted proxies; a
  forwarded request with ``Host: localhost`` still gets ``Secure``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from nitro_servers import serve_asgi
from nitro_test_services import RedisServer, free_port, wait_for_port

from nitro import Entity
from nitro.actions import ActionRequest
from nitro.admin import Admin, AdminRequest, AdminUser, PasswordAuth, hash_password
from nitro.admin.session import Session
from nitro.admin.signing import Signer
from nitro.sessions import MemorySessionStore
from nitro.throttle import LoginThrottle

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import admin_sessions_app as shared  # noqa: E402

SECRET = "sessions-tests-secret-key-0123456789abcdef"
PASSWORD = "pw-for-session-tests"
COOKIE = "nitro_admin_session"


class SessNote(Entity):
    text: str = ""


def long_message(request: Any, entities: list[SessNote]) -> str:
    return "é" * 5000 + " and more"


class CountingAuth(PasswordAuth):
    """PasswordAuth that counts password checks (a fake, to prove throttled attempts
    cost no scrypt)."""

    def __init__(self, users: list[AdminUser]) -> None:
        super().__init__(users)
        self.checks = 0

    def authenticate(self, username: str, password: str) -> AdminUser | None:
        self.checks += 1
        return super().authenticate(username, password)


def users() -> list[AdminUser]:
    return [
        AdminUser("ann", hash_password(PASSWORD), is_superuser=True),
        AdminUser("viv", hash_password(PASSWORD), permissions={"sessnote.view"}),
    ]


def make_admin(**options: Any) -> Admin:
    options.setdefault("auth", CountingAuth(users()))
    admin = Admin(secret_key=SECRET, **options)
    admin.register(SessNote, actions=[long_message])
    return admin


@contextmanager
def served(admin: Admin) -> Iterator[str]:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    app = FastAPI()
    mount(app, admin)
    with serve_asgi(app) as url:
        yield url


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_login(client: httpx.Client, username: str, password: str, **extra: str) -> httpx.Response:
    token = csrf(client.get("/admin/login").text)
    data = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/admin/login", data=data)


@contextmanager
def logged_in(
    base_url: str, username: str = "ann", password: str = PASSWORD
) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        response = post_login(client, username, password)
        assert response.status_code == 303, response.text
        yield client


def replay(base_url: str, cookie: str, path: str = "/admin/sessnote") -> httpx.Response:
    with httpx.Client(base_url=base_url, timeout=10, cookies={COOKIE: cookie}) as client:
        return client.get(path)


def is_login_redirect(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/admin/login")


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Admin, str]]:
    admin = make_admin(login_throttle=LoginThrottle(base_delay=0.5, max_delay=2, window=10))
    with served(admin) as url:
        yield admin, url


@pytest.fixture
def admin(site: tuple[Admin, str]) -> Admin:
    site[0].login_throttle.store = type(site[0].login_throttle.store)()  # type: ignore[union-attr]
    return site[0]


@pytest.fixture
def base_url(site: tuple[Admin, str], admin: Admin) -> str:
    return site[1]


# -- item 4: sessions that outlive logout or a password change -----------------------


def test_a_cookie_captured_before_logout_is_dead_after_it(base_url: str) -> None:
    with logged_in(base_url) as client:
        captured = client.cookies[COOKIE]
        assert replay(base_url, captured).status_code == 200
        token = csrf(client.get("/admin/").text)
        assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    assert is_login_redirect(replay(base_url, captured))


def test_logout_ends_only_that_session(base_url: str) -> None:
    with logged_in(base_url) as first, logged_in(base_url) as second:
        token = csrf(first.get("/admin/").text)
        first.post("/admin/logout", data={"csrf_token": token})
        assert is_login_redirect(first.get("/admin/sessnote"))
        assert second.get("/admin/sessnote").status_code == 200


def test_a_password_change_ends_the_other_sessions_and_keeps_the_changers(
    admin: Admin, base_url: str
) -> None:
    with logged_in(base_url) as mine, logged_in(base_url) as other:
        captured = other.cookies[COOKIE]
        session_id = Signer(SECRET, "session").unsign(mine.cookies[COOKIE])["s"]
        me = AdminRequest(admin, ActionRequest("POST"), Session(session_id=session_id), None)
        me.user = admin.auth.load_user("ann")  # type: ignore[union-attr]
        try:
            admin.change_password("ann", "a-brand-new-password", request=me)
            assert mine.get("/admin/sessnote").status_code == 200
            assert is_login_redirect(other.get("/admin/sessnote"))
            assert is_login_redirect(replay(base_url, captured))
        finally:
            admin.change_password("ann", PASSWORD)
        assert is_login_redirect(mine.get("/admin/sessnote"))


def test_a_password_changed_behind_the_admins_back_ends_sessions(
    admin: Admin, base_url: str
) -> None:
    """Without any call to end sessions: the record's auth hash no longer matches."""
    with logged_in(base_url, "viv") as client:
        admin.auth.set_password("viv", "changed-elsewhere")  # type: ignore[union-attr]
        try:
            assert is_login_redirect(client.get("/admin/sessnote"))
        finally:
            admin.auth.set_password("viv", PASSWORD)  # type: ignore[union-attr]


def test_removing_the_user_ends_their_sessions(admin: Admin, base_url: str) -> None:
    auth: CountingAuth = admin.auth  # type: ignore[assignment]
    auth.add_user(AdminUser("tmp", hash_password(PASSWORD), is_superuser=True))
    with logged_in(base_url, "tmp") as client:
        captured = client.cookies[COOKIE]
        auth.remove_user("tmp")
        assert is_login_redirect(client.get("/admin/sessnote"))
        auth.add_user(AdminUser("tmp", hash_password(PASSWORD), is_superuser=True))
        assert is_login_redirect(replay(base_url, captured))  # the record is gone
        auth.remove_user("tmp")


def test_end_sessions_frees_every_record_of_the_user(admin: Admin, base_url: str) -> None:
    with logged_in(base_url, "viv") as first, logged_in(base_url, "viv") as second:
        assert admin.end_sessions("viv") == 2
        assert is_login_redirect(first.get("/admin/sessnote"))
        assert is_login_redirect(second.get("/admin/sessnote"))


def test_a_validly_signed_cookie_naming_a_user_is_not_a_session(base_url: str) -> None:
    """The old cookie format carried the username: with the key it was a login."""
    forged = Signer(SECRET, "session").sign({"n": "x", "u": "ann", "s": "guess"}, 60)
    assert is_login_redirect(replay(base_url, forged))


def test_a_session_record_of_another_site_is_refused() -> None:
    store = MemorySessionStore()
    first = make_admin(session_store=store)
    second = Admin("/other", auth=first.auth, secret_key=SECRET, session_store=store)
    second.register(SessNote)
    with served(first) as url, logged_in(url) as client:
        cookie = client.cookies[COOKIE]
    with served(second) as url, httpx.Client(base_url=url, timeout=10) as client:
        client.cookies.set(COOKIE, cookie)
        response = client.get("/other/sessnote")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/other/login")


# -- item 5: login throttling -----------------------------------------------------------


def test_failed_logins_are_throttled_without_checking_the_password(
    admin: Admin, base_url: str
) -> None:
    auth: CountingAuth = admin.auth  # type: ignore[assignment]
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for _ in range(5):
            assert post_login(client, "ann", "wrong").status_code == 401
        checks = auth.checks
        for password in ("wrong", PASSWORD):
            response = post_login(client, "ann", password)
            assert response.status_code == 429
            assert int(response.headers["retry-after"]) >= 1
            assert "Too many failed log-in attempts. Try again in" in response.text
            assert response.headers["cache-control"] == "no-store"
        assert auth.checks == checks  # no password checked while throttled
        time.sleep(float(response.headers["retry-after"]))
        assert post_login(client, "ann", PASSWORD).status_code == 303
        assert auth.checks == checks + 1
    # The success forgot the username's failures: five more are free again.
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for _ in range(5):
            assert post_login(client, "ann", "wrong").status_code == 401


def test_a_threaded_flood_checks_few_passwords() -> None:
    """The issue's flood: many threads posting wrong passwords for one user."""
    admin = make_admin()  # the default throttle
    auth: CountingAuth = admin.auth  # type: ignore[assignment]

    def attack(base_url: str) -> list[int]:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            token = csrf(client.get("/admin/login").text)
            data = {"username": "ann", "password": "guess", "csrf_token": token}
            return [client.post("/admin/login", data=data).status_code for _ in range(15)]

    with served(admin) as url, ThreadPoolExecutor(8) as pool:
        statuses = [status for batch in pool.map(attack, [url] * 8) for status in batch]
    assert set(statuses) <= {401, 429}
    assert statuses.count(429) >= 100
    # At most the free attempts, the racing first round of each thread and a few
    # back-off steps (1 s, 2 s, 4 s...) reached scrypt, out of 120 attempts.
    assert auth.checks <= 5 + 8 + 5


def test_the_wait_doubles(admin: Admin, base_url: str) -> None:
    throttle = admin.login_throttle
    assert throttle is not None
    assert [throttle.delay(n, 5) for n in (4, 5, 6, 7, 8)] == [0, 0.5, 1, 2, 2]
    assert LoginThrottle().delay(5 + 40, 5) == 300  # capped


def test_many_usernames_from_one_address_are_throttled(admin: Admin, base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for i in range(20):
            assert post_login(client, f"nobody{i}", "wrong").status_code == 401
        response = post_login(client, "viv", PASSWORD)
        assert response.status_code == 429
        assert "retry-after" in response.headers


def test_throttling_can_be_turned_off() -> None:
    admin = make_admin(login_throttle=False)
    assert admin.login_throttle is None
    with served(admin) as url, httpx.Client(base_url=url, timeout=10) as client:
        for _ in range(8):
            assert post_login(client, "ann", "wrong").status_code == 401
        assert post_login(client, "ann", PASSWORD).status_code == 303


def test_throttling_is_on_by_default() -> None:
    throttle = Admin(auth=PasswordAuth([])).login_throttle
    assert throttle is not None
    assert (throttle.free_attempts, throttle.free_attempts_per_address) == (5, 20)


def test_the_throttle_holds_across_two_sites_sharing_redis(redis_url: str) -> None:
    from nitro.redis import RedisCounterStore

    first = make_admin(throttle_store=RedisCounterStore(redis_url))
    second = make_admin(throttle_store=RedisCounterStore(redis_url))
    with served(first) as url_a, served(second) as url_b:
        with httpx.Client(base_url=url_a, timeout=10) as client:
            for _ in range(5):
                assert post_login(client, "ann", "wrong").status_code == 401
        with httpx.Client(base_url=url_b, timeout=10) as client:
            assert post_login(client, "ann", PASSWORD).status_code == 429
        assert second.auth.checks == 0  # type: ignore[union-attr]


def test_redis_counter_store(redis_url: str) -> None:
    from nitro.persistence import BackendUnavailable
    from nitro.redis import RedisCounterStore

    store = RedisCounterStore(redis_url)
    assert store.peek("k") == (0, 0.0)
    assert [store.hit("k", 0.3) for _ in range(3)] == [1, 2, 3]
    count, left = store.peek("k")
    assert count == 3
    assert 0 < left <= 0.3
    store.reset("k")
    assert store.peek("k") == (0, 0.0)
    store.hit("gone", 0.05)
    time.sleep(0.1)
    assert store.hit("gone", 1) == 1
    with pytest.raises(BackendUnavailable, match=r"127\.0\.0\.1"):
        RedisCounterStore(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5).hit("k", 1)


def test_a_throttle_store_that_is_down_refuses_logins_with_503() -> None:
    from nitro.redis import RedisCounterStore

    down = RedisCounterStore(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    admin = make_admin(throttle_store=down)
    with served(admin) as url, httpx.Client(base_url=url, timeout=10) as client:
        response = post_login(client, "ann", PASSWORD)
        assert response.status_code == 503
        assert response.headers["cache-control"] == "no-store"
        assert admin.auth.checks == 0  # type: ignore[union-attr]


# -- items 7 and 8: next= ---------------------------------------------------------------

NEXT_CASES = [
    ("/admin/sessnote?o=-text", "/admin/sessnote?o=-text"),
    ("/admin/../evil", "/admin/"),
    ("/admin/%2e%2e/evil", "/admin/"),
    ("/admin/.%2E/%2e./evil", "/admin/"),
    ("/admin/sessnote/../..", "/admin/"),
    ("/admin/sessnote/./x/../", "/admin/sessnote/"),
    ("/admin/sessnote/..", "/admin/"),
    ("//evil.example/admin/", "/admin/"),
    ("https://evil.example/admin/", "/admin/"),
    ("/\\evil.example", "/admin/"),
    ("/admin/\\..\\..\\evil", "/admin/"),
    ("/admin/%5c..%5c..%5cevil", "/admin/"),
    ("/admin/\t/x", "/admin/"),
    ("/admin/x%0d%0aSet-Cookie:%20a=b", "/admin/"),
    ("/admin/x\r\nSet-Cookie: a=b", "/admin/"),
    ("/admin/x%00", "/admin/"),
    ("/admin/sessnote?q=caf\u00e9", "/admin/sessnote?q=caf%C3%A9"),
    ("/admin/r\u00e9sum\u00e9", "/admin/r%C3%A9sum%C3%A9"),
    ("/admin/sessnote?q=%E2%9C%93", "/admin/sessnote?q=%E2%9C%93"),
    ("/adminevil", "/admin/"),
    ("javascript:alert(1)", "/admin/"),
]


@pytest.mark.parametrize(("target", "expected"), NEXT_CASES)
def test_next_after_login(base_url: str, target: str, expected: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        response = post_login(client, "ann", PASSWORD, next=target)
        assert response.status_code == 303
        assert response.headers["location"] == expected


@pytest.mark.parametrize(("target", "expected"), NEXT_CASES)
def test_next_when_already_logged_in(base_url: str, target: str, expected: str) -> None:
    with logged_in(base_url) as client:
        response = client.get("/admin/login", params={"next": target})
        assert response.status_code == 303
        assert response.headers["location"] == expected


def test_the_login_form_carries_a_safe_next(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        page = client.get("/admin/login", params={"next": "/admin/../evil"}).text
        assert 'name="next" value="/admin/"' in page


# -- item 10: no-store on every answer ----------------------------------------------------


def test_every_admin_answer_is_no_store(base_url: str) -> None:
    answers: list[httpx.Response] = []
    with httpx.Client(base_url=base_url, timeout=10) as anonymous:
        answers.append(anonymous.get("/admin/sessnote"))  # redirect to login
        answers.append(anonymous.get("/admin/login"))
        answers.append(anonymous.post("/admin/login", data={"username": "x"}))  # 403 CSRF
        answers.append(post_login(anonymous, "ann", "wrong"))  # 401
        answers.append(
            anonymous.get(  # SSE that navigates to the login page
                "/admin/sessnote/_results",
                params={"datastar": "{}"},
                headers={"Datastar-Request": "true"},
            )
        )
    with logged_in(base_url) as client:
        answers.append(client.get("/admin/"))
        answers.append(client.get("/admin"))
        answers.append(client.get("/admin/sessnote"))
        answers.append(client.get("/admin/sessnote/_results"))
        sse = client.get(
            "/admin/sessnote/_results",
            params={"datastar": '{"q": ""}'},
            headers={"Datastar-Request": "true"},
        )
        assert sse.headers["content-type"].startswith("text/event-stream")
        answers.append(sse)
        answers.append(client.get("/admin/sessnote/new"))
        answers.append(client.get("/admin/sessnote/missing/edit"))  # 404
        answers.append(client.get("/admin/login"))  # redirect: logged in already
    statuses = {response.status_code for response in answers}
    assert {200, 303, 401, 403, 404} <= statuses
    for response in answers:
        assert response.headers["cache-control"] == "no-store", response.request.url


# -- item 12: the flash cookie ------------------------------------------------------------


def flash_cookie(response: httpx.Response) -> str:
    found = [
        c for c in response.headers.get_list("set-cookie") if c.startswith("nitro_admin_flash=")
    ]
    assert found, response.headers
    return found[0]


def test_a_long_flash_message_is_cut_to_fit_the_cookie(base_url: str) -> None:
    note = SessNote(text="x")
    note.save()
    try:
        with logged_in(base_url) as client:
            token = csrf(client.get("/admin/sessnote").text)
            response = client.post(
                "/admin/sessnote/_action",
                data={
                    "csrf_token": token,
                    "action": "long_message",
                    "ids": note.id,
                    "confirm": "yes",
                },
            )
            assert response.status_code == 303
            cookie = flash_cookie(response)
            value = cookie.split(";")[0].split("=", 1)[1]
            assert 0 < len(value) <= 2048
            page = client.get(response.headers["location"]).text
            assert "éééé" in page
            assert "…" in page
            assert "and more" not in page
    finally:
        note.delete()


def test_an_oversized_flash_cookie_is_ignored(base_url: str) -> None:
    big = Signer(SECRET, "flash").sign(["success", "x" * 3000], 60)
    with logged_in(base_url) as client:
        client.cookies.set("nitro_admin_flash", big, path="/admin")
        page = client.get("/admin/")
        assert page.status_code == 200
        assert "x" * 3000 not in page.text


# -- item 13: Secure behind a proxy -------------------------------------------------------


def answer_cookies(base_url: str, headers: dict[str, str]) -> tuple[str, str]:
    """The session and flash cookies set in answer to a first visit made with
    *headers* (the flash cookie the browser brought is cleared: set too)."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.cookies.set("nitro_admin_flash", "stale")
        response = client.get("/admin/login", headers=headers)
        assert response.status_code == 200
        cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(COOKIE + "="))
    return session, flash_cookie(response)


def test_the_flash_cookie_is_secure_like_the_session() -> None:
    admin = make_admin(trusted_proxies=["127.0.0.1"])
    with served(admin) as url, logged_in(url) as client:
        token = csrf(client.get("/admin/").text)
        response = client.post(
            "/admin/logout", data={"csrf_token": token}, headers={"X-Forwarded-Proto": "https"}
        )
        assert response.status_code == 303
        flash = flash_cookie(response)
        assert flash.split(";")[0] != "nitro_admin_flash="  # a message, not a clearing
        assert "; Secure" in flash
        assert any(
            c.startswith(COOKIE + "=") and "; Secure" in c
            for c in response.headers.get_list("set-cookie")
        )


@pytest.mark.parametrize(
    ("trusted", "headers", "secure"),
    [
        # Local development: a direct loopback connection, no forwarding headers.
        ([], {}, False),
        ([], {"Host": "localhost"}, False),
        # A TLS proxy forwarding with nginx's default Host: localhost.
        ([], {"Host": "localhost", "X-Forwarded-Proto": "https"}, True),
        ([], {"Host": "localhost", "X-Forwarded-For": "203.0.113.9"}, True),
        (["127.0.0.1"], {"Host": "localhost", "X-Forwarded-Proto": "https"}, True),
        # A trusted proxy that says the browser uses http: no Secure (it would be lost).
        (["127.0.0.1"], {"Host": "shop.example", "X-Forwarded-Proto": "http"}, False),
        # The same claim from an untrusted peer is ignored.
        (["10.0.0.0/8"], {"Host": "shop.example", "X-Forwarded-Proto": "http"}, True),
        # A public Host over plain http: Secure anyway.
        ([], {"Host": "shop.example"}, True),
    ],
)
def test_secure_cookies_behind_proxies(
    trusted: list[str], headers: dict[str, str], secure: bool
) -> None:
    admin = make_admin(trusted_proxies=trusted)
    with served(admin) as url:
        session, flash = answer_cookies(url, headers)
    assert ("; Secure" in session) is secure, session
    assert ("; Secure" in flash) is secure, flash


def test_trusted_proxies_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NITRO_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
    admin = make_admin()
    with served(admin) as url:
        session, _ = answer_cookies(url, {"Host": "shop.example", "X-Forwarded-Proto": "http"})
    assert "; Secure" not in session
    forwarded = ActionRequest("GET", headers={"x-forwarded-for": "198.51.100.4"}, client="10.1.2.3")
    assert admin.proxies.client_address(forwarded) == "198.51.100.4"


def test_the_throttle_counts_the_forwarded_client_of_a_trusted_proxy() -> None:
    admin = make_admin(trusted_proxies=["127.0.0.1"])
    with served(admin) as url, httpx.Client(base_url=url, timeout=10) as client:
        for i in range(20):
            forwarded = {"X-Forwarded-For": "198.51.100.1"}
            token = csrf(client.get("/admin/login").text)
            data = {"username": f"u{i}", "password": "x", "csrf_token": token}
            assert client.post("/admin/login", data=data, headers=forwarded).status_code == 401
        token = csrf(client.get("/admin/login").text)
        data = {"username": "ann", "password": PASSWORD, "csrf_token": token}
        other = {"X-Forwarded-For": "198.51.100.2"}
        assert client.post("/admin/login", data=data, headers=other).status_code == 303


# -- several processes sharing Redis or a SQLite file -----------------------------------


@dataclass
class Instance:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_instance(env: dict[str, str], log: Path) -> Instance:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "admin_sessions_app:app", "--app-dir", str(HERE),
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        "--no-access-log", "--timeout-graceful-shutdown", "1",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    return Instance(f"http://127.0.0.1:{port}", process, log)


@contextmanager
def two_instances(env: dict[str, str], tmp: Path) -> Iterator[tuple[str, str]]:
    instances = [start_instance(env, tmp / f"{name}.log") for name in "AB"]
    try:
        for instance in instances:
            port = int(instance.url.rsplit(":", 1)[1])
            try:
                wait_for_port(port, instance.process, 30)  # type: ignore[arg-type]
            except Exception:
                raise AssertionError(instance.log.read_text()) from None
        yield instances[0].url, instances[1].url
    finally:
        for instance in instances:
            instance.process.terminate()
            try:
                instance.process.wait(10)
            except subprocess.TimeoutExpired:
                instance.process.kill()
                instance.process.wait()


@pytest.fixture(params=["redis", "sql"])
def cluster(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Admin, str, str]]:
    """Two uvicorn processes serving the same admin, and an Admin object in this
    process on the same stores (as a management command would use)."""
    kind: str = request.param
    env = {"NITRO_TEST_SESSION_BACKEND": kind}
    if kind == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        env["NITRO_REDIS_URL"] = request.getfixturevalue("redis_url")
        assert server is not None
    else:
        pytest.importorskip("nitro.sql")
        env["NITRO_TEST_SQL_URL"] = f"sqlite:///{tmp_path / 'shared.db'}"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    here = shared.build_admin(kind)
    here.auth.set_password("ann", shared.PASSWORD)  # type: ignore[union-attr]
    with two_instances(env, tmp_path) as (url_a, url_b):
        yield here, url_a, url_b


def test_logout_in_one_process_ends_the_session_in_the_other(
    cluster: tuple[Admin, str, str],
) -> None:
    _, url_a, url_b = cluster
    with logged_in(url_a, password=shared.PASSWORD) as client:
        captured = client.cookies[COOKIE]
        assert replay(url_b, captured, "/admin/note").status_code == 200
        token = csrf(client.get("/admin/").text)
        assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    assert is_login_redirect(replay(url_b, captured, "/admin/note"))
    assert is_login_redirect(replay(url_a, captured, "/admin/note"))


def test_a_password_change_ends_sessions_in_every_process(
    cluster: tuple[Admin, str, str],
) -> None:
    here, url_a, url_b = cluster
    with (
        logged_in(url_a, password=shared.PASSWORD) as on_a,
        logged_in(url_b, password=shared.PASSWORD) as on_b,
    ):
        assert on_a.get("/admin/note").status_code == 200
        here.change_password("ann", "the-new-password-42")
        assert is_login_redirect(on_a.get("/admin/note"))
        assert is_login_redirect(on_b.get("/admin/note"))
        assert here.session_store.delete_user("ann", scope="/admin") == 0  # all freed
    with logged_in(url_b, password="the-new-password-42") as client:
        assert client.get("/admin/note").status_code == 200


@pytest.mark.parametrize("cluster", ["redis"], indirect=True)
def test_the_throttle_holds_across_processes(cluster: tuple[Admin, str, str]) -> None:
    _, url_a, url_b = cluster
    with httpx.Client(base_url=url_a, timeout=10) as client:
        for _ in range(5):
            assert post_login(client, "ann", "wrong").status_code == 401
    with httpx.Client(base_url=url_b, timeout=10) as client:
        response = post_login(client, "ann", shared.PASSWORD)
        assert response.status_code == 429
        assert "retry-after" in response.headers
