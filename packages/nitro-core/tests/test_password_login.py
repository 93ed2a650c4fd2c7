"""nitro.password_login: the login page of a SessionAuth, its checks and its answers.

Requests are :class:`~nitro.actions.ActionRequest` objects, as every adapter hands
them over; a small browser keeps the cookie between them. (Generated projects run the
same page through FastAPI, Flask and FastHTML: tests/test_cli_init_options.py.)
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from nitro.actions import ActionRequest, ActionResponse
from nitro.auth import PasswordAuth, PasswordUser, SessionAuth, hash_password
from nitro.password_login import PasswordLogin
from nitro.sessions import MemorySessionStore
from nitro.throttle import LoginThrottle

KEY = "password-login-tests-secret-key-0123456789"
ANN_HASH = hash_password("ann-pw")


class Browser:
    def __init__(self, login: PasswordLogin) -> None:
        self.login = login
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str = "GET", form: dict[str, str] | None = None, **headers: str
    ) -> ActionRequest:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent = {"host": "shop.test", **({"cookie": cookie} if cookie else {}), **headers}
        body = urlencode(form or {}).encode()
        return ActionRequest(method, headers=sent, body=body, client="127.0.0.1")

    def keep(self, response: ActionResponse) -> ActionResponse:
        for set_cookie in response.set_cookies:
            name, _, value = set_cookie.split(";")[0].partition("=")
            if value and "Max-Age=0" not in set_cookie:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response

    def page(self) -> ActionResponse:
        return self.keep(self.login.page(self.request()))

    def token(self) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.page().body.decode())
        assert found
        return found.group(1)

    def post_login(self, **form: str) -> ActionResponse:
        return self.keep(self.login.login(self.request("POST", form)))


def make_login(throttle: LoginThrottle | bool = False) -> PasswordLogin:
    users = PasswordAuth([PasswordUser("ann", ANN_HASH, is_superuser=True)])
    auth = SessionAuth(secret_key=KEY, store=MemorySessionStore(), users=users, throttle=throttle)
    return PasswordLogin(auth)


def test_the_right_password_opens_a_session_and_goes_home() -> None:
    login = make_login()
    browser = Browser(login)
    answer = browser.post_login(username="ann", password="ann-pw", csrf_token=browser.token())
    assert answer.status == 303
    assert answer.headers["Location"] == "/"
    assert answer.headers["Cache-Control"] == "no-store"
    user = login.auth.authenticate(browser.request())
    assert user is not None
    assert user.username == "ann"


def test_next_leads_only_to_a_path_on_this_site() -> None:
    for wanted, landed in [
        ("/orders?page=2", "/orders?page=2"),
        ("https://evil.test/", "/"),
        ("//evil.test/", "/"),
        ("/\\evil.test/", "/"),
        ("javascript:alert(1)", "/"),
    ]:
        browser = Browser(make_login())
        answer = browser.post_login(
            username="ann", password="ann-pw", csrf_token=browser.token(), next=wanted
        )
        assert answer.headers["Location"] == landed, wanted


def test_a_wrong_password_is_401_and_opens_nothing() -> None:
    login = make_login()
    browser = Browser(login)
    answer = browser.post_login(username="ann", password="nope", csrf_token=browser.token())
    assert answer.status == 401
    assert "Wrong username or password." in answer.body.decode()
    assert login.auth.authenticate(browser.request()) is None


def test_without_the_token_or_from_another_site_the_login_is_refused() -> None:
    login = make_login()
    browser = Browser(login)
    token = browser.token()
    missing = browser.post_login(username="ann", password="ann-pw")
    assert missing.status == 403
    elsewhere = browser.keep(
        login.login(
            browser.request(
                "POST",
                {"username": "ann", "password": "ann-pw", "csrf_token": token},
                origin="https://evil.test",
            )
        )
    )
    assert elsewhere.status == 403
    assert login.auth.authenticate(browser.request()) is None


def test_guessing_is_throttled_with_retry_after() -> None:
    browser = Browser(make_login(throttle=True))
    token = browser.token()
    statuses = [
        browser.post_login(username="ann", password=f"guess{i}", csrf_token=token).status
        for i in range(8)
    ]
    assert statuses[0] == 401
    assert statuses[-1] == 429
    answer = browser.post_login(username="ann", password="ann-pw", csrf_token=token)
    assert answer.status == 429
    assert int(answer.headers["Retry-After"]) >= 1


def test_missing_fields_are_400_and_the_page_escapes_what_it_repeats() -> None:
    browser = Browser(make_login())
    answer = browser.post_login(username="<script>x</script>", csrf_token=browser.token())
    assert answer.status == 400
    assert "<script>x" not in answer.body.decode()
    assert "&lt;script&gt;x" in answer.body.decode()


def test_logout_needs_the_token_and_ends_the_session() -> None:
    login = make_login()
    browser = Browser(login)
    browser.post_login(username="ann", password="ann-pw", csrf_token=browser.token())
    refused = login.logout(browser.request("POST", {}))
    assert refused.status == 403
    assert login.auth.authenticate(browser.request()) is not None
    done = browser.keep(login.logout(browser.request("POST", {"csrf_token": browser.token()})))
    assert done.status == 303
    assert login.auth.authenticate(browser.request()) is None


def test_it_serves_three_routes_and_needs_a_session_auth() -> None:
    routes = make_login().web_routes()
    assert [(route.methods, route.path) for route in routes] == [
        (("GET",), "/login"),
        (("POST",), "/login"),
        (("POST",), "/logout"),
    ]
    with pytest.raises(TypeError, match=r"needs a nitro\.auth\.SessionAuth"):
        PasswordLogin(object())  # type: ignore[arg-type]
