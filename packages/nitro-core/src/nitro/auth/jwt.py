"""Bearer tokens for APIs: ``Authorization: Bearer <JWT>``, checked with PyJWT.

.. code-block:: python

    auth = JWTAuth(
        {"2026-12": key_dec, "2027-01": key_jan},
        algorithms=["EdDSA"],
        audience="orders-api",
        issuer="https://id.example.com/",
    )
    configure_app(app, auth=auth)

What is checked, every time: the signature, with the key named by the token's ``kid``
(several keys: rotation — a key removed from the map stops its tokens at once); the
algorithm, pinned to *algorithms* (``none`` is refused, and so is any algorithm not
listed, whatever the token's header says); ``exp`` (required), ``nbf`` and ``iat``
with *leeway* seconds of clock skew; ``aud`` and ``iss`` when configured (then
required). A token that fails any check is a 401 naming the reason class (expired,
wrong audience, bad signature...), never the key or the claims.

Keys from an identity provider (Azure AD, Google, Auth0, Keycloak...) come from its
JWKS document: ``JWTAuth.from_jwks("https://.../keys", algorithms=["RS256"], ...)``.
Needs the ``nitro-core[jwt]`` extra (PyJWT with ``cryptography``).

A client sends the same token with every request, and checking a signature in pure
Python costs more than a small action itself, so a token that passed is remembered —
the exact token text, for at most *remember* seconds (default 60) and never past its
``exp`` (``exp``/``nbf`` are checked again on every use). :meth:`JWTAuth.set_keys`
(rotation) forgets them all; a JWKS key the provider withdraws stops its tokens within
*remember* seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from nitro.auth.authenticators import bearer_token
from nitro.auth.errors import NotAuthenticated
from nitro.auth.identity import Role, User

__all__ = ["JWTAuth", "user_from_claims"]

_HMAC = {"HS256", "HS384", "HS512"}


def _pyjwt() -> Any:
    try:
        import jwt
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("nitro.auth.jwt needs PyJWT: pip install 'nitro-core[jwt]'") from exc
    return jwt


#: PyJWT's error classes -> what a 401 says (never the key or the claims' values).
_REASONS = {
    "ExpiredSignatureError": "expired",
    "ImmatureSignatureError": "not valid yet",
    "InvalidAudienceError": "wrong audience",
    "InvalidIssuerError": "wrong issuer",
    "InvalidAlgorithmError": "algorithm not accepted",
    "PyJWKClientError": "unknown signing key",
    "InvalidSignatureError": "bad signature",
    "DecodeError": "malformed",
}


def _reason(exc: Exception) -> str:
    for cls in type(exc).__mro__:
        if cls.__name__ in _REASONS:
            return f": {_REASONS[cls.__name__]}"
    claim = getattr(exc, "claim", None)
    return f": no {claim} claim" if claim else ""


def user_from_claims(claims: Mapping[str, Any]) -> User:
    """The default mapping of verified claims to a :class:`User`: ``sub`` is the id;
    ``preferred_username`` (or ``sub``) the name; ``permissions`` (a list) and ``scope``
    (space-separated) the grants; ``roles`` (a list of names) roles without grants of
    their own (for rules such as ``"admin" in user.role_names``)."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise NotAuthenticated("Invalid token: no subject")
    granted = claims.get("permissions") or []
    scope = claims.get("scope") or ""
    roles = claims.get("roles") or []
    return User(
        id=subject,
        username=str(claims.get("preferred_username") or subject),
        permissions=frozenset(
            [p for p in granted if isinstance(p, str)]
            + (scope.split() if isinstance(scope, str) else [])
        ),
        roles=tuple(Role(r) for r in roles if isinstance(r, str)),
        claims=dict(claims),
    )


class JWTAuth:
    """Authenticate ``Authorization: Bearer`` JWTs (see the module docs).

    :param keys: the verification key, or ``{kid: key}`` for rotation. HMAC keys are
        bytes/str of at least 32 bytes; asymmetric ones PEM text or key objects.
    :param algorithms: the accepted algorithms; required, never ``none``, and not
        HMAC mixed with public-key ones (a public key must never verify as a secret).
    :param audience: the expected ``aud`` (a token without it is refused).
    :param issuer: the expected ``iss`` (likewise).
    :param leeway: seconds of clock skew allowed on ``exp``/``nbf``/``iat``.
    :param user: verified claims -> :class:`User` (default :func:`user_from_claims`).
    :param signing_key: the key :meth:`issue` signs with (default: the HMAC key).
    :param remember: seconds a verified token is remembered (``0``: check every time).
    """

    #: How many verified tokens are remembered at most (the oldest go first).
    remembered_tokens = 4096

    challenge = 'Bearer error="invalid_token"'

    def __init__(
        self,
        keys: Any | Mapping[str, Any] = None,
        *,
        algorithms: Sequence[str],
        audience: str | Sequence[str] | None = None,
        issuer: str | None = None,
        leeway: float = 0.0,
        user: Callable[[Mapping[str, Any]], User] = user_from_claims,
        signing_key: Any = None,
        jwks_client: Any = None,
        remember: float = 60.0,
    ) -> None:
        jwt = _pyjwt()
        if isinstance(algorithms, str):
            algorithms = [algorithms]
        algorithms = list(algorithms)
        if not algorithms:
            raise ValueError("JWTAuth: give the accepted algorithms, e.g. algorithms=['RS256']")
        if any(a.lower() == "none" for a in algorithms):
            raise ValueError("JWTAuth: the 'none' algorithm is never accepted")
        if set(algorithms) & _HMAC and set(algorithms) - _HMAC:
            raise ValueError(
                "JWTAuth: do not mix HMAC (HS*) and public-key algorithms in one "
                "authenticator; a public key would verify as an HMAC secret"
            )
        unknown = set(algorithms) - set(jwt.algorithms.get_default_algorithms())
        if unknown:
            raise ValueError(f"JWTAuth: unknown algorithm(s) {sorted(unknown)}")
        if keys is None and jwks_client is None:
            raise ValueError("JWTAuth: give keys=, or use JWTAuth.from_jwks(url)")
        self.algorithms = algorithms
        self.remember = remember
        self._lock = threading.Lock()
        self._verified: dict[str, tuple[float, float, dict[str, Any], User | None]] = {}
        self._keys: dict[str | None, Any] = {}
        if keys is not None:
            self.set_keys(keys)
        self.audience = audience
        self.issuer = issuer
        self.leeway = leeway
        self._user = user
        self._signing_key = signing_key
        self._jwks = jwks_client
        self._errors = jwt.exceptions
        self._decode = jwt.decode
        self._header = jwt.get_unverified_header
        self._encode = jwt.encode
        required = ["exp"]
        if audience is not None:
            required.append("aud")
        if issuer is not None:
            required.append("iss")
        self._options = {"require": required}

    def set_keys(self, keys: Any | Mapping[str, Any]) -> None:
        """Replace the verification keys (rotation): tokens of a key no longer given
        are refused from now on, including remembered ones."""
        found: dict[str | None, Any] = (
            {str(k): v for k, v in keys.items()} if isinstance(keys, Mapping) else {None: keys}
        )
        if set(self.algorithms) <= _HMAC:
            for key in found.values():
                raw = key.encode() if isinstance(key, str) else key
                if not isinstance(raw, bytes) or len(raw) < 32:
                    raise ValueError("JWTAuth: an HMAC key must be at least 32 bytes")
        with self._lock:
            self._keys = found
            self._verified.clear()

    @classmethod
    def from_jwks(cls, url: str, *, algorithms: Sequence[str], **options: Any) -> JWTAuth:
        """Keys from an identity provider's JWKS document at *url* (fetched when a
        token names a ``kid`` not seen yet, and cached)."""
        jwt = _pyjwt()
        return cls(jwks_client=jwt.PyJWKClient(url), algorithms=algorithms, **options)

    def _key(self, token: str) -> Any:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        if None in self._keys:
            return self._keys[None]
        kid = self._header(token).get("kid")
        if not isinstance(kid, str) or kid not in self._keys:
            raise NotAuthenticated("Invalid token: unknown signing key", challenge=self.challenge)
        return self._keys[kid]

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of *token*; raises ``NotAuthenticated`` saying what is wrong."""
        try:
            claims: dict[str, Any] = self._decode(
                token,
                self._key(token),
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options=self._options,
            )
        except self._errors.PyJWTError as exc:
            raise NotAuthenticated(
                f"Invalid token{_reason(exc)}", challenge=self.challenge
            ) from None
        return claims

    def authenticate(self, request: Any) -> User | None:
        token = bearer_token(request)
        if token is None:
            return None
        now = time.time()
        seen = self._verified.get(token)  # (a dict read needs no lock)
        if seen is not None:
            since, until, claims, user = seen
            if since <= now < until:  # within nbf .. min(exp, remembered) (with leeway)
                return user if user is not None else self._user(claims)
        claims = self.verify(token)
        # The default mapping is pure, so its user is remembered too; an app's own
        # (which may load the account) runs on every request.
        user = self._user(claims) if self._user is user_from_claims else None
        if self.remember > 0:
            until = min(now + self.remember, float(claims["exp"]) + self.leeway)
            since = float(claims.get("nbf", now)) - self.leeway
            with self._lock:
                self._verified[token] = (since, until, claims, user)
                while len(self._verified) > self.remembered_tokens:  # the oldest go first
                    del self._verified[next(iter(self._verified))]
        return user if user is not None else self._user(claims)

    def issue(
        self,
        subject: str,
        *,
        expires_in: float = 3600,
        kid: str | None = None,
        algorithm: str | None = None,
        **claims: Any,
    ) -> str:
        """A token for *subject* signed with *signing_key* (or the HMAC key named by
        *kid*, or the only one), with ``exp``/``iat`` and this authenticator's
        ``aud``/``iss``: for apps that mint their own tokens, and for tests."""
        now = int(time.time())
        body: dict[str, Any] = {"sub": subject, "iat": now, "exp": now + int(expires_in)}
        if self.audience is not None:
            body["aud"] = self.audience
        if self.issuer is not None:
            body["iss"] = self.issuer
        body.update(claims)
        key = self._signing_key
        if key is None:
            key = self._keys.get(kid) if kid is not None else next(iter(self._keys.values()))
        if key is None:
            raise ValueError("JWTAuth.issue: no signing key (give signing_key=)")
        headers = {"kid": kid} if kid is not None else None
        return str(
            self._encode(body, key, algorithm=algorithm or self.algorithms[0], headers=headers)
        )
