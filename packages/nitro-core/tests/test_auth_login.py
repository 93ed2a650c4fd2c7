"""nitro.auth.login: SessionAuth logs in and out, and revokes, on any session store.

Requests are :class:`~nitro.actions.ActionRequest` objects (what every adapter hands
the dispatcher); a small browser keeps the cookie between them.
"""

from __future__ import annotations

import pytest

from nitro.actions import ActionRequest
from nitro.auth import (
    Authentication,
    Authenticator,
    PasswordAuth,
    PasswordUser,
    SessionAuth,
    User,
    hash_password,
)
from nitro.persistence.memory import MemoryRepo, MemoryStore
from nitro.sessions import MemorySessionStore, RepositorySessionStore, SessionRecord

KEY = "login-tests-secret-key-0123456789abcdef"
#: Hashing is slow on purpose: hash once per module.
ANN_HASH = hash_password("ann-pw")
BOB_HASH = hash_password("bob-pw")


class Browser:
    """Keeps one cookie, like a browser."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self) -> ActionRequest:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers = {"host": "localhost", **({"cookie": cookie} if cookie else {})}
        return ActionRequest("GET", headers=headers, client="127.0.0.1")

    def receive(self, set_cookie: str) -> None:
        name, _, value = set_cookie.split(";")[0].partition("=")
        if value and "Max-Age=0" not in set_cookie:
            self.cookies[name] = value
        else:
            self.cookies.pop(name, None)


def users() -> PasswordAuth:
    return PasswordAuth(
        [
            PasswordUser("ann", ANN_HASH, permissions=["order.*"]),
            PasswordUser("bob", BOB_HASH),
        ]
    )


@pytest.fixture(params=["memory", "repository"])
def store(request: pytest.FixtureRequest):
    if request.param == "memory":
        return MemorySessionStore()
    return RepositorySessionStore(MemoryRepo(SessionRecord, store=MemoryStore()))


@pytest.fixture
def auth(store) -> SessionAuth:
    return SessionAuth(secret_key=KEY, store=store, users=users())


def logged_in(auth: SessionAuth, username: str = "ann", password: str = "ann-pw") -> Browser:
    browser = Browser()
    user = auth.check_password(username, password)
    assert user is not None
    browser.receive(auth.login(browser.request(), user))
    return browser


def test_it_is_an_authenticator(auth: SessionAuth) -> None:
    assert isinstance(auth, Authenticator)
    assert Authentication(auth).challenge is None  # browsers get a login page, not a 401 dance
    assert auth.authenticate(Browser().request()) is None  # no cookie: not its kind


def test_login_sets_a_cookie_that_authenticates(auth: SessionAuth) -> None:
    browser = logged_in(auth)
    user = auth.authenticate(browser.request())
    assert isinstance(user, User)
    assert (user.id, user.has_perm("order.cancel")) == ("ann", True)
    assert list(browser.cookies) == ["nitro_session"]


def test_check_password(auth: SessionAuth) -> None:
    assert auth.check_password("ann", "ann-pw") is not None
    assert auth.check_password("ann", "bob-pw") is None
    assert auth.check_password("nobody", "ann-pw") is None


def test_logout_kills_every_copy_of_the_cookie(auth: SessionAuth) -> None:
    browser = logged_in(auth)
    stolen = Browser()
    stolen.cookies = dict(browser.cookies)
    cleared = auth.logout(browser.request())
    assert "Max-Age=0" in cleared
    browser.receive(cleared)
    assert auth.authenticate(browser.request()) is None
    assert auth.authenticate(stolen.request()) is None  # the record is gone


def test_logout_ends_only_that_session(auth: SessionAuth) -> None:
    first, second = logged_in(auth), logged_in(auth)
    auth.logout(first.request())
    assert auth.authenticate(first.request()) is None
    assert auth.authenticate(second.request()) is not None


def test_login_replaces_the_previous_session(auth: SessionAuth, store) -> None:
    browser = logged_in(auth)
    old = dict(browser.cookies)
    user = auth.check_password("bob", "bob-pw")
    assert user is not None
    browser.receive(auth.login(browser.request(), user))
    assert auth.authenticate(browser.request()).id == "bob"
    planted = Browser()
    planted.cookies = old
    assert auth.authenticate(planted.request()) is None  # no session fixation
    assert auth.session(browser.request()).nonce != auth.session(planted.request()).nonce


def test_a_password_change_ends_the_sessions_opened_before(auth: SessionAuth) -> None:
    browser, elsewhere = logged_in(auth), logged_in(auth)
    auth.change_password("ann", "new-pw", keep=auth.session(browser.request()))
    assert auth.authenticate(browser.request()).id == "ann"  # the changer stays in
    assert auth.authenticate(elsewhere.request()) is None
    assert auth.check_password("ann", "new-pw") is not None


def test_a_password_changed_behind_its_back_ends_the_sessions(auth: SessionAuth) -> None:
    browser = logged_in(auth)
    auth.users.set_password("ann", "other-pw")  # type: ignore[attr-defined]
    assert auth.authenticate(browser.request()) is None  # the auth hash no longer matches


def test_keep_is_ignored_for_another_users_session(auth: SessionAuth) -> None:
    ann, bob = logged_in(auth), logged_in(auth, "bob", "bob-pw")
    auth.change_password("ann", "new-pw", keep=auth.session(bob.request()))
    assert auth.authenticate(ann.request()) is None
    assert auth.authenticate(bob.request()).id == "bob"


def test_a_removed_user_is_logged_out(auth: SessionAuth) -> None:
    browser = logged_in(auth)
    auth.users.remove_user("ann")  # type: ignore[attr-defined]
    assert auth.authenticate(browser.request()) is None


def test_end_sessions_is_a_forced_logout(auth: SessionAuth) -> None:
    browsers = [logged_in(auth) for _ in range(3)]
    bob = logged_in(auth, "bob", "bob-pw")
    keep = auth.session(browsers[0].request())
    assert auth.end_sessions("ann", keep=keep) == 2
    assert [auth.authenticate(b.request()) is not None for b in browsers] == [True, False, False]
    assert auth.authenticate(bob.request()) is not None


def test_a_session_of_another_scope_is_refused(store) -> None:
    shop = SessionAuth(secret_key=KEY, store=store, users=users(), scope="shop")
    blog = SessionAuth(secret_key=KEY, store=store, users=users(), scope="blog")
    browser = logged_in(shop)
    assert shop.authenticate(browser.request()) is not None
    assert blog.authenticate(browser.request()) is None


def test_a_cookie_signed_with_another_key_is_refused(store) -> None:
    browser = logged_in(SessionAuth(secret_key=KEY, store=store, users=users()))
    other = SessionAuth(secret_key="x" * 40, store=store, users=users())
    assert other.authenticate(browser.request()) is None


def test_users_without_password_hashes_have_sessions_too(store) -> None:
    """Users who logged in another way (an identity provider) are plain ``User``s."""
    auth = SessionAuth(secret_key=KEY, store=store, users=ReadOnlyUsers())
    browser = Browser()
    browser.receive(auth.login(browser.request(), User(id="sso-user")))
    assert auth.authenticate(browser.request()) == User(id="sso-user")
    assert auth.auth_hash(User(id="x")) == auth.auth_hash(User(id="y"))  # nothing to change


def test_the_cookie_settings(store) -> None:
    auth = SessionAuth(
        secret_key=KEY,
        store=store,
        users=users(),
        cookie_name="shop_login",
        cookie_path="/shop",
        max_age=600,
        secure=True,
    )
    user = auth.check_password("ann", "ann-pw")
    assert user is not None
    parts = auth.login(Browser().request(), user).split("; ")
    assert parts[0].startswith("shop_login=")
    assert {"Path=/shop", "Max-Age=600", "HttpOnly", "SameSite=Lax", "Secure"} <= set(parts)


def test_csrf_token_follows_the_session(auth: SessionAuth) -> None:
    browser = Browser()
    anonymous = auth.session(browser.request())
    assert anonymous.changed  # a new visitor gets a cookie with a nonce
    browser.receive(auth.cookie.set_cookie(anonymous, browser.request()))
    session = auth.session(browser.request())
    token = auth.csrf_token(session)
    raw = ActionRequest("POST", headers={"host": "localhost"})
    assert auth.csrf.is_valid(raw, session.nonce, {"csrf_token": [token]})
    user = auth.check_password("ann", "ann-pw")
    assert user is not None
    browser.receive(auth.login(browser.request(), user))
    assert auth.csrf_token(auth.session(browser.request())) != token  # rotated at login


def test_configuration_errors(store) -> None:
    with pytest.raises(ValueError, match="at least 32"):
        SessionAuth(secret_key="short", store=store, users=users())
    with pytest.raises(TypeError, match="SessionStore"):
        SessionAuth(secret_key=KEY, store=object(), users=users())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="UserStore"):
        SessionAuth(secret_key=KEY, store=store, users=object())  # type: ignore[arg-type]
    no_setter = SessionAuth(secret_key=KEY, store=store, users=ReadOnlyUsers())
    with pytest.raises(TypeError, match="set_password"):
        no_setter.change_password("ann", "x")


class ReadOnlyUsers:
    """A user store without passwords or ``set_password`` (users from elsewhere)."""

    def authenticate(self, username: str, password: str) -> User | None:
        return None

    def load_user(self, username: str) -> User | None:
        return User(id=username)


def test_the_login_names_of_nitro_auth_are_the_modules_objects() -> None:
    import nitro.auth
    from nitro.auth import login, passwords, users

    assert nitro.auth.SessionAuth is login.SessionAuth
    assert nitro.auth.PasswordAuth is users.PasswordAuth
    assert nitro.auth.PasswordUser is users.PasswordUser
    assert nitro.auth.UserStore is users.UserStore
    assert nitro.auth.hash_password is passwords.hash_password
    assert nitro.auth.verify_password is passwords.verify_password
    with pytest.raises(AttributeError, match="no_such_name"):
        nitro.auth.no_such_name  # noqa: B018


class CountingUsers(PasswordAuth):
    """PasswordAuth counting password checks (to show a throttled guess costs none)."""

    checks = 0

    def authenticate(self, username: str, password: str) -> User | None:
        type(self).checks += 1
        return super().authenticate(username, password)


def test_check_password_throttles_guessing_per_username_and_address() -> None:
    from nitro.auth import TooManyAttempts
    from nitro.throttle import LoginThrottle, MemoryCounterStore

    now = [1000.0]
    throttle = LoginThrottle(
        store=MemoryCounterStore(clock=lambda: now[0]), free_attempts=2, base_delay=4
    )
    people = CountingUsers([PasswordUser("ann", ANN_HASH)])
    auth = SessionAuth(secret_key=KEY, store=MemorySessionStore(), users=people, throttle=throttle)
    attacker = Browser().request()
    assert auth.check_password("ann", "guess-1", attacker) is None
    assert auth.check_password("ann", "guess-2", attacker) is None
    before = CountingUsers.checks
    with pytest.raises(TooManyAttempts):
        auth.check_password("ann", "guess-3", attacker)
    with pytest.raises(TooManyAttempts) as refused:
        auth.check_password("ann", "ann-pw", attacker)  # even the right one waits
    assert CountingUsers.checks == before  # refused before hashing
    assert refused.value.status == 429
    assert refused.value.retry_after >= 1
    assert "Try again in" in refused.value.detail
    now[0] += 60
    assert auth.check_password("ann", "ann-pw", attacker) is not None  # then it works


def test_throttle_can_be_turned_off_and_is_checked() -> None:
    auth = SessionAuth(secret_key=KEY, store=MemorySessionStore(), users=users(), throttle=False)
    assert auth.throttle is None
    for _ in range(20):
        assert auth.check_password("ann", "wrong") is None
    with pytest.raises(TypeError, match="LoginThrottle or a bool"):
        SessionAuth(secret_key=KEY, store=MemorySessionStore(), users=users(), throttle="yes")  # type: ignore[arg-type]


def test_too_many_attempts_from_an_action_is_429_with_retry_after() -> None:
    from nitro.actions._answers import error_response
    from nitro.auth import TooManyAttempts

    response = error_response(TooManyAttempts(7))
    assert response.status == 429
    assert response.headers["Retry-After"] == "7"
