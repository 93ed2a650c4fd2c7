"""The admin's names for nitro.auth's login pieces (session.py, proxies.py, csrf.py
with its allowed-hosts check) and AdminUser's permissions.

Hashing and signing are tested where they live: packages/nitro-core/tests/
test_auth_primitives.py.
"""

from __future__ import annotations

import pytest

from nitro.actions import ActionRequest
from nitro.admin import AdminUser, PasswordAuth, hash_password
from nitro.admin.csrf import CsrfProtection
from nitro.admin.proxies import TrustedProxies
from nitro.admin.session import Session, SessionCookie


def test_password_auth() -> None:
    auth = PasswordAuth([AdminUser("ann", hash_password("pw"), permissions=["note.view"])])
    assert auth.authenticate("ann", "pw") == auth.load_user("ann")
    assert auth.authenticate("ann", "no") is None
    assert auth.authenticate("bob", "pw") is None
    with pytest.raises(ValueError, match="hash_password"):
        PasswordAuth([AdminUser("ann", "plain-text")])


def test_permissions() -> None:
    user = AdminUser("ann", permissions={"note.view", "todo.*"})
    assert user.has_perm("view", "note")
    assert not user.has_perm("delete", "note")
    assert user.has_perm("delete", "todo")
    assert AdminUser("root", is_superuser=True).has_perm("delete", "anything")
    assert "password_hash" not in repr(AdminUser("ann", "scrypt$secret"))


def _request(client: str | None = None, **headers: str) -> ActionRequest:
    return ActionRequest(
        "GET", headers={key.replace("_", "-"): v for key, v in headers.items()}, client=client
    )


def test_session_cookie_attributes_and_secure_flag() -> None:
    store = SessionCookie("k" * 32, cookie_name="s", path="/admin", max_age=60, secure=None)
    local = store.set_cookie(Session(), _request("127.0.0.1", host="127.0.0.1:8000"))
    assert "HttpOnly" in local
    assert "SameSite=Lax" in local
    assert "Path=/admin" in local
    assert "Secure" not in local
    assert "Secure" not in store.set_cookie(Session(), _request("::1", host="localhost:8000"))
    assert "Secure" in store.set_cookie(Session(), _request(host="shop.example.com"))
    # A TLS proxy on this machine that forwards with nginx's default Host: localhost.
    assert "Secure" in store.set_cookie(
        Session(), _request("127.0.0.1", host="localhost", x_forwarded_proto="https")
    )
    assert "Secure" in store.set_cookie(
        Session(), _request("127.0.0.1", host="localhost", x_forwarded_for="203.0.113.9")
    )
    assert "Secure" in store.set_cookie(Session(), _request("10.0.0.7", host="localhost"))
    assert "Secure" in store.set_cookie(Session(), _request(None, host="localhost"))
    forced = SessionCookie("k" * 32, cookie_name="s", path="/", max_age=60, secure=True)
    assert "Secure" in forced.set_cookie(Session(), _request("127.0.0.1", host="localhost"))


def test_trusted_proxies_decide_scheme_and_client_address() -> None:
    proxies = TrustedProxies(["10.0.0.0/8", "127.0.0.1"])
    behind = _request(
        "10.0.0.2", host="localhost", x_forwarded_proto="https", x_forwarded_for="203.0.113.9"
    )
    assert proxies.scheme(behind) == "https"
    assert proxies.is_secure(behind)
    assert proxies.client_address(behind) == "203.0.113.9"
    plain = _request("10.0.0.2", host="shop.example.com", x_forwarded_proto="http")
    assert not proxies.is_secure(plain)  # the proxy says the browser talks plain http
    # Forged by the client through two trusted hops: the right-most untrusted entry.
    chain = _request("127.0.0.1", x_forwarded_for="1.2.3.4, 198.51.100.1, 10.0.0.3")
    assert proxies.client_address(chain) == "198.51.100.1"
    # An untrusted peer's forwarding headers are ignored.
    direct = _request("198.51.100.7", x_forwarded_proto="https", x_forwarded_for="1.2.3.4")
    assert proxies.scheme(direct) == "http"
    assert proxies.client_address(direct) == "198.51.100.7"
    assert not TrustedProxies().forwarded(behind)


def test_session_round_trip_and_login_rotates_the_nonce() -> None:
    store = SessionCookie("k" * 32, cookie_name="s", path="/", max_age=60, secure=False)
    session = Session()
    cookie = store.set_cookie(session, _request()).split(";")[0]
    loaded = store.load(_request(cookie=cookie))
    assert (loaded.nonce, loaded.session_id, loaded.changed) == (session.nonce, None, False)
    nonce = loaded.nonce
    loaded.login("sid")
    assert loaded.nonce != nonce
    assert loaded.changed
    assert store.load(_request(cookie=store.set_cookie(loaded, _request()))).session_id == "sid"
    assert store.load(_request(cookie="s=forged")).session_id is None


def test_csrf_token_per_nonce_and_origin_check() -> None:
    csrf = CsrfProtection("k" * 32, trusted_origins=["https://admin.example.com"])
    token = csrf.token("nonce")
    assert token != csrf.token("other")
    ok = {"csrf_token": [token]}
    post = ActionRequest("POST", headers={"host": "shop.example.com"})
    assert csrf.is_valid(post, "nonce", ok)
    assert not csrf.is_valid(post, "nonce", {})
    assert not csrf.is_valid(post, "other", ok)
    header = ActionRequest("POST", headers={"host": "h", "x-csrf-token": token})
    assert csrf.is_valid(header, "nonce", {})
    for origin, valid in [
        ("https://shop.example.com", True),
        ("https://evil.example", False),
        ("null", False),
        ("https://admin.example.com", True),
    ]:
        request = ActionRequest("POST", headers={"host": "shop.example.com", "origin": origin})
        assert csrf.is_valid(request, "nonce", ok) is valid, origin
