"""The admin on nitro.auth's login: ``Admin(auth=SessionAuth(...))`` and plain
``nitro.auth`` users (end to end over HTTP: tests/test_shared_login.py)."""

from __future__ import annotations

import pytest

from nitro import Entity
from nitro.actions import ActionRequest
from nitro.admin import Admin, AdminRequest
from nitro.auth import PasswordAuth, PasswordUser, SessionAuth, User, hash_password
from nitro.sessions import MemorySessionStore

SECRET = "admin-session-auth-secret-0123456789abc"
HASH = hash_password("pw")


class Crate(Entity):
    label: str = ""


def session_auth(**options: object) -> SessionAuth:
    users = PasswordAuth(
        [PasswordUser("ann", HASH, permissions=["crate.view"]), PasswordUser("root", HASH)]
    )
    return SessionAuth(secret_key=SECRET, store=MemorySessionStore(), users=users, **options)  # type: ignore[arg-type]


def mounted(admin: Admin) -> Admin:
    admin.register(Crate)
    admin.web_routes()
    return admin


def test_the_admin_takes_the_login_of_a_session_auth() -> None:
    auth = session_auth(cookie_name="shop", max_age=600)
    admin = mounted(Admin(auth=auth))
    assert admin.session_auth is auth
    assert admin.authenticator() is auth
    assert admin.auth is auth.users
    assert admin.session_store is auth.store
    assert admin.sessions is auth.cookie
    assert admin.session_max_age == 600
    assert admin.check() == []


@pytest.mark.parametrize(
    "option",
    [
        {"secret_key": SECRET},
        {"session_store": MemorySessionStore()},
        {"session_cookie_path": "/"},
        {"session_max_age": 60},
        {"secure_cookies": True},
        {"trusted_proxies": ["10.0.0.1"]},
        {"login_throttle": False},
    ],
)
def test_login_settings_given_twice_are_refused(option: dict[str, object]) -> None:
    name = next(iter(option))
    with pytest.raises(TypeError, match=f"drop {name}="):
        Admin(auth=session_auth(), **option)  # type: ignore[arg-type]


def test_a_login_through_the_admin_is_a_session_auth_session() -> None:
    auth = session_auth()
    admin = mounted(Admin(auth=auth))
    request = AdminRequest(admin, ActionRequest("POST"), auth.session(ActionRequest("GET")), None)
    user = auth.check_password("ann", "pw")
    assert user is not None
    admin.start_session(request, user)
    cookie = auth.cookie.set_cookie(request.session, ActionRequest("GET")).split(";")[0]
    browser = ActionRequest("GET", headers={"cookie": cookie})
    assert auth.authenticate(browser) == user
    assert admin.authenticator().authenticate(browser) == user
    admin.end_session(request)
    assert auth.authenticate(browser) is None


def test_plain_nitro_auth_users_get_the_admins_permissions() -> None:
    """The backend may return any ``nitro.auth.User``: the admin asks for
    ``"<slug>.<permission>"``."""
    admin = mounted(Admin(auth=session_auth()))
    crate_admin = admin.registry[Crate]
    viewer = User(id="v", permissions=frozenset({"crate.view"}))
    assert admin.has_permission(viewer, "view", crate_admin)
    assert not admin.has_permission(viewer, "delete", crate_admin)
    assert admin.has_permission(User(id="r", is_superuser=True), "delete", crate_admin)


def test_an_admin_on_its_own_builds_its_login_from_its_settings() -> None:
    auth = PasswordAuth([PasswordUser("ann", HASH)])
    admin = mounted(
        Admin(
            prefix="/staff", auth=auth, secret_key=SECRET, session_max_age=90, secure_cookies=True
        )
    )
    login = admin.session_auth
    assert isinstance(login, SessionAuth)
    assert (login.users, login.store, login.scope) == (auth, admin.session_store, "/staff")
    assert (login.cookie.cookie_name, login.cookie.path) == ("nitro_admin_session", "/staff")
    assert (login.max_age, login.cookie.secure) == (90, True)
    assert admin.authenticator() is not login  # reads the admin's login once mounted


def test_the_admin_throttles_with_the_shared_logins_throttle() -> None:
    auth = session_auth()
    admin = Admin(auth=auth)
    assert admin.login_throttle is auth.throttle
    assert auth.throttle is not None
