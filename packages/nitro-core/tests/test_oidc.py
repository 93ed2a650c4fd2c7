"""nitro.auth.oidc without a provider: claims to users (the presets), the signed
login-in-progress cookie, safe redirects and the configuration checks. The flow
against a real provider is in tests/oidc/."""

from __future__ import annotations

import importlib
import time

import pytest

from nitro.actions.request import ActionRequest, ActionResponse
from nitro.auth import NotAuthenticated, User
from nitro.auth._oidc_transaction import Transaction
from nitro.auth.oidc import ClaimMap, LoginResult, OIDCClient, OIDCError, safe_return_to
from nitro.auth.oidc_claims import claim
from nitro.login_routes import OIDCLogin

REDIRECT = "https://app.example.com/auth/callback"
KEY = "k" * 32


@pytest.mark.parametrize(
    "module", ["nitro.auth.oidc", "nitro.auth.oidc_claims", "nitro.login_routes"]
)
def test_public_names_import(module):
    imported = importlib.import_module(module)
    for name in imported.__all__:
        assert getattr(imported, name) is not None


def client(**options):
    return OIDCClient("https://id.example.com", "app", "secret", redirect_uri=REDIRECT, **options)


def login_routes(**options):
    """An OIDCLogin for the provider of these tests (by default, ``on_login`` does nothing)."""
    options.setdefault("on_login", None if "session" in options else lambda user, request: None)
    return OIDCLogin("https://id.example.com", "app", "s", redirect_uri=REDIRECT, **options)


def test_presets_name_the_issuer_and_where_roles_are():
    azure = OIDCClient.azure_ad("tenant-1", "app", "s", redirect_uri=REDIRECT, secret_key=KEY)
    assert azure.issuer == "https://login.microsoftonline.com/tenant-1/v2.0"
    assert azure.discovery_url == (
        "https://login.microsoftonline.com/tenant-1/v2.0/.well-known/openid-configuration"
    )
    azure_user = azure.claims.user({"sub": "s1", "preferred_username": "ann@x", "roles": ["a"]})
    assert azure_user.role_names == {"a"}
    assert azure_user.username == "ann@x"

    google = OIDCClient.google("app", "s", redirect_uri=REDIRECT, secret_key=KEY)
    assert google.issuer == "https://accounts.google.com"
    google_user = google.claims.user({"sub": "1", "email": "ann@gmail.com", "roles": ["x"]})
    assert google_user.username == "ann@gmail.com"
    assert google_user.roles == ()  # Google sends none; a "roles" claim is not trusted

    keycloak = OIDCClient.keycloak(
        "https://kc.example.com/", "shop", "app", "s", redirect_uri=REDIRECT
    )
    assert keycloak.issuer == "https://kc.example.com/realms/shop"
    kc_user = keycloak.claims.user({"sub": "k", "realm_access": {"roles": ["editor"]}})
    assert kc_user.role_names == {"editor"}


def test_claim_map_gives_roles_their_grants_and_superusers():
    mapping = ClaimMap(
        permissions="scp",
        role_permissions={"editor": {"post.*"}},
        superuser_roles={"root"},
    )
    user = mapping.user({"sub": "u", "roles": ["editor", 3], "scp": "order.view order.cancel"})
    assert user.has_perm("post.publish")
    assert user.has_perm("order.cancel")
    assert not user.has_perm("user.delete")
    assert not user.is_superuser
    assert mapping.user({"sub": "u", "roles": ["root"]}).is_superuser
    assert user.claims["scp"] == "order.view order.cancel"


def test_a_user_needs_the_id_claim():
    with pytest.raises(NotAuthenticated) as refused:
        ClaimMap().user({"email": "ann@example.com"})
    assert refused.value.status == 401
    with pytest.raises(NotAuthenticated):
        ClaimMap(id="oid").user({"sub": "u"})


def test_claim_reads_dotted_paths():
    claims = {"resource_access": {"shop": {"roles": ["a"]}}, "x": 1}
    assert claim(claims, "resource_access.shop.roles") == ["a"]
    assert claim(claims, "resource_access.other.roles") is None
    assert claim(claims, "x.y") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/orders?page=2", "/orders?page=2"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("orders", "/"),
        ("/x\r\nSet-Cookie: a=b", "/"),
    ],
)
def test_return_to_stays_on_this_site(value, expected):
    assert safe_return_to(value) == expected


def test_the_login_cookie_is_signed_dated_and_httponly_lax():
    oidc = client(secret_key=KEY)
    cookie = oidc.cookie
    header = cookie.dump(Transaction("st", "no", "ve", "/next", time.time() + 60))
    name, _, rest = header.partition("=")
    value = rest.split(";")[0]
    assert name == "nitro_oidc"
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" in header  # the redirect URI is https
    assert "Path=/auth/callback" in header
    loaded = cookie.load(value)
    assert loaded is not None
    assert (loaded.state, loaded.nonce, loaded.code_verifier, loaded.return_to) == (
        "st",
        "no",
        "ve",
        "/next",
    )
    payload, mac = value.split(".")
    assert cookie.load(f"{payload}x.{mac}") is None  # altered
    assert cookie.load(value, now=time.time() + 61) is None  # expired
    assert client(secret_key="other" * 8).cookie.load(value) is None  # another key
    for junk in ["", "nodot", "a.b.c", "é.é", "!!!.???"]:
        assert cookie.load(junk) is None
    assert cookie.clear().startswith("nitro_oidc=; Path=/auth/callback; Max-Age=0")


def test_configuration_is_checked():
    with pytest.raises(ValueError, match="absolute"):
        OIDCClient("https://id.example.com", "app", redirect_uri="/auth/callback")
    with pytest.raises(ValueError, match="32 bytes"):
        client(secret_key="short")
    with pytest.raises(ValueError, match=r"session= .* or on_login="):
        OIDCLogin("https://id.example.com", "app", "s", redirect_uri=REDIRECT)
    public = OIDCClient("https://id.example.com", "app", redirect_uri=REDIRECT)
    assert public.token_endpoint_auth_method == "none"
    assert client(scopes=["email"]).scopes == ["openid", "email"]


def test_routes_and_a_refusal_page_that_escapes():
    login = login_routes(name="google")
    assert [(r.path, r.name) for r in login.web_routes()] == [
        ("/login", "google_login"),
        ("/callback", "google_callback"),
    ]
    answer = login.refusal(OIDCError("<script>", 400))
    assert answer.status == 400
    assert b"<script>" not in answer.body
    assert b"&lt;script&gt;" in answer.body


class Discovered(OIDCClient):
    """A client whose provider's discovery document is *document* (no network)."""

    def __init__(self, document, **options):
        super().__init__("https://id.example.com", "app", "s", redirect_uri=REDIRECT, **options)
        self.document = document

    def metadata(self):
        return self.document


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (
            "https://id.example.com/logout",
            "https://id.example.com/logout?client_id=app&post_logout_redirect_uri="
            "https%3A%2F%2Fapp.example.com%2Fbye%3Fa%3D1%26b%3D2&state=s+1",
        ),
        (  # Azure AD-style: an endpoint that has a query of its own keeps it
            "https://id.example.com/logout?p=B2C_1",
            "https://id.example.com/logout?p=B2C_1&client_id=app&post_logout_redirect_uri="
            "https%3A%2F%2Fapp.example.com%2Fbye%3Fa%3D1%26b%3D2&state=s+1",
        ),
        (None, None),  # Google announces none
        ("", None),
        ("javascript:alert(1)", None),
    ],
)
def test_logout_url_is_the_providers_end_session_endpoint(endpoint, expected):
    document = {} if endpoint is None else {"end_session_endpoint": endpoint}
    url = Discovered(document).logout_url("https://app.example.com/bye?a=1&b=2", state="s 1")
    assert url == expected


def test_logout_url_sends_the_id_token_hint_when_given():
    url = Discovered({"end_session_endpoint": "https://id.example.com/end"}).logout_url(
        id_token_hint="eyJ.x.y"
    )
    assert url == "https://id.example.com/end?client_id=app&id_token_hint=eyJ.x.y"


def test_a_callback_without_a_login_in_progress_is_a_400():
    login = login_routes()
    answer = login.callback(ActionRequest("GET", query={"code": "c", "state": "s"}))
    assert answer.status == 400
    assert b"not started here" in answer.body
    assert any(c.startswith("nitro_oidc=;") for c in answer.set_cookies)


class CookieSession:
    """A LoginSession: ``login(request, user)`` gives the session's Set-Cookie value."""

    def login(self, request, user):
        return f"s={user.id}; Path=/; HttpOnly"


def test_session_opens_the_apps_login_and_goes_on_to_next():
    login = login_routes(session=CookieSession())
    result = LoginResult(User(id="ann"), "/orders", {"sub": "ann"}, {})
    answer = login.logged_in(result, ActionRequest("GET"))
    assert answer.status == 303
    assert answer.headers["Location"] == "/orders"
    assert answer.set_cookies == ["s=ann; Path=/; HttpOnly"]


def test_on_login_may_answer_itself():
    own = ActionResponse(200, {}, b"welcome")
    login = login_routes(on_login=lambda u, r: own)
    result = LoginResult(User(id="ann"), "/", {"sub": "ann"}, {})
    assert login.logged_in(result, ActionRequest("GET")) is own
