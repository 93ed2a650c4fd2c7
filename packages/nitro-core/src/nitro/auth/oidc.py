"""OpenID Connect login (authorization code flow with PKCE), through Authlib.

:class:`OIDCClient` is the relying party, free of any web framework: :meth:`~OIDCClient.begin`
gives the provider URL to send the browser to and the cookie that remembers the login
in progress; :meth:`~OIDCClient.complete` takes the callback's query and cookies and
returns the :class:`~nitro.auth.User`, or raises :class:`OIDCError` (400: the login was
not started here or its ``state`` does not match; 401: the provider refused, or the ID
token is not valid; 502: the provider could not be reached). ``nitro.login.OIDCLogin``
serves both as routes on any adapter.

What is checked: ``state`` against the signed cookie (cross-site request forgery); the
code is exchanged with the PKCE ``code_verifier`` (S256), so a stolen code is useless;
the ID token's signature against the provider's JWKS (keys refetched once when an
unknown ``kid`` appears), its algorithm against those the provider announces (never
``none`` or HMAC), ``iss``, ``aud`` (and ``azp``), ``exp``/``iat``, ``at_hash`` and the
``nonce`` (a replayed token carries another login's nonce).

Presets: :meth:`OIDCClient.azure_ad`, :meth:`OIDCClient.google`,
:meth:`OIDCClient.keycloak`; any other provider by ``issuer``. Needs the
``nitro-core[oidc]`` extra (Authlib, requests).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

from nitro.auth import _oidc_tokens
from nitro.auth._oidc_tokens import OIDCError
from nitro.auth._oidc_transaction import Transaction, TransactionCookie
from nitro.auth.identity import User
from nitro.auth.oidc_claims import ClaimMap

__all__ = ["ClaimMap", "LoginResult", "OIDCClient", "OIDCError", "safe_return_to"]

#: The environment variable read when no ``secret_key`` is given.
SECRET_KEY_ENV = "NITRO_SECRET_KEY"


class LoginResult:
    """A completed login: the user, where to go next, the verified ID token claims and
    the provider's token response (``access_token`` for calling its APIs)."""

    def __init__(
        self, user: User, return_to: str, claims: dict[str, Any], tokens: dict[str, Any]
    ) -> None:
        self.user = user
        self.return_to = return_to
        self.claims = claims
        self.tokens = tokens


def safe_return_to(value: str | None, default: str = "/") -> str:
    """*value* when it is a path on this site (``/orders?page=2``), else *default*:
    never another host (``//evil.example``, ``https://...``, ``/\\evil``)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 32 for c in value) or urlsplit(value).netloc:
        return default
    return value


class OIDCClient:
    """An OpenID Connect relying party (see the module docs).

    :param issuer: the provider's issuer URL; its discovery document is read from
        ``<issuer>/.well-known/openid-configuration`` (or *discovery_url*).
    :param client_id: / :param client_secret: this app's registration (no secret: a
        public client, ``token_endpoint_auth_method="none"``).
    :param redirect_uri: the absolute URL of the callback, as registered.
    :param scopes: requested scopes; ``openid`` is always included.
    :param claims: a :class:`ClaimMap`, or a callable ``claims -> User``.
    :param secret_key: signs the login-in-progress cookie (at least 32 bytes); default
        ``NITRO_SECRET_KEY``, else a random key of this process (fine for one process;
        several behind a load balancer need a shared key).
    :param userinfo: also read the userinfo endpoint and merge its claims (the ID
        token's signed ones win).
    :param params: extra authorization parameters (``prompt``, ``hd``, ``domain_hint``).
    :param leeway: seconds of clock skew allowed on ``exp``/``iat``.
    :param login_timeout: seconds a login may take at the provider.
    """

    cookie_name = "nitro_oidc"

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str | None = None,
        *,
        redirect_uri: str,
        scopes: Sequence[str] = ("openid", "profile", "email"),
        claims: ClaimMap | Callable[[Mapping[str, Any]], User] | None = None,
        secret_key: str | bytes | None = None,
        discovery_url: str | None = None,
        userinfo: bool = False,
        params: Mapping[str, str] | None = None,
        token_endpoint_auth_method: str | None = None,
        leeway: int = 60,
        login_timeout: int = 600,
        timeout: float = 10.0,
    ) -> None:
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"OIDC: redirect_uri must be an absolute URL, not {redirect_uri!r}")
        key = secret_key if secret_key is not None else os.environ.get(SECRET_KEY_ENV)
        raw = key.encode() if isinstance(key, str) else key
        if raw is not None and len(raw) < 32:
            raise ValueError("OIDC: secret_key must be at least 32 bytes")
        self.issuer = issuer
        self.discovery_url = discovery_url or (
            issuer.rstrip("/") + "/.well-known/openid-configuration"
        )
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.scopes = ["openid", *(s for s in scopes if s != "openid")]
        self.claims = claims if claims is not None else ClaimMap()
        self.userinfo = userinfo
        self.params = dict(params or {})
        self.token_endpoint_auth_method = token_endpoint_auth_method or (
            "client_secret_basic" if client_secret else "none"
        )
        self.leeway = leeway
        self.timeout = timeout
        self.cookie = TransactionCookie(
            raw or secrets.token_bytes(32),
            name=self.cookie_name,
            path=parts.path or "/",
            secure=parts.scheme == "https",
            max_age=login_timeout,
        )
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._jwks: dict[str, Any] | None = None

    # -- presets ---------------------------------------------------------------------

    @classmethod
    def azure_ad(cls, tenant: str, client_id: str, client_secret: str, **options: Any) -> Any:
        """Microsoft Entra ID (Azure AD), one tenant: app roles arrive as ``roles``."""
        options.setdefault("claims", ClaimMap(roles="roles"))
        issuer = f"https://login.microsoftonline.com/{tenant}/v2.0"
        return cls(issuer, client_id, client_secret, **options)

    @classmethod
    def google(cls, client_id: str, client_secret: str, **options: Any) -> Any:
        """Google: no roles; the e-mail address is the name."""
        options.setdefault("claims", ClaimMap(username=("email", "sub"), roles=None))
        return cls("https://accounts.google.com", client_id, client_secret, **options)

    @classmethod
    def keycloak(
        cls, base_url: str, realm: str, client_id: str, client_secret: str, **options: Any
    ) -> Any:
        """Keycloak: realm roles arrive as ``realm_access.roles``."""
        options.setdefault("claims", ClaimMap(roles="realm_access.roles"))
        issuer = f"{base_url.rstrip('/')}/realms/{realm}"
        return cls(issuer, client_id, client_secret, **options)

    # -- the provider ----------------------------------------------------------------

    def session(self) -> Any:
        """An Authlib OAuth 2 client session for this registration."""
        session = _oidc_tokens.OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=" ".join(self.scopes),
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method=self.token_endpoint_auth_method,
        )
        session.timeout = self.timeout
        return session

    def _get_json(self, url: str) -> dict[str, Any]:
        return _oidc_tokens.get_json(url, self.timeout)

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (read once)."""
        if self._metadata is None:
            document = self._get_json(self.discovery_url)
            if document.get("issuer") != self.issuer:  # OpenID Discovery 4.3
                raise OIDCError("The identity provider's issuer does not match", 502)
            with self._lock:
                self._metadata = document
        return self._metadata

    def jwks(self, refresh: bool = False) -> dict[str, Any]:
        """The provider's signing keys (read once; again when *refresh*)."""
        if self._jwks is None or refresh:
            document = self._get_json(self.metadata()["jwks_uri"])
            with self._lock:
                self._jwks = document
        return self._jwks

    # -- the flow --------------------------------------------------------------------

    def begin(self, return_to: str | None = None) -> tuple[str, str]:
        """Start a login: ``(url, set_cookie)``: send the browser to *url* with the
        ``Set-Cookie`` header *set_cookie*; it comes back to the callback."""
        transaction = Transaction(
            state=_oidc_tokens.generate_token(32),
            nonce=_oidc_tokens.generate_token(32),
            code_verifier=_oidc_tokens.generate_token(64),
            return_to=safe_return_to(return_to),
            expires=time.time() + self.cookie.max_age,
        )
        with self.session() as session:
            url, _ = session.create_authorization_url(
                self.metadata()["authorization_endpoint"],
                state=transaction.state,
                nonce=transaction.nonce,
                code_verifier=transaction.code_verifier,
                **self.params,
            )
        return url, self.cookie.dump(transaction)

    def complete(self, query: Mapping[str, str], cookies: Mapping[str, str]) -> LoginResult:
        """Finish a login from the callback's *query* and *cookies* (see the module
        docs); the caller clears the cookie (``self.cookie.clear()``) either way."""
        transaction = self.cookie.load(cookies.get(self.cookie.name))
        if transaction is None:
            raise OIDCError("The login expired or was not started here; try again", 400)
        state = query.get("state", "")
        if not secrets.compare_digest(state.encode(), transaction.state.encode()):
            raise OIDCError("The login's state does not match; try again", 400)
        if query.get("error"):
            code = "".join(c for c in query["error"][:40] if c.isalnum() or c == "_")
            raise OIDCError(f"The identity provider refused the login ({code})")
        if not query.get("code"):
            raise OIDCError("The callback carries no authorization code", 400)
        if "iss" in query and query["iss"] != self.issuer:  # RFC 9207: mix-up attacks
            raise OIDCError("The callback comes from another issuer")
        tokens = self.exchange_code(query["code"], transaction.code_verifier)
        claims = self.verify_id_token(tokens, transaction.nonce)
        if self.userinfo:
            claims = {**self.fetch_userinfo(tokens, claims["sub"]), **claims}
        mapping = self.claims
        user = mapping.user(claims) if isinstance(mapping, ClaimMap) else mapping(claims)
        return LoginResult(user, transaction.return_to, claims, tokens)

    def exchange_code(self, code: str, code_verifier: str) -> dict[str, Any]:
        """The provider's token response for *code*, sent with the PKCE verifier."""
        return _oidc_tokens.exchange_code(self, code, code_verifier)

    def verify_id_token(self, tokens: Mapping[str, Any], nonce: str) -> dict[str, Any]:
        """The verified claims of the token response's ID token (see the module docs)."""
        return _oidc_tokens.verify_id_token(self, tokens, nonce)

    def fetch_userinfo(self, tokens: Mapping[str, Any], subject: str) -> dict[str, Any]:
        """The userinfo endpoint's claims, refused unless they are about *subject*."""
        return _oidc_tokens.userinfo(self, tokens, subject)

    def logout_url(
        self,
        post_logout_redirect_uri: str | None = None,
        *,
        id_token_hint: str | None = None,
        state: str | None = None,
    ) -> str | None:
        """Where to send the browser to log out at the provider too (OpenID Connect
        RP-Initiated Logout 1.0): its ``end_session_endpoint`` with this client's id and
        *post_logout_redirect_uri* (registered at the provider: it sends the browser
        back there), *id_token_hint* and *state* when given; ``None`` when the provider
        has no such endpoint (Google). Ending the app's own session is the caller's
        part: without this, the next login goes through at the provider unasked."""
        endpoint = self.metadata().get("end_session_endpoint")
        if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("https", "http"):
            return None
        params = {"client_id": self.client_id}
        for name, value in (
            ("post_logout_redirect_uri", post_logout_redirect_uri),
            ("id_token_hint", id_token_hint),
            ("state", state),
        ):
            if value:
                params[name] = value
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)
