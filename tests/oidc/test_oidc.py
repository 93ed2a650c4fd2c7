"""OpenID Connect login against a real provider (node oidc-provider), on FastAPI and
Flask: the round trip, and every forgery refused (state, nonce, signature, audience,
algorithm, PKCE), with a clear status and no traceback; the logout, here and at the
provider."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from joserfc import jwk, jwt
from nitro_oidc import (
    LOGGED_OUT,
    App,
    MemorySessions,
    Provider,
    follow_to_callback,
    start_login,
)

from nitro.actions.request import ActionRequest
from nitro.login_routes import OIDCLogin

pytestmark = pytest.mark.timeout(120)


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def assert_refused(response: requests.Response, status: int, text: str) -> None:
    assert response.status_code == status, response.text
    assert text in response.text
    assert "Traceback" not in response.text
    assert "nitro_session" not in response.headers.get("Set-Cookie", "")
    # the login in progress is spent either way
    assert "nitro_oidc=;" in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("adapter", ["fastapi", "flask"])
def test_login_round_trip(oidc_app, adapter):
    app = oidc_app(adapter)
    http, callback = start_login(app, next_="/")
    response = http.get(callback, allow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/"
    assert "nitro_session=" in response.headers["Set-Cookie"]
    home = http.get(app.at("/"))
    assert "Logged in as ann (ann); roles: editor,reader" in home.text
    (user,) = app.sessions.users.values()
    assert user.claims["email"] == "ann@example.com"
    assert user.claims["iss"] == app.login.issuer


def test_login_lands_where_it_started_and_never_on_another_host(oidc_app):
    app = oidc_app()
    http, callback = start_login(app, next_="/orders%3Fpage%3D2")
    assert http.get(callback, allow_redirects=False).headers["Location"] == "/orders?page=2"
    http, callback = start_login(app, next_="//evil.example/")
    assert http.get(callback, allow_redirects=False).headers["Location"] == "/"


def test_a_forged_state_is_refused(oidc_app):
    app = oidc_app()
    http, callback = start_login(app)
    response = http.get(with_query(callback, state="forged"), allow_redirects=False)
    assert_refused(response, 400, "state does not match")


def test_a_callback_without_the_login_cookie_is_refused(oidc_app):
    """Login CSRF: an attacker's code and state, delivered to a victim's browser."""
    app = oidc_app()
    _, callback = start_login(app)
    response = requests.get(callback, allow_redirects=False)  # another browser
    assert_refused(response, 400, "not started here")


def test_a_forged_login_cookie_is_refused(oidc_app):
    app = oidc_app()
    http, callback = start_login(app)
    cookie = http.cookies.get("nitro_oidc")
    http.cookies.set("nitro_oidc", cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB"))
    assert_refused(http.get(callback, allow_redirects=False), 400, "not started here")


def test_a_callback_works_once(oidc_app):
    app = oidc_app()
    http, callback = start_login(app)
    assert http.get(callback, allow_redirects=False).status_code == 303
    assert_refused(http.get(callback, allow_redirects=False), 400, "not started here")


class SwapIDToken(OIDCLogin):
    """The provider's answer with another ID token: ``replacement(tokens)``."""

    replacement: Any = None
    seen: list[dict[str, Any]]

    def exchange_code(self, code: str, code_verifier: str) -> dict[str, Any]:
        tokens = super().exchange_code(code, code_verifier)
        self.seen.append(dict(tokens))
        if self.replacement is not None:
            tokens["id_token"] = self.replacement(tokens)
        return tokens


def swapping_app(oidc_app, replacement=None, **options) -> App:
    app = oidc_app("fastapi", SwapIDToken, **options)
    app.login.seen = []
    app.login.replacement = replacement
    return app


def genuine_id_token(app: App) -> str:
    """An ID token the provider signed for an earlier login of ann on *app*."""
    http, callback = start_login(app)
    assert http.get(callback, allow_redirects=False).status_code == 303
    return str(app.login.seen[-1]["id_token"])


def test_a_replayed_id_token_with_another_nonce_is_refused(oidc_app):
    app = swapping_app(oidc_app)
    earlier = genuine_id_token(app)
    app.login.replacement = lambda tokens: earlier  # genuine, signed, other login's nonce
    http, callback = start_login(app)
    response = http.get(callback, allow_redirects=False)
    assert_refused(response, 401, "Invalid ID token: wrong or missing nonce")


def test_a_tampered_signature_is_refused(oidc_app):
    def tamper(tokens):
        header, payload, signature = tokens["id_token"].split(".")
        flipped = ("A" if signature[5] != "A" else "B").join((signature[:5], signature[6:]))
        return f"{header}.{payload}.{flipped}"

    app = swapping_app(oidc_app, tamper)
    http, callback = start_login(app)
    assert_refused(
        http.get(callback, allow_redirects=False), 401, "Invalid ID token: bad signature"
    )


def unverified_claims(token: str) -> dict[str, Any]:
    import base64
    import json

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_token_signed_by_another_key_is_refused(oidc_app):
    """Same kid as the provider's key, same claims (roles raised), another private key."""
    attacker = jwk.RSAKey.generate_key(2048)

    def forge(tokens):
        claims = unverified_claims(tokens["id_token"]) | {"roles": ["admin"]}
        return jwt.encode({"alg": "RS256", "kid": "test-key-1"}, claims, attacker)

    app = swapping_app(oidc_app, forge)
    http, callback = start_login(app)
    assert_refused(
        http.get(callback, allow_redirects=False), 401, "Invalid ID token: bad signature"
    )


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_a_token_with_an_unannounced_algorithm_is_refused(oidc_app, alg):
    """``none``, or HMAC keyed with the client secret (which the attacker may know)."""

    def forge(tokens):
        claims = unverified_claims(tokens["id_token"])
        if alg == "none":
            header = '{"alg":"none"}'
            import base64
            import json

            encode = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # noqa: E731
            return f"{encode(header.encode())}.{encode(json.dumps(claims).encode())}."
        secret = jwk.OctKey.import_key(app.login.client_secret.encode())
        return jwt.encode({"alg": "HS256"}, claims, secret)

    app = swapping_app(oidc_app, forge)
    http, callback = start_login(app)
    response = http.get(callback, allow_redirects=False)
    assert_refused(response, 401, "Invalid ID token: algorithm not accepted")


def test_an_id_token_for_another_client_is_refused(oidc_app, oidc_provider: Provider):
    other = swapping_app(oidc_app, client_id="other-app")
    foreign = genuine_id_token(other)
    app = swapping_app(oidc_app, lambda tokens: foreign)
    http, callback = start_login(app)
    response = http.get(callback, allow_redirects=False)
    assert_refused(response, 401, "Invalid ID token: wrong or missing aud")


class WithoutPKCE(OIDCLogin):
    def session(self) -> Any:
        session = super().session()
        session.code_challenge_method = None  # Authlib then sends no code_challenge
        return session


def test_an_authorization_request_without_pkce_is_refused_by_the_provider(oidc_app):
    """The provider requires PKCE: without a code challenge it answers an error to the
    callback, which the app shows (the provider's error code only)."""
    app = oidc_app("fastapi", WithoutPKCE)
    http = requests.Session()
    response = http.get(app.at("/auth/login"), allow_redirects=False)
    assert "code_challenge" not in response.headers["Location"]
    callback = follow_to_callback(http, app, response)
    assert parse_qs(urlsplit(callback).query)["error"] == ["invalid_request"]
    response = http.get(callback, allow_redirects=False)
    assert_refused(response, 401, "The identity provider refused the login (invalid_request)")


class WrongVerifier(OIDCLogin):
    verifier = "a-verifier-of-another-login-0123456789-0123456789-0123456789"

    def exchange_code(self, code: str, code_verifier: str) -> dict[str, Any]:
        return super().exchange_code(code, self.verifier)


@pytest.mark.parametrize("verifier", ["another", ""])
def test_a_code_exchanged_with_a_wrong_or_no_verifier_is_refused_by_the_provider(
    oidc_app, verifier
):
    app = oidc_app("fastapi", WrongVerifier)
    if not verifier:
        app.login.verifier = ""  # type: ignore[attr-defined]
    http, callback = start_login(app)
    response = http.get(callback, allow_redirects=False)
    assert_refused(response, 401, "The identity provider refused the code (invalid_grant)")


def test_an_unreachable_provider_is_a_502_without_details(oidc_provider):
    login = OIDCLogin(
        "http://127.0.0.1:9",
        "nitro-app",
        "secret",
        redirect_uri="http://127.0.0.1:8000/auth/callback",
        session=MemorySessions().auth,
        secret_key="k" * 32,
    )
    response = login.start(ActionRequest("GET"))
    assert response.status == 502
    assert b"could not be reached" in response.body


# -- logout: here and at the provider (RP-Initiated Logout) -------------------------


def provider_asks_for_the_password(http: requests.Session, app: App) -> bool:
    """Whether a new login of this browser stops at the provider's sign-in page (it
    has no session there) instead of coming straight back to the callback."""
    response = http.get(app.at("/auth/login"), allow_redirects=False)
    for _ in range(10):
        if response.status_code not in (301, 302, 303):
            assert response.status_code == 200, response.text
            return 'name="password"' in response.text
        location = requests.compat.urljoin(response.url, response.headers["Location"])
        if location.startswith(app.at("/auth/callback")):
            return False
        response = http.get(location, allow_redirects=False)
    raise AssertionError("the provider never answered")


def logged_in(app: App) -> tuple[requests.Session, str]:
    """A browser with ann logged in on *app*, and the logout form's CSRF token."""
    http, callback = start_login(app)
    assert http.get(callback, allow_redirects=False).status_code == 303
    home = http.get(app.at("/")).text
    assert "Logged in as ann" in home
    token = re.search(r"name='csrf_token' value='([0-9a-f]+)'", home)
    assert token is not None, home
    return http, token.group(1)


@pytest.mark.parametrize("adapter", ["fastapi", "flask"])
def test_logout_ends_the_session_here_and_at_the_provider(oidc_app, adapter):
    app = oidc_app(adapter, post_logout_redirect_uri=LOGGED_OUT)
    http, token = logged_in(app)
    assert not provider_asks_for_the_password(http, app)  # signed in there: no question
    session_cookie = http.cookies.get("nitro_session")

    response = http.post(app.at("/auth/logout"), data={"csrf_token": token}, allow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert "nitro_session=;" in response.headers["Set-Cookie"]
    end_session = urlsplit(response.headers["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}" == app.login.issuer
    assert parse_qs(end_session.query) == {
        "client_id": ["nitro-app"],
        "post_logout_redirect_uri": [LOGGED_OUT],
    }
    assert "Nobody is logged in" in http.get(app.at("/")).text
    # a copy of the cookie taken before the logout opens nothing either
    copy = requests.get(app.at("/"), cookies={"nitro_session": session_cookie})
    assert "Nobody is logged in" in copy.text

    # the provider asks "sign out?" (its form), then sends the browser back
    question = http.get(response.headers["Location"], allow_redirects=False)
    assert question.status_code == 200, question.text
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', question.text)
    action = re.search(r'<form[^>]*action="([^"]+)"', question.text)
    assert xsrf is not None, question.text
    assert action is not None, question.text
    confirmed = http.post(
        requests.compat.urljoin(question.url, action.group(1)),
        data={"xsrf": xsrf.group(1), "logout": "yes"},
        allow_redirects=False,
    )
    assert confirmed.status_code in (302, 303), confirmed.text
    assert confirmed.headers["Location"] == LOGGED_OUT
    assert provider_asks_for_the_password(http, app)  # signed out there too


@pytest.mark.parametrize(
    ("headers", "with_token"),
    [({}, False), ({"Origin": "https://evil.example"}, True), ({"X-CSRF-Token": "0" * 64}, False)],
    ids=["no token", "another site", "forged token"],
)
def test_a_logout_from_elsewhere_is_refused_and_ends_nothing(oidc_app, headers, with_token):
    app = oidc_app(post_logout_redirect_uri=LOGGED_OUT)
    http, token = logged_in(app)
    data = {"csrf_token": token} if with_token else {}
    response = http.post(app.at("/auth/logout"), data=data, headers=headers, allow_redirects=False)
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    assert "nitro_session" not in response.headers.get("Set-Cookie", "")
    assert "Logged in as ann" in http.get(app.at("/")).text


def test_logout_without_the_provider_still_ends_the_session_here(oidc_app, oidc_provider):
    app = oidc_app(post_logout_redirect_uri=LOGGED_OUT)
    http, token = logged_in(app)
    app.login._metadata = None  # (read again at the logout, from a provider now gone)
    app.login.discovery_url = "http://127.0.0.1:9/.well-known/openid-configuration"
    response = http.post(app.at("/auth/logout"), data={"csrf_token": token}, allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == LOGGED_OUT
    assert "nitro_session=;" in response.headers["Set-Cookie"]
    assert "Nobody is logged in" in http.get(app.at("/")).text


def test_only_a_session_auth_gets_a_logout_route(oidc_provider):
    client_id, secret = oidc_provider.client()
    options = {
        "redirect_uri": "http://127.0.0.1:8000/auth/callback",
        "secret_key": "k" * 32,
    }
    with_session = OIDCLogin(
        oidc_provider.issuer, client_id, secret, session=MemorySessions().auth, **options
    )
    own_login = OIDCLogin(
        oidc_provider.issuer, client_id, secret, on_login=lambda user, request: None, **options
    )
    assert [r.name for r in with_session.web_routes()] == [
        "oidc_login",
        "oidc_callback",
        "oidc_logout",
    ]
    assert [r.name for r in own_login.web_routes()] == ["oidc_login", "oidc_callback"]
