"""The talking to the provider behind :mod:`nitro.auth.oidc`: discovery documents, the
code exchange (Authlib's requests client) and the ID token check (joserfc, with
Authlib's OpenID Connect claim rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

from nitro.auth.errors import NotAuthenticated

try:
    import requests

    # Authlib ships no type information (no py.typed, no stubs).
    from authlib.common.security import generate_token  # type: ignore[import-untyped]
    from authlib.integrations.base_client.errors import (  # type: ignore[import-untyped]
        OAuthError,
    )
    from authlib.integrations.requests_client import (  # type: ignore[import-untyped]
        OAuth2Session,
    )
    from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]
    from joserfc import jwt
    from joserfc.errors import (
        BadSignatureError,
        ClaimError,
        ExpiredTokenError,
        InvalidKeyIdError,
        JoseError,
        MissingKeyError,
        UnsupportedAlgorithmError,
    )
    from joserfc.jwk import KeySet
    from joserfc.jws import JWSRegistry
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        "nitro.auth.oidc needs Authlib and requests: pip install 'nitro-core[oidc]'"
    ) from exc

if TYPE_CHECKING:
    from joserfc.jwk import KeySetSerialization


class Client(Protocol):
    """What these functions need of :class:`nitro.auth.oidc.OIDCClient` (not imported:
    that module imports this one)."""

    issuer: str
    client_id: str
    leeway: int
    timeout: float

    def session(self) -> Any: ...
    def metadata(self) -> dict[str, Any]: ...
    def jwks(self, refresh: bool = False) -> dict[str, Any]: ...


__all__ = ["OAuth2Session", "OIDCError", "exchange_code", "generate_token", "verify_id_token"]

#: Signature algorithms an ID token may use: public-key ones only (an HMAC "signature"
#: keyed with the client secret, or ``none``, is refused).
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class OIDCError(NotAuthenticated):
    """A login refused, with the status it answers (400, 401 or 502) and a safe detail
    (never a traceback, a token or the provider's free-text description)."""

    def __init__(self, detail: str, status: int = 401) -> None:
        super().__init__(detail)
        self.status = status


def get_json(url: str, timeout: float, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = requests.get(url, timeout=timeout, headers=headers)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError):
        raise OIDCError("The identity provider could not be reached", 502) from None
    if not isinstance(document, dict):
        raise OIDCError("The identity provider answered nonsense", 502)
    return document


def exchange_code(client: Client, code: str, code_verifier: str) -> dict[str, Any]:
    try:
        with client.session() as session:
            token = session.fetch_token(
                client.metadata()["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
            )
    except OAuthError as error:  # invalid_grant (a wrong verifier, a used code), ...
        code_name = "".join(c for c in str(error.error)[:40] if c.isalnum() or c == "_")
        raise OIDCError(f"The identity provider refused the code ({code_name})") from None
    except requests.RequestException:
        raise OIDCError("The identity provider could not be reached", 502) from None
    if not isinstance(token.get("id_token"), str):
        raise OIDCError("The identity provider sent no ID token")
    return dict(token)


#: joserfc's errors -> what the 401 says (never the token or the key).
_REASONS: list[tuple[type[Exception], str]] = [
    (BadSignatureError, "bad signature"),
    ((InvalidKeyIdError, MissingKeyError), "unknown signing key"),  # type: ignore[list-item]
    (UnsupportedAlgorithmError, "algorithm not accepted"),
    (ExpiredTokenError, "expired"),
]


def _reason(error: Exception) -> str:
    for cls, reason in _REASONS:
        if isinstance(error, cls):
            return reason
    if isinstance(error, ClaimError):
        return f"wrong or missing {error.claim}"
    return "malformed"


def verify_id_token(client: Client, tokens: Mapping[str, Any], nonce: str) -> dict[str, Any]:
    metadata = client.metadata()
    announced = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in announced if a in ASYMMETRIC]
    registry = JWSRegistry(algorithms=algorithms)
    id_token = tokens["id_token"]
    try:
        try:
            keys = KeySet.import_key_set(cast("KeySetSerialization", client.jwks()))
            token = jwt.decode(id_token, keys, registry=registry)
        except (InvalidKeyIdError, MissingKeyError):  # the provider rotated its keys
            keys = KeySet.import_key_set(cast("KeySetSerialization", client.jwks(refresh=True)))
            token = jwt.decode(id_token, keys, registry=registry)
        claims = CodeIDToken(
            token.claims,
            token.header,
            {
                "iss": {"essential": True, "value": client.issuer},
                "aud": {"essential": True, "value": client.client_id},
                "exp": {"essential": True},
            },
            {
                "nonce": nonce,
                "client_id": client.client_id,
                "access_token": tokens.get("access_token"),
            },
        )
        claims.validate(leeway=client.leeway)
    except (JoseError, ValueError, TypeError) as error:
        raise OIDCError(f"Invalid ID token: {_reason(error)}") from None
    return dict(claims)


def userinfo(client: Client, tokens: Mapping[str, Any], subject: str) -> dict[str, Any]:
    endpoint = client.metadata().get("userinfo_endpoint")
    if not endpoint or not tokens.get("access_token"):
        return {}
    claims = get_json(endpoint, client.timeout, token=str(tokens["access_token"]))
    if claims.get("sub") != subject:  # OpenID Connect Core 5.3.2
        raise OIDCError("The userinfo answer is about another user")
    return claims
