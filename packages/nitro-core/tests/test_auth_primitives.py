"""nitro.auth's login building blocks: passwords.py, signing.py, csrf.py, cookies.py,
proxies.py and users.py."""

from __future__ import annotations

import pytest

from nitro.actions import ActionRequest
from nitro.auth import PasswordAuth, PasswordUser, User, UserStore, hash_password, verify_password
from nitro.auth.cookies import Session, SessionCookie
from nitro.auth.csrf import CsrfProtection, same_origin
from nitro.auth.proxies import TrustedProxies
from nitro.auth.signing import BadSignature, Signer

KEY = "k" * 40


def request(**headers: str) -> ActionRequest:
    """A POST from this machine to ``localhost`` (no proxy), with *headers*."""
    return ActionRequest(
        "POST", headers={"host": "localhost:8000", **headers}, client="127.0.0.1", scheme="http"
    )


# -- passwords ------------------------------------------------------------------------


def test_password_hash_is_scrypt_salted_and_verifies() -> None:
    first, second = hash_password("s3cret"), hash_password("s3cret")
    assert first.startswith("scrypt$16384$8$1$")
    assert first != second  # salted
    assert verify_password("s3cret", first)
    assert not verify_password("S3cret", first)
    for malformed in ("garbage", "pbkdf2$1$2$3$4$5", "scrypt$x$8$1$AA$AA", ""):
        assert not verify_password("s3cret", malformed)
    with pytest.raises(ValueError, match="non-empty"):
        hash_password("")


def test_importing_nitro_auth_costs_no_scrypt_run() -> None:
    """The dummy hash (for unknown users) is made on first use, not at import."""
    import subprocess
    import sys

    code = (
        "import hashlib, nitro.auth\n"
        "calls = []\n"
        "real = hashlib.scrypt\n"
        "hashlib.scrypt = lambda *a, **k: calls.append(1) or real(*a, **k)\n"
        "from nitro.auth import passwords, users\n"
        "assert not calls, calls\n"
        "passwords.dummy_hash(); passwords.dummy_hash()\n"
        "assert len(calls) == 1, calls\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- users ----------------------------------------------------------------------------


def test_password_auth_checks_passwords_and_loads_users() -> None:
    ann = PasswordUser("ann", hash_password("pw"), permissions=["note.view"])
    users = PasswordAuth([ann])
    assert isinstance(users, UserStore)
    assert users.authenticate("ann", "pw") is ann
    assert users.authenticate("ann", "no") is None
    assert users.authenticate("bob", "pw") is None  # unknown: as slow as a wrong password
    assert users.load_user("ann") is ann
    assert isinstance(ann, User)
    assert (ann.id, ann.username, ann.has_perm("note.view")) == ("ann", "ann", True)
    assert "password_hash" not in repr(ann)


def test_password_auth_refuses_plain_passwords() -> None:
    with pytest.raises(ValueError, match="hash_password"):
        PasswordAuth([PasswordUser("ann", "plain-text")])


def test_set_password_and_remove_user() -> None:
    users = PasswordAuth([PasswordUser("ann", hash_password("old"), is_superuser=True)])
    before = users.load_user("ann")
    users.set_password("ann", "new")
    after = users.load_user("ann")
    assert after is not None
    assert before is not None
    assert after.password_hash != before.password_hash
    assert after.is_superuser  # everything else kept
    assert users.authenticate("ann", "new") == after
    assert users.authenticate("ann", "old") is None
    with pytest.raises(KeyError):
        users.set_password("bob", "x")
    assert users.remove_user("ann")
    assert not users.remove_user("ann")
    assert users.load_user("ann") is None


# -- signing --------------------------------------------------------------------------


def test_signer_round_trip() -> None:
    signer = Signer(KEY, "session")
    assert signer.unsign(signer.sign({"u": "ann", "n": [1, 2]}, 60)) == {"u": "ann", "n": [1, 2]}


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t + "x",
        lambda t: "x" + t,
        lambda t: t.replace(".", ""),
        lambda t: "",
        lambda t: "é.é",
        lambda t: t.split(".")[0] + "." + "A" * len(t.split(".")[1]),
        # the payload changed, the signature kept
        lambda t: (
            Signer(KEY, "session").sign({"u": "bob"}, 60).split(".")[0] + "." + t.split(".")[1]
        ),
    ],
)
def test_a_tampered_value_is_refused(tamper) -> None:
    signer = Signer(KEY, "session")
    with pytest.raises(BadSignature):
        signer.unsign(tamper(signer.sign({"u": "ann"}, 60)))


def test_a_value_signed_for_another_purpose_or_key_or_expired_is_refused() -> None:
    token = Signer(KEY, "session").sign("x", 60)
    with pytest.raises(BadSignature):
        Signer(KEY, "flash").unsign(token)
    with pytest.raises(BadSignature):
        Signer("j" * 40, "session").unsign(token)
    with pytest.raises(BadSignature, match="expired"):
        Signer(KEY, "session").unsign(Signer(KEY, "session").sign("x", -1))


# -- CSRF -----------------------------------------------------------------------------


def test_csrf_token_is_per_nonce_and_per_key() -> None:
    csrf = CsrfProtection(KEY)
    assert csrf.token("n1") == csrf.token("n1")
    assert csrf.token("n1") != csrf.token("n2")
    assert CsrfProtection("j" * 40).token("n1") != csrf.token("n1")


def test_csrf_accepts_the_token_in_the_form_or_the_header() -> None:
    csrf = CsrfProtection(KEY)
    token = csrf.token("n1")
    assert csrf.is_valid(request(), "n1", {"csrf_token": [token]})
    assert csrf.is_valid(request(**{"x-csrf-token": token}), "n1", {})
    assert csrf.is_valid(request(origin="http://localhost:8000"), "n1", {"csrf_token": [token]})


def test_csrf_refuses_a_missing_wrong_or_foreign_token() -> None:
    csrf = CsrfProtection(KEY)
    assert not csrf.is_valid(request(), "n1", {})
    assert not csrf.is_valid(request(), "n1", {"csrf_token": [""]})
    assert not csrf.is_valid(request(), "n1", {"csrf_token": [csrf.token("n2")]})
    # the right token, from another site
    token = csrf.token("n1")
    for origin in ("https://evil.example", "null", ""):
        assert not csrf.is_valid(request(origin=origin), "n1", {"csrf_token": [token]})


def test_csrf_trusted_origins() -> None:
    csrf = CsrfProtection(KEY, trusted_origins=["https://app.example/"])
    token = csrf.token("n1")
    assert csrf.is_valid(request(origin="https://APP.example"), "n1", {"csrf_token": [token]})
    assert same_origin(request(origin="https://app.example"), {"https://app.example"})
    assert not same_origin(request(origin="https://app.example"))


# -- the session cookie -----------------------------------------------------------------


def cookie_jar(set_cookie: str) -> dict[str, str]:
    name, _, value = set_cookie.split(";")[0].partition("=")
    return {"cookie": f"{name}={value}"}


def make_cookie(**options) -> SessionCookie:
    options = {"cookie_name": "sid", "path": "/", "max_age": 60, "secure": None, **options}
    return SessionCookie(KEY, **options)


def test_the_cookie_round_trips_a_session() -> None:
    cookie = make_cookie()
    session = Session()
    session.login("record-1")
    loaded = cookie.load(request(**cookie_jar(cookie.set_cookie(session, request()))))
    assert (loaded.nonce, loaded.session_id, loaded.changed) == (session.nonce, "record-1", False)


def test_a_missing_or_tampered_cookie_is_a_new_anonymous_session() -> None:
    cookie = make_cookie()
    value = cookie.set_cookie(Session(session_id="record-1"), request()).split(";")[0]
    tampered = value[:-2] + ("AA" if value[-2:] != "AA" else "BB")
    forged = "sid=" + Signer(KEY, "flash").sign({"n": "x", "s": "record-1"}, 60)
    for headers in ({}, {"cookie": tampered}, {"cookie": forged}, {"cookie": "sid=garbage"}):
        loaded = cookie.load(request(**headers))
        assert loaded.session_id is None
        assert loaded.changed


def test_the_cookie_flags() -> None:
    cookie = make_cookie(path="/app", max_age=120)
    header = cookie.set_cookie(Session(), request())
    parts = header.split("; ")
    assert parts[0].startswith("sid=")
    assert {"Path=/app", "Max-Age=120", "HttpOnly", "SameSite=Lax"} <= set(parts)
    cleared = cookie.clear_cookie(request()).split("; ")
    assert cleared[0] == "sid="
    assert {"Max-Age=0", "HttpOnly", "SameSite=Lax"} <= set(cleared)


@pytest.mark.parametrize(
    ("scheme", "client", "headers", "secure"),
    [
        ("http", "127.0.0.1", {"host": "localhost:8000"}, False),  # local development
        ("http", "127.0.0.1", {"host": "127.0.0.1:8000"}, False),
        ("https", "127.0.0.1", {"host": "localhost"}, True),
        ("http", "10.0.0.5", {"host": "app.example"}, True),  # maybe a TLS proxy in front
        ("http", "127.0.0.1", {"host": "app.example"}, True),
        ("http", "127.0.0.1", {"host": "localhost", "x-forwarded-proto": "http"}, True),
    ],
)
def test_secure_unless_plain_http_directly_from_this_machine(
    scheme: str, client: str, headers: dict[str, str], secure: bool
) -> None:
    cookie = make_cookie()
    raw = ActionRequest("GET", headers=headers, scheme=scheme, client=client)
    assert ("Secure" in cookie.set_cookie(Session(), raw).split("; ")) is secure
    assert ("Secure" in cookie.clear_cookie(raw).split("; ")) is secure


def test_a_trusted_proxy_decides_secure_and_forced_settings_win() -> None:
    behind = make_cookie(proxies=TrustedProxies(["10.0.0.0/8"]))
    via_proxy = ActionRequest(
        "GET", headers={"host": "app.example", "x-forwarded-proto": "http"}, client="10.0.0.2"
    )
    assert "Secure" not in behind.set_cookie(Session(), via_proxy)
    https = ActionRequest(
        "GET", headers={"host": "app.example", "x-forwarded-proto": "https"}, client="10.0.0.2"
    )
    assert "Secure" in behind.set_cookie(Session(), https)
    assert "Secure" in make_cookie(secure=True).set_cookie(Session(), request())
    assert "Secure" not in make_cookie(secure=False).set_cookie(Session(), https)


def test_the_signed_cookie_expires_with_its_max_age() -> None:
    cookie = make_cookie(max_age=-1)
    header = cookie.set_cookie(Session(session_id="r"), request())
    assert cookie.load(request(**cookie_jar(header))).session_id is None
