"""Authentication as a plugin: JWT from the environment, and ``nitro auth`` commands.

``nitro-core`` installs it under the ``auth`` entry point of ``nitro.plugins``. It
changes nothing until configured:

* an app whose ``configure_app`` got no ``auth=`` takes bearer tokens when
  ``NITRO_JWT_SECRET`` (an HMAC key of 32 bytes or more) or ``NITRO_JWT_JWKS_URL`` (an
  identity provider's keys) is set, with ``NITRO_JWT_AUDIENCE``, ``NITRO_JWT_ISSUER``
  and ``NITRO_JWT_ALGORITHMS`` (default ``HS256`` with a secret, ``RS256`` with JWKS);
  an app that passes ``auth=`` keeps exactly what it passed;
* ``nitro auth hash-password`` prints a hash for ``PasswordAuth`` users (the password
  read without echo, or from stdin), and ``nitro auth token SUBJECT`` mints a token
  with ``NITRO_JWT_SECRET`` for trying an API.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from nitro.auth.authenticators import Authentication

__all__ = ["AuthPlugin", "jwt_from_settings", "plugin"]


def jwt_from_settings(environ: Any = None) -> Any:
    """The ``JWTAuth`` the ``NITRO_JWT_*`` settings describe, ``None`` when unset."""
    env = os.environ if environ is None else environ
    secret, jwks = env.get("NITRO_JWT_SECRET"), env.get("NITRO_JWT_JWKS_URL")
    if not secret and not jwks:
        return None
    if secret and jwks:
        raise ValueError("set NITRO_JWT_SECRET or NITRO_JWT_JWKS_URL, not both")
    from nitro.auth.jwt import JWTAuth

    default = "HS256" if secret else "RS256"
    algorithms = [a.strip() for a in env.get("NITRO_JWT_ALGORITHMS", default).split(",")]
    chosen = [a for a in algorithms if a]
    audience = env.get("NITRO_JWT_AUDIENCE") or None
    issuer = env.get("NITRO_JWT_ISSUER") or None
    if jwks:
        return JWTAuth.from_jwks(jwks, algorithms=chosen, audience=audience, issuer=issuer)
    return JWTAuth(secret, algorithms=chosen, audience=audience, issuer=issuer)


class AuthPlugin:
    """The ``auth`` plugin (see the module docs)."""

    def app_configured(self, nitro: Any, app: Any) -> None:
        if nitro.dispatcher.auth is not None:
            return
        auth = jwt_from_settings()
        if auth is not None:
            nitro.dispatcher.auth = Authentication(auth)

    def cli(self, subparsers: Any) -> None:
        parser = subparsers.add_parser("auth", help="passwords and tokens")
        commands = parser.add_subparsers(title="auth commands", metavar="COMMAND")
        hashing = commands.add_parser("hash-password", help="print a password hash")
        hashing.set_defaults(func=_hash_password)
        token = commands.add_parser("token", help="mint a token with NITRO_JWT_SECRET")
        token.add_argument("subject", help="the user id (the sub claim)")
        token.add_argument("--permission", "-p", action="append", default=[])
        token.add_argument("--role", "-r", action="append", default=[])
        token.add_argument("--expires-in", type=int, default=3600, metavar="SECONDS")
        token.set_defaults(func=_token)
        parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _hash_password(args: argparse.Namespace) -> int:
    from nitro.auth.passwords import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("nitro auth: the passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        print("nitro auth: an empty password is not accepted", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def _token(args: argparse.Namespace) -> int:
    if not os.environ.get("NITRO_JWT_SECRET"):
        print("nitro auth token: set NITRO_JWT_SECRET (the app's HMAC key)", file=sys.stderr)
        return 1
    try:
        auth = jwt_from_settings()
    except ValueError as error:
        print(f"nitro auth token: {error}", file=sys.stderr)
        return 1
    claims: dict[str, Any] = {}
    if args.permission:
        claims["permissions"] = args.permission
    if args.role:
        claims["roles"] = args.role
    print(auth.issue(args.subject, expires_in=args.expires_in, **claims))
    return 0


plugin = AuthPlugin()
